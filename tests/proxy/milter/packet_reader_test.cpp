#include "proxy/milter/packet_reader.hpp"

#include <gtest/gtest.h>

#include "milter_test_support.hpp"

namespace portcullis::milter::test {
namespace {

TEST(PacketReader, EncodesLengthBigEndianIncludingCode) {
  EXPECT_EQ(encode_packet('c', ""), "\x00\x00\x00\x01"s "c");
  EXPECT_EQ(encode_packet('H', "mx\0"s), "\x00\x00\x00\x04" "Hmx\0"s);
  const std::string big(0x10203, 'x');
  const std::string w = encode_packet('B', big);
  EXPECT_EQ(w.substr(0, 5), "\x00\x01\x02\x04"s "B");
  EXPECT_EQ(w.size(), 5 + big.size());
}

TEST(PacketReader, OnePacketAnySplit) {
  const auto run = stream(wire('H', "mail.example.org\0"s));
  ASSERT_EQ(run.packets.size(), 1u);
  EXPECT_EQ(run.packets[0], (Packet{'H', "mail.example.org\0"s}));
  EXPECT_EQ(run.buffered, 0u);
}

TEST(PacketReader, SeveralPacketsBackToBack) {
  const std::string in = wire('D', "Cj\0mx\0"s) + wire('C', "h\0U"s) + wire('N', "") +
                         wire('B', "body\r\n") + wire('E', "");
  const auto run = stream(in);
  ASSERT_EQ(run.packets.size(), 5u);
  EXPECT_EQ(run.packets[0].code, 'D');
  EXPECT_EQ(run.packets[2], (Packet{'N', ""}));
  EXPECT_EQ(run.packets[3], (Packet{'B', "body\r\n"}));
  EXPECT_EQ(run.consumed, in.size());
}

TEST(PacketReader, PartialPacketStaysPending) {
  const std::string w = wire('B', "abcdef");
  for (std::size_t n = 0; n < w.size(); ++n) {
    const auto run = run_stream(w.substr(0, n), {n});
    EXPECT_TRUE(run.packets.empty()) << n;
    EXPECT_FALSE(run.error);
    EXPECT_EQ(run.buffered, 0u) << "a partial packet is held by the reader, not the caller";
  }
}

TEST(PacketReader, ZeroLengthIsAnError) {
  const auto run = stream("\x00\x00\x00\x00" "Q"s);
  EXPECT_TRUE(run.error);
  EXPECT_EQ(run.consumed, 4u);
  EXPECT_NE(run.error_text.find("length 0"), std::string::npos) << run.error_text;
}

TEST(PacketReader, OversizedLengthIsAnErrorBeforeAnyData) {
  const auto run = stream("\x00\x01\x00\x01" "Bxxxx"s, 65536);
  EXPECT_TRUE(run.error);
  EXPECT_EQ(run.consumed, 4u);
  EXPECT_EQ(run.error_text, "milter packet length 65537 exceeds the limit of 65536 bytes");
  EXPECT_TRUE(stream("\xff\xff\xff\xff"s).error);
}

TEST(PacketReader, ExactlyTheLimitIsAccepted) {
  const std::string chunk(kMaxBodyChunk, 'a');
  const auto run = run_stream(wire('B', chunk), {5 + chunk.size()}, 1 + kMaxBodyChunk);
  ASSERT_FALSE(run.error) << run.error_text;
  ASSERT_EQ(run.packets.size(), 1u);
  EXPECT_EQ(run.packets[0].data.size(), kMaxBodyChunk);
  // The default limit takes a full body chunk with room to spare.
  EXPECT_GT(kDefaultMaxPacket, 1 + kMaxBodyChunk);
  EXPECT_EQ(run_stream(wire('B', chunk + "x"), {6 + chunk.size()}, 1 + kMaxBodyChunk).error,
            true);
}

TEST(PacketReader, ErrorAfterGoodPackets) {
  const std::string in = wire('N', "") + "\x00\x00\x00\x00"s + wire('E', "");
  const auto run = stream(in);
  ASSERT_EQ(run.packets.size(), 1u);
  EXPECT_TRUE(run.error);
  EXPECT_EQ(run.consumed, 5u + 4u);
}

TEST(PacketReader, RepeatsStatusUntilTakeOrReset) {
  PacketReader reader;
  const std::string two = wire('N', "") + wire('A', "");
  auto r = reader.feed(two);
  EXPECT_EQ(r.status, PacketReader::Status::kPacket);
  EXPECT_EQ(r.consumed, 5u);
  r = reader.feed(std::string_view(two).substr(5));
  EXPECT_EQ(r.status, PacketReader::Status::kPacket);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(reader.take(), (Packet{'N', ""}));
  r = reader.feed(std::string_view(two).substr(5));
  EXPECT_EQ(r.status, PacketReader::Status::kPacket);
  EXPECT_EQ(reader.take(), (Packet{'A', ""}));

  EXPECT_EQ(reader.feed("\0\0\0\0"s).status, PacketReader::Status::kError);
  EXPECT_EQ(reader.feed(wire('N', "")).status, PacketReader::Status::kError);
  EXPECT_EQ(reader.feed(wire('N', "")).consumed, 0u);
  reader.reset();
  EXPECT_TRUE(reader.error().empty());
  EXPECT_EQ(reader.feed(wire('N', "")).status, PacketReader::Status::kPacket);
}

TEST(PacketReader, TinyLimit) {
  EXPECT_FALSE(stream(wire('N', ""), 1).error);
  EXPECT_TRUE(stream(wire('H', "a"), 1).error);
  EXPECT_EQ(PacketReader(0).max_packet(), 1u);
}

}  // namespace
}  // namespace portcullis::milter::test
