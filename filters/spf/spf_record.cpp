#include "filters/spf/spf_record.hpp"

#include "filters/spf/spf_domain.hpp"
#include "filters/spf/spf_macro.hpp"

namespace portcullis::filters::spf {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
bool is_modifier_name(std::string_view name) {
  if (name.empty() || !is_alpha(name.front())) return false;
  for (char c : name) {
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// "0" / %x31-39 *DIGIT, at most `max`.
bool parse_cidr(std::string_view digits, int max, int* out) {
  if (digits.empty() || digits.size() > 3) return false;
  if (digits.size() > 1 && digits.front() == '0') return false;
  int value = 0;
  for (char c : digits) {
    if (!is_digit(c)) return false;
    value = value * 10 + (c - '0');
  }
  if (value > max) return false;
  *out = value;
  return true;
}

// Splits a trailing "/digits" off `s`: returns the digits and shortens s, or returns empty
// and leaves s alone. Requires the slash not to be part of a "//".
std::string_view take_single_slash_digits(std::string_view* s) {
  std::size_t i = s->size();
  while (i > 0 && is_digit((*s)[i - 1])) --i;
  if (i == s->size() || i == 0 || (*s)[i - 1] != '/') return {};
  if (i >= 2 && (*s)[i - 2] == '/') return {};
  const std::string_view digits = s->substr(i);
  *s = s->substr(0, i - 1);
  return digits;
}

std::string_view take_double_slash_digits(std::string_view* s) {
  std::size_t i = s->size();
  while (i > 0 && is_digit((*s)[i - 1])) --i;
  if (i == s->size() || i < 2 || (*s)[i - 1] != '/' || (*s)[i - 2] != '/') return {};
  const std::string_view digits = s->substr(i);
  *s = s->substr(0, i - 2);
  return digits;
}

class TermParser {
 public:
  explicit TermParser(SpfRecord* record) : record_(record) {}

  // Returns an empty string on success, else the error.
  std::string parse(std::string_view term) {
    const std::size_t sep = term.find_first_of("=:/");
    if (sep != std::string_view::npos && term[sep] == '=') return modifier(term, sep);
    return mechanism(term);
  }

 private:
  std::string modifier(std::string_view term, std::size_t eq) {
    const std::string_view name = term.substr(0, eq);
    const std::string_view value = term.substr(eq + 1);
    const std::string shown = quoted_excerpt(term);
    if (!is_modifier_name(name)) return "invalid modifier name in " + shown;
    const std::string lname = lowered(name);
    std::string why;
    if (lname == "redirect" || lname == "exp") {
      std::optional<std::string>& slot = lname == "redirect" ? record_->redirect : record_->exp;
      if (slot) return lname + "= appears more than once";
      if (!check_domain_spec(value, &why)) return "invalid " + shown + ": " + why;
      slot = std::string(value);
      return {};
    }
    if (!check_macro_string(value, MacroMode::kDomainSpec, &why)) {
      return "invalid " + shown + ": " + why;
    }
    ++record_->unknown_modifiers;
    return {};
  }

  std::string mechanism(std::string_view term) {
    Mechanism m;
    m.text = std::string(term);
    std::string_view rest = term;
    if (!rest.empty() && (rest.front() == '+' || rest.front() == '-' || rest.front() == '~' ||
                          rest.front() == '?')) {
      m.qualifier = static_cast<Qualifier>(rest.front());
      rest.remove_prefix(1);
    }
    const std::size_t end = std::min(rest.find_first_of(":/"), rest.size());
    const std::string name = lowered(rest.substr(0, end));
    std::string_view arg = rest.substr(end);
    const std::string shown = quoted_excerpt(term);
    std::string why;
    if (name == "all") {
      m.kind = MechanismKind::kAll;
      if (!arg.empty()) return "'all' takes no argument in " + shown;
    } else if (name == "include" || name == "exists") {
      m.kind = name == "include" ? MechanismKind::kInclude : MechanismKind::kExists;
      if (arg.empty() || arg.front() != ':') return name + " needs ':' and a domain in " + shown;
      m.domain_spec = std::string(arg.substr(1));
      if (!check_domain_spec(m.domain_spec, &why)) return "invalid " + shown + ": " + why;
    } else if (name == "a" || name == "mx") {
      m.kind = name == "a" ? MechanismKind::kA : MechanismKind::kMx;
      std::string_view spec;
      const bool has_spec = !arg.empty() && arg.front() == ':';
      if (has_spec) arg.remove_prefix(1);
      const std::string_view c6 = take_double_slash_digits(&arg);
      const std::string_view c4 = take_single_slash_digits(&arg);
      if (has_spec) {
        spec = arg;
        if (!check_domain_spec(spec, &why)) return "invalid " + shown + ": " + why;
        m.domain_spec = std::string(spec);
      } else if (!arg.empty()) {
        return "invalid CIDR length in " + shown;
      }
      if (!c4.empty() && !parse_cidr(c4, 32, &m.cidr4)) return "invalid IPv4 CIDR length in " + shown;
      if (!c6.empty() && !parse_cidr(c6, 128, &m.cidr6)) return "invalid IPv6 CIDR length in " + shown;
    } else if (name == "ptr") {
      m.kind = MechanismKind::kPtr;
      if (!arg.empty()) {
        if (arg.front() != ':') return "'ptr' takes no CIDR length in " + shown;
        m.domain_spec = std::string(arg.substr(1));
        if (!check_domain_spec(m.domain_spec, &why)) return "invalid " + shown + ": " + why;
      }
    } else if (name == "ip4" || name == "ip6") {
      const bool v4 = name == "ip4";
      m.kind = v4 ? MechanismKind::kIp4 : MechanismKind::kIp6;
      if (arg.empty() || arg.front() != ':') return name + " needs ':' and a network in " + shown;
      arg.remove_prefix(1);
      std::string_view net = arg;
      const std::size_t slash = arg.find('/');
      if (slash != std::string_view::npos) {
        net = arg.substr(0, slash);
        if (!parse_cidr(arg.substr(slash + 1), v4 ? 32 : 128, v4 ? &m.cidr4 : &m.cidr6)) {
          return "invalid CIDR length in " + shown;
        }
      }
      const auto ip = config::IpAddress::parse(net);
      const bool written_v6 = net.find(':') != std::string_view::npos;
      if (!ip || written_v6 == v4) return "invalid address in " + shown;
      m.network = *ip;
    } else {
      return "unknown mechanism " + shown;
    }
    record_->mechanisms.push_back(std::move(m));
    return {};
  }

  SpfRecord* record_;
};

}  // namespace

bool Mechanism::uses_dns() const {
  return kind == MechanismKind::kInclude || kind == MechanismKind::kA ||
         kind == MechanismKind::kMx || kind == MechanismKind::kPtr ||
         kind == MechanismKind::kExists;
}

bool is_spf_record(std::string_view txt) {
  constexpr std::string_view kVersion = "v=spf1";
  if (txt.size() < kVersion.size()) return false;
  for (std::size_t i = 0; i < kVersion.size(); ++i) {
    if (lower(txt[i]) != kVersion[i]) return false;
  }
  return txt.size() == kVersion.size() || txt[kVersion.size()] == ' ';
}

RecordParse parse_record(std::string_view text) {
  RecordParse out;
  if (text.size() > kMaxRecordLength) {
    out.error = "record longer than " + std::to_string(kMaxRecordLength) + " octets";
    return out;
  }
  if (!is_spf_record(text)) {
    out.error = "not an SPF record (no 'v=spf1')";
    return out;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u > 0x7e) {
      // Name the term that holds the byte.
      std::size_t start = text.rfind(' ', i);
      start = start == std::string_view::npos ? 0 : start + 1;
      std::size_t end = text.find(' ', i);
      if (end == std::string_view::npos) end = text.size();
      out.error = "non-ASCII or control character in '" +
                  printable_excerpt(text.substr(start, end - start)) + "'";
      return out;
    }
  }
  SpfRecord record;
  TermParser parser(&record);
  std::size_t terms = 0;
  std::size_t pos = 6;  // after "v=spf1"
  while (pos < text.size()) {
    if (text[pos] == ' ') {
      ++pos;
      continue;
    }
    std::size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    if (++terms > kMaxTerms) {
      out.error = "more than " + std::to_string(kMaxTerms) + " terms";
      return out;
    }
    std::string error = parser.parse(text.substr(pos, end - pos));
    if (!error.empty()) {
      out.error = "syntax error: " + error;
      return out;
    }
    pos = end;
  }
  out.record = std::move(record);
  return out;
}

std::string_view to_string(MechanismKind kind) {
  switch (kind) {
    case MechanismKind::kAll: return "all";
    case MechanismKind::kInclude: return "include";
    case MechanismKind::kA: return "a";
    case MechanismKind::kMx: return "mx";
    case MechanismKind::kPtr: return "ptr";
    case MechanismKind::kIp4: return "ip4";
    case MechanismKind::kIp6: return "ip6";
    case MechanismKind::kExists: return "exists";
  }
  return "?";
}

std::string quoted_excerpt(std::string_view text) {
  // Built by appending: g++ 12 at -O3 warns (-Werror=restrict) on "'" + s + "'".
  std::string out = "'";
  out.append(printable_excerpt(text)).append("'");
  return out;
}

std::string printable_excerpt(std::string_view text, std::size_t max) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  const bool cut = text.size() > max;
  if (cut) text = text.substr(0, max);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u <= 0x7e && c != '\\') {
      out.push_back(c);
    } else {
      out.append("\\x");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  if (cut) out.append("...");
  return out;
}

}  // namespace portcullis::filters::spf
