// Small text helpers shared by the DMARC parsers: ASCII case folding, whitespace, and a
// printable, length-capped excerpt of untrusted text for reasons and logs.
// Untrusted input: any bytes. Limits: excerpts are at most kMaxExcerpt bytes plus "...".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::filters::dmarc {

constexpr std::size_t kMaxExcerpt = 64;

inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ascii_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
// Drops leading and trailing SP, HTAB, CR and LF.
std::string_view trim(std::string_view text);
// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view text);
// Printable ASCII copy of `text` for a reason string: other bytes become '?', long text is
// cut at kMaxExcerpt and ends in "...".
std::string excerpt(std::string_view text);

}  // namespace portcullis::filters::dmarc
