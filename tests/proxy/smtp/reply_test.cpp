#include "proxy/smtp/reply.hpp"

#include <gtest/gtest.h>

#include <string>

#include "feed_helpers.hpp"

namespace portcullis::smtp {
namespace {

using test::replies;

Reply reply_of(int code, std::vector<std::string> lines) { return Reply{code, std::move(lines)}; }

// ---- Reply / make_reply ----

TEST(Reply, SerializeOneLine) {
  EXPECT_EQ(reply_of(250, {"Ok"}).serialize(), "250 Ok\r\n");
}

TEST(Reply, SerializeMultiLine) {
  EXPECT_EQ(reply_of(250, {"a", "b"}).serialize(), "250-a\r\n250 b\r\n");
  EXPECT_EQ(reply_of(250, {"mx.example", "PIPELINING", "SIZE 1000"}).serialize(),
            "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
}

TEST(Reply, SerializeEmptyTextAndNoLines) {
  EXPECT_EQ(reply_of(250, {""}).serialize(), "250 \r\n");
  EXPECT_EQ(reply_of(354, {}).serialize(), "354\r\n");
}

TEST(Reply, SerializeNeverEmitsLineBreaksFromText) {
  const std::string wire = reply_of(550, {"a\r\n250 b", std::string("c\nd\re\0f", 7)}).serialize();
  EXPECT_EQ(wire, std::string("550-a  250 b\r\n550 c d e f\r\n"));
}

TEST(Reply, Classes) {
  EXPECT_TRUE(reply_of(250, {""}).positive());
  EXPECT_TRUE(reply_of(354, {""}).positive());
  EXPECT_FALSE(reply_of(250, {""}).transient());
  EXPECT_TRUE(reply_of(451, {""}).transient());
  EXPECT_FALSE(reply_of(451, {""}).permanent());
  EXPECT_TRUE(reply_of(554, {""}).permanent());
  EXPECT_FALSE(reply_of(554, {""}).positive());
}

TEST(MakeReply, EnhancedCodeAfterCode) {
  const Reply r = make_reply(550, "5.7.1", "Relaying denied");
  EXPECT_EQ(r.code, 550);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "5.7.1 Relaying denied");
  EXPECT_EQ(r.serialize(), "550 5.7.1 Relaying denied\r\n");
}

TEST(MakeReply, WithoutEnhancedCode) {
  EXPECT_EQ(make_reply(220, "", "mx.example ESMTP").serialize(), "220 mx.example ESMTP\r\n");
  EXPECT_EQ(make_reply(250, "2.0.0", "").serialize(), "250 2.0.0\r\n");
}

TEST(MakeReply, TextCannotInjectLines) {
  const Reply r = make_reply(550, "5.7.1", "bad\r\n250 2.0.0 Ok\r\nx\ny\rz");
  ASSERT_EQ(r.lines.size(), 1u);
  const std::string wire = r.serialize();
  EXPECT_EQ(wire.find('\n'), wire.size() - 1);
  EXPECT_EQ(wire.find('\r'), wire.size() - 2);
  EXPECT_EQ(wire, "550 5.7.1 bad  250 2.0.0 Ok  x y z\r\n");
  // The enhanced code is filtered too, and NUL / other controls become spaces; TAB stays.
  EXPECT_EQ(make_reply(451, "4.7.1\r\n", std::string("a\0b\tc\x7f", 6)).lines[0],
            std::string("4.7.1   a b\tc "));
}

TEST(MakeReply, ParsesBack) {
  const Reply r = make_reply(554, "5.7.1", "Message rejected: \"GTUBE\"");
  const auto run = replies(r.serialize());
  ASSERT_EQ(run.replies.size(), 1u);
  EXPECT_EQ(run.replies[0], r);
}

// ---- ReplyParser ----

TEST(ReplyParser, OneLine) {
  const auto run = replies("250 2.0.0 Ok\r\n");
  EXPECT_FALSE(run.error);
  ASSERT_EQ(run.replies.size(), 1u);
  EXPECT_EQ(run.replies[0], reply_of(250, {"2.0.0 Ok"}));
  EXPECT_EQ(run.consumed, 14u);
}

TEST(ReplyParser, MultiLine) {
  const auto run = replies("250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
  EXPECT_FALSE(run.error);
  ASSERT_EQ(run.replies.size(), 1u);
  EXPECT_EQ(run.replies[0], reply_of(250, {"mx.example", "PIPELINING", "8BITMIME"}));
}

TEST(ReplyParser, CodeOnlyLinesHaveEmptyText) {
  auto run = replies("250\r\n");
  ASSERT_EQ(run.replies.size(), 1u);
  EXPECT_EQ(run.replies[0], reply_of(250, {""}));
  run = replies("250-\r\n250\r\n");
  ASSERT_EQ(run.replies.size(), 1u);
  EXPECT_EQ(run.replies[0], reply_of(250, {"", ""}));
  run = replies("221 \r\n");
  ASSERT_EQ(run.replies.size(), 1u);
  EXPECT_EQ(run.replies[0], reply_of(221, {""}));
}

TEST(ReplyParser, TextKeptAsSent) {
  const auto run = replies("550-5.1.1 <u@example.net>: Recipient  unknown \r\n550 5.1.1 x\r\n");
  ASSERT_EQ(run.replies.size(), 1u);
  EXPECT_EQ(run.replies[0].lines[0], "5.1.1 <u@example.net>: Recipient  unknown ");
}

TEST(ReplyParser, StopsAfterFinalLineSoPipelinedRepliesStayBuffered) {
  const std::string input = "250 2.1.0 Ok\r\n250-2.1.5 a\r\n250 2.1.5 b\r\n354 End data\r\n";
  ReplyParser parser{Limits{}};
  auto r = parser.feed(input);
  EXPECT_EQ(r.status, ReplyParser::Status::kOk);
  EXPECT_EQ(r.consumed, 14u);
  // Until take(), the parser refuses more input.
  const auto again = parser.feed(std::string_view(input).substr(14));
  EXPECT_EQ(again.status, ReplyParser::Status::kOk);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_EQ(parser.take(), reply_of(250, {"2.1.0 Ok"}));
  r = parser.feed(std::string_view(input).substr(14));
  EXPECT_EQ(r.status, ReplyParser::Status::kOk);
  EXPECT_EQ(r.consumed, 26u);
  EXPECT_EQ(parser.take(), reply_of(250, {"2.1.5 a", "2.1.5 b"}));

  const auto run = replies(input);
  EXPECT_FALSE(run.error);
  ASSERT_EQ(run.replies.size(), 3u);
  EXPECT_EQ(run.replies[2], reply_of(354, {"End data"}));
  EXPECT_EQ(run.consumed, input.size());
}

TEST(ReplyParser, NeedMoreUntilCrlf) {
  ReplyParser parser{Limits{}};
  auto r = parser.feed("250 Ok\r");
  EXPECT_EQ(r.status, ReplyParser::Status::kNeedMore);
  EXPECT_EQ(r.consumed, 7u);
  r = parser.feed("\n");
  EXPECT_EQ(r.status, ReplyParser::Status::kOk);
  EXPECT_EQ(r.consumed, 1u);
  r = parser.feed("");
  EXPECT_EQ(r.status, ReplyParser::Status::kOk);
}

void expect_error(std::string_view input, std::string_view why, const Limits& limits = Limits{}) {
  const auto run = replies(input, limits);
  EXPECT_TRUE(run.error) << test::visible(input);
  EXPECT_TRUE(run.replies.empty()) << test::visible(input);
  EXPECT_EQ(run.error_text, why) << test::visible(input);
}

TEST(ReplyParser, BareLfIsAnError) {
  expect_error("250 Ok\n", "bare LF in reply");
  expect_error("250-a\r\n250 b\n", "bare LF in reply");
  expect_error("\n", "bare LF in reply");
}

TEST(ReplyParser, BareCrIsAnError) {
  expect_error("250 a\rb\r\n", "bare CR in reply");
  expect_error("250 a\r\r\n", "bare CR in reply");
}

TEST(ReplyParser, CodeMustBeThreeDigits2xxTo5xx) {
  expect_error("\r\n", "malformed reply code");
  expect_error("25\r\n", "malformed reply code");
  expect_error("2x0 Ok\r\n", "malformed reply code");
  expect_error("abc\r\n", "malformed reply code");
  expect_error("199 x\r\n", "malformed reply code");
  expect_error("100 x\r\n", "malformed reply code");
  expect_error("099 x\r\n", "malformed reply code");
  expect_error("600 x\r\n", "malformed reply code");
  expect_error(" 250 x\r\n", "malformed reply code");
  EXPECT_FALSE(replies("200 x\r\n").error);
  EXPECT_FALSE(replies("599 x\r\n").error);
}

TEST(ReplyParser, SeparatorMustBeSpaceDashOrEnd) {
  expect_error("250x\r\n", "malformed reply separator");
  expect_error("2500 Ok\r\n", "malformed reply separator");
  expect_error("250\tOk\r\n", "malformed reply separator");
}

TEST(ReplyParser, MultilineCodeMismatch) {
  expect_error("250-first\r\n251 second\r\n", "multiline code mismatch");
  expect_error("250-first\r\n250-second\r\n550 third\r\n", "multiline code mismatch");
}

TEST(ReplyParser, Reply512OctetLineParses) {
  const std::string line = "250 " + std::string(506, 'z') + "\r\n";
  ASSERT_EQ(line.size(), 512u);
  const auto run = replies(line);
  EXPECT_FALSE(run.error);
  ASSERT_EQ(run.replies.size(), 1u);
  EXPECT_EQ(run.replies[0].lines[0], std::string(506, 'z'));
}

TEST(ReplyParser, LineLimitCountsCrlf) {
  Limits limits;
  limits.max_reply_line = 20;
  const std::string ok = "250 " + std::string(14, 'a') + "\r\n";  // 20 octets
  EXPECT_FALSE(replies(ok, limits).error);
  expect_error("250 " + std::string(15, 'a') + "\r\n", "reply line too long", limits);
  // The limit holds for continuation lines too, and without any CRLF in sight.
  expect_error("250-a\r\n250 " + std::string(15, 'a') + "\r\n", "reply line too long", limits);
  expect_error(std::string(10000, 'a'), "reply line too long", limits);
}

TEST(ReplyParser, OverlongLineFailsBeforeBufferingIt) {
  Limits limits;
  limits.max_reply_line = 64;
  ReplyParser parser(limits);
  const std::string flood(100000, '5');
  const auto r = parser.feed(flood);
  EXPECT_EQ(r.status, ReplyParser::Status::kError);
  EXPECT_LE(r.consumed, flood.size());
  // Byte by byte: the error comes at octet 64 (no room left for the LF).
  ReplyParser slow(limits);
  std::size_t fed = 0;
  for (; fed < flood.size(); ++fed) {
    if (slow.feed(std::string_view(flood).substr(fed, 1)).status == ReplyParser::Status::kError) {
      break;
    }
  }
  EXPECT_EQ(fed, 63u);
}

TEST(ReplyParser, LineCountLimit) {
  Limits limits;
  limits.max_reply_lines = 3;
  EXPECT_FALSE(replies("250-a\r\n250-b\r\n250 c\r\n", limits).error);
  expect_error("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", "too many reply lines", limits);
  // Default: 64 lines.
  std::string many;
  for (int i = 0; i < 63; ++i) many += "250-x\r\n";
  EXPECT_FALSE(replies(many + "250 y\r\n").error);
  expect_error(many + "250-x\r\n250 y\r\n", "too many reply lines");
}

TEST(ReplyParser, ErrorIsStickyUntilReset) {
  ReplyParser parser{Limits{}};
  EXPECT_EQ(parser.feed("250 a\n").status, ReplyParser::Status::kError);
  const auto again = parser.feed("250 b\r\n");
  EXPECT_EQ(again.status, ReplyParser::Status::kError);
  EXPECT_EQ(again.consumed, 0u);
  parser.reset();
  EXPECT_TRUE(parser.error().empty());
  EXPECT_EQ(parser.feed("250 b\r\n").status, ReplyParser::Status::kOk);
  EXPECT_EQ(parser.take(), reply_of(250, {"b"}));
}

TEST(ReplyParser, TakeResetsForTheNextReply) {
  ReplyParser parser{Limits{}};
  ASSERT_EQ(parser.feed("250-a\r\n250 b\r\n").status, ReplyParser::Status::kOk);
  EXPECT_EQ(parser.take(), reply_of(250, {"a", "b"}));
  // A different code is fine for the next reply: the mismatch rule is per reply.
  ASSERT_EQ(parser.feed("550 c\r\n").status, ReplyParser::Status::kOk);
  EXPECT_EQ(parser.take(), reply_of(550, {"c"}));
}

TEST(ReplyParser, ResetDropsPartialLine) {
  ReplyParser parser{Limits{}};
  EXPECT_EQ(parser.feed("250-a\r\n25").status, ReplyParser::Status::kNeedMore);
  parser.reset();
  ASSERT_EQ(parser.feed("354 go\r\n").status, ReplyParser::Status::kOk);
  EXPECT_EQ(parser.take(), reply_of(354, {"go"}));
}

TEST(ReplyParser, StarttlsResponseInjectionStaysBuffered) {
  const std::string input = "220 2.0.0 Ready to start TLS\r\n250 injected-by-mitm\r\n";
  ReplyParser parser{Limits{}};
  const auto r = parser.feed(input);
  EXPECT_EQ(r.status, ReplyParser::Status::kOk);
  EXPECT_EQ(r.consumed, input.find("250"));
}

TEST(ReplyParser, SerializeRoundTrip) {
  for (const Reply& r : {reply_of(250, {"a"}), reply_of(250, {"mx", "SIZE 10", "8BITMIME"}),
                         reply_of(421, {"4.3.2 Service shutting down"}), reply_of(250, {""})}) {
    const auto run = replies(r.serialize());
    ASSERT_EQ(run.replies.size(), 1u);
    EXPECT_EQ(run.replies[0], r);
  }
}

}  // namespace
}  // namespace portcullis::smtp
