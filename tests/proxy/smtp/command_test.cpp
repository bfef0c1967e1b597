#include "proxy/smtp/command.hpp"

#include <gtest/gtest.h>

#include <string>

#include "alloc_tracker.hpp"
#include "feed_helpers.hpp"

namespace portcullis::smtp {
namespace {

using test::commands;
using test::LineEvent;
using Status = CommandReader::Status;

LineEvent line(std::string text) { return {Status::kLine, std::move(text)}; }
LineEvent bare() { return {Status::kBareNewline, ""}; }
LineEvent too_long() { return {Status::kTooLong, ""}; }
std::vector<LineEvent> events(std::string_view input, std::size_t max_line = 512) {
  const auto run = commands(input, max_line);
  EXPECT_EQ(run.buffered, 0u);
  return run.events;
}

// ---- CommandReader ----

TEST(CommandReader, SplitsOnCrlf) {
  EXPECT_EQ(events("EHLO client.example\r\n"),
            (std::vector<LineEvent>{line("EHLO client.example")}));
  EXPECT_EQ(events("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"),
            (std::vector<LineEvent>{line("MAIL FROM:<a@example.com>"),
                                    line("RCPT TO:<b@example.net>"), line("DATA")}));
  EXPECT_EQ(events("\r\n"), (std::vector<LineEvent>{line("")}));
}

TEST(CommandReader, IncompleteLineNeedsMore) {
  EXPECT_TRUE(events("NOOP").empty());
  EXPECT_TRUE(events("NOOP\r").empty());
  CommandReader reader(512);
  auto r = reader.feed("NOOP\r");
  EXPECT_EQ(r.status, Status::kNeedMore);
  EXPECT_EQ(r.consumed, 5u);
  r = reader.feed("");
  EXPECT_EQ(r.status, Status::kNeedMore);
  EXPECT_EQ(r.consumed, 0u);
  r = reader.feed("\nQUIT\r\n");
  EXPECT_EQ(r.status, Status::kLine);
  EXPECT_EQ(r.consumed, 1u);
  EXPECT_EQ(reader.line(), "NOOP");
}

TEST(CommandReader, ConsumedStopsRightAfterTheLine) {
  CommandReader reader(512);
  const std::string_view input = "RSET\r\nMAIL FROM:<a@example.com>\r\nRCPT";
  auto r = reader.feed(input);
  EXPECT_EQ(r.status, Status::kLine);
  EXPECT_EQ(r.consumed, 6u);
  EXPECT_EQ(reader.line(), "RSET");
  r = reader.feed(input.substr(6));
  EXPECT_EQ(r.status, Status::kLine);
  EXPECT_EQ(r.consumed, 27u);
  EXPECT_EQ(reader.line(), "MAIL FROM:<a@example.com>");
  r = reader.feed(input.substr(33));
  EXPECT_EQ(r.status, Status::kNeedMore);
  EXPECT_EQ(r.consumed, 4u);
}

TEST(CommandReader, BareLfEndsTheLineAsAnError) {
  EXPECT_EQ(events("MAIL FROM:<a@example.com>\n"), (std::vector<LineEvent>{bare()}));
  EXPECT_EQ(events("\n"), (std::vector<LineEvent>{bare()}));
  EXPECT_EQ(events("NOOP\nQUIT\r\n"), (std::vector<LineEvent>{bare(), line("QUIT")}));
  CommandReader reader(512);
  const auto r = reader.feed("NOOP\nQUIT\r\n");
  EXPECT_EQ(r.status, Status::kBareNewline);
  EXPECT_EQ(r.consumed, 5u);
}

TEST(CommandReader, BareCrPoisonsTheWholeLine) {
  // One error, never two commands.
  EXPECT_EQ(events("MAIL FROM:<a@example.com>\rRCPT TO:<b@example.net>\r\n"),
            (std::vector<LineEvent>{bare()}));
  EXPECT_EQ(events("A\rB\rC\r\nNOOP\r\n"), (std::vector<LineEvent>{bare(), line("NOOP")}));
  EXPECT_EQ(events("\r\r\n"), (std::vector<LineEvent>{bare()}));
  EXPECT_EQ(events("NOOP\r\r\r\n"), (std::vector<LineEvent>{bare()}));
  // A poisoned line that then ends in a bare LF is still a single error.
  EXPECT_EQ(events("A\rB\nC\r\n"), (std::vector<LineEvent>{bare(), line("C")}));
  // The CR can be the last byte of one read and the next byte anything but LF.
  CommandReader reader(512);
  EXPECT_EQ(reader.feed("NOOP\r").status, Status::kNeedMore);
  EXPECT_EQ(reader.feed("x").status, Status::kNeedMore);
  const auto r = reader.feed("\r\nQUIT\r\n");
  EXPECT_EQ(r.status, Status::kBareNewline);
  EXPECT_EQ(r.consumed, 2u);
}

TEST(CommandReader, LineLimitIncludesCrlf) {
  const std::string ok = "NOOP " + std::string(505, 'x') + "\r\n";
  ASSERT_EQ(ok.size(), 512u);
  EXPECT_EQ(events(ok), (std::vector<LineEvent>{line(ok.substr(0, 510))}));
  const std::string over = "NOOP " + std::string(506, 'x') + "\r\n";
  ASSERT_EQ(over.size(), 513u);
  EXPECT_EQ(events(over), (std::vector<LineEvent>{too_long()}));
  // Small limits behave the same.
  EXPECT_EQ(events("abcd\r\n", 6), (std::vector<LineEvent>{line("abcd")}));
  EXPECT_EQ(events("abcde\r\n", 6), (std::vector<LineEvent>{too_long()}));
  EXPECT_EQ(events("\r\n", 2), (std::vector<LineEvent>{line("")}));
  EXPECT_EQ(events("\r\n", 1), (std::vector<LineEvent>{too_long()}));
}

TEST(CommandReader, OverlongLineReportedOnceAtItsEndThenReaderRecovers) {
  const std::string huge = "NOOP " + std::string(100000, 'x') + "\r\nQUIT\r\n";
  EXPECT_EQ(events(huge), (std::vector<LineEvent>{too_long(), line("QUIT")}));
  CommandReader reader(512);
  auto r = reader.feed(std::string_view(huge).substr(0, 50000));
  EXPECT_EQ(r.status, Status::kNeedMore);  // nothing reported before the line ends
  r = reader.feed(std::string_view(huge).substr(50000));
  EXPECT_EQ(r.status, Status::kTooLong);
  EXPECT_EQ(r.consumed, huge.size() - 50000 - 6);
}

TEST(CommandReader, OverlongLineIsNotBuffered) {
  const std::string huge = "NOOP " + std::string(100000, 'x') + "\r\n";
  CommandReader reader(512);
  {
    test::AllocationScope scope;
    for (std::size_t i = 0; i < huge.size(); i += 1000) {
      reader.feed(std::string_view(huge).substr(i, 1000));
    }
    EXPECT_LE(scope.largest(), 512u);
  }
  {
    CommandReader whole(512);
    test::AllocationScope scope;
    EXPECT_EQ(whole.feed(huge).status, Status::kTooLong);
    EXPECT_LE(scope.largest(), 512u);
  }
}

TEST(CommandReader, OverlongLineEndingInBareLfIsABareNewline) {
  EXPECT_EQ(events(std::string(600, 'x') + "\n"), (std::vector<LineEvent>{bare()}));
  EXPECT_EQ(events(std::string(600, 'x') + "\rA\r\n"), (std::vector<LineEvent>{bare()}));
}

TEST(CommandReader, NulPassesToTheParser) {
  EXPECT_EQ(events(std::string("NOOP \0x\r\n", 9)),
            (std::vector<LineEvent>{line(std::string("NOOP \0x", 7))}));
}

// ---- parse_command ----

Command ok(std::string_view text) {
  const CommandParse p = parse_command(text);
  EXPECT_TRUE(p.ok) << test::visible(text) << " -> " << test::visible(p.error.serialize());
  return p.command;
}

std::string err(std::string_view text) {
  const CommandParse p = parse_command(text);
  EXPECT_FALSE(p.ok) << test::visible(text);
  return p.ok ? std::string("(accepted)") : p.error.serialize();
}

TEST(ParseCommand, VerbsAreCaseInsensitive) {
  const std::pair<std::string_view, Verb> cases[] = {
      {"HELO x", Verb::kHelo},     {"ehlo x", Verb::kEhlo},   {"Mail FROM:<>", Verb::kMail},
      {"rcpt to:<a@b>", Verb::kRcpt}, {"data", Verb::kData},  {"RsEt", Verb::kRset},
      {"noop", Verb::kNoop},       {"quit", Verb::kQuit},     {"help", Verb::kHelp},
      {"vrfy u", Verb::kVrfy},     {"expn l", Verb::kExpn},   {"starttls", Verb::kStarttls},
      {"auth PLAIN", Verb::kAuth}, {"bdat 5 LAST", Verb::kBdat},
  };
  for (const auto& [text, verb] : cases) EXPECT_EQ(ok(text).verb, verb) << text;
  EXPECT_EQ(ok("ehlo x").verb_text, "ehlo");
}

TEST(ParseCommand, UnknownCommand) {
  const std::string reply = "500 5.5.2 Error: command not recognized\r\n";
  EXPECT_EQ(err("XYZZY"), reply);
  EXPECT_EQ(err(""), reply);
  EXPECT_EQ(err("MAILFROM:<a@example.com>"), reply);
  EXPECT_EQ(err(" MAIL FROM:<a@example.com>"), reply);
  EXPECT_EQ(err("NOOP\tx"), reply);
  EXPECT_EQ(err("From: a@example.com"), reply);
  EXPECT_EQ(err("XCLIENT ADDR=1.2.3.4"), reply);
}

TEST(ParseCommand, NulAnywhereIs501) {
  const std::string reply = "501 5.5.4 Syntax error: invalid character in command\r\n";
  EXPECT_EQ(err(std::string_view("MAIL FROM:<a\0@example.com>", 26)), reply);
  EXPECT_EQ(err(std::string_view("NOOP \0", 6)), reply);
  EXPECT_EQ(err(std::string_view("\0", 1)), reply);
  EXPECT_EQ(err(std::string_view("QU\0IT", 5)), reply);
  EXPECT_EQ(err("NOOP a\rb"), reply);
  EXPECT_EQ(err("NOOP a\nb"), reply);
}

TEST(ParseCommand, HeloEhloNeedAName) {
  EXPECT_EQ(err("EHLO"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(err("EHLO "), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(err("HELO"), "501 5.5.4 Syntax: HELO hostname\r\n");
  EXPECT_EQ(err("ehlo   "), "501 5.5.4 Syntax: EHLO hostname\r\n");
}

TEST(ParseCommand, HeloEhloNameIsOnePrintableToken) {
  EXPECT_EQ(ok("EHLO client.example").argument, "client.example");
  EXPECT_EQ(ok("EHLO  client.example  ").argument, "client.example");
  EXPECT_EQ(ok("EHLO [192.0.2.1]").argument, "[192.0.2.1]");
  EXPECT_EQ(ok("EHLO [IPv6:2001:db8::1]").argument, "[IPv6:2001:db8::1]");
  EXPECT_EQ(ok("HELO localhost").argument, "localhost");
  EXPECT_EQ(ok("EHLO b\xc3\xbc" "cher.example").argument, "b\xc3\xbc" "cher.example");
  // Quality of the name (underscores, bare IPs) is a filter's business, not syntax.
  EXPECT_EQ(ok("EHLO my_host").argument, "my_host");
  EXPECT_EQ(err("EHLO two words"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(err("EHLO tab\there"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(err("EHLO bad\x01"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(err("EHLO bad\x7f"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(err("EHLO \xff\xfe"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(err("HELO \xc3"), "501 5.5.4 Syntax: HELO hostname\r\n");
}

TEST(ParseCommand, MailFrom) {
  Command c = ok("MAIL FROM:<a@example.com>");
  EXPECT_EQ(c.verb, Verb::kMail);
  EXPECT_EQ(c.path, "a@example.com");
  EXPECT_FALSE(c.path_non_ascii);
  EXPECT_TRUE(c.params.empty());
  EXPECT_EQ(c.argument, "FROM:<a@example.com>");
  EXPECT_EQ(ok("mail from:<a@example.com>").path, "a@example.com");
  EXPECT_EQ(ok("MAIL From:<A.B+tag@Example.COM>").path, "A.B+tag@Example.COM");
}

TEST(ParseCommand, MailNullSender) {
  const Command c = ok("MAIL FROM:<>");
  EXPECT_EQ(c.path, "");
  EXPECT_EQ(ok("MAIL FROM:<> SIZE=100").params.size(), 1u);
}

TEST(ParseCommand, OneSpaceBeforePathTolerated) {
  EXPECT_EQ(ok("MAIL FROM: <a@example.com>").path, "a@example.com");
  EXPECT_EQ(ok("RCPT TO: <b@example.net>").path, "b@example.net");
  EXPECT_EQ(err("MAIL FROM:  <a@example.com>"), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  EXPECT_EQ(err("MAIL FROM :<a@example.com>"), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
}

TEST(ParseCommand, MailSyntaxErrors) {
  const std::string reply = "501 5.5.4 Syntax: MAIL FROM:<address>\r\n";
  EXPECT_EQ(err("MAIL"), reply);
  EXPECT_EQ(err("MAIL TO:<a@example.com>"), reply);
  EXPECT_EQ(err("MAIL FROM:a@example.com"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com"), reply);
  EXPECT_EQ(err("MAIL FROM:"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com>x"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com><b@example.com>"), reply);
  EXPECT_EQ(err("MAIL FROM:<\"a@example.com>"), reply);  // unclosed quote eats the '>'
}

TEST(ParseCommand, BadSenderAddress) {
  const std::string reply = "501 5.1.7 Bad sender address syntax\r\n";
  EXPECT_EQ(err("MAIL FROM:<a>"), reply);
  EXPECT_EQ(err("MAIL FROM:<postmaster>"), reply);  // only RCPT may omit the domain
  EXPECT_EQ(err("MAIL FROM:<a@>"), reply);
  EXPECT_EQ(err("MAIL FROM:<@example.com>"), reply);
  EXPECT_EQ(err("MAIL FROM:<a b@example.com>"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example..com>"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@" + std::string(64, 'd') + ".example>"), reply);
  EXPECT_EQ(err("MAIL FROM:<\xff@example.com>"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@[300.1.1.1]>"), reply);
}

TEST(ParseCommand, SourceRouteIsDropped) {
  EXPECT_EQ(ok("MAIL FROM:<@a.example,@b.example:user@c.example>").path, "user@c.example");
  EXPECT_EQ(ok("RCPT TO:<@relay.example:user@c.example>").path, "user@c.example");
  EXPECT_EQ(err("MAIL FROM:<@a.example,b.example:user@c.example>"),
            "501 5.1.7 Bad sender address syntax\r\n");
  EXPECT_EQ(err("MAIL FROM:<@:user@c.example>"), "501 5.1.7 Bad sender address syntax\r\n");
  EXPECT_EQ(err("RCPT TO:<@a.example>"), "501 5.1.3 Bad recipient address syntax\r\n");
}

TEST(ParseCommand, QuotedLocalPart) {
  EXPECT_EQ(ok("MAIL FROM:<\"john doe\"@example.com>").path, "\"john doe\"@example.com");
  EXPECT_EQ(ok("MAIL FROM:<\"a>b\"@example.com>").path, "\"a>b\"@example.com");
  EXPECT_EQ(ok("RCPT TO:<\"a\\\"b@c\"@example.com>").path, "\"a\\\"b@c\"@example.com");
}

TEST(ParseCommand, Smtputf8Address) {
  const Command c = ok("MAIL FROM:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example> SMTPUTF8");
  EXPECT_TRUE(c.path_non_ascii);
  ASSERT_EQ(c.params.size(), 1u);
  EXPECT_EQ(c.params[0].keyword, "SMTPUTF8");
  EXPECT_FALSE(c.params[0].value.has_value());
  EXPECT_FALSE(ok("RCPT TO:<b@example.net>").path_non_ascii);
}

TEST(ParseCommand, EsmtpParams) {
  const Command c = ok("MAIL FROM:<a@example.com> size=1000 BODY=8BITMIME  SMTPUTF8 ENVID=x+2By");
  ASSERT_EQ(c.params.size(), 4u);
  EXPECT_EQ(c.params[0].keyword, "SIZE");
  EXPECT_EQ(c.params[0].value, "1000");
  EXPECT_EQ(c.params[1].keyword, "BODY");
  EXPECT_EQ(c.params[1].value, "8BITMIME");
  EXPECT_EQ(c.params[2].keyword, "SMTPUTF8");
  EXPECT_EQ(c.params[2].value, std::nullopt);
  EXPECT_EQ(c.params[3].keyword, "ENVID");
  EXPECT_EQ(c.params[3].value, "x+2By");
  const Command r = ok("RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net");
  ASSERT_EQ(r.params.size(), 2u);
  EXPECT_EQ(r.params[1].keyword, "ORCPT");
  EXPECT_EQ(r.params[1].value, "rfc822;b@example.net");
  EXPECT_EQ(ok("MAIL FROM:<a@example.com> X-1-A=v ").params[0].keyword, "X-1-A");
}

TEST(ParseCommand, BadEsmtpParams) {
  const std::string reply = "501 5.5.4 Syntax error in parameters\r\n";
  EXPECT_EQ(err("MAIL FROM:<a@example.com> -SIZE=1"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com> SI_ZE=1"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com> SIZE="), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com> =1"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com> A=b=c"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com> A=b\x01"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com> A=\xff"), reply);
  EXPECT_EQ(err("RCPT TO:<b@example.net> NOTIFY=\x7f"), reply);
  EXPECT_EQ(err("MAIL FROM:<a@example.com> SIZE=1\tBODY=7BIT"), reply);
}

TEST(ParseCommand, RcptTo) {
  const Command c = ok("RCPT TO:<b@example.net>");
  EXPECT_EQ(c.verb, Verb::kRcpt);
  EXPECT_EQ(c.path, "b@example.net");
  EXPECT_EQ(err("RCPT TO:<>"), "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(err("RCPT TO:<b>"), "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(err("RCPT FROM:<b@example.net>"), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  EXPECT_EQ(err("RCPT TO:b@example.net"), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  EXPECT_EQ(err("RCPT"), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
}

TEST(ParseCommand, RcptPostmaster) {
  EXPECT_EQ(ok("RCPT TO:<Postmaster>").path, "Postmaster");
  EXPECT_EQ(ok("RCPT TO:<postmaster>").path, "postmaster");
  EXPECT_EQ(ok("RCPT TO:<POSTMASTER> NOTIFY=NEVER").params.size(), 1u);
  EXPECT_EQ(ok("RCPT TO:<postmaster@example.net>").path, "postmaster@example.net");
  EXPECT_EQ(err("RCPT TO:<postmasterx>"), "501 5.1.3 Bad recipient address syntax\r\n");
}

TEST(ParseCommand, NoArgumentCommands) {
  EXPECT_EQ(err("DATA x"), "501 5.5.4 Syntax: DATA\r\n");
  EXPECT_EQ(err("rset now"), "501 5.5.4 Syntax: RSET\r\n");
  EXPECT_EQ(err("QUIT please"), "501 5.5.4 Syntax: QUIT\r\n");
  EXPECT_EQ(err("STARTTLS now"), "501 5.5.4 Syntax: STARTTLS\r\n");
  EXPECT_EQ(ok("DATA").argument, "");
  EXPECT_EQ(ok("QUIT ").verb, Verb::kQuit);  // trailing spaces are not an argument
  EXPECT_EQ(ok("STARTTLS").verb, Verb::kStarttls);
}

TEST(ParseCommand, AnyArgumentCommands) {
  EXPECT_EQ(ok("NOOP").argument, "");
  EXPECT_EQ(ok("NOOP anything at all <>").argument, "anything at all <>");
  EXPECT_EQ(ok("HELP MAIL").argument, "MAIL");
  EXPECT_EQ(ok("VRFY postmaster").argument, "postmaster");
  EXPECT_EQ(ok("EXPN staff").argument, "staff");
  EXPECT_EQ(ok("VRFY").argument, "");
}

TEST(ParseCommand, AuthAndBdatKeepTheirArgument) {
  EXPECT_EQ(ok("AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=").argument, "PLAIN dGVzdAB0ZXN0AHRlc3Q=");
  EXPECT_EQ(err("AUTH"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n");
  const Command b = ok("BDAT 5 LAST");
  EXPECT_EQ(b.verb, Verb::kBdat);
  EXPECT_EQ(b.argument, "5 LAST");
}

TEST(LineErrorReply, Texts) {
  EXPECT_EQ(line_error_reply(Status::kTooLong).serialize(), "500 5.5.2 Error: line too long\r\n");
  EXPECT_EQ(line_error_reply(Status::kBareNewline).serialize(),
            "500 5.5.2 Error: bare <CR> or <LF> received\r\n");
}

// ---- valid_mailbox / valid_domain_or_literal ----

TEST(ValidMailbox, DotString) {
  EXPECT_TRUE(valid_mailbox("a@example.com"));
  EXPECT_TRUE(valid_mailbox("first.last@example.com"));
  EXPECT_TRUE(valid_mailbox("!#$%&'*+-/=?^_`{|}~@example.com"));
  EXPECT_TRUE(valid_mailbox("a@localhost"));
  EXPECT_FALSE(valid_mailbox(""));
  EXPECT_FALSE(valid_mailbox("a"));
  EXPECT_FALSE(valid_mailbox("@example.com"));
  EXPECT_FALSE(valid_mailbox(".a@example.com"));
  EXPECT_FALSE(valid_mailbox("a.@example.com"));
  EXPECT_FALSE(valid_mailbox("a..b@example.com"));
  EXPECT_FALSE(valid_mailbox("a b@example.com"));
  EXPECT_FALSE(valid_mailbox("a(b)@example.com"));
  EXPECT_FALSE(valid_mailbox("a,b@example.com"));
  EXPECT_FALSE(valid_mailbox("a@b@example.com"));
  EXPECT_FALSE(valid_mailbox(std::string_view("a\0@example.com", 14)));
}

TEST(ValidMailbox, QuotedString) {
  EXPECT_TRUE(valid_mailbox("\"a b\"@example.com"));
  EXPECT_TRUE(valid_mailbox("\"a@b\"@example.com"));
  EXPECT_TRUE(valid_mailbox("\"\"@example.com"));
  EXPECT_TRUE(valid_mailbox("\"a\\\"b\"@example.com"));
  EXPECT_TRUE(valid_mailbox("\"a\\\\\"@example.com"));
  EXPECT_TRUE(valid_mailbox("\"\xc3\xa9t\xc3\xa9\"@example.com"));
  EXPECT_FALSE(valid_mailbox("\"a\"b@example.com"));
  EXPECT_FALSE(valid_mailbox("\"a@example.com"));
  EXPECT_FALSE(valid_mailbox("\"a\tb\"@example.com"));
  EXPECT_FALSE(valid_mailbox("\"a\\\tb\"@example.com"));
  EXPECT_FALSE(valid_mailbox("\"a\"@"));
  EXPECT_FALSE(valid_mailbox("\"a\\\"@example.com"));
}

TEST(ValidMailbox, LocalPartLength) {
  EXPECT_TRUE(valid_mailbox(std::string(64, 'l') + "@example.com"));
  // Over RFC 5321's 64, accepted on purpose (4.5.3.1: accept larger objects).
  EXPECT_TRUE(valid_mailbox(std::string(65, 'l') + "@example.com"));
  EXPECT_TRUE(valid_mailbox(std::string(300, 'l') + "@example.com"));
}

TEST(ValidMailbox, Utf8) {
  EXPECT_TRUE(valid_mailbox("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a"));
  EXPECT_TRUE(valid_mailbox("j\xc3\xb6rg@b\xc3\xbc" "cher.example"));
  EXPECT_TRUE(valid_mailbox("\xf0\x9f\x98\x80@example.com"));        // U+1F600
  EXPECT_TRUE(valid_mailbox("\xf4\x8f\xbf\xbf@example.com"));        // U+10FFFF
  EXPECT_FALSE(valid_mailbox("\xc0\xaf@example.com"));               // overlong
  EXPECT_FALSE(valid_mailbox("\xe0\x80\xaf@example.com"));           // overlong
  EXPECT_FALSE(valid_mailbox("\xed\xa0\x80@example.com"));           // surrogate
  EXPECT_FALSE(valid_mailbox("\xf4\x90\x80\x80@example.com"));       // > U+10FFFF
  EXPECT_FALSE(valid_mailbox("\xe4\xbd@example.com"));               // truncated
  EXPECT_FALSE(valid_mailbox("a@\xe4\xbd"));                          // truncated at end
  EXPECT_FALSE(valid_mailbox("\x80@example.com"));                   // stray continuation
  EXPECT_FALSE(valid_mailbox("a@ex\xff.com"));
}

TEST(ValidDomain, Labels) {
  EXPECT_TRUE(valid_domain_or_literal("example.com"));
  EXPECT_TRUE(valid_domain_or_literal("a-b.c-d.example"));
  EXPECT_TRUE(valid_domain_or_literal("xn--bcher-kva.example"));
  EXPECT_TRUE(valid_domain_or_literal("123.example"));
  EXPECT_TRUE(valid_domain_or_literal(std::string(63, 'd') + ".example"));
  EXPECT_FALSE(valid_domain_or_literal(std::string(64, 'd') + ".example"));
  EXPECT_FALSE(valid_domain_or_literal(""));
  EXPECT_FALSE(valid_domain_or_literal("example.com."));
  EXPECT_FALSE(valid_domain_or_literal(".example.com"));
  EXPECT_FALSE(valid_domain_or_literal("a..example"));
  EXPECT_FALSE(valid_domain_or_literal("-a.example"));
  EXPECT_FALSE(valid_domain_or_literal("a-.example"));
  EXPECT_FALSE(valid_domain_or_literal("a_b.example"));
  EXPECT_FALSE(valid_domain_or_literal("a b.example"));
  EXPECT_TRUE(valid_domain_or_literal("b\xc3\xbc" "cher.example"));
  EXPECT_FALSE(valid_domain_or_literal("-b\xc3\xbc.example"));
}

TEST(ValidDomain, TotalLength) {
  const std::string d255 = std::string(63, 'd') + "." + std::string(63, 'd') + "." +
                           std::string(63, 'd') + "." + std::string(55, 'd') + ".example";
  ASSERT_EQ(d255.size(), 255u);
  EXPECT_TRUE(valid_domain_or_literal(d255));
  EXPECT_FALSE(valid_domain_or_literal("d" + d255));
}

TEST(ValidDomain, Ipv4Literal) {
  EXPECT_TRUE(valid_domain_or_literal("[192.0.2.1]"));
  EXPECT_TRUE(valid_domain_or_literal("[0.0.0.0]"));
  EXPECT_TRUE(valid_domain_or_literal("[255.255.255.255]"));
  EXPECT_FALSE(valid_domain_or_literal("[256.1.1.1]"));
  EXPECT_FALSE(valid_domain_or_literal("[1.2.3]"));
  EXPECT_FALSE(valid_domain_or_literal("[1.2.3.4.5]"));
  EXPECT_FALSE(valid_domain_or_literal("[1.2.3.]"));
  EXPECT_FALSE(valid_domain_or_literal("[1..2.3]"));
  EXPECT_FALSE(valid_domain_or_literal("[0001.2.3.4]"));
  EXPECT_FALSE(valid_domain_or_literal("[a.b.c.d]"));
  EXPECT_FALSE(valid_domain_or_literal("[]"));
  EXPECT_FALSE(valid_domain_or_literal("[192.0.2.1"));
  EXPECT_FALSE(valid_domain_or_literal("192.0.2.1]"));
  EXPECT_TRUE(valid_mailbox("a@[192.0.2.1]"));
}

TEST(ValidDomain, Ipv6Literal) {
  for (const char* good : {"[IPv6:2001:db8::1]", "[IPv6:::1]", "[IPv6:::]", "[ipv6:1::]",
                           "[IPv6:1:2:3:4:5:6:7:8]", "[IPv6:1:2:3:4:5:6::]",
                           "[IPv6:::ffff:192.0.2.1]", "[IPv6:1:2:3:4:5:6:192.0.2.1]",
                           "[IPv6:1:2:3:4::192.0.2.1]", "[IPv6:::192.0.2.1]",
                           "[IPv6:ABCD:ef01::]"}) {
    EXPECT_TRUE(valid_domain_or_literal(good)) << good;
  }
  for (const char* bad : {"[IPv6:]", "[IPv6:1:2:3:4:5:6:7]", "[IPv6:1:2:3:4:5:6:7:8:9]",
                          "[IPv6:1::2::3]", "[IPv6:12345::]", "[IPv6:g::]", "[IPv6::::]",
                          "[IPv6:1:2:3:4:5:6:7::]", "[IPv6:1::2:]", "[IPv6::1]",
                          "[IPv6:1:2:3:4:5::192.0.2.1]", "[IPv6:1:2:3:4:5:192.0.2.1]",
                          "[IPv6:::256.0.0.1]", "[IPv6:192.0.2.1]", "[IPv6:1.2:3.4.5.6]",
                          "[tag:content]", "[2001:db8::1]"}) {
    EXPECT_FALSE(valid_domain_or_literal(bad)) << bad;
  }
  EXPECT_TRUE(valid_mailbox("a@[IPv6:2001:db8::1]"));
}

}  // namespace
}  // namespace portcullis::smtp
