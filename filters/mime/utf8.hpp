// UTF-8 helpers for the MIME view: strict validation, repair, code point encoding and
// Unicode whitespace as Perl's \s knows it (SpamAssassin collapses body text with \s).
// Untrusted input: any byte string. Strict means RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF. Repair replaces each maximal invalid subpart with
// U+FFFD, so the result is always valid (Hyperscan's UTF-8 mode needs that).
// Gaps: noncharacters (U+FFFE …) are accepted; Perl's strict decoder refuses them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::mime {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid there.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);
bool is_valid_utf8(std::string_view s);
// Appends `in` to `out`, each invalid sequence replaced by U+FFFD.
void append_utf8_repaired(std::string& out, std::string_view in);
void append_code_point(std::string& out, char32_t cp);
// Decodes the code point at s[i] (which must start a valid sequence of `len` bytes).
char32_t decode_code_point(std::string_view s, std::size_t i, std::size_t len);
// Perl's \s on character strings: ASCII \t\n\v\f\r and space, U+0085, U+00A0, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_unicode_space(char32_t cp);
// Byte length of the first `chars` code points of valid UTF-8 `s` (s.size() if shorter).
std::size_t utf8_prefix_bytes(std::string_view s, std::size_t chars);
// Largest n <= limit such that s[0, n) does not end inside a multi-byte sequence.
std::size_t utf8_floor(std::string_view s, std::size_t limit);

}  // namespace portcullis::mime
