// Content-Transfer-Encoding decoders with SpamAssassin 4.0.1's tolerance (Util::qp_decode,
// Util::base64_decode): quoted-printable drops trailing blanks and soft breaks and decodes
// =XX in either case; base64 skips whitespace and junk, treats '=' inside the data as zero
// bits (or as 63 when junk was present, as SA's uudecode fallback does) and ignores a final
// lone sextet. Both stream: only the first `keep` output bytes are stored, the total decoded
// size is still returned, so attachments are measured without being held in memory.
// Untrusted input: the encoded text. Output size is at most the input size.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::mime {

struct DecodeResult {
  std::size_t size = 0;  // total decoded bytes (kept or not)
  bool bad = false;      // base64 with characters outside the alphabet and whitespace
};

DecodeResult decode_quoted_printable(std::string_view in, std::string& out, std::size_t keep);
DecodeResult decode_base64(std::string_view in, std::string& out, std::size_t keep);

// CRLF -> LF in place from `from` on (SA squashes line ends of decoded text parts).
void squash_crlf(std::string& s, std::size_t from = 0);

}  // namespace portcullis::mime
