#include "proxy/milter/reply.hpp"

#include <gtest/gtest.h>

#include "milter_test_support.hpp"

namespace portcullis::milter::test {
namespace {

// The packet the encoder built must frame as exactly one packet with the expected bytes.
void expect_packet(const std::string& packet, char code, std::string_view data) {
  EXPECT_EQ(hex(packet), hex(wire(code, data)));
  const auto run = stream(packet);
  ASSERT_EQ(run.packets.size(), 1u);
  EXPECT_EQ(run.packets[0].code, code);
}

void expect_ok(const Encoded& e, char code, std::string_view data) {
  ASSERT_TRUE(e.ok()) << e.error;
  expect_packet(e.packet, code, data);
}

TEST(MilterReply, DecisionsWithoutData) {
  EXPECT_EQ(encode_continue(), "\x00\x00\x00\x01" "c"s);
  EXPECT_EQ(encode_accept(), "\x00\x00\x00\x01" "a"s);
  EXPECT_EQ(encode_reject(), "\x00\x00\x00\x01" "r"s);
  EXPECT_EQ(encode_tempfail(), "\x00\x00\x00\x01" "t"s);
  EXPECT_EQ(encode_discard(), "\x00\x00\x00\x01" "d"s);
  EXPECT_EQ(encode_progress(), "\x00\x00\x00\x01" "p"s);
}

TEST(MilterReply, ReplyCodeOneLine) {
  const Encoded e = encode_reply_code(550, "5.7.1", "Message rejected as spam");
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.packet, "\x00\x00\x00\x24" "y550 5.7.1 Message rejected as spam\0"s);
  expect_ok(encode_reply_code(451, "4.7.1", "Try again later"), 'y', "451 4.7.1 Try again later\0"s);
  expect_ok(encode_reply_code(554, "", "No"), 'y', "554 No\0"s);
  expect_ok(encode_reply_code(550, "5.7.1", std::vector<std::string>{}), 'y', "550 5.7.1 \0"s);
}

TEST(MilterReply, ReplyCodeMultiLine) {
  expect_ok(encode_reply_code(550, "5.7.1", std::vector<std::string>{"Rejected", "See https://x"}),
            'y', "550-5.7.1 Rejected\r\n550 5.7.1 See https://x\0"s);
  expect_ok(encode_reply_code(421, "4.3.2", std::vector<std::string>{"a", "b", "c"}), 'y',
            "421-4.3.2 a\r\n421-4.3.2 b\r\n421 4.3.2 c\0"s);
  const std::vector<std::string> too_many(kMaxReplyLines + 1, "x");
  EXPECT_FALSE(encode_reply_code(550, "5.7.1", too_many).ok());
  EXPECT_TRUE(encode_reply_code(550, "5.7.1", std::vector<std::string>(kMaxReplyLines, "x")).ok());
}

TEST(MilterReply, ReplyCodeSanitisesInjection) {
  // CR, LF and NUL cannot add a line or end the string early; '%' is doubled for Sendmail's
  // format-string use (Postfix turns "%%" back into "%").
  expect_ok(encode_reply_code(550, "5.7.1", "bad\r\n250 2.0.0 ok\0tail"s), 'y',
            "550 5.7.1 bad  250 2.0.0 ok tail\0"s);
  expect_ok(encode_reply_code(550, "5.7.1", "100% spam %s"), 'y', "550 5.7.1 100%% spam %%s\0"s);
  expect_ok(encode_reply_code(550, "5.7.1", "tab\there\x7f"), 'y', "550 5.7.1 tab here \0"s);
  const Encoded long_line = encode_reply_code(550, "5.7.1", std::string(1000, 'x'));
  ASSERT_TRUE(long_line.ok());
  EXPECT_EQ(long_line.packet.size(), 5 + 10 + kMaxReplyLineText + 1);
}

TEST(MilterReply, ReplyCodeValidation) {
  EXPECT_EQ(encode_reply_code(250, "2.0.0", "ok").error, "SMFIR_REPLYCODE: code 250 is not 4xx or 5xx");
  EXPECT_FALSE(encode_reply_code(399, "", "x").ok());
  EXPECT_FALSE(encode_reply_code(600, "", "x").ok());
  EXPECT_FALSE(encode_reply_code(-550, "", "x").ok());
  EXPECT_EQ(encode_reply_code(550, "4.7.1", "x").error,
            "SMFIR_REPLYCODE: enhanced code does not match 550 (need 5.x.y)");
  EXPECT_FALSE(encode_reply_code(451, "5.7.1", "x").ok());
  for (const char* bad : {"5", "5.", "5.7", "5.7.", "5..1", "5.7.1.", "5.1234.1", "5.7.1234",
                          "5.7.1 ", "5.a.1", "57.1", "5.7.1\r\n"}) {
    EXPECT_FALSE(encode_reply_code(550, bad, "x").ok()) << bad;
  }
  for (const char* good : {"5.7.1", "5.1.10", "5.123.999", "5.0.0"}) {
    EXPECT_TRUE(encode_reply_code(550, good, "x").ok()) << good;
  }
}

TEST(MilterReply, AddHeader) {
  expect_ok(encode_add_header("X-Portcullis-Score", "3.5", true), 'h', "X-Portcullis-Score\0 3.5\0"s);
  expect_ok(encode_add_header("X-Portcullis-Score", "3.5", false), 'h', "X-Portcullis-Score\0" "3.5\0"s);
  expect_ok(encode_add_header("X-Empty", "", true), 'h', "X-Empty\0\0"s);
  // Folds are kept, written as LF + whitespace.
  expect_ok(encode_add_header("Authentication-Results", "mx.example.org;\r\n\tspf=pass", true), 'h',
            "Authentication-Results\0 mx.example.org;\n\tspf=pass\0"s);
  expect_ok(encode_add_header("X-A", "a\n b", true), 'h', "X-A\0 a\n b\0"s);
}

TEST(MilterReply, HeaderInjectionRefused) {
  EXPECT_EQ(encode_add_header("X-A", "a\r\nBcc: victim@example.org", true).error,
            "SMFIR_ADDHEADER: line break in header value not followed by SP or HTAB");
  EXPECT_EQ(encode_add_header("X-A", "a\nB: c", true).error,
            "SMFIR_ADDHEADER: line break in header value not followed by SP or HTAB");
  EXPECT_EQ(encode_add_header("X-A", "a\r\n", true).error,
            "SMFIR_ADDHEADER: line break in header value not followed by SP or HTAB");
  EXPECT_EQ(encode_add_header("X-A", "a\rb", true).error, "SMFIR_ADDHEADER: bare CR in header value");
  EXPECT_EQ(encode_add_header("X-A", "a\0b"s, true).error, "SMFIR_ADDHEADER: NUL in header value");
  EXPECT_EQ(encode_add_header("X-A", " a", true).error, "SMFIR_ADDHEADER: header value starts with whitespace");
  for (std::string_view bad : {""sv, "X A"sv, "X:A"sv, "X\r\nA"sv, "X\0A"sv, "X\x80"sv}) {
    EXPECT_EQ(encode_add_header(bad, "v", true).error, "SMFIR_ADDHEADER: invalid header name") << hex(bad);
  }
}

TEST(MilterReply, InsertAndChangeHeader) {
  expect_ok(encode_insert_header(0, "Authentication-Results", "mx; dkim=pass", true), 'i',
            "\x00\x00\x00\x00" "Authentication-Results\0 mx; dkim=pass\0"s);
  expect_ok(encode_insert_header(0x01020304, "X-B", "v", false), 'i', "\x01\x02\x03\x04" "X-B\0v\0"s);
  expect_ok(encode_change_header(1, "Subject", "[SPAM] hello", true), 'm',
            "\x00\x00\x00\x01" "Subject\0 [SPAM] hello\0"s);
  // Empty value deletes the header instance.
  expect_ok(encode_change_header(2, "X-Spam-Flag", "", true), 'm', "\x00\x00\x00\x02" "X-Spam-Flag\0\0"s);
  EXPECT_EQ(encode_change_header(0, "Subject", "x", true).error,
            "SMFIR_CHGHEADER: header index counts from 1");
  EXPECT_EQ(encode_insert_header(0, "Bad Name", "x", true).error, "SMFIR_INSHEADER: invalid header name");
  EXPECT_EQ(encode_change_header(1, "Subject", "x\r\ny", true).error,
            "SMFIR_CHGHEADER: line break in header value not followed by SP or HTAB");
}

TEST(MilterReply, Quarantine) {
  expect_ok(encode_quarantine("score 13.2 (AV_SUSPECT)"), 'q', "score 13.2 (AV_SUSPECT)\0"s);
  expect_ok(encode_quarantine("a\r\nb\0c%"s), 'q', "a  b c%\0"s);
  EXPECT_EQ(encode_quarantine("").error, "SMFIR_QUARANTINE: empty reason");
}

TEST(MilterReply, Optneg) {
  EXPECT_EQ(encode_optneg(6, 0x31, 0x100380),
            "\x00\x00\x00\x0d" "O" "\x00\x00\x00\x06" "\x00\x00\x00\x31" "\x00\x10\x03\x80"s);
  const std::string with_lists =
      encode_optneg(6, 0x131, 0x100380,
                    {{MacroStage::kConnect, "j {daemon_name}"}, {MacroStage::kEnvFrom, "i {auth_authen}"}});
  expect_packet(with_lists, 'O',
                "\x00\x00\x00\x06" "\x00\x00\x01\x31" "\x00\x10\x03\x80"
                "\x00\x00\x00\x00" "j {daemon_name}\0"
                "\x00\x00\x00\x02" "i {auth_authen}\0"s);
}

}  // namespace
}  // namespace portcullis::milter::test
