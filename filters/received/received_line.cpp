// Reading one Received value the way SpamAssassin 4.0.1 does (Received.pm,
// parse_received_line): normalise the text, drop lines that are not handovers, cut the
// date, pick up the fields every format shares (id, HELO, "by" host, authentication
// marks), hand the rest to the format families, and clean what they found.
// Untrusted input: the value. Limits: values over kMaxFieldBytes are not read; the step
// budget of the matcher bounds the work on the rest. Gaps: see received_relays.hpp.
#include "filters/received/received_line.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "filters/received/ip_text.hpp"

namespace portcullis::received {
namespace detail {
namespace {

using namespace kit;

inline constexpr CharSet kSU = CharSet::of("SUsu");
inline constexpr CharSet kSpaceEq = CharSet::of(" =");
inline constexpr CharSet kLowerAlnum = CharSet::of("").with_range('a', 'z').with_range('0', '9');
inline constexpr CharSet kLower = CharSet::of("").with_range('a', 'z');
inline constexpr CharSet kZeroToSix = CharSet::of("").with_range('0', '6');
// what SpamAssassin accepts in a HELO name after "helo=" or "HELO "
inline constexpr CharSet kHeloChar =
    CharSet::of("-.^+_&:=?!@%*$\\/").with_range('A', 'Z').with_range('a', 'z').with_range('0', '9');

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}
bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + 32);
    if (a != prefix[i]) return false;
  }
  return true;
}

// One space for every whitespace run, none at the ends, and no trailing ';' (with the space
// before it), repeatedly.
std::string normalise(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char ch : value) {
    if (is_space(ch)) {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out.push_back(' ');
    in_space = false;
    out.push_back(ch);
  }
  while (!out.empty() && out.back() == ';') {
    out.pop_back();
    if (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

// "[; ]+ (Day, )? D Mon YYYY HH:MM(:SS)? ZONE" at the very end: cut at the leftmost place
// it fits. A date followed by a comment ("+0100 (CET)") does not fit, as in SpamAssassin.
void cut_trailing_date(std::string& s) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Thu", "Wed", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Jun", "Jul", "Feb", "Mar", "May",
                                                 "Apr", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto date_from = [&](std::size_t p) {
    std::string_view r = std::string_view(s).substr(p);
    while (!r.empty() && (r.front() == ' ' || r.front() == ';')) r.remove_prefix(1);
    for (std::string_view d : kDays) {
      if (r.starts_with(d) && r.substr(3).starts_with(", ")) {
        r.remove_prefix(5);
        break;
      }
    }
    auto digits = [&] {
      std::size_t n = 0;
      while (n < r.size() && r[n] >= '0' && r[n] <= '9') ++n;
      r.remove_prefix(n);
      return n > 0;
    };
    auto take = [&](char c) {
      if (r.empty() || r.front() != c) return false;
      r.remove_prefix(1);
      return true;
    };
    if (!digits() || !take(' ')) return false;
    bool month = false;
    for (std::string_view m : kMonths) {
      if (r.starts_with(m)) {
        r.remove_prefix(3);
        month = true;
        break;
      }
    }
    if (!month || !take(' ') || !digits() || !take(' ') || !digits() || !take(':') || !digits())
      return false;
    if (!r.empty() && r.front() == ':') {
      std::string_view keep = r;
      r.remove_prefix(1);
      if (!digits()) r = keep;
    }
    if (!take(' ') || r.empty()) return false;
    return r.find(' ') == std::string_view::npos;
  };
  for (std::size_t p = 0; p < s.size(); ++p) {
    if ((s[p] != ' ' && s[p] != ';') || (p > 0 && (s[p - 1] == ' ' || s[p - 1] == ';'))) continue;
    if (date_from(p)) {
      s.resize(p);
      return;
    }
  }
}

// " id <?X" with X at least three bytes of [^\s<>;]
std::string find_id(std::string_view s) {
  for (std::size_t p = s.find(" id "); p != std::string_view::npos; p = s.find(" id ", p + 1)) {
    std::size_t b = p + 4;
    if (b < s.size() && s[b] == '<') ++b;
    std::size_t e = b;
    while (e < s.size() && s[e] != ' ' && s[e] != '<' && s[e] != '>' && s[e] != ';') ++e;
    if (e - b >= 3) return std::string(s.substr(b, e - b));
  }
  return {};
}

std::string helo_after(std::string_view s, std::string_view marker, bool any_of_two) {
  for (std::size_t p = 0; p < s.size(); ++p) {
    std::size_t len = 0;
    if (s.substr(p).starts_with(marker)) {
      len = marker.size();
    } else if (any_of_two && s.substr(p).starts_with("EHLO ")) {
      len = 5;
    } else {
      continue;
    }
    if (p > 0 && is_word(s[p - 1])) continue;
    std::size_t e = p + len;
    while (e < s.size() && kHeloChar(s[e])) ++e;
    if (e > p + len) return std::string(s.substr(p + len, e - p - len));
  }
  return {};
}

std::string find_helo(std::string_view s) {
  std::string helo = helo_after(s, "helo=", false);
  if (helo.empty()) helo = helo_after(s, "HELO ", true);
  return helo;
}

// The first " by " host.
std::string find_by(std::string_view s) {
  const std::size_t p = s.find(" by ");
  if (p == std::string_view::npos) return {};
  std::size_t e = p + 4;
  while (e < s.size() && s[e] != ' ') ++e;
  return std::string(s.substr(p + 4, e - p - 4));
}

// sendmail/MDaemon "… (…authenticated…) … by": is there a bracket close, then a
// parenthesised "authenticated", then " by"? Each part only needs to come after the
// previous one, so the earliest place for each is the best one.
bool sendmail_authenticated(std::string_view s) {
  if (!s.starts_with("from ")) return false;
  std::size_t best = std::string_view::npos;  // just past "]) " or ")] " or "] (…)) "
  for (std::size_t p = 5; p + 1 < s.size() && p < best; ++p) {
    std::size_t end = std::string_view::npos;
    if (s[p] == ']') {
      if (s.substr(p + 1).starts_with(" (")) {
        const std::size_t close = s.find(')', p + 3);
        if (close != std::string_view::npos && close + 1 < s.size() && s[close + 1] == ')')
          end = close + 2;
      }
      if (s[p + 1] == ')') end = std::min(end, p + 2);
    } else if (s[p] == ')' && s[p + 1] == ']') {
      end = p + 2;
    }
    if (end != std::string_view::npos && end < s.size() && s[end] == ' ')
      best = std::min(best, end + 1);
  }
  if (best == std::string_view::npos) return false;
  const std::size_t open = s.find('(', best);
  if (open == std::string_view::npos) return false;
  const std::size_t word = s.find("authenticated", open + 1);
  if (word == std::string_view::npos) return false;
  const std::size_t close = s.find(')', word + 13);
  if (close == std::string_view::npos) return false;
  return s.find(" by", close + 1) != std::string_view::npos;
}

// Authentication marks, first that applies (SpamAssassin's list, same order).
std::string find_auth(Ctx& c) {
  const std::string_view s = c.s;
  const bool has_by = contains(s, " by ");
  if (has_by &&
      search(c, seq(lit_ci(" with "),
                    cap<1>(alt(seq(alt(lit_ci("ES"), lit_ci("L"), lit_ci("UTF8S"), lit_ci("UTF8L")),
                                   lit_ci("MTP"), opt(lit_ci("S")), lit_ci("A")),
                               lit_ci("ASMTP"), seq(lit_ci("HTTP"), opt(run(kSU, 1, 1))))),
                    alt(" ", ";", END))))
    return std::string(c[1]);
  // Gmail's old submission ids, without an ESMTPSA
  if (search(c, seq(" by mx.google.com with ESMTPS id ", run(kLowerAlnum, 1, 4), "sm",
                    run(kDigit, 2, 9), run(kLower, 3, 3), ".", run(kDigit, 1, 3), ".",
                    run(kDigit, 4, 4), ".",
                    times(4, run(kZeroToSix, 1, 1), run(kDigit, 1, 1), "."),
                    run(kZeroToSix, 1, 1), run(kDigit, 1, 1))) &&
      search(c, seq("(version=", cap<1>(S1), " cipher=", cap<2>(run(kNotCloseParen)), ")")))
    return "GMail - transport=" + std::string(c[1]) + " cipher=" + std::string(c[2]);
  // Courier
  if (match(c, seq("from ", LazyAny, alt("])", ")]"), " (AUTH: ",
                   cap<1>(alt("LOGIN", "PLAIN", "DIGEST-MD5", "CRAM-MD5")), " ", S1,
                   opt(", ", LazyAny), ") by ")))
    return std::string(c[1]);
  if (contains(s, "authenticated") && sendmail_authenticated(s)) return "Sendmail";
  // GMX authenticates without saying so
  if (search(c, seq("from ", S0, " (", HELO_EHLO, " ", S0, ") [", IP, "] by ",
                    cap<3>(alt("mail.gmx.net", "mail.gmx.com")), " (", run(kNotCloseParen),
                    ") with ", cap<4>(alt("ESMTP", "SMTP")))))
    return "GMX (" + std::string(c[4]) + " / " + std::string(c[3]) + ")";
  // Critical Path
  if (contains(s, " (authenticated as ") &&
      search(c, seq(") by ", Any1, " (", run(kDigit, 1, 2), ".", run(kDigit, 1, 1), ".",
                    run(kDigit, 3, 3), opt(".", run(kDigit, 1, 3)), ") (authenticated as ", Any1,
                    ") id ")))
    return "CriticalPath";
  // Postfix with smtpd_sasl_authenticated_header (mail_name may differ from "Postfix")
  if (search(c, seq(") (Authenticated sender: ", S1, ") by ", S1, " (",
                    cap<1>(run(kNotCloseParen)), ") with "))) {
    const std::string name(c[1]);
    return name == "Postfix" ? name : "Postfix (" + name + ")";
  }
  if (search(c, seq("CommuniGate Pro ", alt("HTTP", "SMTP", "XIMSS", "IMAP"))) &&
      contains(s, " (account "))
    return "Communigate";
  if (search(c, seq(" with Microsoft Exchange Server HTTP-DAV", WB))) return "HTTP-DAV";
  if (has_by && search(c, seq(lit_ci(" (via "), cap<1>(lit_ci("HTTP"), opt(run(kAnyChar, 1, 1))),
                              ")", alt(" ", ";", END))))
    return std::string(c[1]);
  return {};
}

bool strip_char(char c) {
  switch (c) {
    case ' ': case '\t': case '\n': case '\r': case '\f': case '\v': case '\0':
    case '#': case '[': case ']': case '(': case ')': case '<': case '>': case '|':
      return true;
    default:
      return false;
  }
}

std::string flag_bad_chars(std::string s) {
  for (char& c : s) {
    if (strip_char(c)) c = '!';
  }
  return s;
}

std::string clean_envfrom(std::string_view v) {
  std::size_t b = 0;
  while (b < v.size() && is_space(v[b])) ++b;
  while (b < v.size() && v[b] == '<') ++b;
  v.remove_prefix(b);
  while (!v.empty() && is_space(v.back())) v.remove_suffix(1);
  while (!v.empty() && v.back() == '>') v.remove_suffix(1);
  return flag_bad_chars(std::string(v));
}

Relay finish(Fields& f) {
  while (!f.rdns.empty() && f.rdns.back() == '.') f.rdns.pop_back();
  if (f.rdns.starts_with('[') ||
      (f.rdns.size() == 7 && starts_with_ci(f.rdns, "unknown")))
    f.rdns.clear();
  std::string ip = clean_ip(f.ip);
  if (f.by.ends_with(';')) f.by.pop_back();
  Relay r;
  r.ip = flag_bad_chars(std::move(ip));
  r.rdns = flag_bad_chars(std::move(f.rdns));
  r.helo = flag_bad_chars(std::move(f.helo));
  r.by = flag_bad_chars(std::move(f.by));
  r.ident = flag_bad_chars(std::move(f.ident));
  if (f.envfrom) r.envfrom = clean_envfrom(*f.envfrom);
  r.id = std::move(f.id);
  r.auth = std::move(f.auth);
  r.ip_private = ip_is_private(r.ip);
  return r;
}

}  // namespace

LineResult parse_line(std::string_view value, std::size_t* budget) {
  LineResult result;
  result.outcome = LineOutcome::kSkipped;
  std::string s = normalise(value);
  if (!starts_with_ci(s, "from ") && !starts_with_ci(s, "(from ")) return result;
  Ctx whole(s, budget);
  if (search(whole, seq(WB, "with local for", WB))) return result;
  // "from host by host ;" carries nothing (unless the first host is a bare [IPv4])
  if (match(whole, seq(lit_ci("from "), cap<1>(S1), lit_ci(" by "), run(kNotSpaceSemi), opt(" "),
                       ";"))) {
    const std::string_view first = whole[1];
    const bool bare_ip = first.size() > 2 && first.front() == '[' && first.back() == ']' &&
                         first.substr(1, first.size() - 2).find_first_not_of("0123456789.") ==
                             std::string_view::npos;
    if (!bare_ip) return result;
  }
  cut_trailing_date(s);
  if (const std::size_t p = s.find(")by "); p != std::string::npos) s.insert(p + 1, " ");

  Ctx c(s, budget);
  Fields f;
  f.id = find_id(s);
  f.helo = find_helo(s);
  f.by = find_by(s);
  f.auth = find_auth(c);

  Step step = Step::kNoMatch;
  std::string_view rest = s;
  if (s.starts_with("from ")) {
    rest.remove_prefix(5);
    Ctx t(rest, budget);
    if (search(t, seq(alt(seq(lit_ci("return-path"), opt(":"), " "),
                          seq(lit_ci("envelope-"), alt(lit_ci("sender"), lit_ci("from")),
                              run(kSpaceEq, 1, 1))),
                      cap<1>(S1), WB)))
      f.envfrom = std::string(t[1]);
    step = from_named_mtas(t, f);
    if (step == Step::kNoMatch) step = from_other_formats(t, f, result);
  } else if (s.starts_with("FROM ")) {
    rest.remove_prefix(5);
    Ctx t(rest, budget);
    step = from_uppercase(t, f);
  } else if (s.starts_with("(from ")) {
    rest.remove_prefix(6);
    Ctx t(rest, budget);
    step = from_parenthesised(t, f);
  }
  if (result.scanner_envfrom) result.scanner_envfrom = clean_envfrom(*result.scanner_envfrom);
  if (*budget == 0) {  // too costly to read: whatever was found may be incomplete
    result = LineResult{};
    result.outcome = LineOutcome::kUnparseable;
    return result;
  }

  switch (step) {
    case Step::kSkip:
      result.outcome = LineOutcome::kSkipped;
      return result;
    case Step::kMailFetch:
      result.outcome = LineOutcome::kMailFetch;
      return result;
    case Step::kRelay:
      break;
    case Step::kNoMatch: {
      Ctx t(rest, budget);
      if (!perl_true(f.ip) && search(t, seq("[", cap<1>(IP), "]"))) f.ip = std::string(t[1]);
      if (!perl_true(f.ip) || !perl_true(f.by)) {
        result.outcome = LineOutcome::kUnparseable;
        return result;
      }
      break;
    }
  }
  result.outcome = LineOutcome::kRelay;
  result.relay = finish(f);
  return result;
}

}  // namespace detail

LineOutcome parse_received_line(std::string_view value, Relay* relay) {
  if (value.size() > kMaxFieldBytes) return LineOutcome::kUnparseable;
  std::size_t budget = detail::kLineStepBudget;
  detail::LineResult r = detail::parse_line(value, &budget);
  if (r.outcome == LineOutcome::kRelay && relay) *relay = std::move(r.relay);
  return r.outcome;
}

std::optional<Relay> parse_received(std::string_view value) {
  Relay relay;
  if (parse_received_line(value, &relay) != LineOutcome::kRelay) return std::nullopt;
  return relay;
}

}  // namespace portcullis::received
