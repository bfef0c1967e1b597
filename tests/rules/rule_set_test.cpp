#include "rules/rule_set.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "rules/rule_loader.hpp"

namespace portcullis::rules {
namespace {

std::shared_ptr<const RuleSet> compile(const std::string& yaml, std::vector<std::string>* warn = nullptr,
                                       const std::filesystem::path& cache = {}) {
  LoadedRules loaded;
  load_rule_text(yaml, "t.yaml", loaded);
  check_rule_set(loaded);
  EXPECT_TRUE(loaded.problems.empty()) << (loaded.problems.empty() ? "" : loaded.problems[0]);
  std::vector<std::string> problems, warnings;
  CompileOptions options;
  options.cache_dir = cache;
  auto set = RuleSet::compile(std::move(loaded.rules), options, problems, warnings);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0]);
  if (warn != nullptr) *warn = warnings;
  return set;
}

// The ids that hit `message` (CRLF added).
std::set<std::string> hits(const RuleSet& set, std::string message) {
  std::string crlf;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) crlf += '\r';
    crlf += message[i];
  }
  ScanInput input;
  input.message = crlf;
  MessageTexts texts(input);
  const auto h = set.scan(texts);
  std::set<std::string> out;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i]) out.insert(set.rules()[i].id);
  }
  return out;
}

const std::string kPlain =
    "From: \"Bank Support\" <support@bank.example>\n"
    "To: user@example.org, \"Other\" <other@example.net>\n"
    "Cc: cc@example.org\n"
    "Subject: =?UTF-8?B?VXJnZW50OiB2w6lyaWZ5IHlvdXIgYWNjb3VudA==?=\n"
    "Message-ID: <1@bank.example>\n"
    "X-Mailer: BulkBlaster 3.0\n"
    "\n"
    "Dear customer,\n"
    "please verify your account at http://192.0.2.7/login now.\n"
    "\n"
    "Regards\n";

const std::string kAttachment =
    "From: a@example.com\n"
    "To: b@example.org\n"
    "Subject: invoice\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\n"
    "\n"
    "--XX\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<html><body><p>Open the <b>invoice</b></p><a href=\"https://evil.example/x\">here</a>"
    "</body></html>\n"
    "--XX\n"
    "Content-Type: application/pdf; name=\"invoice.pdf.exe\"\n"
    "Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\n"
    "--XX--\n";

TEST(RuleSet, EveryTarget) {
  auto set = compile(R"(
- {id: T_SUBJECT, target: subject, pattern: 'vérify your', flags: [utf8]}
- {id: T_FROM, target: from, pattern: 'Bank Support'}
- {id: T_HEADER, target: 'header:X-Mailer', pattern: '^BulkBlaster'}
- {id: T_HEADER_RAW, target: 'header:Subject:raw', pattern: '=\?UTF-8\?B\?'}
- {id: T_ADDR, target: 'header:To|Cc:addr', pattern: '^cc@example\.org$', flags: [multiline]}
- {id: T_NAME, target: 'header:From:name', pattern: '^Bank Support$'}
- {id: T_ALL, target: 'header:ALL', pattern: '^X-Mailer: BulkBlaster', flags: [multiline]}
- {id: T_BODY, target: body, pattern: 'verify your account'}
- {id: T_BODY_SUBJECT_FIRST, target: body, pattern: '\AUrgent'}
- {id: T_RAWBODY, target: rawbody, pattern: 'Dear customer,'}
- {id: T_URI, target: uri, pattern: '^https?://\d+\.\d+\.\d+\.\d+/'}
- {id: T_FULL, target: full, pattern: 'Message-ID: <1@bank\.example>'}
- {id: T_MISS, target: body, pattern: 'lottery'}
)");
  ASSERT_TRUE(set);
  const auto h = hits(*set, kPlain);
  for (const char* id : {"T_SUBJECT", "T_FROM", "T_HEADER", "T_HEADER_RAW", "T_ADDR", "T_NAME",
                         "T_ALL", "T_BODY", "T_BODY_SUBJECT_FIRST", "T_RAWBODY", "T_URI",
                         "T_FULL"}) {
    EXPECT_TRUE(h.count(id)) << id;
  }
  EXPECT_FALSE(h.count("T_MISS"));
}

TEST(RuleSet, AttachmentsHtmlAndUris) {
  auto set = compile(R"(
- {id: A_NAME, target: attachment.name, pattern: '\.pdf\.exe$', flags: [caseless]}
- {id: A_TYPE_SNIFFED, target: attachment.type, pattern: '^application/x-dosexec$'}
- {id: A_TYPE_DECLARED, target: attachment.type, pattern: '^application/pdf$'}
- {id: HTML_TEXT, target: body, pattern: 'Open the invoice'}
- {id: HTML_TAG_IN_RAW, target: rawbody, pattern: '<b>invoice</b>'}
- {id: HTML_TAG_NOT_IN_BODY, target: body, pattern: '<b>'}
- {id: HREF, target: uri, pattern: 'evil\.example'}
)");
  ASSERT_TRUE(set);
  const auto h = hits(*set, kAttachment);
  EXPECT_EQ(h, (std::set<std::string>{"A_NAME", "A_TYPE_SNIFFED", "A_TYPE_DECLARED",
                                      "HTML_TEXT", "HTML_TAG_IN_RAW", "HREF"}));
}

TEST(RuleSet, Flags) {
  auto set = compile(R"(
- {id: CASE_NO, target: body, pattern: 'DEAR CUSTOMER'}
- {id: CASE_YES, target: body, pattern: 'DEAR CUSTOMER', flags: [caseless]}
- {id: ML_NO, target: rawbody, pattern: '^please'}
- {id: ML_YES, target: rawbody, pattern: '^please', flags: [multiline]}
- {id: DOT_NO, target: rawbody, pattern: 'customer,.please'}
- {id: DOT_YES, target: rawbody, pattern: 'customer,.+please', flags: [dotall]}
- {id: UTF8_CLASS, target: subject, pattern: 'v\wrify', flags: [utf8]}
)");
  ASSERT_TRUE(set);
  const auto h = hits(*set, kPlain);
  EXPECT_FALSE(h.count("CASE_NO"));
  EXPECT_TRUE(h.count("CASE_YES"));
  EXPECT_FALSE(h.count("ML_NO"));
  EXPECT_TRUE(h.count("ML_YES"));
  EXPECT_FALSE(h.count("DOT_NO"));
  EXPECT_TRUE(h.count("DOT_YES"));
  EXPECT_TRUE(h.count("UTF8_CLASS")) << "\\w matches é under utf8 (UCP)";
}

TEST(RuleSet, NegateIfUnsetAndExists) {
  auto set = compile(R"(
- {id: HAS_MAILER, target: 'header:X-Mailer', exists: true}
- {id: HAS_LIST, target: 'header:List-Id', exists: true}
- {id: NOT_OUTLOOK, target: 'header:X-Mailer', pattern: 'Outlook', negate: true}
- {id: MISSING_NO_UNSET, target: 'header:List-Id', pattern: 'x', negate: true}
- {id: MISSING_WITH_UNSET, target: 'header:List-Id', pattern: 'x', negate: true, if_unset: ''}
- {id: UNSET_TEXT, target: 'header:List-Id', pattern: '^none$', if_unset: 'none'}
- {id: NOT_EXE_URI, target: uri, pattern: '\.exe$', negate: true}
)");
  ASSERT_TRUE(set);
  const auto h = hits(*set, kPlain);
  EXPECT_TRUE(h.count("HAS_MAILER"));
  EXPECT_FALSE(h.count("HAS_LIST"));
  EXPECT_TRUE(h.count("NOT_OUTLOOK"));
  EXPECT_FALSE(h.count("MISSING_NO_UNSET")) << "a missing field without if_unset never hits";
  EXPECT_TRUE(h.count("MISSING_WITH_UNSET"));
  EXPECT_TRUE(h.count("UNSET_TEXT"));
  EXPECT_TRUE(h.count("NOT_EXE_URI"));
}

TEST(RuleSet, MetasInDependencyOrder) {
  auto set = compile(R"(
- {id: TOP, meta: 'MID && !NEVER', score: 5}
- {id: MID, meta: '(__A + __B + __C) >= 2'}
- {id: __A, target: body, pattern: 'verify'}
- {id: __B, target: body, pattern: 'account'}
- {id: __C, target: body, pattern: 'lottery'}
- {id: NEVER, target: body, pattern: 'unsubscribe'}
- {id: COUNT_ONE, meta: '__A + __B + __C == 1'}
)");
  ASSERT_TRUE(set);
  const auto h = hits(*set, kPlain);
  EXPECT_TRUE(h.count("MID"));
  EXPECT_TRUE(h.count("TOP")) << "a meta defined before the metas it uses still sees them";
  EXPECT_FALSE(h.count("COUNT_ONE"));
  EXPECT_EQ(set->stats().meta_rules, 3u);
}

TEST(RuleSet, FallbackKeepsEveryValidRule) {
  std::vector<std::string> warnings;
  auto set = compile(R"(
- {id: BACKREF, target: body, pattern: '(\w+) \1'}
- {id: LOOKBEHIND, target: body, pattern: '(?<=verify )your'}
- {id: LOOKAHEAD_NEG, target: body, pattern: 'account(?! now)'}
- {id: PLAIN, target: body, pattern: 'customer'}
- {id: BACKREF_MISS, target: body, pattern: '(lottery) \1'}
)", &warnings);
  ASSERT_TRUE(set);
  EXPECT_EQ(set->engine(3), Engine::kHyperscan);
  EXPECT_NE(set->engine(0), Engine::kHyperscan);
  EXPECT_NE(set->engine(1), Engine::kHyperscan);
  EXPECT_EQ(set->stats().hyperscan + set->stats().prefiltered + set->stats().pcre_only, 5u);
  const auto h = hits(*set, "Subject: x\n\nplease verify your account now now\n");
  EXPECT_TRUE(h.count("BACKREF"));      // "now now"
  EXPECT_TRUE(h.count("LOOKBEHIND"));
  EXPECT_FALSE(h.count("LOOKAHEAD_NEG"));  // "account now"
  EXPECT_FALSE(h.count("PLAIN"));
  EXPECT_FALSE(h.count("BACKREF_MISS"));
}

TEST(RuleSet, EmptyMatchWarnsAndStillWorks) {
  std::vector<std::string> warnings;
  auto set = compile("- {id: EMPTY_SUBJ, target: 'header:Subject', pattern: '^$', if_unset: ''}\n",
                     &warnings);
  ASSERT_TRUE(set);
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("matches the empty string"), std::string::npos);
  EXPECT_TRUE(hits(*set, "Subject:\n\nbody\n").count("EMPTY_SUBJ"));
  EXPECT_FALSE(hits(*set, "Subject: hi\n\nbody\n").count("EMPTY_SUBJ"));
}

TEST(RuleSet, BadRegexIsAProblemWithFileLine) {
  LoadedRules loaded;
  load_rule_text("- {id: OK, target: body, pattern: x}\n- {id: BAD, target: body, pattern: 'a(b'}\n",
                 "t.yaml", loaded);
  std::vector<std::string> problems, warnings;
  auto set = RuleSet::compile(std::move(loaded.rules), {}, problems, warnings);
  EXPECT_FALSE(set);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("t.yaml:2: BAD.pattern: bad regex: missing closing parenthesis", 0),
            0u) << problems[0];
}

TEST(RuleSet, DiskCacheServesTheSecondCompile) {
  const auto dir = std::filesystem::temp_directory_path() / "pc_rule_set_cache_test";
  std::filesystem::remove_all(dir);
  const std::string yaml =
      "- {id: A, target: body, pattern: 'verify'}\n- {id: B, target: subject, pattern: 'x'}\n";
  auto first = compile(yaml, nullptr, dir);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->stats().databases, 2u);
  EXPECT_EQ(first->stats().databases_from_cache, 0u);
  auto second = compile(yaml, nullptr, dir);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->stats().databases_from_cache, 2u);
  EXPECT_TRUE(hits(*second, kPlain).count("A"));
  // A changed pattern is a different key: compiled afresh.
  auto third = compile("- {id: A, target: body, pattern: 'verify!'}\n", nullptr, dir);
  EXPECT_EQ(third->stats().databases_from_cache, 0u);
  // A corrupt cache file is recompiled, not trusted.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ofstream(entry.path(), std::ios::trunc) << "garbage";
  }
  auto fourth = compile(yaml, nullptr, dir);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->stats().databases_from_cache, 0u);
  EXPECT_TRUE(hits(*fourth, kPlain).count("A"));
  std::filesystem::remove_all(dir);
}

TEST(RuleSet, ScansFromManyThreadsAtOnce) {
  auto set = compile(R"(
- {id: A, target: body, pattern: 'verify'}
- {id: B, target: uri, pattern: '192\.0\.2\.7'}
- {id: C, target: body, pattern: '\b(\w+) \1\b'}
)");
  ASSERT_TRUE(set);
  const std::set<std::string> expected = hits(*set, kPlain);
  EXPECT_EQ(expected, (std::set<std::string>{"A", "B"}));
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (hits(*set, kPlain) != expected) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(RuleSet, LocateGivesPcreOffsets) {
  auto set = compile(R"(
- {id: URI2, target: uri, pattern: 'evil'}
- {id: BODY, target: body, pattern: 'invoice'}
- {id: NEG, target: body, pattern: 'zzz', negate: true}
)");
  ASSERT_TRUE(set);
  std::string crlf;
  for (char c : kAttachment) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  ScanInput input;
  input.message = crlf;
  MessageTexts texts(input);
  auto loc = set->locate(0, texts);
  ASSERT_TRUE(loc);
  EXPECT_EQ(loc->text.substr(loc->start, loc->end - loc->start), "evil");
  auto body = set->locate(1, texts);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->text.substr(body->start, 7), "invoice");
  EXPECT_FALSE(set->locate(2, texts)) << "a negated rule has no match to show";
}

}  // namespace
}  // namespace portcullis::rules

namespace portcullis::rules {
namespace {

TEST(RuleSet, MultipleRulesCountMatchesForMetas) {
  auto set = compile(R"(
- {id: __LINE, target: body, pattern: '\S', flags: [multiline], multiple: true, max_hits: 5}
- {id: __LINE_ONCE, target: body, pattern: '^\S', flags: [multiline]}
- {id: FEW_CHARS, meta: '__LINE < 4'}
- {id: CAPPED, meta: '__LINE == 5'}
- {id: ONCE_IS_ONE, meta: '__LINE_ONCE == 1'}
)");
  ASSERT_TRUE(set);
  // Body text: the subject line "ab", then "c d" — four non-space characters.
  auto h = hits(*set, "Subject: ab\n\nc d\n");
  EXPECT_FALSE(h.count("FEW_CHARS"));
  EXPECT_FALSE(h.count("CAPPED"));
  EXPECT_TRUE(h.count("ONCE_IS_ONE")) << "without multiple, a rule counts 1";
  h = hits(*set, "Subject: a\n\nb\n");
  EXPECT_TRUE(h.count("FEW_CHARS"));
  h = hits(*set, "Subject: abcdefgh\n\nlong text here\n");
  EXPECT_TRUE(h.count("CAPPED")) << "max_hits caps the count";
}

TEST(RuleSet, HugePatternsSkipTheCostlyPrefilter) {
  // A back-reference makes Hyperscan refuse the pattern; its prefilter approximation of
  // a long alternation would take seconds to compile, so it runs on PCRE2 alone.
  std::string alternation = "(x)\\1(?:";
  for (int i = 0; i < 300; ++i) alternation += (i ? "|" : "") + std::string("word") + std::to_string(i);
  alternation += ")";
  const std::string yaml = "- {id: SMALL, target: body, pattern: '(ab)\\1'}\n"
                           "- {id: BIG, target: body, pattern: '" + alternation + "'}\n";
  auto set = compile(yaml);
  ASSERT_TRUE(set);
  EXPECT_EQ(set->engine(0), Engine::kPrefiltered);
  EXPECT_EQ(set->engine(1), Engine::kPcre);
  EXPECT_TRUE(hits(*set, "Subject: x\n\nxxword42\n").count("BIG"));
  EXPECT_TRUE(hits(*set, "Subject: x\n\nabab\n").count("SMALL"));
}

}  // namespace
}  // namespace portcullis::rules
