// Header sections of a message and of its MIME parts, read from the raw bytes the way
// SpamAssassin 4.0.1 reads them (Message->new, Message::_parse_multipart): where the header
// ends (blank line, a "--" line, or the fourth line that is not a field), what a field name
// is, how folding is undone, how RFC 2047 words are decoded (adjacent words joined, words of
// one charset concatenated before charset decoding, Received/Date/Message-ID/References/
// In-Reply-To/MIME-Version/List-* left alone), and SA's Content-Type reading (type, boundary,
// charset, name; text/* other than html, calendar and x-vcard counts as text/plain).
// Untrusted input: the header bytes. Every result is a view into the input or a bounded copy;
// field count is bounded by the caller's limit.
// Gaps: SA's MAX_HEADER_KEY_LENGTH/VALUE_LENGTH truncation (256/64 KiB) is not applied.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime {

struct FieldView {
  std::string_view name;   // as written, trailing blanks before ':' removed (top level)
  std::string_view value;  // after ':', folds included, final line end excluded
};

struct HeaderSection {
  std::vector<FieldView> fields;
  std::size_t body_offset = 0;  // where the body starts in the input
  bool truncated = false;       // more fields than allowed: the rest were dropped
};

// The top-level header (an mbox "From " line first is skipped).
HeaderSection read_message_header(std::string_view message, std::size_t max_fields);
// The header of a MIME part inside a multipart (SA's stricter field syntax, no error budget).
HeaderSection read_part_header(std::string_view part, std::size_t max_fields);

// Folding removed: each line end followed by a blank is dropped, the blank kept.
std::string unfold_raw(std::string_view value);
// SA's decoded value: folds become one space, trimmed, 8-bit taken as UTF-8 (else CP1252),
// RFC 2047 words decoded unless the field is one SA leaves alone. Valid UTF-8.
std::string decode_field_value(std::string_view name, std::string_view value);
// RFC 2047 decoding only (SA's rules), of an already unfolded value.
std::string decode_encoded_words(std::string_view value);

bool iequals_ascii(std::string_view a, std::string_view b);

// SA's Util::parse_content_type over an unfolded Content-Type value.
struct ContentTypeInfo {
  std::string type;      // SA's effective MIME type (text/* normalised to text/plain)
  std::string declared;  // lower-case "type/subtype" as written ("" when missing)
  std::optional<std::string> boundary;
  std::optional<std::string> charset;
  std::string name;      // name=/filename= as SA reads it (raw, not decoded)
  bool missing = false;  // no usable Content-Type
};
ContentTypeInfo parse_content_type(std::string_view value);

// SA's attachment name from Content-Disposition: name=\s*"?([^";]+)"? ("" when none).
std::string disposition_name(std::string_view value);

// One line of a message: where its content starts and ends (CR LF or LF excluded) and where
// the next line starts. Shared by the header reader and the MIME walker.
struct Line {
  std::size_t start;
  std::size_t end;
  std::size_t next;
};
Line line_at(std::string_view s, std::size_t pos);

}  // namespace portcullis::mime
