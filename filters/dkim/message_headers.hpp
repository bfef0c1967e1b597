// Splits a message (CRLF line ends) into header fields and body, and selects the fields a
// DKIM-Signature's h= names (RFC 6376 5.4.2): each name takes the LAST not-yet-used
// instance, walking upward; a name listed more often than it occurs contributes nothing
// (the "null string" of over-signing, which is what makes adding a field break it).
// Untrusted input: the whole message, any bytes. Only CRLF ends a line. A line starting
// with WSP continues the previous field; the first empty line ends the header. A line
// without ':' still becomes a field (with an empty name, never selected) so that its bytes
// are not silently merged into a neighbour.
// Limits: kMaxHeaderFields fields and kMaxHeaderBytes of header; beyond them `truncated`
// is set and the verifier refuses to judge (permerror), rather than hashing a partial view.
// Gaps: a message without the empty line has no body; bare-LF messages are one long field.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace portcullis::filters::dkim {

inline constexpr std::size_t kMaxHeaderFields = 1000;
inline constexpr std::size_t kMaxHeaderBytes = 1024 * 1024;

struct HeaderField {
  std::string_view name;   // before ':', trailing WSP removed; empty when there is no ':'
  std::string_view value;  // after ':', folding included, without the final CRLF
  std::string_view raw;    // the whole field without the final CRLF
};

struct MessageView {
  std::vector<HeaderField> fields;  // top to bottom
  std::string_view body;            // after the empty line
  bool truncated = false;           // a header limit was hit; fields is incomplete
};

MessageView split_message(std::string_view message);

// For each name of h= (lowercase), the selected field or nullptr (over-signed, absent).
// `exclude` (the signature being verified) is never selected.
std::vector<const HeaderField*> select_headers(const std::vector<HeaderField>& fields,
                                               const std::vector<std::string>& names,
                                               const HeaderField* exclude);

}  // namespace portcullis::filters::dkim
