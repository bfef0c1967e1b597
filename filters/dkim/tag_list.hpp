// RFC 6376 3.2 tag=value lists, the syntax of DKIM-Signature values and key records.
// Untrusted input: the whole text (a header value or a TXT record). Tag names must be
// ALPHA *(ALPHA / DIGIT / "_"), compared case-sensitively; a value may hold any byte but
// ';' and controls (FWS inside a value is kept; 8-bit bytes are let through for EAI);
// leading and trailing FWS around names and values is dropped.
// Errors: a duplicate tag, a spec without '=', a bad tag name, a control byte, too many tags.
// Choices: empty specs (";;", a trailing ";") are skipped, as many signers emit them.
// Limits: kMaxTags tags; callers bound the text length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::filters::dkim {

struct Tag {
  std::string_view name;
  std::string_view value;        // trimmed of surrounding FWS; points into the input
  std::size_t after_equals = 0;  // offset of the byte after '=' in the input
  std::size_t value_end = 0;     // offset just past the value's last byte
};

struct TagList {
  std::vector<Tag> tags;
  std::string error;  // empty when the list parsed

  bool ok() const { return error.empty(); }
  const Tag* find(std::string_view name) const;
};

inline constexpr std::size_t kMaxTags = 64;

TagList parse_tag_list(std::string_view text);

}  // namespace portcullis::filters::dkim
