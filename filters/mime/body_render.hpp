// The last steps of SpamAssassin 4.0.1's Message::get_body_text_array_common and
// get_decoded_body_text_array, on our single-string targets:
//   - per-part truncation at body_part_scan_size characters / rawbody_part_scan_size bytes
//     (cut at the next newline, else space, else '>' for raw, within 1 KiB);
//   - whitespace: a whitespace run holding two or more newlines becomes a paragraph break,
//     every other run of Unicode whitespace (Perl's \s) one space; NUL becomes a newline;
//   - lines longer than 2048 bytes split at the last space (SA's array elements, here joined
//     by "\n" so a rule cannot match across the cut either).
// Untrusted input: the text (valid UTF-8). Linear time, output no longer than input plus
// one byte per 2 KiB.
// Gaps: a line cut with no space falls back to a UTF-8 character boundary (SA cuts bytes and
// may split a character); rawbody is not cut into SA's 2-4 KiB chunks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::mime {

inline constexpr std::size_t kMaxBodyLineLength = 2048;  // SA's MAX_BODY_LINE_LENGTH

// SA's body_part_scan_size truncation; `scan_chars` counts code points (0 = off).
void truncate_rendered_part(std::string& text, std::size_t scan_chars);
// SA's rawbody_part_scan_size truncation; bytes (0 = off). Never splits a UTF-8 character.
void truncate_raw_part(std::string& text, std::size_t scan_bytes);

// Appends SA's whitespace-collapsed form of `text` to `out`.
void append_collapsed(std::string& out, std::string_view text);

// Appends `text` to `out`, cutting lines over kMaxBodyLineLength as SA does.
void append_short_lines(std::string& out, std::string_view text);

}  // namespace portcullis::mime
