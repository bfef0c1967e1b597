#include "proxy/milter/packet_reader.hpp"

#include <algorithm>

namespace portcullis::milter {

PacketReader::PacketReader(std::size_t max_packet) : max_packet_(std::max<std::size_t>(max_packet, 1)) {}

PacketReader::Result PacketReader::feed(std::string_view in) {
  if (failed_) return {Status::kError, 0};
  if (done_) return {Status::kPacket, 0};
  std::size_t pos = 0;
  while (header_have_ < 4) {
    if (pos == in.size()) return {Status::kNeedMore, pos};
    header_[header_have_++] = static_cast<unsigned char>(in[pos++]);
    if (header_have_ == 4) {
      const std::uint32_t len = (std::uint32_t{header_[0]} << 24) | (std::uint32_t{header_[1]} << 16) |
                                (std::uint32_t{header_[2]} << 8) | std::uint32_t{header_[3]};
      if (len == 0) {
        failed_ = true;
        error_ = "milter packet length 0 (no command byte)";
        return {Status::kError, pos};
      }
      if (len > max_packet_) {
        failed_ = true;
        error_ = "milter packet length " + std::to_string(len) + " exceeds the limit of " +
                 std::to_string(max_packet_) + " bytes";
        return {Status::kError, pos};
      }
      length_ = len;
    }
  }
  if (!have_code_) {
    if (pos == in.size()) return {Status::kNeedMore, pos};
    packet_.code = in[pos++];
    have_code_ = true;
  }
  const std::size_t want = length_ - 1 - packet_.data.size();
  const std::size_t n = std::min(want, in.size() - pos);
  packet_.data.append(in.substr(pos, n));
  pos += n;
  if (packet_.data.size() + 1 < length_) return {Status::kNeedMore, pos};
  done_ = true;
  return {Status::kPacket, pos};
}

Packet PacketReader::take() {
  Packet out = std::move(packet_);
  reset();
  return out;
}

void PacketReader::reset() {
  header_have_ = 0;
  length_ = 0;
  have_code_ = false;
  packet_ = Packet{};
  error_.clear();
  done_ = false;
  failed_ = false;
}

void append_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void append_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

std::string encode_packet(char code, std::string_view data) {
  std::string out;
  out.reserve(5 + data.size());
  append_u32(out, static_cast<std::uint32_t>(data.size() + 1));
  out.push_back(code);
  out.append(data);
  return out;
}

}  // namespace portcullis::milter
