#include "filters/spf/spf_macro.hpp"

#include <vector>

namespace portcullis::filters::spf {
namespace {

// A digit transformer above this keeps every part anyway; capping keeps the parse simple.
constexpr unsigned kMaxDigitTransformer = 128;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_delimiter(char c) {
  return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}
bool is_literal(char c, MacroMode mode) {
  const auto u = static_cast<unsigned char>(c);
  if (u == ' ') return mode == MacroMode::kExplanation;
  return u >= 0x21 && u <= 0x7e && c != '%';
}
bool is_letter(char c) {
  switch (lower(c)) {
    case 's': case 'l': case 'o': case 'd': case 'i': case 'p': case 'h': case 'v':
    case 'c': case 'r': case 't':
      return true;
    default:
      return false;
  }
}
bool exp_only(char c) {
  const char l = lower(c);
  return l == 'c' || l == 'r' || l == 't';
}

std::string printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u <= 0x7e) return std::string(1, c);
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
}

// One "%{...}" macro, parsed.
struct Macro {
  char letter = 0;         // as written (case tells URL-escaping)
  unsigned digits = 0;     // 0 = all parts
  bool reverse = false;
  std::string delimiters;  // empty = "."
};

// Tokenizer shared by the check and the expansion. Calls on_literal(std::string_view) and
// on_macro(const Macro&); returns false with *error set on a syntax error.
template <class OnLiteral, class OnMacro>
bool walk(std::string_view s, MacroMode mode, std::string* error, bool* ends_with_macro,
          OnLiteral&& on_literal, OnMacro&& on_macro) {
  auto fail = [&](std::string why) {
    if (error != nullptr) *error = std::move(why);
    return false;
  };
  bool last_macro = false;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c != '%') {
      if (!is_literal(c, mode)) return fail("invalid character '" + printable(c) + "'");
      std::size_t j = i;
      while (j < s.size() && s[j] != '%' && is_literal(s[j], mode)) ++j;
      on_literal(s.substr(i, j - i));
      last_macro = false;
      i = j;
      continue;
    }
    if (i + 1 >= s.size()) return fail("'%' at the end of a macro string");
    const char n = s[i + 1];
    if (n == '%' || n == '_' || n == '-') {
      on_literal(n == '%' ? std::string_view("%") : n == '_' ? std::string_view(" ")
                                                             : std::string_view("%20"));
      last_macro = true;
      i += 2;
      continue;
    }
    if (n != '{') return fail("'%' followed by '" + printable(n) + "' (expected {, %, _ or -)");
    std::size_t j = i + 2;
    if (j >= s.size()) return fail("unterminated macro");
    Macro m;
    m.letter = s[j];
    if (!is_letter(m.letter)) return fail("unknown macro letter '" + printable(m.letter) + "'");
    if (mode == MacroMode::kDomainSpec && exp_only(m.letter)) {
      return fail(std::string("macro %{") + m.letter + "} is only allowed in explanation text");
    }
    ++j;
    bool has_digits = false;
    unsigned value = 0;
    while (j < s.size() && is_digit(s[j])) {
      has_digits = true;
      value = value * 10 + static_cast<unsigned>(s[j] - '0');
      if (value > kMaxDigitTransformer) value = kMaxDigitTransformer;
      ++j;
    }
    if (has_digits && value == 0) return fail("macro digit transformer of zero");
    m.digits = value;
    if (j < s.size() && lower(s[j]) == 'r') {
      m.reverse = true;
      ++j;
    }
    while (j < s.size() && is_delimiter(s[j])) m.delimiters.push_back(s[j++]);
    if (j >= s.size() || s[j] != '}') return fail("malformed macro near '%{" + printable(m.letter) + "'");
    on_macro(m);
    last_macro = true;
    i = j + 1;
  }
  if (ends_with_macro != nullptr) *ends_with_macro = last_macro;
  return true;
}

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void url_escape_append(std::string& out, std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : in) {
    if (unreserved(c)) {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
}

std::string raw_value(char letter, const MacroValues& v) {
  switch (lower(letter)) {
    case 's': return std::string(v.sender);
    case 'l': return std::string(v.local_part);
    case 'o': return std::string(v.sender_domain);
    case 'd': return std::string(v.domain);
    case 'i': return dotted_ip(v.ip);
    case 'p': return v.validated_name.empty() ? std::string("unknown") : std::string(v.validated_name);
    case 'h': return std::string(v.helo);
    case 'v': return v.ip.is_v4 ? "in-addr" : "ip6";
    case 'c': return v.ip.to_string();
    case 'r': return v.receiver.empty() ? std::string("unknown") : std::string(v.receiver);
    case 't': return std::to_string(v.timestamp);
    default: return {};
  }
}

// Split on the delimiters, reverse, keep the rightmost parts, join with '.'.
std::string transform(const std::string& value, const Macro& m) {
  if (m.digits == 0 && !m.reverse && (m.delimiters.empty() || m.delimiters == ".")) return value;
  const std::string_view delims = m.delimiters.empty() ? std::string_view(".") : m.delimiters;
  std::vector<std::string_view> parts;
  const std::string_view sv(value);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= sv.size(); ++i) {
    if (i == sv.size() || delims.find(sv[i]) != std::string_view::npos) {
      parts.push_back(sv.substr(start, i - start));
      start = i + 1;
    }
  }
  if (m.reverse) {
    for (std::size_t a = 0, b = parts.size(); a + 1 < b; ++a, --b) std::swap(parts[a], parts[b - 1]);
  }
  std::size_t first = 0;
  if (m.digits != 0 && m.digits < parts.size()) first = parts.size() - m.digits;
  std::string out;
  for (std::size_t i = first; i < parts.size(); ++i) {
    if (i != first) out.push_back('.');
    out.append(parts[i]);
  }
  return out;
}

}  // namespace

bool check_macro_string(std::string_view text, MacroMode mode, std::string* error,
                        bool* ends_with_macro) {
  return walk(text, mode, error, ends_with_macro, [](std::string_view) {}, [](const Macro&) {});
}

bool uses_macro(std::string_view text, char letter) {
  bool found = false;
  walk(text, MacroMode::kExplanation, nullptr, nullptr, [](std::string_view) {},
       [&](const Macro& m) { found |= lower(m.letter) == lower(letter); });
  return found;
}

std::optional<std::string> expand_macro_string(std::string_view text, MacroMode mode,
                                               const MacroValues& values) {
  std::string out;
  bool too_long = false;
  const bool ok = walk(
      text, mode, nullptr, nullptr,
      [&](std::string_view lit) {
        if (too_long) return;
        if (out.size() + lit.size() > kMaxExpansionLength) {
          too_long = true;
          return;
        }
        out.append(lit);
      },
      [&](const Macro& m) {
        if (too_long) return;
        const std::string value = transform(raw_value(m.letter, values), m);
        if (is_upper(m.letter)) {
          url_escape_append(out, value);
        } else {
          out.append(value);
        }
        if (out.size() > kMaxExpansionLength) too_long = true;
      });
  if (!ok || too_long) return std::nullopt;
  return out;
}

std::string dotted_ip(const config::IpAddress& ip) {
  std::string out;
  if (ip.is_v4) {
    for (std::size_t i = 12; i < 16; ++i) {
      if (i != 12) out.push_back('.');
      out.append(std::to_string(ip.bytes[i]));
    }
    return out;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < 16; ++i) {
    if (i != 0) out.push_back('.');
    out.push_back(kHex[ip.bytes[i] >> 4]);
    out.push_back('.');
    out.push_back(kHex[ip.bytes[i] & 15]);
  }
  return out;
}

}  // namespace portcullis::filters::spf
