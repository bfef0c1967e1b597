#include "filters/mime/header_fields.hpp"

#include <algorithm>

#include "filters/mime/charset.hpp"
#include "filters/mime/transfer_encoding.hpp"
#include "filters/mime/utf8.hpp"

namespace portcullis::mime {

Line line_at(std::string_view s, std::size_t pos) {
  const std::size_t nl = s.find('\n', pos);
  if (nl == std::string_view::npos) return {pos, s.size(), s.size()};
  std::size_t end = nl;
  if (end > pos && s[end - 1] == '\r') --end;
  return {pos, end, nl + 1};
}

namespace {


char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// ^[\041-\071\073-\176]+[ \t]*:
bool is_field_line(std::string_view s, const Line& l) {
  std::size_t i = l.start;
  while (i < l.end && s[i] >= 0x21 && s[i] <= 0x7E && s[i] != ':') ++i;
  if (i == l.start) return false;
  while (i < l.end && is_blank(s[i])) ++i;
  return i < l.end && s[i] == ':';
}

void add_field(HeaderSection& h, std::string_view s, std::size_t start, std::size_t end,
               bool strip_name, std::size_t max_fields) {
  const std::string_view text = s.substr(start, end - start);
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return;  // not "name: value": SA skips it
  if (h.fields.size() >= max_fields) {
    h.truncated = true;
    return;
  }
  std::string_view name = text.substr(0, colon);
  if (strip_name) {
    while (!name.empty() && is_blank(name.back())) name.remove_suffix(1);
  }
  h.fields.push_back({name, text.substr(colon + 1)});
}

bool istarts(std::string_view s, std::size_t at, std::string_view word) {
  if (s.size() - at < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (lower(s[at + i]) != word[i]) return false;
  }
  return true;
}

// Finds `word` (lower case) at a word boundary, case-insensitively, from `from`.
std::size_t find_word(std::string_view s, std::string_view word, std::size_t from,
                      bool need_boundary) {
  for (std::size_t i = from; i + word.size() <= s.size(); ++i) {
    if (lower(s[i]) != word[0]) continue;
    if (need_boundary && i > 0 && is_word(s[i - 1])) continue;
    if (istarts(s, i, word)) return i;
  }
  return std::string_view::npos;
}

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// SA's  \bKEY\s*=\s*["']?(.*?)["']?(?:;|$)  — the lazy capture ends at the first ';' (or at the
// end), one quote before it dropped.
std::optional<std::string> lazy_param(std::string_view s, std::size_t after_key) {
  std::size_t i = skip_space(s, after_key);
  if (i >= s.size() || s[i] != '=') return std::nullopt;
  i = skip_space(s, i + 1);
  if (i < s.size() && (s[i] == '"' || s[i] == '\'')) ++i;
  for (std::size_t p = i; p <= s.size(); ++p) {
    if (p == s.size() || s[p] == ';') return std::string(s.substr(i, p - i));
    if ((s[p] == '"' || s[p] == '\'') && (p + 1 == s.size() || s[p + 1] == ';')) {
      return std::string(s.substr(i, p - i));
    }
  }
  return std::nullopt;
}

std::optional<std::string> find_lazy_param(std::string_view s, std::string_view key) {
  for (std::size_t at = find_word(s, key, 0, true); at != std::string_view::npos;
       at = find_word(s, key, at + 1, true)) {
    if (auto v = lazy_param(s, at + key.size())) return v;
  }
  return std::nullopt;
}

std::optional<std::string> find_boundary(std::string_view s) {
  for (std::size_t at = find_word(s, "boundary", 0, true); at != std::string_view::npos;
       at = find_word(s, "boundary", at + 1, true)) {
    std::size_t i = skip_space(s, at + 8);
    if (i >= s.size() || s[i] != '=') continue;
    i = skip_space(s, i + 1);
    if (i < s.size() && s[i] == '"') {
      std::size_t j = i + 1;
      while (j < s.size() && s[j] != '"') ++j;
      if (j == i + 1) continue;  // "" : no boundary here
      return std::string(s.substr(i + 1, j - i - 1));
    }
    std::size_t j = i;
    while (j < s.size() && !is_space(s[j]) && s[j] != '"' && s[j] != ';') ++j;
    if (j == i) continue;
    if (j < s.size() && s[j] == '"') continue;  // (?=[\s;]|$) fails
    return std::string(s.substr(i, j - i));
  }
  return std::nullopt;
}

bool is_ct_junk(unsigned char c) {
  return c <= 0x20 || c >= 0x7F || c == '"' || c == '(' || c == ')' || c == ',' ||
         (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x5D);
}

// One RFC 2047 word at s[i]: =?charset?B|Q?text?=  (SA: [A-Za-z0-9*_-]+ and [^?]*).
struct EncodedWord {
  std::string_view charset;
  char encoding;
  std::string_view text;
  std::size_t end;
};

std::optional<EncodedWord> encoded_word_at(std::string_view s, std::size_t i) {
  if (i + 1 >= s.size() || s[i] != '=' || s[i + 1] != '?') return std::nullopt;
  std::size_t j = i + 2;
  const std::size_t cs = j;
  while (j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                          (s[j] >= '0' && s[j] <= '9') || s[j] == '*' || s[j] == '_' ||
                          s[j] == '-')) {
    ++j;
  }
  if (j == cs || j + 2 >= s.size() || s[j] != '?') return std::nullopt;
  const char enc = lower(s[j + 1]);
  if ((enc != 'b' && enc != 'q') || s[j + 2] != '?') return std::nullopt;
  const std::size_t text = j + 3;
  const std::size_t q = s.find('?', text);
  if (q == std::string_view::npos || q + 1 >= s.size() || s[q + 1] != '=') return std::nullopt;
  return EncodedWord{s.substr(cs, j - cs), enc, s.substr(text, q - text), q + 2};
}

void decode_word_bytes(const EncodedWord& w, std::string& out) {
  if (w.encoding == 'b') {
    decode_base64(w.text, out, w.text.size());
    return;
  }
  std::string q(w.text);
  std::string expanded;
  expanded.reserve(q.size());
  for (char c : q) {
    if (c == '_') {
      expanded += "=20";
    } else {
      expanded.push_back(c);
    }
  }
  decode_quoted_printable(expanded, out, expanded.size());
}

}  // namespace

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

HeaderSection read_message_header(std::string_view s, std::size_t max_fields) {
  HeaderSection h;
  std::size_t pos = 0;
  // mbox separator: /^From\s+(?!:)/
  if (s.substr(0, 4) == "From" && s.size() > 4 && is_blank(s[4])) {
    std::size_t i = 4;
    while (i < s.size() && is_blank(s[i])) ++i;
    if (i < s.size() && s[i] != ':') pos = line_at(s, 0).next;
  }
  std::size_t cur = std::string_view::npos;
  std::size_t cur_end = 0;
  int errors = 0;
  while (pos < s.size()) {
    const Line l = line_at(s, pos);
    if (l.end > l.start && is_blank(s[l.start])) {
      if (cur == std::string_view::npos) cur = l.start;
      cur_end = l.end;
      pos = l.next;
      continue;
    }
    if (cur != std::string_view::npos) add_field(h, s, cur, cur_end, true, max_fields);
    cur = std::string_view::npos;
    if (l.end == l.start) {
      h.body_offset = l.next;
      return h;
    }
    if (s.substr(l.start, 2) == "--") {
      h.body_offset = l.start;
      return h;
    }
    if (!is_field_line(s, l) && ++errors > 3) {
      h.body_offset = l.start;
      return h;
    }
    cur = l.start;
    cur_end = l.end;
    pos = l.next;
  }
  if (cur != std::string_view::npos) add_field(h, s, cur, cur_end, true, max_fields);
  h.body_offset = s.size();
  return h;
}

HeaderSection read_part_header(std::string_view s, std::size_t max_fields) {
  HeaderSection h;
  std::size_t pos = 0;
  std::size_t cur = std::string_view::npos;
  std::size_t cur_end = 0;
  while (pos < s.size()) {
    const Line l = line_at(s, pos);
    if (is_field_line(s, l)) {
      if (cur != std::string_view::npos) add_field(h, s, cur, cur_end, false, max_fields);
      cur = l.start;
      cur_end = l.end;
      pos = l.next;
      continue;
    }
    if (cur != std::string_view::npos && l.end > l.start && is_blank(s[l.start])) {
      cur_end = l.end;
      pos = l.next;
      continue;
    }
    if (cur != std::string_view::npos) add_field(h, s, cur, cur_end, false, max_fields);
    h.body_offset = (l.end == l.start) ? l.next : l.start;
    return h;
  }
  if (cur != std::string_view::npos) add_field(h, s, cur, cur_end, false, max_fields);
  h.body_offset = s.size();
  return h;
}

std::string unfold_raw(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n') continue;
    if (v[i] == '\n') continue;
    out.push_back(v[i]);
  }
  return out;
}

std::string decode_encoded_words(std::string_view v) {
  struct Section {
    std::string bytes;
    std::string charset;  // lower case, "" for plain text
  };
  std::vector<Section> sections;
  std::size_t i = 0;
  auto push = [&](std::string_view charset, auto&& fill) {
    if (sections.empty() || sections.back().charset != charset) {
      sections.push_back({std::string(), std::string(charset)});
    }
    fill(sections.back().bytes);
  };
  while (i < v.size()) {
    if (auto w = encoded_word_at(v, i)) {
      std::string cs(w->charset);
      for (char& c : cs) c = lower(c);
      push(cs, [&](std::string& out) { decode_word_bytes(*w, out); });
      i = w->end;
      // Whitespace between two encoded words is not text.
      const std::size_t j = skip_space(v, i);
      if (j > i && encoded_word_at(v, j)) i = j;
      continue;
    }
    std::size_t j = i + 1;
    while (j < v.size() && v[j] != '=') ++j;
    push("", [&](std::string& out) { out.append(v.substr(i, j - i)); });
    i = j;
  }
  std::string out;
  out.reserve(v.size());
  for (const Section& s : sections) {
    if (s.charset.empty()) {
      out += s.bytes;
      continue;
    }
    std::string_view cs = s.charset;
    const std::size_t star = cs.find('*');  // RFC 2231 language: =?US-ASCII*EN?Q?…?=
    if (star != std::string_view::npos) cs = cs.substr(0, star);
    append_as_utf8(out, s.bytes, cs, CharsetMode::kEncodedWord);
  }
  return out;
}

std::string decode_field_value(std::string_view name, std::string_view value) {
  std::string v;
  v.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const bool crlf = value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n';
    if (value[i] == '\n' || crlf) {
      std::size_t j = i + (crlf ? 2 : 1);
      if (j < value.size() && is_blank(value[j])) {
        while (j < value.size() && is_blank(value[j])) ++j;
        v.push_back(' ');
      }
      i = j - 1;
      continue;
    }
    v.push_back(value[i]);
  }
  std::size_t b = 0;
  std::size_t e = v.size();
  while (b < e && is_space(v[b])) ++b;
  while (e > b && is_space(v[e - 1])) --e;
  std::string trimmed = v.substr(b, e - b);
  std::string text;
  append_as_utf8(text, trimmed, "UTF-8", CharsetMode::kBody);

  const bool exempt = iequals_ascii(name, "received") || iequals_ascii(name, "message-id") ||
                      iequals_ascii(name, "resent-message-id") || iequals_ascii(name, "date") ||
                      iequals_ascii(name, "resent-date") || iequals_ascii(name, "mime-version") ||
                      iequals_ascii(name, "references") || iequals_ascii(name, "in-reply-to") ||
                      (name.size() >= 5 && iequals_ascii(name.substr(0, 5), "list-"));
  if (exempt || text.find("=?") == std::string::npos) return text;
  std::string decoded = decode_encoded_words(text);
  if (is_valid_utf8(decoded)) return decoded;
  std::string repaired;
  append_utf8_repaired(repaired, decoded);
  return repaired;
}

ContentTypeInfo parse_content_type(std::string_view value) {
  ContentTypeInfo info;
  std::string_view ct = value;
  if (ct.empty()) {
    info.missing = true;
    ct = "text/plain; charset=us-ascii";
  }
  info.boundary = find_boundary(ct);
  if (info.boundary) {
    std::string b;
    for (char c : *info.boundary) {
      if (c != '"') b.push_back(c);
    }
    info.boundary = std::move(b);
  }
  info.charset = find_lazy_param(ct, "charset");
  {
    std::optional<std::string> name;
    for (std::size_t at = 0; at < ct.size();) {
      const std::size_t f = find_word(ct, "filename", at, true);
      const std::size_t n = find_word(ct, "name", at, true);
      const std::size_t first = std::min(f, n);
      if (first == std::string_view::npos) break;
      const std::size_t key_len = (first == f) ? 8 : 4;
      if (auto v = lazy_param(ct, first + key_len)) {
        name = std::move(v);
        break;
      }
      at = first + 1;
    }
    if (name) info.name = *name;
    if (info.name.empty()) {
      // RFC 2231 continuations: name*0=…; name*1=…
      std::vector<std::string> pieces;
      for (std::size_t at = find_word(ct, "name*", 0, false); at != std::string_view::npos;
           at = find_word(ct, "name*", at + 1, false)) {
        std::size_t i = at + 5;
        std::size_t idx = 0;
        const std::size_t digits = i;
        while (i < ct.size() && ct[i] >= '0' && ct[i] <= '9' && idx < 1000) {
          idx = idx * 10 + static_cast<std::size_t>(ct[i] - '0');
          ++i;
        }
        if (i == digits || idx >= 1000) continue;
        if (auto v = lazy_param(ct, i)) {
          if (pieces.size() <= idx) pieces.resize(idx + 1);
          pieces[idx] = *v;
        }
      }
      for (const std::string& p : pieces) info.name += p;
    }
  }
  // The type itself: up to ';', "something/something".
  std::size_t b = 0;
  while (b < ct.size() && is_space(ct[b])) ++b;
  std::string_view t = ct.substr(b);
  t = t.substr(0, t.find(';'));
  const std::size_t slash = t.find('/');
  if (slash != std::string_view::npos) {
    std::size_t e = slash + 1;
    while (e < t.size() && t[e] != '/' && !is_space(t[e])) ++e;
    t = t.substr(0, e);
  }
  std::string type;
  for (char c : t) type.push_back(lower(c));
  std::string declared;
  for (char c : type) {
    if (!is_ct_junk(static_cast<unsigned char>(c))) declared.push_back(c);
  }
  if (type.empty()) info.missing = true;
  const bool textish = type.size() >= 4 && type.compare(0, 4, "text") == 0 &&
                       (type.size() == 4 || !is_word(type[4]));
  if (type.empty() ||
      (textish && type != "text/x-vcard" && type != "text/calendar" && type != "text/html")) {
    type = "text/plain";
  }
  std::string clean;
  for (char c : type) {
    if (!is_ct_junk(static_cast<unsigned char>(c))) clean.push_back(c);
  }
  info.type = std::move(clean);
  info.declared = value.empty() ? std::string() : std::move(declared);
  return info;
}

std::string disposition_name(std::string_view v) {
  for (std::size_t at = find_word(v, "name=", 0, false); at != std::string_view::npos;
       at = find_word(v, "name=", at + 1, false)) {
    std::size_t i = skip_space(v, at + 5);
    if (i < v.size() && v[i] == '"') ++i;
    std::size_t j = i;
    while (j < v.size() && v[j] != '"' && v[j] != ';') ++j;
    if (j > i) return std::string(v.substr(i, j - i));
  }
  return {};
}

}  // namespace portcullis::mime
