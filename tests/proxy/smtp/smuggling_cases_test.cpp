// Runs the shared SMTP smuggling / torture table (shared/testdata/smtp/smuggling-cases.txt)
// against the pure protocol layer. Each case is either checked here, with portcullis's
// decision spelled out, or listed in kHandledElsewhere with the component that owns it; a
// case that is neither fails the test, so new cases cannot be skipped silently.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "feed_helpers.hpp"
#include "proxy/smtp/command.hpp"
#include "proxy/smtp/data_reader.hpp"
#include "proxy/smtp/reply.hpp"

#ifndef PORTCULLIS_SMUGGLING_CASES
#error "PORTCULLIS_SMUGGLING_CASES must name shared/testdata/smtp/smuggling-cases.txt"
#endif

namespace portcullis::smtp {
namespace {

using test::visible;

struct Case {
  std::string name;
  std::string phase;
  std::string escaped;
  std::string bytes;  // decoded
  std::string expected;
};

// The file's escapes: \r \n \t \xHH \\ and {c*N}. <B64> and [TLS] are placeholders and stay
// as they are (only starttls-phase cases use them, and those are handled elsewhere).
std::optional<std::string> decode(std::string_view s, std::string* why) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      if (i + 1 >= s.size()) {
        *why = "dangling backslash";
        return std::nullopt;
      }
      const char e = s[++i];
      if (e == 'r') {
        out += '\r';
      } else if (e == 'n') {
        out += '\n';
      } else if (e == 't') {
        out += '\t';
      } else if (e == '\\') {
        out += '\\';
      } else if (e == 'x' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        *why = std::string("unknown escape \\") + e;
        return std::nullopt;
      }
    } else if (c == '{' && i + 3 < s.size() && s[i + 2] == '*') {
      const std::size_t close = s.find('}', i);
      const std::string_view count = s.substr(i + 3, close == std::string_view::npos ? 0 : close - i - 3);
      if (close == std::string_view::npos || count.empty() ||
          count.find_first_not_of("0123456789") != std::string_view::npos) {
        *why = "malformed {c*N}";
        return std::nullopt;
      }
      out.append(std::stoul(std::string(count)), s[i + 1]);
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<Case> load_cases() {
  std::ifstream in(PORTCULLIS_SMUGGLING_CASES, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << PORTCULLIS_SMUGGLING_CASES;
  std::vector<Case> cases;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) fields.push_back(f);
    if (fields.size() != 5) {
      ADD_FAILURE() << "line " << number << ": expected 5 TAB-separated fields, got "
                    << fields.size();
      continue;
    }
    Case c{fields[0], fields[1], fields[2], {}, fields[3]};
    std::string why;
    auto bytes = decode(c.escaped, &why);
    if (!bytes) {
      ADD_FAILURE() << "line " << number << " (" << c.name << "): " << why;
      continue;
    }
    c.bytes = std::move(*bytes);
    cases.push_back(std::move(c));
  }
  return cases;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = load_cases();
  return kCases;
}

// ---- DATA phase ----

const std::string kHeaderBlock =
    "From: a@example.com\r\nTo: b@example.net\r\nSubject: t\r\n\r\nHello";

struct DataDecision {
  bool terminated;               // the case itself contains the real CRLF.CRLF
  DataError reject;              // error under bare_newline: reject
  DataError normalize;           // error under bare_newline: normalize
  std::optional<std::string> message;  // exact message (after kHeaderBlock) where no error
  bool wire_is_canonical = false;      // dot_stuff(message) reproduces the sent bytes
};

constexpr auto kNone = DataError::kNone;
constexpr auto kBare = DataError::kBareNewline;
constexpr auto kNul = DataError::kNul;

// Our decisions. Bare CR / bare LF never end the message (only a real CRLF starts a line),
// fail it under reject, and become CRLF under normalize; a normalised "\n.\n" is the content
// line "."; a '.' right after a real CRLF is stuffing and is removed.
const std::map<std::string, DataDecision, std::less<>> kDataDecisions = {
    {"eod-crlf-dot-crlf", {true, kNone, kNone, "\r\n", true}},
    {"eod-lf-dot-lf", {false, kBare, kNone, "\r\n.\r\n\r\n"}},
    {"eod-cr-dot-cr", {false, kBare, kNone, "\r\n.\r\n\r\n"}},
    {"eod-cr-dot-lf", {false, kBare, kNone, "\r\n.\r\n\r\n"}},
    {"eod-lf-dot-cr", {false, kBare, kNone, "\r\n.\r\n\r\n"}},
    {"eod-lf-dot-crlf", {false, kBare, kNone, "\r\n.\r\n\r\n"}},
    {"eod-crlf-dot-lf", {false, kBare, kNone, "\r\n\r\n\r\n"}},
    {"eod-cr-dot-crlf", {false, kBare, kNone, "\r\n.\r\n\r\n"}},
    {"eod-crlf-dot-cr", {false, kBare, kNone, "\r\n\r\n\r\n"}},
    {"eod-nul-before-dot", {false, kNul, kNul, std::nullopt}},
    {"eod-nul-after-dot", {false, kNul, kNul, std::nullopt}},
    {"eod-dot-space", {false, kNone, kNone, "\r\n \r\n\r\n"}},
    {"eod-dot-tab", {false, kNone, kNone, "\r\n\t\r\n\r\n"}},
    {"smuggle-lf-dot-crlf-full",
     {true, kBare, kNone,
      "\r\n\r\n.\r\nMAIL FROM:<admin@victim.example>\r\nRCPT TO:<user@target.example>\r\n"
      "DATA\r\nFrom: admin@victim.example\r\nTo: user@target.example\r\nSubject: smuggled\r\n"
      "\r\nsmuggled body\r\n"}},
    {"smuggle-cr-dot-cr-full",
     {true, kBare, kNone,
      "\r\n\r\n.\r\nMAIL FROM:<admin@victim.example>\r\nRCPT TO:<user@target.example>\r\n"
      "DATA\r\nFrom: admin@victim.example\r\n\r\nsmuggled\r\n"}},
    {"smuggle-lf-dot-lf-full",
     {true, kBare, kNone,
      "\r\n.\r\nMAIL FROM:<admin@victim.example>\r\nRCPT TO:<user@target.example>\r\n"
      "DATA\r\nFrom: admin@victim.example\r\n\r\nsmuggled\r\n.\r\n\r\n"}},
    {"smuggle-bdat-after-data",
     {false, kBare, kNone,
      "\r\n\r\n.\r\nBDAT 60 LAST\r\nFrom: admin@victim.example\r\nSubject: x\r\n\r\n"
      "smuggled body\r\n\r\n"}},
    {"body-bare-lf", {true, kBare, kNone, "line one\r\nline two\r\n"}},
    {"body-bare-cr", {true, kBare, kNone, "line one\r\nline two\r\n"}},
    {"dotstuff-leading-dot", {true, kNone, kNone, "\r\n.hidden line\r\n", true}},
    {"dotstuff-lone-dot-content", {true, kNone, kNone, "\r\n.\r\n", true}},
    {"dotstuff-body-hash", {true, kNone, kNone, "\r\n.From: x\r\n", true}},
    {"textline-1000", {true, kNone, kNone, "\r\n" + std::string(998, 'y') + "\r\n", true}},
    {"textline-1001", {true, kNone, kNone, "\r\n" + std::string(999, 'y') + "\r\n", true}},
};

void check_data_case(const Case& c, const DataDecision& d) {
  SCOPED_TRACE(c.name + ": " + c.escaped);
  const std::string sent = kHeaderBlock + c.bytes;
  std::string input = sent;
  if (!d.terminated) {
    // Without a real terminator the message goes on: every byte is DATA, none a command.
    for (auto policy : {BareNewline::kReject, BareNewline::kNormalize}) {
      const auto open = test::data(sent, policy);
      EXPECT_FALSE(open.done);
      EXPECT_EQ(open.consumed, sent.size());
    }
    input += "\r\n.\r\n";
  }
  for (auto policy : {BareNewline::kReject, BareNewline::kNormalize}) {
    SCOPED_TRACE(policy == BareNewline::kReject ? "reject" : "normalize");
    const DataError want = policy == BareNewline::kReject ? d.reject : d.normalize;
    const auto run = test::data(input, policy);  // whole, byte by byte, random splits
    // One message, ended exactly at the final terminator.
    EXPECT_TRUE(run.done);
    EXPECT_EQ(run.consumed, input.size());
    EXPECT_EQ(run.error, want);
    if (want != kNone) {
      EXPECT_EQ(run.message, "");
      continue;
    }
    ASSERT_TRUE(d.message.has_value());
    EXPECT_EQ(run.message, kHeaderBlock + *d.message) << visible(run.message);
    EXPECT_TRUE(test::crlf_only(run.message)) << visible(run.message);
    const std::string wire = dot_stuff(run.message);
    if (d.wire_is_canonical) {
      EXPECT_EQ(wire, input);
    }
    // Relaying the message re-stuffs it so the next hop sees exactly the same content.
    const auto relayed = test::data(wire, BareNewline::kReject);
    EXPECT_TRUE(relayed.done);
    EXPECT_EQ(relayed.error, kNone);
    EXPECT_EQ(relayed.consumed, wire.size());
    EXPECT_EQ(relayed.message, run.message);
  }
}

// ---- command phase ----

std::string verb_name(Verb v) {
  static const char* kNames[] = {"HELO", "EHLO", "MAIL", "RCPT", "DATA",     "RSET", "NOOP", "QUIT",
                                 "HELP", "VRFY", "EXPN", "STARTTLS", "AUTH", "BDAT", "?"};
  return kNames[static_cast<int>(v)];
}

// Each line as the session would see it: the verb when it parses, "NNN X.Y.Z" of the error
// reply when it does not, "too-long" / "bare-newline" for reader errors.
std::vector<std::string> outcomes(std::string_view bytes) {
  const auto run = test::commands(bytes);  // whole, byte by byte, random splits
  std::vector<std::string> out;
  for (const auto& e : run.events) {
    switch (e.status) {
      case CommandReader::Status::kLine: {
        const auto p = parse_command(e.line);
        out.push_back(p.ok ? verb_name(p.command.verb)
                           : p.error.serialize().substr(0, 9));  // "501 5.5.4"
        break;
      }
      case CommandReader::Status::kTooLong:
        out.push_back("too-long");
        break;
      case CommandReader::Status::kBareNewline:
        out.push_back("bare-newline");
        break;
      default:
        out.push_back("?");
    }
  }
  return out;
}

using Outcomes = std::vector<std::string>;

// Bytes left in the caller's buffer after the reader returned `lines` lines, feeding whole.
std::string left_after_lines(std::string_view bytes, int lines) {
  CommandReader reader(512);
  for (int i = 0; i < lines; ++i) {
    const auto r = reader.feed(bytes);
    EXPECT_EQ(r.status, CommandReader::Status::kLine);
    bytes.remove_prefix(r.consumed);
  }
  return std::string(bytes);
}

const std::map<std::string, std::function<void(const Case&)>, std::less<>> kCommandChecks = {
    {"command-bare-lf",
     [](const Case& c) {
       EXPECT_EQ(outcomes(c.bytes), Outcomes{"bare-newline"});
       EXPECT_EQ(line_error_reply(CommandReader::Status::kBareNewline).serialize().substr(0, 9),
                 "500 5.5.2");
     }},
    {"command-bare-cr-inside",
     [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"bare-newline"}); }},
    {"command-nul", [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"501 5.5.4"}); }},
    {"starttls-parameter",
     [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"501 5.5.4"}); }},
    {"cmdline-512", [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"NOOP"}); }},
    {"cmdline-513", [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"too-long"}); }},
    {"cmdline-huge", [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"too-long"}); }},
    {"localpart-64", [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"MAIL"}); }},
    {"localpart-65", [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"MAIL"}); }},
    {"domain-255", [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"MAIL"}); }},
    {"label-64", [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"501 5.1.7"}); }},
    {"path-256", [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), Outcomes{"RCPT"}); }},
    {"pipe-valid-group",
     [](const Case& c) {
       EXPECT_EQ(outcomes(c.bytes), (Outcomes{"MAIL", "RCPT", "RCPT", "DATA"}));
     }},
    {"pipe-responses-order",
     [](const Case& c) {
       EXPECT_EQ(outcomes(c.bytes), (Outcomes{"MAIL", "RCPT", "RCPT", "DATA"}));
     }},
    {"pipe-rset-group",
     [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), (Outcomes{"RSET", "MAIL", "RCPT"})); }},
    {"pipe-quit-then-more",
     [](const Case& c) {
       // The reader stops after QUIT; the session closes without reading the MAIL.
       EXPECT_EQ(outcomes(c.bytes), (Outcomes{"QUIT", "MAIL"}));
       EXPECT_EQ(left_after_lines(c.bytes, 1), "MAIL FROM:<a@example.com>\r\n");
     }},
    {"pipe-data-not-last",
     [](const Case& c) {
       // After DATA the message text is still in the caller's buffer, unread: the session
       // sees input pipelined before its 354 and rejects it (improper pipelining).
       EXPECT_EQ(left_after_lines(c.bytes, 3),
                 "From: a@example.com\r\n\r\nbody\r\n.\r\n");
       CommandReader reader(512);
       std::string_view rest = c.bytes;
       for (const char* want : {"MAIL", "RCPT", "DATA"}) {
         const auto r = reader.feed(rest);
         ASSERT_EQ(r.status, CommandReader::Status::kLine);
         const auto p = parse_command(reader.line());
         ASSERT_TRUE(p.ok);
         EXPECT_EQ(verb_name(p.command.verb), want);
         rest.remove_prefix(r.consumed);
       }
     }},
    {"bdat-not-advertised",
     [](const Case& c) {
       // BDAT parses (the session answers 502/503 without CHUNKING); the 5 octets after it
       // are no command: they never form a line.
       EXPECT_EQ(outcomes(c.bytes), Outcomes{"BDAT"});
       const auto p = parse_command("BDAT 5 LAST");
       ASSERT_TRUE(p.ok);
       EXPECT_EQ(p.command.argument, "5 LAST");
       EXPECT_EQ(left_after_lines(c.bytes, 1), "hello");
     }},
};

// Session-phase scripts: the verb sequence is the pure layer's part; the pipelining policy
// (EHLO/HELO must end a group) is the session's.
const std::map<std::string, std::function<void(const Case&)>, std::less<>> kSessionChecks = {
    {"pipe-ehlo-not-last",
     [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), (Outcomes{"EHLO", "MAIL"})); }},
    {"pipe-helo-no-pipelining",
     [](const Case& c) { EXPECT_EQ(outcomes(c.bytes), (Outcomes{"HELO", "MAIL", "RCPT"})); }},
};

// ---- server phase (portcullis as the backend's client) ----

const std::map<std::string, std::function<void(const Case&)>, std::less<>> kServerChecks = {
    {"reply-line-512",
     [](const Case& c) {
       const auto run = test::replies(c.bytes);
       EXPECT_FALSE(run.error);
       ASSERT_EQ(run.replies.size(), 1u);
       EXPECT_EQ(run.replies[0].lines[0].size(), 506u);
     }},
    {"multiline-reply-mismatch",
     [](const Case& c) {
       const auto run = test::replies(c.bytes);
       EXPECT_TRUE(run.error);
       EXPECT_EQ(run.error_text, "multiline code mismatch");
     }},
    {"starttls-response-injection",
     [](const Case& c) {
       // The 220 ends where its CRLF ends; the injected line stays in the buffer for the
       // backend client to discard before the handshake.
       ReplyParser parser{Limits{}};
       const auto r = parser.feed(c.bytes);
       EXPECT_EQ(r.status, ReplyParser::Status::kOk);
       EXPECT_EQ(c.bytes.substr(r.consumed), "250 injected-by-mitm\r\n");
       EXPECT_EQ(parser.take().code, 220);
     }},
    {"starttls-not-offered-stripping",
     [](const Case& c) {
       // Parsed faithfully, so the backend client can see STARTTLS is missing.
       const auto run = test::replies(c.bytes);
       ASSERT_EQ(run.replies.size(), 1u);
       EXPECT_EQ(run.replies[0], (Reply{250, {"mx.example", "PIPELINING"}}));
     }},
};

// Cases this layer cannot decide, and who does.
const std::map<std::string, std::string, std::less<>> kHandledElsewhere = {
    {"starttls-inject-rset", "session: discard plaintext buffered after STARTTLS (needs TLS)"},
    {"starttls-inject-mail", "session: discard plaintext buffered after STARTTLS (needs TLS)"},
    {"starttls-inject-auth", "session: discard plaintext buffered after STARTTLS (needs TLS)"},
    {"starttls-inject-split-write", "session: discard plaintext that arrives before the handshake"},
    {"starttls-state-reset", "session: forget EHLO after TLS; MAIL before EHLO gets 503"},
    {"starttls-twice", "session: STARTTLS refused inside TLS, not advertised there"},
    {"recipients-100", "session: max_recipients (100) and 452 4.5.3 for the 101st"},
};

TEST(SmugglingCases, EveryCaseIsCheckedOrHandledElsewhere) {
  ASSERT_FALSE(cases().empty());
  std::set<std::string> seen;
  for (const Case& c : cases()) {
    EXPECT_TRUE(seen.insert(c.name).second) << "duplicate case " << c.name;
    int owners = kDataDecisions.count(c.name) + kCommandChecks.count(c.name) +
                 kSessionChecks.count(c.name) + kServerChecks.count(c.name) +
                 kHandledElsewhere.count(c.name);
    EXPECT_EQ(owners, 1) << "case " << c.name << " (" << c.phase
                         << ") must be checked here or listed in kHandledElsewhere";
  }
  // Stale entries (renamed or removed cases) are errors too.
  auto all_known = [&](const auto& table) {
    for (const auto& [name, unused] : table) {
      (void)unused;
      EXPECT_TRUE(seen.count(name)) << name << " is no longer in the file";
    }
  };
  all_known(kDataDecisions);
  all_known(kCommandChecks);
  all_known(kSessionChecks);
  all_known(kServerChecks);
  all_known(kHandledElsewhere);
}

TEST(SmugglingCases, EscapeGrammar) {
  std::string why;
  EXPECT_EQ(decode("a\\r\\n\\t\\x00\\\\{z*3}b", &why), std::string("a\r\n\t\0\\zzzb", 10));
  EXPECT_EQ(decode("{x*0}", &why), "");
  EXPECT_FALSE(decode("\\q", &why));
  EXPECT_FALSE(decode("\\", &why));
  EXPECT_FALSE(decode("{x*}", &why));
  EXPECT_EQ(decode("{no}", &why), "{no}");
}

template <typename Table>
int run_table(const Table& table, std::string_view phase) {
  int checked = 0;
  for (const Case& c : cases()) {
    const auto it = table.find(c.name);
    if (it == table.end()) continue;
    EXPECT_EQ(c.phase, phase) << c.name;
    SCOPED_TRACE(c.name);
    it->second(c);
    ++checked;
  }
  return checked;
}

TEST(SmugglingCases, DataPhase) {
  int checked = 0;
  for (const Case& c : cases()) {
    const auto it = kDataDecisions.find(c.name);
    if (it == kDataDecisions.end()) continue;
    EXPECT_EQ(c.phase, "data") << c.name;
    check_data_case(c, it->second);
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(kDataDecisions.size()));
}

TEST(SmugglingCases, CommandPhase) {
  EXPECT_EQ(run_table(kCommandChecks, "command"), static_cast<int>(kCommandChecks.size()));
}

TEST(SmugglingCases, SessionPhaseVerbSequences) {
  EXPECT_EQ(run_table(kSessionChecks, "session"), static_cast<int>(kSessionChecks.size()));
}

TEST(SmugglingCases, ServerPhaseReplies) {
  EXPECT_EQ(run_table(kServerChecks, "server"), static_cast<int>(kServerChecks.size()));
}

TEST(SmugglingCases, HandledElsewhereHaveReasons) {
  for (const auto& [name, reason] : kHandledElsewhere) EXPECT_FALSE(reason.empty()) << name;
}

}  // namespace
}  // namespace portcullis::smtp
