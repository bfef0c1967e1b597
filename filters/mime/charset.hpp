// Charset conversion of decoded MIME text to UTF-8 the way SpamAssassin 4.0.1's
// Message::Node::_normalize does it (normalize_charset 1, no Encode::Detect::Detector):
// all-ASCII text under an ASCII-compatible label is kept; body text with 8-bit bytes is
// first tried as strict UTF-8 whatever the label says; ISO-8859-1 and CP1252 labels decode as
// Windows-1252; other labels go through iconv (GMime's charset-name aliases and iconv cache),
// strictly for body text; a failure falls back to Windows-1252, which cannot fail.
// Encoded words (RFC 2047) insist on their label: invalid bytes become U+FFFD instead.
// Untrusted input: the bytes and the label. Output is always valid UTF-8.
// Gaps: no statistical charset detection (SA uses Encode::Detect::Detector when installed;
// Debian 12's SpamAssassin runs without it).
#pragma once

#include <string>
#include <string_view>

namespace portcullis::mime {

enum class CharsetMode {
  kBody,         // SA _normalize($text, $charset, ...) for body parts
  kEncodedWord,  // SA _normalize(..., insist_on_declared_charset = 1) for RFC 2047 words
};

// Appends `bytes` (labelled `charset`, "" when none) to `out` as UTF-8. Returns false when
// the label named a charset no converter knows (the text was then taken as Windows-1252).
bool append_as_utf8(std::string& out, std::string_view bytes, std::string_view charset,
                    CharsetMode mode);

// The same conversion in place: `text` is left untouched when it is already what SA would
// produce (the common all-ASCII and valid-UTF-8 cases), so no copy is made.
bool convert_to_utf8(std::string& text, std::string_view charset, CharsetMode mode);

// Windows-1252 decoding; strict refuses the five unassigned bytes (0x81 0x8D 0x8F 0x90 0x9D),
// lenient maps them to U+FFFD (as Perl's Encode does).
bool append_windows_1252(std::string& out, std::string_view bytes, bool strict);

}  // namespace portcullis::mime
