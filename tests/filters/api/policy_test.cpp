#include "filters/api/policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::filters {
namespace {

std::vector<Symbol> score_of(double score) { return {{"SCORE", score, "", "test"}}; }

// The table of the design: reject 15, tempfail 10, quarantine 12, add_header 5.
const Thresholds kTable{15.0, 10.0, 12.0, 5.0};

TEST(Policy, HighestThresholdReachedWins) {
  const Policy policy(kTable);
  const Verdict none;
  EXPECT_EQ(policy.decide(none, score_of(0)).action, Action::kAccept);
  EXPECT_EQ(policy.decide(none, score_of(4.9)).action, Action::kAccept);
  EXPECT_EQ(policy.decide(none, score_of(5)).action, Action::kAddHeader);
  EXPECT_EQ(policy.decide(none, score_of(9.9)).action, Action::kAddHeader);
  EXPECT_EQ(policy.decide(none, score_of(10)).action, Action::kTempfail);
  EXPECT_EQ(policy.decide(none, score_of(11)).action, Action::kTempfail);
  EXPECT_EQ(policy.decide(none, score_of(12)).action, Action::kQuarantine);
  EXPECT_EQ(policy.decide(none, score_of(13)).action, Action::kQuarantine);
  EXPECT_EQ(policy.decide(none, score_of(15)).action, Action::kReject);
  EXPECT_EQ(policy.decide(none, score_of(16)).action, Action::kReject);
  EXPECT_EQ(policy.decide(none, score_of(-3)).action, Action::kAccept);
}

TEST(Policy, EqualThresholdsPickTheHarsherAction) {
  const Policy policy(Thresholds{10.0, 10.0, 10.0, 10.0});
  EXPECT_EQ(policy.decide({}, score_of(10)).action, Action::kReject);
  const Policy two(Thresholds{std::nullopt, std::nullopt, 7.0, 7.0});
  EXPECT_EQ(two.decide({}, score_of(8)).action, Action::kQuarantine);
}

TEST(Policy, MissingThresholdsNeverFire) {
  const Policy none;
  EXPECT_EQ(none.decide({}, score_of(1000)).action, Action::kAccept);
  EXPECT_TRUE(none.decide({}, score_of(1000)).headers.empty());
  const Policy header_only(Thresholds{std::nullopt, std::nullopt, std::nullopt, 5.0});
  EXPECT_EQ(header_only.decide({}, score_of(1000)).action, Action::kAddHeader);
  const Policy reject_only(Thresholds{15.0, std::nullopt, std::nullopt, std::nullopt});
  EXPECT_EQ(reject_only.decide({}, score_of(14)).action, Action::kAccept);
  EXPECT_EQ(reject_only.decide({}, score_of(15)).action, Action::kReject);
}

TEST(Policy, ScoreIsTheSumOfAllSymbols) {
  const std::vector<Symbol> symbols = {
      {"A", 3, "", "f"}, {"B", 2.5, "", "f"}, {"C", -1, "", "g"}, {"D", 0, "", "g"}};
  EXPECT_DOUBLE_EQ(total_score(symbols), 4.5);
  EXPECT_DOUBLE_EQ(total_score({}), 0);
  EXPECT_DOUBLE_EQ(Policy(kTable).decide({}, symbols).score, 4.5);
}

TEST(Policy, AcceptHasNoReplyAndNoHeaders) {
  const Decision d = Policy(kTable).decide({}, score_of(1));
  EXPECT_EQ(d.action, Action::kAccept);
  EXPECT_EQ(d.code, 0);
  EXPECT_EQ(d.enhanced, "");
  EXPECT_EQ(d.text, "");
  EXPECT_EQ(d.reason, "");
  EXPECT_TRUE(d.headers.empty());
}

TEST(Policy, ScoreRefusalsHaveGenericReplies) {
  const Decision reject = Policy(kTable).decide({}, {{"EVIL<script>", 20, "client said x", "f"}});
  EXPECT_EQ(reject.action, Action::kReject);
  EXPECT_EQ(reject.code, 554);
  EXPECT_EQ(reject.enhanced, "5.7.1");
  EXPECT_EQ(reject.text, "Message rejected as spam");
  EXPECT_EQ(reject.reason, "score");
  EXPECT_TRUE(reject.headers.empty());
  const Decision tempfail = Policy(kTable).decide({}, score_of(11));
  EXPECT_EQ(tempfail.code, 451);
  EXPECT_EQ(tempfail.enhanced, "4.7.1");
  EXPECT_EQ(tempfail.text, "Try again later");
  EXPECT_EQ(tempfail.reason, "score");
}

TEST(Policy, HardVerdictsComeBeforeTheScore) {
  const Policy policy(kTable);
  const Decision reject =
      policy.decide(Verdict::reject(550, "5.7.1", "Client blocked", "ACCESS_DENY"), score_of(-50));
  EXPECT_EQ(reject.action, Action::kReject);
  EXPECT_EQ(reject.code, 550);
  EXPECT_EQ(reject.enhanced, "5.7.1");
  EXPECT_EQ(reject.text, "Client blocked");
  EXPECT_EQ(reject.reason, "ACCESS_DENY");
  EXPECT_DOUBLE_EQ(reject.score, -50);
  EXPECT_TRUE(reject.headers.empty());

  const Decision tempfail =
      policy.decide(Verdict::tempfail(421, "4.3.0", "Busy", "AV_UNAVAILABLE"), score_of(100));
  EXPECT_EQ(tempfail.action, Action::kTempfail);
  EXPECT_EQ(tempfail.code, 421);
  EXPECT_EQ(tempfail.enhanced, "4.3.0");
  EXPECT_EQ(tempfail.text, "Busy");
  EXPECT_EQ(tempfail.reason, "AV_UNAVAILABLE");

  // Defaults fill a hard verdict that leaves its reply out.
  const Decision bare = policy.decide(Verdict::reject(0, "", "", ""), {});
  EXPECT_EQ(bare.code, 554);
  EXPECT_EQ(bare.enhanced, "5.7.1");
  EXPECT_EQ(bare.text, "Rejected by policy");
  EXPECT_EQ(bare.reason, "reject");
}

TEST(Policy, HardQuarantineIsAtLeastQuarantine) {
  const Policy policy(kTable);
  const Verdict q = Verdict::quarantine("Suspicious attachment", "ATTACH_EXE");
  const Decision low = policy.decide(q, {{"ATTACH_EXE", 1, "", "content"}});
  EXPECT_EQ(low.action, Action::kQuarantine);
  EXPECT_EQ(low.reason, "ATTACH_EXE");
  ASSERT_EQ(low.headers.size(), 3u);
  EXPECT_EQ(low.headers[0].name, "X-Spam-Score");
  EXPECT_EQ(low.headers[0].value, "1.0");
  EXPECT_EQ(low.headers[1].name, "X-Spam-Status");
  EXPECT_EQ(low.headers[1].value, "No, score=1.0 required=5.0 tests=ATTACH_EXE");
  EXPECT_EQ(low.headers[2].name, "X-Portcullis-Quarantine");
  EXPECT_EQ(low.headers[2].value, "Suspicious attachment");
  // A score past add_header still quarantines; past tempfail or reject, the score wins.
  EXPECT_EQ(policy.decide(q, score_of(6)).action, Action::kQuarantine);
  EXPECT_EQ(policy.decide(q, score_of(11)).action, Action::kTempfail);
  const Decision rejected = policy.decide(q, score_of(16));
  EXPECT_EQ(rejected.action, Action::kReject);
  EXPECT_EQ(rejected.reason, "score");
  // With a quarantine reached by score too, the verdict's reason is given.
  const Decision both = policy.decide(q, score_of(13));
  EXPECT_EQ(both.action, Action::kQuarantine);
  EXPECT_EQ(both.headers[2].value, "Suspicious attachment");
  // No thresholds at all: still quarantined, no "required".
  const Decision bare = Policy().decide(Verdict::quarantine("", ""), score_of(2));
  EXPECT_EQ(bare.action, Action::kQuarantine);
  EXPECT_EQ(bare.reason, "quarantine");
  EXPECT_EQ(bare.headers[1].value, "No, score=2.0 tests=SCORE");
  EXPECT_EQ(bare.headers[2].value, "quarantined by a filter");
}

TEST(Policy, QuarantineByScoreHeadersExactText) {
  const std::vector<Symbol> symbols = {{"SYM_B", 8, "", "f"},
                                       {"SYM_A", 4.5, "", "g"},
                                       {"ZERO", 0, "", "g"},
                                       {"SYM_A", 0.5, "", "h"}};
  const Decision d = Policy(kTable).decide({}, symbols);
  EXPECT_EQ(d.action, Action::kQuarantine);
  EXPECT_EQ(d.reason, "score");
  EXPECT_DOUBLE_EQ(d.score, 13);
  ASSERT_EQ(d.headers.size(), 3u);
  EXPECT_EQ(d.headers[0].name, "X-Spam-Score");
  EXPECT_EQ(d.headers[0].value, "13.0");
  EXPECT_EQ(d.headers[1].name, "X-Spam-Status");
  EXPECT_EQ(d.headers[1].value, "Yes, score=13.0 required=5.0 tests=SYM_A,SYM_B");
  EXPECT_EQ(d.headers[2].name, "X-Portcullis-Quarantine");
  EXPECT_EQ(d.headers[2].value, "score 13.0 >= 12.0");
  EXPECT_EQ(d.code, 0);
}

TEST(Policy, AddHeaderHeadersExactText) {
  const Decision d =
      Policy(Thresholds{std::nullopt, std::nullopt, 12.0, 5.5})
          .decide({}, {{"HELO_BAD", 2.3, "", "helo"}, {"SPF_SOFTFAIL", 4, "", "spf"}});
  EXPECT_EQ(d.action, Action::kAddHeader);
  EXPECT_EQ(d.reason, "score");
  ASSERT_EQ(d.headers.size(), 2u);
  EXPECT_EQ(d.headers[0].value, "6.3");
  EXPECT_EQ(d.headers[1].value, "Yes, score=6.3 required=5.5 tests=HELO_BAD,SPF_SOFTFAIL");
  // "required" is the lowest of add_header and quarantine, whichever is lower.
  const Decision q =
      Policy(Thresholds{std::nullopt, std::nullopt, 3.0, 5.0}).decide({}, score_of(4));
  EXPECT_EQ(q.action, Action::kQuarantine);
  EXPECT_EQ(q.headers[1].value, "Yes, score=4.0 required=3.0 tests=SCORE");
  EXPECT_EQ(q.headers[2].value, "score 4.0 >= 3.0");
}

TEST(Policy, NegativeThresholdsAndScores) {
  const Decision d = Policy(Thresholds{std::nullopt, std::nullopt, std::nullopt, -1.0})
                         .decide({}, {{"WELCOME", -0.5, "", "f"}});
  EXPECT_EQ(d.action, Action::kAddHeader);
  EXPECT_EQ(d.headers[0].value, "-0.5");
  EXPECT_EQ(d.headers[1].value, "Yes, score=-0.5 required=-1.0 tests=WELCOME");
  EXPECT_EQ(format_score(-0.01), "0.0");
  EXPECT_EQ(format_score(0), "0.0");
  EXPECT_EQ(format_score(12.96), "13.0");
}

TEST(Policy, ActionNames) {
  EXPECT_EQ(action_name(Action::kAccept), "accept");
  EXPECT_EQ(action_name(Action::kAddHeader), "add_header");
  EXPECT_EQ(action_name(Action::kQuarantine), "quarantine");
  EXPECT_EQ(action_name(Action::kTempfail), "tempfail");
  EXPECT_EQ(action_name(Action::kReject), "reject");
}

TEST(ReplyDefaults, FillAndRepairRefusals) {
  Verdict v = with_reply_defaults(Verdict::reject(0, "", "", "X"));
  EXPECT_EQ(v.code, 554);
  EXPECT_EQ(v.enhanced, "5.7.1");
  EXPECT_EQ(v.text, "Rejected by policy");
  EXPECT_EQ(v.symbol, "X");
  v = with_reply_defaults(Verdict::tempfail(0, "", "   ", ""));
  EXPECT_EQ(v.code, 451);
  EXPECT_EQ(v.enhanced, "4.7.1");
  EXPECT_EQ(v.text, "Try again later");
  // Wrong class: a reject is never 4xx, a tempfail never 5xx.
  v = with_reply_defaults(Verdict::reject(451, "4.7.1", "No", ""));
  EXPECT_EQ(v.code, 554);
  EXPECT_EQ(v.enhanced, "5.7.1");
  v = with_reply_defaults(Verdict::tempfail(550, "5.1.1", "Later", ""));
  EXPECT_EQ(v.code, 451);
  EXPECT_EQ(v.enhanced, "4.7.1");
  // Valid ones are kept.
  v = with_reply_defaults(Verdict::reject(550, "5.1.10", "No such user", ""));
  EXPECT_EQ(v.code, 550);
  EXPECT_EQ(v.enhanced, "5.1.10");
  for (const char* bad : {"5.7", "5.7.1.1", "5..1", "5.7.1 ", "5.1234.1", "x.7.1", "57.1"}) {
    EXPECT_EQ(with_reply_defaults(Verdict::reject(550, bad, "t", "")).enhanced, "5.7.1") << bad;
  }
  // No CR/LF injection into the reply; 8-bit bytes shown as '?'; capped.
  v = with_reply_defaults(Verdict::reject(550, "5.7.1", "bad\r\n250 ok\t\xff", ""));
  EXPECT_EQ(v.text, "bad  250 ok ?");
  EXPECT_EQ(with_reply_defaults(Verdict::reject(550, "5.7.1", std::string(1000, 'a'), "")).text,
            std::string(400, 'a'));
  // Non-refusals are untouched.
  v = with_reply_defaults(Verdict::quarantine("why\r\n", "Q"));
  EXPECT_EQ(v.text, "why\r\n");
}

// ---- rewrite_headers ----------------------------------------------------------------------

const std::vector<Header> kOurs = {{"X-Spam-Score", "13.0"},
                                   {"X-Spam-Status", "Yes, score=13.0 required=5.0 tests=A,B"}};

TEST(RewriteHeaders, StripsForgedVerdictsAndPrependsOurs) {
  const std::string message =
      "Received: from a by b;\r\n"
      "\tMon, 1 Jan 2024 00:00:00 +0000\r\n"
      "X-Spam-Status: No, score=-100\r\n"
      "\ttests=FORGED,\r\n"
      " MORE_FORGED\r\n"
      "Subject: hello\r\n"
      "x-spam-flag: NO\r\n"
      "X-PORTCULLIS-Quarantine: no\r\n"
      "X-Portcullis-Whatever: 1\r\n"
      "X-Spammy: kept, not our prefix\r\n"
      "From: a@example.org\r\n"
      "\r\n"
      "X-Spam-Status: in the body, untouched\r\n"
      "body\r\n";
  EXPECT_EQ(rewrite_headers(message, kOurs),
            "X-Spam-Score: 13.0\r\n"
            "X-Spam-Status: Yes, score=13.0 required=5.0 tests=A,B\r\n"
            "Received: from a by b;\r\n"
            "\tMon, 1 Jan 2024 00:00:00 +0000\r\n"
            "Subject: hello\r\n"
            "X-Spammy: kept, not our prefix\r\n"
            "From: a@example.org\r\n"
            "\r\n"
            "X-Spam-Status: in the body, untouched\r\n"
            "body\r\n");
}

TEST(RewriteHeaders, ForgedFieldsFirstAndLast) {
  EXPECT_EQ(
      rewrite_headers("X-Spam-Flag: YES\r\n folded\r\nA: 1\r\nX-Spam-Level: ***\r\n\r\nb", {}),
      "A: 1\r\n\r\nb");
  // Nothing to add and nothing to strip: unchanged.
  const std::string plain = "A: 1\r\nB: 2\r\n\r\nbody\r\n";
  EXPECT_EQ(rewrite_headers(plain, {}), plain);
}

TEST(RewriteHeaders, MessageWithoutBlankLineIsAllHeader) {
  EXPECT_EQ(rewrite_headers("Subject: x\r\nX-Spam-Status: Yes\r\n", {{"X-Spam-Score", "1.0"}}),
            "X-Spam-Score: 1.0\r\nSubject: x\r\n");
  EXPECT_EQ(rewrite_headers("Subject: x\r\nX-Spam-Status: Yes", {}), "Subject: x\r\n");
  EXPECT_EQ(rewrite_headers("", {{"X-Spam-Score", "1.0"}}), "X-Spam-Score: 1.0\r\n");
}

TEST(RewriteHeaders, NoHeaderSectionBodyUntouched) {
  EXPECT_EQ(rewrite_headers("\r\nX-Spam-Status: Yes\r\n", {{"X-Spam-Score", "1.0"}}),
            "X-Spam-Score: 1.0\r\n\r\nX-Spam-Status: Yes\r\n");
}

TEST(RewriteHeaders, ValuesCannotInjectLines) {
  EXPECT_EQ(
      rewrite_headers("A: 1\r\n\r\n", {{"X-Portcullis-Quarantine", "why\r\nX-Evil: 1\n\rBcc: x"},
                                       {"Bad Name:\r\n", "v"}}),
      "X-Portcullis-Quarantine: why  X-Evil: 1  Bcc: x\r\n"
      "BadName: v\r\n"
      "A: 1\r\n\r\n");
}

TEST(RewriteHeaders, LongFieldsAreFolded) {
  std::string tests;
  for (int i = 0; i < 12; ++i)
    tests += (i ? ",SYMBOL_NUMBER_" : "SYMBOL_NUMBER_") + std::to_string(i);
  const std::string value = "Yes, score=20.0 tests=" + tests;
  const std::string out = rewrite_headers("\r\nbody", {{"X-Spam-Status", value}});
  const std::size_t head_end = out.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(out.substr(head_end), "\r\n\r\nbody");
  // Every line at most 78 columns; continuation lines start with whitespace.
  const std::string head = out.substr(0, head_end + 2);
  std::size_t start = 0;
  int lines = 0;
  while (start < head.size()) {
    const std::size_t end = head.find("\r\n", start);
    EXPECT_LE(end - start, 78u) << head;
    if (lines > 0) {
      EXPECT_TRUE(head[start] == ' ' || head[start] == '\t') << head;
    }
    ++lines;
    start = end + 2;
  }
  EXPECT_GT(lines, 2);
  // Unfolding (RFC 5322: drop each CRLF before whitespace) gives the field back, with a tab
  // after each comma where it was folded.
  std::string unfolded;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head.compare(i, 2, "\r\n") == 0 && i + 2 < head.size()) {
      ++i;
      continue;
    }
    if (head[i] != '\t') unfolded += head[i];
  }
  EXPECT_EQ(unfolded, "X-Spam-Status: " + value + "\r\n");
}

TEST(RewriteHeaders, LargeMessageBodyKeptExactly) {
  std::string body;
  while (body.size() < 100 * 1024) body += "X-Spam-Status: line in the body that stays\r\n";
  const std::string message = "Subject: big\r\nX-Spam-Score: 99\r\n\r\n" + body;
  const std::string out = rewrite_headers(message, kOurs);
  const std::string expected_head =
      "X-Spam-Score: 13.0\r\nX-Spam-Status: Yes, score=13.0 required=5.0 tests=A,B\r\n"
      "Subject: big\r\n\r\n";
  ASSERT_EQ(out.size(), expected_head.size() + body.size());
  EXPECT_EQ(out.compare(0, expected_head.size(), expected_head), 0);
  EXPECT_EQ(out.compare(expected_head.size(), std::string::npos, body), 0);
}

}  // namespace
}  // namespace portcullis::filters
