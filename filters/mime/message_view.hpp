// The parsed view of one buffered message (DESIGN.md "Transaction": raw bytes + a lazily
// parsed MIME view), built once and read by the content rules: the MIME structure is split
// by our own bounded walker (string views into the message, SpamAssassin's rules for broken
// structure, limits applied as it goes); GMime 3 decodes parameters and converts charsets.
// Untrusted input: every byte of the message. Limits (parts, nesting depth, decoded bytes) stop the walk and
// become anomalies (symbols), never crashes or unbounded memory. What the view holds:
//   - top-level header fields in order, raw (as written, unfolded) and decoded (RFC 2047 words
//     and RFC 2231 parameters decoded, converted to UTF-8);
//   - body text: the text/plain and text/html parts (HTML reduced to visible text), decoded
//     from base64/quoted-printable and converted to UTF-8, rendered the way SpamAssassin
//     renders it for `body` rules: the decoded Subject first, then one line per paragraph
//     (blank-line separated blocks), whitespace runs inside a paragraph collapsed to one space;
//   - raw body: the same text parts decoded from their transfer encoding and charset but not
//     rendered (HTML tags kept, line structure kept) — SpamAssassin's `rawbody`;
//   - URLs found in text (http(s)/ftp/www./mailto) and in HTML (href/src/action attributes);
//   - attachments (every non-text leaf part, and text parts with a filename) with filename
//     (RFC 2231/2047 decoded), declared Content-Type, a type sniffed from the first bytes of
//     the decoded content, and decoded size.
// Invalid UTF-8 in any decoded string is replaced (U+FFFD), so every decoded string is valid
// UTF-8 (Hyperscan's UTF-8 mode needs that). Known gaps: no TNEF, no uuencode, no archive
// listing (ClamAV looks inside archives).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime {

struct Limits {
  std::size_t max_parts = 1000;                 // MIME parts walked, all levels
  std::size_t max_depth = 20;                   // multipart / message/rfc822 nesting
  std::size_t max_decoded_bytes = 64u << 20;    // sum of decoded part contents kept
  std::size_t max_text_bytes = 4u << 20;        // body text and raw body, each
  std::size_t max_header_fields = 1000;         // top-level header fields kept
  std::size_t max_urls = 1000;                  // distinct URLs kept
  // SpamAssassin's body_part_scan_size / rawbody_part_scan_size (its defaults): each text
  // part's rendered text is cut after this many characters, its raw text after this many
  // bytes (at the next newline or space within 1 KiB). 0 = no cut.
  std::size_t body_part_scan_size = 50000;
  std::size_t rawbody_part_scan_size = 500000;
};

struct HeaderField {
  std::string name;     // as written ("Subject")
  std::string raw;      // value as written, folding removed (CRLF before WSP dropped), leading
                        // space kept
  std::string decoded;  // RFC 2047 decoded, UTF-8, leading/trailing whitespace trimmed
};

struct Attachment {
  std::string filename;       // decoded, UTF-8; "" when the part names none
  std::string declared_type;  // lower case "type/subtype" from Content-Type
  std::string sniffed_type;   // from magic bytes ("application/x-dosexec", "application/zip",
                              // "application/pdf", ... ; "application/octet-stream" if unknown)
  std::size_t size = 0;       // decoded bytes
};

// Why the walk stopped short or what looked malformed; each becomes a symbol
// (MIME_TOO_MANY_PARTS, MIME_TOO_DEEP, MIME_TOO_LARGE, MIME_BAD_BOUNDARY, ...).
enum class Anomaly : std::uint8_t {
  kTooManyParts,
  kTooDeep,
  kTooLarge,         // decoded bytes or text bytes over the limit: the rest not decoded
  kBadBoundary,      // multipart without its boundary, or the closing boundary missing
  kBadEncoding,      // undecodable base64 / unknown transfer encoding
  kUnknownCharset,   // charset GMime/iconv cannot convert: bytes taken as Windows-1252
                     // (SpamAssassin's last resort; Latin-1 except in 0x80-0x9F)
  kTooManyHeaders,   // more top-level header fields than max_header_fields: the rest dropped
};
std::string_view anomaly_symbol(Anomaly anomaly);  // "MIME_TOO_MANY_PARTS", ...

class MessageView {
 public:
  // Parses `message` (CRLF or LF line ends). Never throws on bad input.
  static MessageView parse(std::string_view message, const Limits& limits = {});

  const std::vector<HeaderField>& headers() const { return headers_; }
  // Values of every field named `name` (case-insensitive), in order.
  std::vector<const HeaderField*> fields(std::string_view name) const;
  const std::string& subject() const { return subject_; }  // decoded; "" if none
  const std::string& from() const { return from_; }        // decoded From value; "" if none
  const std::string& body_text() const { return body_text_; }
  const std::string& raw_body() const { return raw_body_; }
  const std::vector<std::string>& urls() const { return urls_; }
  const std::vector<Attachment>& attachments() const { return attachments_; }
  const std::vector<Anomaly>& anomalies() const { return anomalies_; }
  std::size_t part_count() const { return part_count_; }

 private:
  std::vector<HeaderField> headers_;
  std::string subject_;
  std::string from_;
  std::string body_text_;
  std::string raw_body_;
  std::vector<std::string> urls_;
  std::vector<Attachment> attachments_;
  std::vector<Anomaly> anomalies_;
  std::size_t part_count_ = 0;
  friend class MessageViewBuilder;  // message_view.cpp
};

}  // namespace portcullis::mime
