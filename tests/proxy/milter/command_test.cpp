#include "proxy/milter/command.hpp"

#include <gtest/gtest.h>

#include "milter_test_support.hpp"

namespace portcullis::milter::test {
namespace {

// Decodes `w` (fed every way), expects `expected`, and expects encode_command to give `w` back.
void expect_command(const std::string& w, const Command& expected) {
  const Decoded d = decode_wire(w);
  ASSERT_TRUE(d.ok()) << d.message;
  EXPECT_TRUE(d.command == expected) << hex(w);
  EXPECT_EQ(command_code(d.command), w[4]);
  EXPECT_EQ(hex(encode_command(expected)), hex(w));
}

Decoded decode(char code, std::string_view data) {
  return decode_command(Packet{code, std::string(data)});
}

void expect_malformed(char code, std::string_view data, std::string_view message) {
  const Decoded d = decode(code, data);
  EXPECT_EQ(d.error, DecodeError::kMalformed) << hex(data);
  EXPECT_EQ(d.message, message) << hex(data);
}

TEST(MilterCommand, OptnegFromPostfix) {
  // Postfix 3.x, milter_protocol = 6: every action, every protocol flag of version 6.
  expect_command("\x00\x00\x00\x0d" "O" "\x00\x00\x00\x06" "\x00\x00\x01\xff" "\x00\x1f\xff\xff"s,
                 OptionNegotiation{6, 0x1ff, 0x1fffff});
}

TEST(MilterCommand, OptnegLengthChecks) {
  expect_malformed('O', "\0\0\0\x06\0\0\x01\xff\0\x1f\xff"s,
                   "malformed SMFIC_OPTNEG: needs 12 bytes (version, actions, protocol), got 11");
  expect_malformed('O', "", "malformed SMFIC_OPTNEG: needs 12 bytes (version, actions, protocol), got 0");
  // Extra bytes are ignored, as libmilter does.
  const Decoded d = decode('O', "\0\0\0\x06\0\0\0\x01\0\0\0\x02xyz"s);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.command == Command(OptionNegotiation{6, 1, 2}));
}

TEST(MilterCommand, MacrosForConnect) {
  Macros m{'C',
           {{"j", "mx.example.org"},
            {"{daemon_name}", "mx"},
            {"{daemon_addr}", "192.0.2.25"},
            {"v", "Postfix 3.7.11"},
            {"_", "client.example.net [198.51.100.7]"}}};
  expect_command(wire('D', "Cj\0mx.example.org\0{daemon_name}\0mx\0{daemon_addr}\0" "192.0.2.25\0"
                           "v\0Postfix 3.7.11\0_\0client.example.net [198.51.100.7]\0"s),
                 m);
  EXPECT_EQ(m.find("j"), "mx.example.org");
  EXPECT_EQ(m.find("daemon_name"), "mx");
  EXPECT_EQ(m.find("{daemon_addr}"), "192.0.2.25");
  EXPECT_FALSE(m.find("i").has_value());
}

TEST(MilterCommand, MacrosEmptyListAndEmptyValue) {
  // Postfix sends a macro packet even when the list for that stage is empty.
  expect_command(wire('D', "T"), Macros{'T', {}});
  expect_command(wire('D', "M{auth_authen}\0\0"s), Macros{'M', {{"{auth_authen}", ""}}});
}

TEST(MilterCommand, MacrosMalformed) {
  expect_malformed('D', "", "malformed SMFIC_MACRO: no command byte");
  expect_malformed('D', "xj\0a\0"s, "malformed SMFIC_MACRO: macros for unknown command 'x'");
  expect_malformed('D', "\x01j\0a\0"s, "malformed SMFIC_MACRO: macros for unknown command 0x01");
  expect_malformed('D', "Cj"s, "malformed SMFIC_MACRO: macro name lacks its NUL terminator");
  expect_malformed('D', "Cj\0"s, "malformed SMFIC_MACRO: macro j has no value");
  expect_malformed('D', "Cj\0mx"s, "malformed SMFIC_MACRO: value of macro j lacks its NUL terminator");
  expect_malformed('D', "C\0mx\0"s, "malformed SMFIC_MACRO: empty macro name");
}

TEST(MilterCommand, ConnectInet) {
  expect_command(wire('C', "client.example.net\0" "4" "\xc3\x50" "198.51.100.7\0"s),
                 Connect{"client.example.net", Family::kInet, 50000, "198.51.100.7"});
}

TEST(MilterCommand, ConnectInet6UnknownName) {
  expect_command(wire('C', "[2001:db8::7]\0" "6" "\x01\xbb" "2001:db8::7\0"s),
                 Connect{"[2001:db8::7]", Family::kInet6, 443, "2001:db8::7"});
}

TEST(MilterCommand, ConnectUnixAndUnknown) {
  expect_command(wire('C', "localhost\0" "L" "\x00\x00" "/var/run/smtp.sock\0"s),
                 Connect{"localhost", Family::kUnix, 0, "/var/run/smtp.sock"});
  // Family 'U' carries neither port nor address.
  expect_command(wire('C', "unknown\0U"s), Connect{"unknown", Family::kUnknown, 0, ""});
}

TEST(MilterCommand, ConnectMalformed) {
  expect_malformed('C', "host", "malformed SMFIC_CONNECT: hostname lacks its NUL terminator");
  expect_malformed('C', "host\0"s, "malformed SMFIC_CONNECT: no address family");
  expect_malformed('C', "host\0X\0\0" "1.2.3.4\0"s, "malformed SMFIC_CONNECT: bad address family 'X'");
  expect_malformed('C', "host\0" "4"s, "malformed SMFIC_CONNECT: no port");
  expect_malformed('C', "host\0" "4\x00"s, "malformed SMFIC_CONNECT: no port");
  expect_malformed('C', "host\0" "4\x00\x19" "1.2.3.4"s,
                   "malformed SMFIC_CONNECT: address lacks its NUL terminator");
  expect_malformed('C', "host\0" "4\x00\x19" "1.2.3.4\0x"s,
                   "malformed SMFIC_CONNECT: 1 unexpected bytes after the address");
  expect_malformed('C', "host\0Uxx"s, "malformed SMFIC_CONNECT: 2 unexpected bytes after family 'U'");
}

TEST(MilterCommand, Helo) {
  expect_command(wire('H', "client.example.net\0"s), Helo{"client.example.net"});
  expect_malformed('H', "client", "malformed SMFIC_HELO: name lacks its NUL terminator");
  expect_malformed('H', "a\0b\0"s, "malformed SMFIC_HELO: 2 unexpected bytes after the name");
}

TEST(MilterCommand, MailAndRcptWithParameters) {
  expect_command(wire('M', "<alice@example.net>\0SIZE=1024\0BODY=8BITMIME\0"s),
                 Mail{"<alice@example.net>", {"SIZE=1024", "BODY=8BITMIME"}});
  expect_command(wire('M', "<>\0"s), Mail{"<>", {}});
  expect_command(wire('R', "<bob@example.org>\0"s), Rcpt{"<bob@example.org>", {}});
  expect_command(wire('R', "<bob@example.org>\0NOTIFY=NEVER\0"s),
                 Rcpt{"<bob@example.org>", {"NOTIFY=NEVER"}});
}

TEST(MilterCommand, MailAndRcptMalformed) {
  expect_malformed('M', "", "malformed SMFIC_MAIL: no address");
  expect_malformed('M', "<a@b>", "malformed SMFIC_MAIL: last argument lacks its NUL terminator");
  expect_malformed('R', "<a@b>\0SIZE=1"s, "malformed SMFIC_RCPT: last argument lacks its NUL terminator");
  expect_malformed('R', "", "malformed SMFIC_RCPT: no address");
}

TEST(MilterCommand, HeaderKeepsLeadingSpaceAndFolds) {
  expect_command(wire('L', "Subject\0 Hello\0"s), Header{"Subject", " Hello"});
  expect_command(wire('L', "DKIM-Signature\0 v=1; a=rsa-sha256;\r\n\tb=abc\0"s),
                 Header{"DKIM-Signature", " v=1; a=rsa-sha256;\r\n\tb=abc"});
  expect_command(wire('L', "X-Empty\0\0"s), Header{"X-Empty", ""});
}

TEST(MilterCommand, HeaderMalformed) {
  expect_malformed('L', "Subject", "malformed SMFIC_HEADER: name lacks its NUL terminator");
  expect_malformed('L', "Subject\0 x"s, "malformed SMFIC_HEADER: value of Subject lacks its NUL terminator");
  expect_malformed('L', "\0x\0"s, "malformed SMFIC_HEADER: empty header name");
  expect_malformed('L', "A\0b\0c\0"s, "malformed SMFIC_HEADER: 2 unexpected bytes after the value");
}

TEST(MilterCommand, BodyChunksAreRaw) {
  expect_command(wire('B', "line 1\r\n\0binary\xff\r\n"s), BodyChunk{"line 1\r\n\0binary\xff\r\n"s});
  expect_command(wire('B', ""), BodyChunk{""});
  expect_command(wire('E', ""), EndOfMessage{""});
  expect_command(wire('E', "tail\r\n"), EndOfMessage{"tail\r\n"});
}

TEST(MilterCommand, CommandsWithoutData) {
  expect_command(wire('N', ""), EndOfHeaders{});
  expect_command(wire('A', ""), Abort{});
  expect_command(wire('Q', ""), Quit{});
  expect_command(wire('K', ""), QuitNewConnection{});
  expect_command(wire('T', ""), DataCommand{});
  expect_malformed('N', "x", "malformed SMFIC_EOH: 1 unexpected data bytes");
  expect_malformed('A', "xy", "malformed SMFIC_ABORT: 2 unexpected data bytes");
  expect_malformed('Q', "\0"s, "malformed SMFIC_QUIT: 1 unexpected data bytes");
  expect_malformed('K', "x", "malformed SMFIC_QUIT_NC: 1 unexpected data bytes");
  expect_malformed('T', "x", "malformed SMFIC_DATA: 1 unexpected data bytes");
}

TEST(MilterCommand, UnknownSmtpCommand) {
  expect_command(wire('U', "XFOO bar\0"s), UnknownSmtpCommand{"XFOO bar"});
  expect_malformed('U', "XFOO", "malformed SMFIC_UNKNOWN: command lacks its NUL terminator");
  expect_malformed('U', "XFOO\0z"s, "malformed SMFIC_UNKNOWN: 1 unexpected bytes after the command");
}

TEST(MilterCommand, UnknownCommandCodeIsItsOwnError) {
  Decoded d = decode('Z', "abc");
  EXPECT_EQ(d.error, DecodeError::kUnknownCommand);
  EXPECT_EQ(d.message, "unknown milter command 'Z' (3 data bytes)");
  d = decode('\0', "");
  EXPECT_EQ(d.error, DecodeError::kUnknownCommand);
  EXPECT_EQ(d.message, "unknown milter command 0x00 (0 data bytes)");
  // Reply codes are no commands.
  EXPECT_EQ(decode('c', "").error, DecodeError::kUnknownCommand);
}

TEST(MilterCommand, Names) {
  EXPECT_EQ(command_name('C'), "SMFIC_CONNECT");
  EXPECT_EQ(command_name('K'), "SMFIC_QUIT_NC");
  EXPECT_EQ(command_name('z'), "");
  EXPECT_EQ(reply_name('y'), "SMFIR_REPLYCODE");
  EXPECT_EQ(reply_name('O'), "SMFIC_OPTNEG");
  EXPECT_EQ(reply_name('Z'), "");
}

// A whole Postfix session in one stream, fed every way: every packet decodes.
TEST(MilterCommand, PostfixSessionStream) {
  const std::vector<Command> session = {
      OptionNegotiation{6, 0x1ff, 0x1fffff},
      Macros{'C', {{"j", "mx.example.org"}, {"{daemon_name}", "smtpd"}, {"v", "Postfix"}}},
      Connect{"client.example.net", Family::kInet, 40000, "198.51.100.7"},
      Macros{'H', {}},
      Helo{"client.example.net"},
      Macros{'M', {{"i", "4Xyz1"}, {"{mail_addr}", "alice@example.net"}}},
      Mail{"<alice@example.net>", {"SIZE=300"}},
      Macros{'R', {{"{rcpt_addr}", "bob@example.org"}}},
      Rcpt{"<bob@example.org>", {}},
      Macros{'T', {{"i", "4Xyz1"}}},
      Header{"From", " <alice@example.net>"},
      Header{"Subject", " hi"},
      Macros{'N', {{"i", "4Xyz1"}}},
      EndOfHeaders{},
      BodyChunk{"Hello\r\n"},
      Macros{'E', {{"i", "4Xyz1"}}},
      EndOfMessage{""},
      Abort{},
      Quit{},
  };
  std::string in;
  for (const auto& c : session) in += encode_command(c);
  const auto run = stream(in);
  ASSERT_FALSE(run.error);
  ASSERT_EQ(run.packets.size(), session.size());
  for (std::size_t i = 0; i < session.size(); ++i) {
    const Decoded d = decode_command(run.packets[i]);
    ASSERT_TRUE(d.ok()) << i << ": " << d.message;
    EXPECT_TRUE(d.command == session[i]) << i;
  }
}

}  // namespace
}  // namespace portcullis::milter::test
