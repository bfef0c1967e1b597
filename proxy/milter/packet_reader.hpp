// Milter packet framing: a 4-byte big-endian length (command byte + data), the command byte,
// the data. PacketReader splits the MTA's byte stream into packets, incrementally (any split,
// down to one byte at a time), and encode_packet() writes one.
// Untrusted input: every byte from the MTA (a local MTA, but a bug or a confused peer must
// never cost more than one packet of memory). Limits: a length of 0 or above max_packet is an
// error before any data is buffered, so the reader never holds more than max_packet bytes;
// after an error the stream is out of sync and the connection must be closed.
// Gaps: no timeout here (the session's read deadline handles a peer that stops mid-packet).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::milter {

struct Packet {
  char code = 0;     // command (SMFIC_*) or reply (SMFIR_*) byte
  std::string data;  // everything after the code byte

  bool operator==(const Packet&) const = default;
};

// Largest length field (code byte + data) accepted by default: a full body chunk
// (1 + 65535, what libmilter itself accepts) plus 4 KiB of margin.
inline constexpr std::size_t kDefaultMaxPacket = 1 + 65535 + 4096;

class PacketReader {
 public:
  enum class Status { kNeedMore, kPacket, kError };
  struct Result {
    Status status;
    std::size_t consumed;  // kPacket: right after the packet's last byte, later bytes are the
                           // next packet; kError: right after the length field
  };

  // max_packet bounds the length field (code byte + data); at least 1.
  explicit PacketReader(std::size_t max_packet = kDefaultMaxPacket);
  // kNeedMore always consumes all of `in`. After kPacket, further calls consume nothing and
  // repeat kPacket until take(); after kError they repeat kError until reset().
  Result feed(std::string_view in);
  // Valid after kPacket: moves the packet out and readies the reader for the next one.
  Packet take();
  // Valid after kError: what was wrong, for a log line.
  const std::string& error() const { return error_; }
  void reset();
  std::size_t max_packet() const { return max_packet_; }

 private:
  std::size_t max_packet_;
  unsigned char header_[4] = {};
  std::size_t header_have_ = 0;
  std::size_t length_ = 0;  // from the length field, once header_have_ == 4
  bool have_code_ = false;
  Packet packet_;
  std::string error_;
  bool done_ = false;
  bool failed_ = false;
};

// Wire form of one packet. `data` must keep the packet within 2^32 - 1 bytes (every caller
// here builds far smaller ones).
std::string encode_packet(char code, std::string_view data);

// Big-endian helpers shared by the codec.
void append_u32(std::string& out, std::uint32_t v);
void append_u16(std::string& out, std::uint16_t v);

}  // namespace portcullis::milter
