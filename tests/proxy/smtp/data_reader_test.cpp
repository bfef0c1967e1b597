#include "proxy/smtp/data_reader.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "alloc_tracker.hpp"
#include "feed_helpers.hpp"

namespace portcullis::smtp {
namespace {

using test::data;
using test::DataRun;

constexpr auto kReject = BareNewline::kReject;
constexpr auto kNormalize = BareNewline::kNormalize;

// A message that ended cleanly: done, no error, everything consumed.
std::string clean(std::string_view input, BareNewline policy = kReject) {
  const DataRun run = data(input, policy);
  EXPECT_TRUE(run.done) << test::visible(input);
  EXPECT_EQ(run.error, DataError::kNone) << test::visible(input);
  EXPECT_EQ(run.consumed, input.size()) << test::visible(input);
  return run.message;
}

// An input that ends at its last byte with the given error and an empty message.
void failed(std::string_view input, DataError error, BareNewline policy = kReject) {
  const DataRun run = data(input, policy);
  EXPECT_TRUE(run.done) << test::visible(input);
  EXPECT_EQ(run.consumed, input.size()) << test::visible(input);
  EXPECT_EQ(run.error, error) << test::visible(input);
  EXPECT_EQ(run.message, "") << test::visible(input);
}

// An input that must not end the message at all.
void open(std::string_view input, BareNewline policy = kReject) {
  const DataRun run = data(input, policy);
  EXPECT_FALSE(run.done) << test::visible(input);
  EXPECT_EQ(run.consumed, input.size()) << test::visible(input);
}

TEST(DataReader, TerminatorEndsTheMessage) {
  EXPECT_EQ(clean("a\r\n.\r\n"), "a\r\n");
  EXPECT_EQ(clean("Subject: t\r\n\r\nbody\r\n.\r\n"), "Subject: t\r\n\r\nbody\r\n");
  EXPECT_EQ(clean("\r\n.\r\n"), "\r\n");
}

TEST(DataReader, ImmediateTerminatorIsAnEmptyMessage) {
  EXPECT_EQ(clean(".\r\n"), "");
}

TEST(DataReader, ConsumedStopsAfterTheTerminator) {
  DataReader reader(1000, kReject);
  const std::string_view input = "a\r\n.\r\nQUIT\r\n";
  const auto r = reader.feed(input);
  EXPECT_EQ(r.status, DataReader::Status::kDone);
  EXPECT_EQ(r.consumed, 6u);
  EXPECT_EQ(reader.message(), "a\r\n");
  // Later calls take nothing: the rest is the next command.
  const auto again = reader.feed(input.substr(6));
  EXPECT_EQ(again.status, DataReader::Status::kDone);
  EXPECT_EQ(again.consumed, 0u);
  const DataRun run = data(input);
  EXPECT_TRUE(run.done);
  EXPECT_EQ(run.consumed, 6u);
}

TEST(DataReader, Unstuffing) {
  EXPECT_EQ(clean("..x\r\n.\r\n"), ".x\r\n");
  EXPECT_EQ(clean(".x\r\n.\r\n"), "x\r\n");
  EXPECT_EQ(clean("a\r\n..\r\n.\r\n"), "a\r\n.\r\n");
  EXPECT_EQ(clean("a\r\n. \r\n.\r\n"), "a\r\n \r\n");
  EXPECT_EQ(clean("a\r\n.\t\r\n.\r\n"), "a\r\n\t\r\n");
  EXPECT_EQ(clean("a\r\n...\r\n.\r\n"), "a\r\n..\r\n");
  EXPECT_EQ(clean("a\r\n.\r\n"), "a\r\n");
  // Only a dot at the start of a line is stuffing.
  EXPECT_EQ(clean("a.b\r\nc..\r\n.\r\n"), "a.b\r\nc..\r\n");
}

TEST(DataReader, LongLinesAreKeptUnchanged) {
  for (std::size_t len : {998u, 999u, 1000u, 5000u, 100000u}) {
    const std::string line(len, 'y');
    EXPECT_EQ(clean("a\r\n" + line + "\r\n.\r\n"), "a\r\n" + line + "\r\n");
  }
}

// Every malformed terminator: never the end; with kReject the message fails and the reader
// runs on to the real terminator.
const char* const kFakeTerminators[] = {
    "\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r",
};

TEST(DataReader, MalformedTerminatorsNeverEndTheMessage) {
  for (const char* fake : kFakeTerminators) {
    const std::string input = std::string("Hello") + fake;
    open(input, kReject);
    open(input, kNormalize);
    failed(input + "\r\n.\r\n", DataError::kBareNewline, kReject);
    // The smuggled command after the fake terminator is message content.
    failed(input + "MAIL FROM:<x@example.com>\r\n.\r\n", DataError::kBareNewline, kReject);
  }
}

TEST(DataReader, RejectStopsStoringButConsumesToTheTerminator) {
  failed("line one\nline two\r\n.\r\n", DataError::kBareNewline);
  failed("line one\rline two\r\n.\r\n", DataError::kBareNewline);
  failed("\n.\r\n.\r\n", DataError::kBareNewline);
  failed("\r\r\n.\r\n", DataError::kBareNewline);
  failed(".\r.\r\n.\r\n", DataError::kBareNewline);
  failed(".\n.\r\n.\r\n", DataError::kBareNewline);
  failed("a\n" + std::string(100000, 'x') + "\r\n.\r\n", DataError::kBareNewline);
  const DataRun run = data("a\nb\r\n.\r\nMAIL FROM:<x@example.com>\r\n");
  EXPECT_TRUE(run.done);
  EXPECT_EQ(run.consumed, 8u);
}

TEST(DataReader, NormalizeRewritesEachBareNewlineToCrlf) {
  EXPECT_EQ(clean("line one\nline two\r\n.\r\n", kNormalize), "line one\r\nline two\r\n");
  EXPECT_EQ(clean("line one\rline two\r\n.\r\n", kNormalize), "line one\r\nline two\r\n");
  EXPECT_EQ(clean("a\n\nb\r\n.\r\n", kNormalize), "a\r\n\r\nb\r\n");
  EXPECT_EQ(clean("a\r\rb\r\n.\r\n", kNormalize), "a\r\n\r\nb\r\n");
  EXPECT_EQ(clean("a\n\r\n.\r\n", kNormalize), "a\r\n\r\n");
  EXPECT_EQ(clean("a\r\r\n.\r\n", kNormalize), "a\r\n\r\n");
  EXPECT_EQ(clean("\n.\r\n.\r\n", kNormalize), "\r\n.\r\n");
}

TEST(DataReader, NormalizedBareNewlineDoesNotStartALine) {
  // "\n.\n" is a content line "." — never the end of data, and the dot is not stuffing.
  EXPECT_EQ(clean("Hello\n.\n\r\n.\r\n", kNormalize), "Hello\r\n.\r\n\r\n");
  EXPECT_EQ(clean("Hello\r.\r\r\n.\r\n", kNormalize), "Hello\r\n.\r\n\r\n");
  EXPECT_EQ(clean("Hello\n..\r\n.\r\n", kNormalize), "Hello\r\n..\r\n");
  // After a real CRLF the dot is stuffing, and the bare newline after it is normalised.
  EXPECT_EQ(clean("Hello\r\n.\n\r\n.\r\n", kNormalize), "Hello\r\n\r\n\r\n");
  EXPECT_EQ(clean("Hello\r\n.\r\r\n.\r\n", kNormalize), "Hello\r\n\r\n\r\n");
  EXPECT_EQ(clean("Hello\r\n.\rx\r\n.\r\n", kNormalize), "Hello\r\n\r\nx\r\n");
}

TEST(DataReader, NormalizeFakeTerminatorsStayOneMessage) {
  for (const char* fake : kFakeTerminators) {
    const std::string input =
        std::string("Hello") + fake + "MAIL FROM:<x@example.com>\r\nRCPT TO:<y@example.net>\r\n.\r\n";
    const std::string msg = clean(input, kNormalize);
    EXPECT_NE(msg.find("MAIL FROM:<x@example.com>\r\nRCPT TO:<y@example.net>\r\n"),
              std::string::npos)
        << test::visible(fake);
    EXPECT_TRUE(test::crlf_only(msg)) << test::visible(msg);
  }
}

TEST(DataReader, NulFailsUnderBothPolicies) {
  for (auto policy : {kReject, kNormalize}) {
    failed(std::string("a\0b\r\n.\r\n", 8), DataError::kNul, policy);
    failed(std::string("\r\n\0.\r\n\r\n.\r\n", 11), DataError::kNul, policy);
    failed(std::string("\r\n.\0\r\n.\r\n", 9), DataError::kNul, policy);
    failed(std::string("\0.\r\n.\r\n", 7), DataError::kNul, policy);
    failed(std::string(".\0\r\n.\r\n", 7), DataError::kNul, policy);
    open(std::string("\r\n.\0\r\n", 6), policy);
  }
}

TEST(DataReader, FirstErrorWins) {
  failed(std::string("a\nb\0c\r\n.\r\n", 10), DataError::kBareNewline);
  failed(std::string("a\0b\nc\r\n.\r\n", 10), DataError::kNul);
  failed(std::string("a\0b\nc\r\n.\r\n", 10), DataError::kNul, kNormalize);
  const DataRun big = test::run_data(std::string("aaaaaaaaaaaa\r\n\0\n\r\n.\r\n", 21),
                                     test::Chunks{14, 7}, 5, kReject);
  EXPECT_EQ(big.error, DataError::kTooBig);
  EXPECT_TRUE(big.done);
}

TEST(DataReader, SizeLimitCountsUnstuffedOctets) {
  // 10 octets exactly: "..12345678\r\n" unstuffs to ".12345678\r\n" (11) — too big for 10.
  auto run = data("1234567\r\n.\r\n", kReject, 9);  // 9 octets
  EXPECT_EQ(run.error, DataError::kNone);
  EXPECT_EQ(run.message, "1234567\r\n");
  run = data("..234567\r\n.\r\n", kReject, 9);  // 9 octets after unstuffing
  EXPECT_EQ(run.error, DataError::kNone);
  EXPECT_EQ(run.message, ".234567\r\n");
  run = data("12345678\r\n.\r\n", kReject, 9);
  EXPECT_TRUE(run.done);
  EXPECT_EQ(run.error, DataError::kTooBig);
  EXPECT_EQ(run.message, "");
  EXPECT_EQ(run.received, 10u);
  // Normalised newlines count as the two octets they become.
  run = data("123456\n\r\n.\r\n", kNormalize, 9);
  EXPECT_EQ(run.error, DataError::kTooBig);
  run = data("12345\n\r\n.\r\n", kNormalize, 9);
  EXPECT_EQ(run.error, DataError::kNone);
  EXPECT_EQ(run.message, "12345\r\n\r\n");
  run = data(".\r\n", kReject, 0);
  EXPECT_EQ(run.error, DataError::kNone);
}

TEST(DataReader, TooBigKeepsConsumingWithBoundedMemory) {
  const std::size_t limit = 100 * 1024;
  std::string input;
  for (int i = 0; i < 20000; ++i) input += "0123456789012345678901234567890123456789\r\n";
  input += ".\r\nQUIT\r\n";
  DataReader reader(limit, kReject);
  test::AllocationScope scope;
  std::size_t pos = 0;
  DataReader::Result r{DataReader::Status::kNeedMore, 0};
  while (r.status == DataReader::Status::kNeedMore && pos < input.size()) {
    r = reader.feed(std::string_view(input).substr(pos, 4096));
    pos += r.consumed;
  }
  EXPECT_EQ(r.status, DataReader::Status::kDone);
  EXPECT_EQ(pos, input.size() - 6);
  EXPECT_EQ(reader.error(), DataError::kTooBig);
  EXPECT_EQ(reader.message(), "");
  EXPECT_EQ(reader.received(), input.size() - 9);
  EXPECT_LE(scope.largest(), 2 * limit);
}

TEST(DataReader, ReceivedCountsWireOctetsWithoutTheTerminator) {
  EXPECT_EQ(data("a\r\n.\r\n").received, 3u);
  EXPECT_EQ(data(".\r\n").received, 0u);
  EXPECT_EQ(data("..a\r\n.\r\n").received, 5u);
  EXPECT_EQ(data("a\nb\r\n.\r\n").received, 5u);
  EXPECT_EQ(data("abc").received, 3u);
}

TEST(DataReader, ResetStartsTheNextMessage) {
  DataReader reader(1000, kReject);
  ASSERT_EQ(reader.feed("a\nb\r\n.\r\n").status, DataReader::Status::kDone);
  EXPECT_EQ(reader.error(), DataError::kBareNewline);
  reader.reset();
  EXPECT_EQ(reader.error(), DataError::kNone);
  EXPECT_EQ(reader.received(), 0u);
  const auto r = reader.feed(".x\r\n.\r\n");
  EXPECT_EQ(r.status, DataReader::Status::kDone);
  EXPECT_EQ(reader.message(), "x\r\n");
  // reset in the middle of a message forgets its state (here: a pending line start).
  reader.reset();
  EXPECT_EQ(reader.feed("abc\r").status, DataReader::Status::kNeedMore);
  reader.reset();
  EXPECT_EQ(reader.feed("\n.\r\n").status, DataReader::Status::kNeedMore);
  EXPECT_EQ(reader.error(), DataError::kBareNewline);
}

TEST(DataReader, MessageCanBeMovedOut) {
  DataReader reader(1000, kReject);
  ASSERT_EQ(reader.feed("a\r\n.\r\n").status, DataReader::Status::kDone);
  const std::string taken = std::move(reader.message());
  EXPECT_EQ(taken, "a\r\n");
}

TEST(DataErrorReply, Texts) {
  EXPECT_EQ(data_error_reply(DataError::kTooBig).serialize(),
            "552 5.3.4 Error: message too large\r\n");
  EXPECT_EQ(data_error_reply(DataError::kBareNewline).serialize(),
            "550 5.5.2 Error: bare <CR> or <LF> in message\r\n");
  EXPECT_EQ(data_error_reply(DataError::kNul).serialize(),
            "550 5.6.0 Error: NUL character in message\r\n");
  EXPECT_EQ(data_error_reply(DataError::kNone).serialize(), "250 2.0.0 Ok\r\n");
}

// ---- dot_stuff ----

TEST(DotStuff, Basics) {
  EXPECT_EQ(dot_stuff(""), ".\r\n");
  EXPECT_EQ(dot_stuff("a\r\n"), "a\r\n.\r\n");
  EXPECT_EQ(dot_stuff("a"), "a\r\n.\r\n");
  EXPECT_EQ(dot_stuff("\r\n"), "\r\n.\r\n");
  EXPECT_EQ(dot_stuff(".\r\n"), "..\r\n.\r\n");
  EXPECT_EQ(dot_stuff(".a\r\n.\r\n..\r\nb.\r\n"), "..a\r\n..\r\n...\r\nb.\r\n.\r\n");
  EXPECT_EQ(dot_stuff("a\r\n."), "a\r\n..\r\n.\r\n");
  EXPECT_EQ(dot_stuff("a.b. .\r\n"), "a.b. .\r\n.\r\n");
  // Defensive: a dot after a bare LF or bare CR is doubled too.
  EXPECT_EQ(dot_stuff("a\n.b\r\n"), "a\n..b\r\n.\r\n");
  EXPECT_EQ(dot_stuff("a\r.\r\n"), "a\r..\r\n.\r\n");
}

TEST(DotStuff, RoundTripsThroughTheReader) {
  std::mt19937 rng(42);
  const char alphabet[] = {'.', '.', 'a', ' ', '\r', '\n'};
  for (int round = 0; round < 300; ++round) {
    // Random CRLF-only message.
    std::string msg;
    const int lines = static_cast<int>(rng() % 6);
    for (int l = 0; l < lines; ++l) {
      const int len = static_cast<int>(rng() % 5);
      for (int k = 0; k < len; ++k) {
        char c = alphabet[rng() % 4];
        msg.push_back(c);
      }
      msg += "\r\n";
    }
    const std::string wire = dot_stuff(msg);
    EXPECT_EQ(clean(wire), msg) << test::visible(wire);
  }
}

TEST(DotStuff, LargeMessage) {
  std::string msg;
  for (int i = 0; i < 5000; ++i) msg += (i % 3 ? "line of text\r\n" : ".dotted\r\n");
  const std::string wire = dot_stuff(msg);
  EXPECT_EQ(wire.size(), msg.size() + 1667 + 3);
  EXPECT_EQ(clean(wire), msg);
}

}  // namespace
}  // namespace portcullis::smtp
