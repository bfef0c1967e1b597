#include "rules/sa/perl_regex.hpp"

#include <cctype>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace portcullis::rules::sa {
namespace {

char closing_delimiter(char open) {
  switch (open) {
    case '{': return '}';
    case '(': return ')';
    case '<': return '>';
    case '[': return ']';
    default: return open;
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if ((b & 0xE0) == 0xC0) n = 2, cp = b & 0x1F;
  else if ((b & 0xF0) == 0xE0) n = 3, cp = b & 0x0F;
  else if ((b & 0xF8) == 0xF0) n = 4, cp = b & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::optional<PerlRegex> parse_perl_regex(std::string_view re, std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<PerlRegex> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  char end = 0;
  if (re.starts_with('/')) {
    end = '/';
    re.remove_prefix(1);
  } else {
    std::size_t prefix = re.starts_with("qr") ? 2 : re.starts_with('m') ? 1 : 0;
    if (prefix == 0 || re.size() <= prefix) return fail("missing regexp delimiters");
    char open = re[prefix];
    if (std::isalnum(static_cast<unsigned char>(open)) || open == '_' || std::isspace(static_cast<unsigned char>(open)))
      return fail("missing regexp delimiters");
    if (open == '\\') return fail("backslash delimiter not allowed");
    end = closing_delimiter(open);
    re.remove_prefix(prefix + 1);
  }
  // SpamAssassin strips /DELIM[a-df-z]*\z/ (`e` refused): the delimiter must sit right
  // before the longest run of modifier letters that ends the text.
  std::size_t mods_start = re.size();
  while (mods_start > 0) {
    char c = re[mods_start - 1];
    if (c >= 'a' && c <= 'z' && c != 'e') --mods_start;
    else break;
  }
  if (mods_start == 0 || re[mods_start - 1] != end) return fail("invalid end delimiter/mods");
  std::size_t delim = mods_start - 1;
  std::string body(re.substr(0, delim));
  std::string_view mods = re.substr(mods_start);
  if (body.find("(?{") != std::string::npos || body.find("(??{") != std::string::npos)
    return fail("Perl code block (?{...}) not allowed");
  // An unescaped non-bracket delimiter inside means the literal ended earlier (as SA checks).
  if (end != '}' && end != ')' && end != ']') {
    std::string stripped;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '\\') { ++i; continue; }
      stripped += body[i];
    }
    for (std::size_t i = 0; i < stripped.size(); ++i) {
      if (stripped[i] == end && (i == 0 || stripped[i - 1] != '\\'))
        return fail(std::string("unquoted delimiter '") + end + "' found");
    }
  }
  PerlRegex out;
  bool extended = false;
  for (char m : mods) {
    switch (m) {
      case 'i': out.flags.caseless = true; break;
      case 'm': out.flags.multiline = true; break;
      case 's': out.flags.dotall = true; break;
      case 'x': extended = true; break;
      case 'a': case 'u': case 'l': case 'd': case 'p': case 'o': case 'g': case 'c': case 'n':
        break;
      default: return fail(std::string("unsupported modifier '") + m + "'");
    }
  }
  out.pattern = extended ? "(?x)" + body : body;
  return out;
}

bool escape_non_utf8(std::string& pattern, std::string* error) {
  if (is_valid_utf8(pattern)) return true;
  if (pattern.find("\\Q") != std::string::npos) {
    if (error) *error = "bytes that are not UTF-8 inside a pattern with \\Q...\\E";
    return false;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  std::size_t backslashes = 0;
  for (std::size_t i = 0; i < pattern.size();) {
    std::size_t n = utf8_sequence(pattern, i);
    if (n == 0) {
      auto b = static_cast<unsigned char>(pattern[i]);
      // `\<byte>` is the byte itself in Perl; drop that backslash before the escape.
      if (backslashes % 2 == 1) out.pop_back();
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
      backslashes = 0;
      ++i;
      continue;
    }
    backslashes = pattern[i] == '\\' ? backslashes + 1 : 0;
    out.append(pattern, i, n);
    i += n;
  }
  pattern = std::move(out);
  return true;
}

void rewrite_open_lower_bound(std::string& pattern) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == ',' && i > 0) {
      std::size_t j = i + 2;
      while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) ++j;
      if (j > i + 2 && j < pattern.size() && pattern[j] == '}') {
        out += "{0";
        continue;  // the ',' and digits follow unchanged
      }
    }
    out += c;
  }
  pattern = std::move(out);
}

std::string pcre2_error(const std::string& pattern, const PatternFlags& flags) {
  std::uint32_t options = 0;
  if (flags.caseless) options |= PCRE2_CASELESS;
  if (flags.multiline) options |= PCRE2_MULTILINE;
  if (flags.dotall) options |= PCRE2_DOTALL;
  if (flags.utf8) options |= PCRE2_UTF;
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 options, &code, &offset, nullptr);
  if (re != nullptr) {
    pcre2_code_free(re);
    return "";
  }
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return std::string(reinterpret_cast<const char*>(buffer)) + " at offset " + std::to_string(offset);
}

}  // namespace portcullis::rules::sa
