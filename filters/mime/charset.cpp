#include "filters/mime/charset.hpp"

#include <gmime/gmime.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "filters/mime/gmime_support.hpp"
#include "filters/mime/utf8.hpp"

namespace portcullis::mime {

namespace {

constexpr std::array<char16_t, 32> kCp1252High = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool all_upper_alpha(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const char l = lower(c);
    if (l < 'a' || l > 'z') return false;
  }
  return true;
}

// /^(?:(?:US-)?ASCII|ANSI[_ ]?X3\.4-(?:1986|1968)|ISO646-US)\z/i
bool is_ascii_label(std::string_view cs) {
  if (iequals(cs, "ascii") || iequals(cs, "us-ascii") || iequals(cs, "iso646-us")) return true;
  if (istarts(cs, "ansi")) {
    std::string_view rest = cs.substr(4);
    if (!rest.empty() && (rest[0] == '_' || rest[0] == ' ')) rest.remove_prefix(1);
    return iequals(rest, "x3.4-1986") || iequals(rest, "x3.4-1968");
  }
  return false;
}

// ISO[ -]?8859(-\d{1,2})? | Windows-\d{4} | UTF-?8 | (KOI8|EUC)-[A-Z]{1,2} | Big5 | GBK |
// GB[ -]?18030(-20\d\d)?
bool is_extended_ascii_label(std::string_view cs) {
  if (istarts(cs, "iso")) {
    std::string_view r = cs.substr(3);
    if (!r.empty() && (r[0] == ' ' || r[0] == '-')) r.remove_prefix(1);
    if (!istarts(r, "8859")) return false;
    r.remove_prefix(4);
    if (r.empty()) return true;
    return r[0] == '-' && r.size() >= 2 && r.size() <= 3 && all_digits(r.substr(1));
  }
  if (istarts(cs, "windows-")) return cs.size() == 12 && all_digits(cs.substr(8));
  if (iequals(cs, "utf-8") || iequals(cs, "utf8")) return true;
  if (istarts(cs, "koi8-") || istarts(cs, "euc-")) {
    const std::string_view r = cs.substr(cs.find('-') + 1);
    return r.size() >= 1 && r.size() <= 2 && all_upper_alpha(r);
  }
  if (iequals(cs, "big5") || iequals(cs, "gbk")) return true;
  if (istarts(cs, "gb")) {
    std::string_view r = cs.substr(2);
    if (!r.empty() && (r[0] == ' ' || r[0] == '-')) r.remove_prefix(1);
    if (!istarts(r, "18030")) return false;
    r.remove_prefix(5);
    return r.empty() || (r.size() == 5 && r[0] == '-' && r[1] == '2' && r[2] == '0' &&
                         all_digits(r.substr(3)));
  }
  return false;
}

bool is_cp1252_label(std::string_view cs) {
  return iequals(cs, "iso-8859-1") || iequals(cs, "iso8859-1") || iequals(cs, "windows-1252") ||
         iequals(cs, "cp1252");
}

bool is_utf8_label(std::string_view cs) { return iequals(cs, "utf-8") || iequals(cs, "utf8"); }

// /^UTF[ -]?16/i
bool is_utf16_label(std::string_view cs) {
  if (!istarts(cs, "utf")) return false;
  std::string_view r = cs.substr(3);
  if (!r.empty() && (r[0] == ' ' || r[0] == '-')) r.remove_prefix(1);
  return r.substr(0, 2) == "16";
}

bool has_8bit(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// Converts with iconv through GMime's alias table and descriptor cache. strict: any
// unconvertible byte fails the whole conversion; lenient: it becomes U+FFFD.
// Returns false (out untouched) on failure; *unknown set when no converter exists.
bool iconv_to_utf8(std::string& out, std::string_view bytes, const char* from, bool strict,
                   bool* unknown) {
  ensure_gmime_initialized();
  iconv_t cd = g_mime_iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    *unknown = true;
    return false;
  }
  std::string result;
  result.resize(bytes.size() * 2 + 16);
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  std::size_t used = 0;
  bool ok = true;
  while (in_left > 0) {
    char* outp = result.data() + used;
    std::size_t out_left = result.size() - used;
    const std::size_t rc = iconv(cd, &in, &in_left, &outp, &out_left);
    used = result.size() - out_left;
    if (rc != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      result.resize(result.size() * 2);
      continue;
    }
    // EILSEQ or EINVAL (truncated sequence at the end).
    if (strict) {
      ok = false;
      break;
    }
    result.resize(used);
    append_code_point(result, kReplacementChar);
    used = result.size();
    result.resize(used + in_left * 2 + 16);
    ++in;
    --in_left;
  }
  if (ok) {
    // Flush any shift state (ISO-2022-*).
    char* outp = result.data() + used;
    std::size_t out_left = result.size() - used;
    if (out_left < 16) {
      result.resize(used + 16);
      outp = result.data() + used;
      out_left = 16;
    }
    iconv(cd, nullptr, nullptr, &outp, &out_left);
    used = result.size() - out_left;
  }
  g_mime_iconv_close(cd);
  if (!ok) return false;
  result.resize(used);
  // iconv's UTF-8 output is valid; repair anyway so a converter bug cannot leak bad bytes.
  if (is_valid_utf8(result)) {
    out.append(result);
  } else {
    append_utf8_repaired(out, result);
  }
  return true;
}

// SA's detect_utf16: spaces as 20 00 or 00 20, and which half of each pair carries the bits.
const char* guess_utf16(std::string_view s) {
  if (s.size() >= 2 && ((s[0] == '\xFF' && s[1] == '\xFE') || (s[0] == '\xFE' && s[1] == '\xFF'))) {
    return "UTF-16";
  }
  int le = 0;
  int be = 0;
  unsigned long even = 0;
  unsigned long odd = 0;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    const auto a = static_cast<unsigned char>(s[i]);
    const auto b = static_cast<unsigned char>(s[i + 1]);
    even += (a >> 4) + (a & 15);
    odd += (b >> 4) + (b & 15);
    if (a == 0x20 && b == 0) ++le;
    if (a == 0 && b == 0x20) ++be;
  }
  if (even > odd * 4) ++le;
  if (odd * 4 > even) ++be;
  if (le > be) return "UTF-16LE";
  if (be > le) return "UTF-16BE";
  return nullptr;
}

}  // namespace

bool append_windows_1252(std::string& out, std::string_view bytes, bool strict) {
  if (strict) {
    for (char ch : bytes) {
      const auto c = static_cast<unsigned char>(ch);
      if (c >= 0x80 && c < 0xA0 && kCp1252High[c - 0x80] == 0) return false;
    }
  }
  out.reserve(out.size() + bytes.size() + bytes.size() / 4);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else if (c < 0xA0) {
      const char16_t cp = kCp1252High[c - 0x80];
      append_code_point(out, cp == 0 ? kReplacementChar : cp);
    } else {
      append_code_point(out, c);
    }
  }
  return true;
}

bool convert_to_utf8(std::string& text, std::string_view charset, CharsetMode mode) {
  const bool eight_bit = has_8bit(text);
  if (!eight_bit && (is_ascii_label(charset) || is_extended_ascii_label(charset))) return true;
  if (eight_bit && mode == CharsetMode::kBody && is_valid_utf8(text)) return true;
  std::string out;
  const bool known = append_as_utf8(out, text, charset, mode);
  text.swap(out);
  return known;
}

bool append_as_utf8(std::string& out, std::string_view bytes, std::string_view charset,
                    CharsetMode mode) {
  const bool insist = mode == CharsetMode::kEncodedWord;
  const bool eight_bit = has_8bit(bytes);
  if (!eight_bit && (is_ascii_label(charset) || is_extended_ascii_label(charset))) {
    out.append(bytes);
    return true;
  }
  if (eight_bit && !insist && is_valid_utf8(bytes)) {
    out.append(bytes);
    return true;
  }

  bool unknown = false;
  bool done = false;
  if ((iequals(charset, "ascii") || iequals(charset, "us-ascii")) && !insist) {
    // Declared US-ASCII yet 8-bit: SA does not even try the label.
  } else if (is_utf16_label(charset)) {
    if (const char* guess = guess_utf16(bytes)) {
      done = iconv_to_utf8(out, bytes, guess, true, &unknown);
    }
  } else if (is_cp1252_label(charset)) {
    done = append_windows_1252(out, bytes, !insist);
  } else if (is_utf8_label(charset)) {
    if (insist) {
      append_utf8_repaired(out, bytes);
      done = true;
    }
  } else if (!charset.empty()) {
    // GMime's alias table maps the MIME labels (ks_c_5601-1987, x-sjis, …) to iconv names.
    std::string name(charset);
    const std::size_t star = name.find('*');  // RFC 2231 language suffix
    if (star != std::string::npos) name.resize(star);
    done = iconv_to_utf8(out, bytes, name.c_str(), !insist, &unknown);
  }
  if (done) return true;
  if (!eight_bit) {
    out.append(bytes);
    return !unknown;
  }
  // SA decodes text that looks like Windows-1252 strictly, then everything else leniently as
  // Windows-1252 (its last resort); both end in the same lenient table here.
  append_windows_1252(out, bytes, false);
  return !unknown;
}

}  // namespace portcullis::mime
