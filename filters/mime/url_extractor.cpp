#include "filters/mime/url_extractor.hpp"

#include <algorithm>

namespace portcullis::mime {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_word_byte(char c) { return is_alnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }

// Width of a delimiter at s[i] (0 when none). NBSP is two bytes in UTF-8.
std::size_t end_delim(std::string_view s, std::size_t i, bool email) {
  const char c = s[i];
  switch (c) {
    case '>': case '<': case '"': case '`': case '}': case ']': case '{': case '[': case '|':
    case ' ': case '\t': case '\n': case '\r': case '\f': case '\v': case '\x1b':
      return 1;
    default:
      break;
  }
  if (email && (c == ',' || c == '(' || c == '\'')) return 1;
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x80) {
    if (email) return 1;
    if (c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') return 2;
    if (c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\x85') return 2;
  }
  return 0;
}

bool starts_ci(std::string_view s, std::size_t i, std::string_view p) {
  if (s.size() - i < p.size()) return false;
  for (std::size_t k = 0; k < p.size(); ++k) {
    if (lower(s[i + k]) != p[k]) return false;
  }
  return true;
}

// Length of a known-scheme prefix at s[i] (0 if none).
std::size_t scheme_prefix(std::string_view s, std::size_t i) {
  if (starts_ci(s, i, "http://")) return 7;
  if (starts_ci(s, i, "https://")) return 8;
  if (starts_ci(s, i, "ftp://")) return 6;
  if (starts_ci(s, i, "ftp.")) return 4;
  if (starts_ci(s, i, "www")) {
    std::size_t k = i + 3;
    while (k < s.size() && k < i + 5 && s[k] >= '0' && s[k] <= '9') ++k;
    if (k < s.size() && s[k] == '.') return k + 1 - i;
  }
  return 0;
}

// SA's clean-up of a raw candidate.
std::string_view trim_candidate(std::string_view u) {
  const std::size_t close = u.find(')');
  if (close != std::string_view::npos && u.substr(0, close).find('(') == std::string_view::npos) {
    u = u.substr(0, close);
  }
  while (!u.empty()) {
    const char c = u.back();
    if (std::string_view("-~!@#^&*()_+=:;'?,.").find(c) == std::string_view::npos) break;
    u.remove_suffix(1);
  }
  return u;
}

bool plausible_host(std::string_view host) {
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  const std::size_t dot = host.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  const std::string_view tld = host.substr(dot + 1);
  if (tld.size() < 2) return false;
  return std::all_of(tld.begin(), tld.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           static_cast<unsigned char>(c) >= 0x80;
  });
}

void add_unique(std::vector<std::string>& urls, std::string u, std::size_t max_urls) {
  if (urls.size() >= max_urls) return;
  // The builder dedupes the whole list; here only recent repeats are skipped, so a text
  // repeating one URL cannot fill the cap.
  const std::size_t from = urls.size() > 64 ? urls.size() - 64 : 0;
  if (std::find(urls.begin() + static_cast<std::ptrdiff_t>(from), urls.end(), u) != urls.end()) return;
  urls.push_back(std::move(u));
}

void add_mail(std::vector<std::string>& urls, std::string_view addr, std::size_t max_urls) {
  // addr is "mailto:…" or a bare address.
  std::string_view rest = addr;
  if (starts_ci(rest, 0, "mailto:")) rest.remove_prefix(7);
  const std::size_t at = rest.find('@');
  if (at == std::string_view::npos) return;
  std::string_view host = rest.substr(at + 1);
  host = host.substr(0, host.find_first_of("?&>"));
  if (!plausible_host(host)) return;
  std::string u = starts_ci(addr, 0, "mailto:") ? std::string(addr) : "mailto:" + std::string(addr);
  // SA's canonical form of a mailto: drops the query; keep both.
  const std::size_t q = u.find('?');
  std::string bare = q == std::string::npos ? std::string() : u.substr(0, q);
  add_unique(urls, std::move(u), max_urls);
  if (!bare.empty()) add_unique(urls, std::move(bare), max_urls);
}

}  // namespace

void extract_text_urls(std::string_view s, std::vector<std::string>& urls, std::size_t max_urls) {
  constexpr std::size_t kMaxUri = 2048;
  constexpr std::size_t kMaxMailHalf = 251;
  // Pass 1: scheme, www./ftp. and mailto: candidates. Their spans are remembered so an
  // address inside one (http://user@host/) is not taken again in pass 2, as in SA's regex.
  std::vector<std::pair<std::size_t, std::size_t>> taken;
  for (std::size_t i = 0; i < s.size() && urls.size() < max_urls;) {
    const char c = lower(s[i]);
    if (c != 'h' && c != 'f' && c != 'w' && c != 'm') {
      ++i;
      continue;
    }
    const bool boundary = i == 0 || !is_word_byte(s[i - 1]) ||
                          (i >= 2 && s[i - 2] == '\xC2' && s[i - 1] == '\xA0');
    if (!boundary) {
      ++i;
      continue;
    }
    if (const std::size_t pre = scheme_prefix(s, i)) {
      std::size_t e = i + pre;
      while (e < s.size() && e - i - pre < kMaxUri + 1 && end_delim(s, e, false) == 0) ++e;
      if (e > i + pre && e - i - pre <= kMaxUri) {
        const std::string_view raw = trim_candidate(s.substr(i, e - i));
        if (raw.size() > pre) {
          std::string u(raw);
          if (starts_ci(u, 0, "www")) {
            u.insert(0, "http://");
          } else if (starts_ci(u, 0, "ftp.")) {
            u.insert(0, "ftp://");
          }
          add_unique(urls, std::move(u), max_urls);
        }
        taken.emplace_back(i, e);
        i = e;
        continue;
      }
    }
    if (starts_ci(s, i, "mailto:")) {
      std::size_t e = i + 7;
      while (e < s.size() && e - i < kMaxUri + 7 && end_delim(s, e, true) == 0) ++e;
      if (e > i + 7) add_mail(urls, trim_candidate(s.substr(i, e - i)), max_urls);
      taken.emplace_back(i, e);
      i = e;
      continue;
    }
    ++i;
  }
  // Pass 2: bare addresses around each '@' not inside a pass-1 span.
  std::size_t span = 0;
  std::size_t resume = 0;  // addresses do not overlap
  for (std::size_t at = s.find('@'); at != std::string_view::npos && urls.size() < max_urls;
       at = s.find('@', at + 1)) {
    while (span < taken.size() && taken[span].second <= at) ++span;
    if (span < taken.size() && taken[span].first <= at) continue;
    if (at < resume) continue;
    std::size_t start = at;
    while (start > resume && at - start < kMaxMailHalf + 1 && s[start - 1] != '@' &&
           end_delim(s, start - 1, true) == 0) {
      --start;
    }
    if (start == at || at - start > kMaxMailHalf) continue;
    std::size_t e = at + 1;
    while (e < s.size() && e - at - 1 <= kMaxMailHalf && end_delim(s, e, true) == 0) ++e;
    if (e == at + 1 || e - at - 1 > kMaxMailHalf) continue;
    resume = e;
    std::string_view raw = trim_candidate(s.substr(start, e - start));
    if (raw.find('@') == std::string_view::npos || raw.find("&nbsp;") != std::string_view::npos ||
        raw.find('/') != std::string_view::npos) {
      continue;
    }
    // SA strips common misparses: skype:, mail:, e-mail: prefixes.
    for (std::string_view p : {"skype:", "e-mail:", "email:", "mail:"}) {
      if (starts_ci(raw, 0, p)) {
        raw.remove_prefix(p.size());
        break;
      }
    }
    if (!starts_ci(raw, 0, "cid:") && !starts_ci(raw, 0, "mid:")) add_mail(urls, raw, max_urls);
  }
}

}  // namespace portcullis::mime
