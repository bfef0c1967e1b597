// Small ASCII helpers shared by the DKIM parsers: case folding, whitespace classes and
// trimming, as RFC 6376 defines them (WSP = SP / HTAB; FWS also spans CRLF in headers).
// Untrusted input: any bytes; nothing here allocates more than its input.
// Limits: none needed (linear). Gaps: ASCII only, no Unicode case folding (DKIM needs none).
#pragma once

#include <string>
#include <string_view>

namespace portcullis::filters::dkim {

inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }
// FWS characters once a header is seen as one value: WSP plus the CR and LF of folding.
inline bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline std::string_view trim_fws(std::string_view text) {
  while (!text.empty() && is_fws(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_fws(text.back())) text.remove_suffix(1);
  return text;
}

// The text without any FWS character (b=, bh=, p= values may be folded anywhere).
inline std::string strip_fws(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (!is_fws(c)) out.push_back(c);
  }
  return out;
}

}  // namespace portcullis::filters::dkim
