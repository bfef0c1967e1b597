#include "filters/dns/dns_message.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace portcullis::dns {
namespace {

// Builds DNS responses by hand, so every branch of the reader is reached with exact bytes.
class Packet {
 public:
  explicit Packet(std::uint16_t flags = 0x8180) { u16(0x1234), u16(flags); }
  Packet& counts(int qd, int an, int ns, int ar) {
    u16(qd), u16(an), u16(ns), u16(ar);
    return *this;
  }
  Packet& name(const std::string& dotted) {
    std::size_t start = 0;
    while (start < dotted.size()) {
      std::size_t dot = dotted.find('.', start);
      if (dot == std::string::npos) dot = dotted.size();
      bytes_.push_back(static_cast<std::uint8_t>(dot - start));
      for (std::size_t i = start; i < dot; ++i) bytes_.push_back(static_cast<std::uint8_t>(dotted[i]));
      start = dot + 1;
    }
    bytes_.push_back(0);
    return *this;
  }
  Packet& pointer(std::uint16_t offset) {
    u16(static_cast<std::uint16_t>(0xC000 | offset));
    return *this;
  }
  Packet& question(const std::string& n, std::uint16_t type) {
    name(n);
    u16(type), u16(1);
    return *this;
  }
  // Record header for an owner already written; rdata follows.
  Packet& rr(std::uint16_t type, std::uint32_t ttl, std::uint16_t rdlength) {
    u16(type), u16(1), u16(static_cast<std::uint16_t>(ttl >> 16)),
        u16(static_cast<std::uint16_t>(ttl & 0xFFFF)), u16(rdlength);
    return *this;
  }
  Packet& raw(std::initializer_list<int> values) {
    for (int v : values) bytes_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Packet& text(const std::string& s) {
    bytes_.push_back(static_cast<std::uint8_t>(s.size()));
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  Packet& u16(std::uint16_t v) {
    bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
    bytes_.push_back(static_cast<std::uint8_t>(v & 0xFF));
    return *this;
  }
  std::size_t size() const { return bytes_.size(); }
  Answer parse(const std::string& qname, RrType type, std::uint32_t cap = 300) const {
    return parse_response(bytes_, qname, type, cap);
  }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

constexpr std::uint16_t kQuestionOffset = 12;

TEST(DnsMessage, ARecordsWithCompressedOwner) {
  Packet p;
  p.counts(1, 2, 0, 0).question("Example.ORG", 1);
  p.pointer(kQuestionOffset).rr(1, 600, 4).raw({192, 0, 2, 1});
  p.pointer(kQuestionOffset).rr(1, 60, 4).raw({192, 0, 2, 2});
  const Answer a = p.parse("example.org.", RrType::kA);
  ASSERT_EQ(a.status, Answer::Status::kOk);
  ASSERT_EQ(a.addresses.size(), 2u);
  EXPECT_EQ(a.addresses[0].to_string(), "192.0.2.1");
  EXPECT_EQ(a.addresses[1].to_string(), "192.0.2.2");
  EXPECT_EQ(a.ttl, 60u);  // the smallest
}

TEST(DnsMessage, AaaaRecord) {
  Packet p;
  p.counts(1, 1, 0, 0).question("v6.example", 28);
  p.pointer(kQuestionOffset).rr(28, 100, 16).raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  const Answer a = p.parse("v6.example", RrType::kAaaa);
  ASSERT_EQ(a.status, Answer::Status::kOk);
  EXPECT_EQ(a.addresses.at(0).to_string(), "2001:db8::1");
  EXPECT_FALSE(a.addresses[0].is_v4);
}

TEST(DnsMessage, TxtStringsOfOneRecordAreJoinedRecordsKeptApart) {
  Packet p;
  p.counts(1, 2, 0, 0).question("t.example", 16);
  p.pointer(kQuestionOffset).rr(16, 300, 2 + 3 + 4).text("abc").text("defg");
  p.pointer(kQuestionOffset).rr(16, 300, 1).text("");
  const Answer a = p.parse("t.example", RrType::kTxt);
  ASSERT_EQ(a.status, Answer::Status::kOk);
  ASSERT_EQ(a.txt.size(), 2u);
  EXPECT_EQ(a.txt[0], "abcdefg");
  EXPECT_EQ(a.txt[1], "");
}

TEST(DnsMessage, MxAndPtrNamesAreDecompressedAndLowercased) {
  Packet p;
  p.counts(1, 2, 0, 0).question("example.net", 15);
  // "MX1" + pointer to example.net in the question.
  p.pointer(kQuestionOffset).rr(15, 300, 2 + 4 + 2).u16(10).raw({3, 'M', 'X', '1'}).pointer(kQuestionOffset);
  p.pointer(kQuestionOffset).rr(15, 300, 2 + 1).u16(0).raw({0});  // null MX (RFC 7505)
  const Answer a = p.parse("example.net", RrType::kMx);
  ASSERT_EQ(a.status, Answer::Status::kOk);
  ASSERT_EQ(a.mx.size(), 2u);
  EXPECT_EQ(a.mx[0].preference, 10);
  EXPECT_EQ(a.mx[0].host, "mx1.example.net");
  EXPECT_EQ(a.mx[1].host, "");

  Packet q;
  q.counts(1, 1, 0, 0).question("1.2.0.192.in-addr.arpa", 12);
  q.pointer(kQuestionOffset).rr(12, 300, 11).name("h.example");
  const Answer ptr = q.parse("1.2.0.192.in-addr.arpa", RrType::kPtr);
  ASSERT_EQ(ptr.status, Answer::Status::kOk);
  EXPECT_EQ(ptr.names.at(0), "h.example");
}

TEST(DnsMessage, FollowsCnameChainToTheRecords) {
  Packet p;
  p.counts(1, 3, 0, 0).question("alias.example", 1);
  p.pointer(kQuestionOffset).rr(5, 30, 13).name("mid.example");
  p.name("mid.example").rr(5, 300, 14).name("real.example");
  p.name("real.example").rr(1, 300, 4).raw({198, 51, 100, 7});
  const Answer a = p.parse("alias.example", RrType::kA);
  ASSERT_EQ(a.status, Answer::Status::kOk);
  EXPECT_EQ(a.addresses.at(0).to_string(), "198.51.100.7");
  EXPECT_EQ(a.ttl, 30u);
}

TEST(DnsMessage, RecordsOfOtherOwnersAreIgnored) {
  Packet p;
  p.counts(1, 1, 0, 0).question("asked.example", 1);
  p.name("other.example").rr(1, 300, 4).raw({192, 0, 2, 9});
  EXPECT_EQ(p.parse("asked.example", RrType::kA).status, Answer::Status::kNoData);
}

TEST(DnsMessage, NegativeAnswersTakeTheSoaTtlCapped) {
  for (const auto& [flags, status] : {std::pair{0x8183, Answer::Status::kNxDomain},
                                      std::pair{0x8180, Answer::Status::kNoData}}) {
    Packet p(static_cast<std::uint16_t>(flags));
    p.counts(1, 0, 1, 0).question("nope.example", 16);
    p.name("example").rr(6, 900, 3 + 3 + 20).raw({1, 'a', 0}).raw({1, 'b', 0});
    p.u16(0).u16(1).u16(0).u16(2).u16(0).u16(3).u16(0).u16(4).u16(0).u16(120);  // minimum 120
    const Answer a = p.parse("nope.example", RrType::kTxt, 300);
    EXPECT_EQ(a.status, status);
    EXPECT_EQ(a.ttl, 120u);
    EXPECT_EQ(p.parse("nope.example", RrType::kTxt, 60).ttl, 60u);
  }
  Packet bare(0x8183);
  bare.counts(1, 0, 0, 0).question("nope.example", 16);
  EXPECT_EQ(bare.parse("nope.example", RrType::kTxt, 77).ttl, 77u);
}

TEST(DnsMessage, ServerErrorsAreTemporary) {
  for (std::uint16_t flags : {0x8182, 0x8185, 0x8181, 0x0180 /* not a response */,
                              0x8380 /* truncated */}) {
    Packet p(flags);
    p.counts(1, 0, 0, 0).question("x.example", 1);
    EXPECT_EQ(p.parse("x.example", RrType::kA).status, Answer::Status::kServFail) << flags;
  }
}

TEST(DnsMessage, MalformedMessagesAreTemporaryNeverNxdomain) {
  // Pointer loop (to itself).
  Packet loop;
  loop.counts(1, 1, 0, 0).question("x.example", 1);
  const auto self = static_cast<std::uint16_t>(loop.size());
  loop.pointer(self).rr(1, 1, 4).raw({1, 2, 3, 4});
  EXPECT_EQ(loop.parse("x.example", RrType::kA).status, Answer::Status::kServFail);
  // Forward pointer.
  Packet forward;
  forward.counts(1, 1, 0, 0).question("x.example", 1);
  forward.pointer(500).rr(1, 1, 4).raw({1, 2, 3, 4});
  EXPECT_EQ(forward.parse("x.example", RrType::kA).status, Answer::Status::kServFail);
  // rdlength past the end, wrong A length, TXT string past its rdata.
  Packet past;
  past.counts(1, 1, 0, 0).question("x.example", 1).pointer(kQuestionOffset).rr(1, 1, 40).raw({1, 2, 3, 4});
  EXPECT_EQ(past.parse("x.example", RrType::kA).status, Answer::Status::kServFail);
  Packet a5;
  a5.counts(1, 1, 0, 0).question("x.example", 1).pointer(kQuestionOffset).rr(1, 1, 5).raw({1, 2, 3, 4, 5});
  EXPECT_EQ(a5.parse("x.example", RrType::kA).status, Answer::Status::kServFail);
  Packet txt;
  txt.counts(1, 1, 0, 0).question("x.example", 16).pointer(kQuestionOffset).rr(16, 1, 3).raw({9, 'a', 'b'});
  EXPECT_EQ(txt.parse("x.example", RrType::kTxt).status, Answer::Status::kServFail);
  // Too short for a header; too many records claimed.
  EXPECT_EQ(parse_response(std::vector<std::uint8_t>{0x12}, "x", RrType::kA, 1).status,
            Answer::Status::kServFail);
  Packet many;
  many.counts(1, 60000, 0, 0).question("x.example", 1);
  EXPECT_EQ(many.parse("x.example", RrType::kA).status, Answer::Status::kServFail);
}

TEST(DnsMessage, CnameLoopIsMalformed) {
  Packet p;
  p.counts(1, 2, 0, 0).question("a.example", 1);
  p.pointer(kQuestionOffset).rr(5, 30, 11).name("b.example");
  p.name("b.example").rr(5, 30, 11).name("a.example");
  EXPECT_EQ(p.parse("a.example", RrType::kA).status, Answer::Status::kServFail);
}

TEST(DnsMessage, TopBitTtlReadsAsZero) {
  Packet p;
  p.counts(1, 1, 0, 0).question("x.example", 1);
  p.pointer(kQuestionOffset).rr(1, 0x80000000u, 4).raw({192, 0, 2, 1});
  EXPECT_EQ(p.parse("x.example", RrType::kA).ttl, 0u);
}

}  // namespace
}  // namespace portcullis::dns
