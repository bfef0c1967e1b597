// RFC 6376 3.4 canonicalization. Headers: one field at a time into a small string (fields
// are bounded by the header limits). Body: BodyCanonicalizer STREAMS canonical bytes into a
// sink in chunks of at most kChunk bytes — no canonical copy of the body is ever built —
// stops feeding the sink after l= octets and still counts the full canonical length.
// Untrusted input: header fields and body bytes, any bytes. Only CRLF ends a line; a bare
// CR or LF is an ordinary byte (the SMTP layer rejects or normalises them before us).
// Simple body: trailing empty lines dropped, a final CRLF ensured (empty body = CRLF).
// Relaxed body: WSP at line ends dropped, WSP runs = one SP, trailing empty lines dropped,
// a final CRLF ensured on a non-empty body (empty body = nothing).
// Relaxed header: name lowercased with WSP before the colon dropped ("Subject : x"), value
// unfolded, WSP runs = one SP, WSP around the value dropped; "name:value" without CRLF.
// Gaps: none known for the two RFC algorithms; unknown algorithms are refused earlier.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "filters/dkim/dkim_signature.hpp"

namespace portcullis::filters::dkim {

// Appends the canonical form of one header field (raw bytes from the name to the end of
// the value, folding included, without the final CRLF) to out, without a CRLF.
void canonicalize_header(Canonicalization canon, std::string_view field, std::string& out);

class BodyCanonicalizer {
 public:
  using Sink = std::function<void(std::string_view)>;
  static constexpr std::size_t kChunk = 4096;

  // limit: l= (the sink receives at most that many canonical octets), or none.
  BodyCanonicalizer(Canonicalization canon, std::optional<std::uint64_t> limit, Sink sink);

  void feed(std::string_view raw);
  void finish();  // once, after the last feed

  // Canonical body length (the whole body, also beyond l=), valid after finish().
  std::uint64_t canonical_length() const { return length_; }

 private:
  void put(char c);
  void put_run(std::string_view run);  // bytes that are canonical as they are
  void put_crlfs();
  void flush();

  Canonicalization canon_;
  std::optional<std::uint64_t> limit_;
  Sink sink_;
  std::array<char, kChunk> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;
  std::uint64_t pending_crlfs_ = 0;  // line ends held back: they may be trailing empty lines
  bool pending_cr_ = false;          // a CR whose LF may arrive in the next feed
  bool pending_wsp_ = false;         // relaxed: a WSP run not yet known to be inner
  bool finished_ = false;
};

}  // namespace portcullis::filters::dkim
