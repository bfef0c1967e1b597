// Test drivers for the milter codec: feed a byte stream to PacketReader whole, byte by byte
// and split in two at every position, and collect what comes out so the runs can be compared.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/milter/command.hpp"
#include "proxy/milter/packet_reader.hpp"

namespace portcullis::milter::test {

inline std::string hex(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

struct StreamRun {
  std::vector<Packet> packets;
  bool error = false;
  std::string error_text;
  std::size_t consumed = 0;  // total bytes used (stops at the error)
  std::size_t buffered = 0;  // bytes left in the caller's buffer at the end (0 on error)
  bool operator==(const StreamRun&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const StreamRun& r) {
  os << "{";
  for (const auto& p : r.packets) os << p.code << "[" << hex(p.data) << "] ";
  return os << "error=" << r.error << " (" << r.error_text << ") consumed=" << r.consumed
            << " buffered=" << r.buffered << "}";
}

// Feeds `input` in pieces of the given sizes the way a session does: append what arrived,
// feed the buffer, drop what was consumed.
inline StreamRun run_stream(std::string_view input, const std::vector<std::size_t>& pieces,
                            std::size_t max_packet = kDefaultMaxPacket) {
  PacketReader reader(max_packet);
  StreamRun run;
  std::string buf;
  std::size_t pos = 0;
  for (std::size_t len : pieces) {
    buf.append(input.substr(pos, len));
    pos += len;
    while (!buf.empty()) {
      const auto r = reader.feed(buf);
      EXPECT_LE(r.consumed, buf.size());
      run.consumed += r.consumed;
      if (r.status == PacketReader::Status::kError) {
        run.error = true;
        run.error_text = reader.error();
        EXPECT_EQ(reader.feed(buf.substr(r.consumed)).consumed, 0u);
        // What is left depends on how much had arrived; the stream is dead anyway.
        return run;
      }
      buf.erase(0, r.consumed);
      if (r.status == PacketReader::Status::kNeedMore) {
        EXPECT_TRUE(buf.empty()) << "kNeedMore must consume everything";
        break;
      }
      run.packets.push_back(reader.take());
    }
  }
  run.buffered = buf.size();
  return run;
}

// Whole, byte by byte, and split in two at every position: all must agree.
inline StreamRun stream(std::string_view input, std::size_t max_packet = kDefaultMaxPacket) {
  const StreamRun whole = run_stream(input, {input.size()}, max_packet);
  EXPECT_EQ(run_stream(input, std::vector<std::size_t>(input.size(), 1), max_packet), whole)
      << "byte by byte";
  for (std::size_t at = 0; at <= input.size(); ++at) {
    EXPECT_EQ(run_stream(input, {at, input.size() - at}, max_packet), whole) << "split at " << at;
  }
  return whole;
}

// Decodes the single packet `wire` holds (after checking the framing every way).
inline Decoded decode_wire(std::string_view wire) {
  const StreamRun run = stream(wire);
  EXPECT_FALSE(run.error) << run.error_text;
  EXPECT_EQ(run.packets.size(), 1u);
  EXPECT_EQ(run.buffered, 0u);
  if (run.packets.size() != 1) return Decoded{};
  return decode_command(run.packets[0]);
}

inline std::string wire(char code, std::string_view data) { return encode_packet(code, data); }

using namespace std::string_literals;
using namespace std::string_view_literals;

}  // namespace portcullis::milter::test
