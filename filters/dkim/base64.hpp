// Strict base64 decoding (RFC 4648 alphabet) for DKIM b=, bh= and key p= values.
// Untrusted input: the encoded text, from a message header or a DNS record. FWS anywhere is
// ignored (RFC 6376 3.5 allows folding inside b=); any other byte outside the alphabet, '='
// anywhere but the end, more than two '=', or a dangling 6-bit group is an error.
// Limits: output is at most 3/4 of the input; callers bound the input length.
// Gaps: unpadded input is accepted when its length is otherwise valid (lenient on purpose).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace portcullis::filters::dkim {

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace portcullis::filters::dkim
