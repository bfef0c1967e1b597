// The rules filter through its factory (as the pipeline builds it) over real rule files:
// symbols and scores, sub-rules, the most severe action wins with its reply, MIME anomaly
// symbols, the "rules" report section, scans on the worker pool, and config problems.
#include "filters/content/rules_filter.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "filters/api/report_sections.hpp"
#include "tests/filters/filter_harness.hpp"
#include "proxy/worker_pool.hpp"

namespace portcullis::filters::content {
namespace {

using Kind = Verdict::Kind;

class RulesFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pc_rules_filter_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    write("a.yaml", R"(
- {id: SCORE_ME, target: body, pattern: 'cheap\s+pills', flags: [caseless], score: 3.5}
- {id: __PART, target: subject, pattern: 'offer'}
- {id: BOTH, meta: 'SCORE_ME && __PART', score: 1}
- {id: HOLD_ME, target: body, pattern: 'hold this', action: quarantine, reply: 'held for review'}
- {id: REFUSE_ME, target: body, pattern: 'refuse this', action: reject, reply: 'No thanks'}
- {id: LATER, target: body, pattern: 'later please', action: tempfail}
)");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::shared_ptr<Filter> make(const FilterContext& context = {}, const std::string& extra = "") {
    auto loaded = test::load(*make_rules_factory(),
                             "filters:\n  rules:\n    dir: \"" + dir_.string() + "\"\n" + extra,
                             context);
    EXPECT_TRUE(loaded.problems.empty()) << (loaded.problems.empty() ? "" : loaded.problems[0]);
    return loaded.filter;
  }
  struct Outcome {
    Verdict verdict;
    Transaction txn;
  };
  Outcome scan(const std::shared_ptr<Filter>& f, const std::string& message,
               bool report = false) {
    Session session;
    session.report = report;
    Outcome o;
    o.txn.message = message;
    o.verdict = test::run(f, Stage::kEndOfMessage, session, o.txn);
    return o;
  }
  static std::string message(const std::string& subject, const std::string& body) {
    return "From: a@example.com\r\nSubject: " + subject + "\r\n\r\n" + body + "\r\n";
  }
  static double score_of(const Transaction& txn, const std::string& name) {
    for (const auto& s : txn.symbols) {
      if (s.name == name) return s.score;
    }
    return -1000;
  }

  std::filesystem::path dir_;
};

TEST_F(RulesFilterTest, HooksEndOfMessageOnly) {
  EXPECT_EQ(make()->stages(), stage_bit(Stage::kEndOfMessage));
}

TEST_F(RulesFilterTest, HitsBecomeSymbolsSubRulesDoNot) {
  const auto o = scan(make(), message("special offer", "Buy CHEAP  pills now"));
  EXPECT_EQ(o.verdict.kind, Kind::kContinue);
  EXPECT_EQ(score_of(o.txn, "SCORE_ME"), 3.5);
  EXPECT_EQ(score_of(o.txn, "BOTH"), 1);
  EXPECT_EQ(score_of(o.txn, "__PART"), -1000) << "sub-rules are never symbols";
  for (const auto& s : o.txn.symbols) EXPECT_EQ(s.filter, "rules");
  EXPECT_TRUE(scan(make(), message("hello", "nothing here")).txn.symbols.empty());
}

TEST_F(RulesFilterTest, MostSevereActionWinsWithItsReply) {
  auto f = make();
  auto o = scan(f, message("x", "hold this and refuse this and later please"));
  EXPECT_EQ(o.verdict.kind, Kind::kReject);
  EXPECT_EQ(o.verdict.code, 554);
  EXPECT_EQ(o.verdict.enhanced, "5.7.1");
  EXPECT_EQ(o.verdict.text, "No thanks");
  EXPECT_EQ(o.verdict.symbol, "REFUSE_ME");
  o = scan(f, message("x", "hold this, later please"));
  EXPECT_EQ(o.verdict.kind, Kind::kTempfail);
  EXPECT_EQ(o.verdict.code, 451);
  EXPECT_EQ(o.verdict.text, "Message deferred, try again later");
  o = scan(f, message("x", "hold this"));
  EXPECT_EQ(o.verdict.kind, Kind::kQuarantine);
  EXPECT_EQ(o.verdict.text, "held for review");
}

TEST_F(RulesFilterTest, MimeAnomaliesAreSymbols) {
  std::string bomb = "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 20; ++i) bomb += "--b\r\nContent-Type: text/plain\r\n\r\npart\r\n";
  bomb += "--b--\r\n";
  const auto o = scan(make({}, "    max_parts: 5\n    scores: {MIME_TOO_MANY_PARTS: 4}\n"), bomb);
  EXPECT_EQ(score_of(o.txn, "MIME_TOO_MANY_PARTS"), 4);
}

TEST_F(RulesFilterTest, ReportSectionOnlyWhenAsked) {
  auto f = make();
  const auto quiet = scan(f, message("offer", "cheap pills"));
  EXPECT_EQ(quiet.txn.results.get<ReportSections>(), nullptr);
  const auto loud = scan(f, message("offer", "cheap pills"), true);
  const auto* sections = loud.txn.results.get<ReportSections>();
  ASSERT_NE(sections, nullptr);
  ASSERT_EQ(sections->size(), 1u);
  EXPECT_EQ((*sections)[0].name, "rules");
  EXPECT_NE((*sections)[0].json.find("\"id\":\"SCORE_ME\""), std::string::npos);
  EXPECT_EQ((*sections)[0].json.find("__PART"), std::string::npos);
}

TEST_F(RulesFilterTest, BigMessagesScanOnThePool) {
  proxy::WorkerPool pool(1);
  FilterContext context;
  context.pool = &pool;
  // Over 64 KiB goes to the pool; the phrase early (body parts are scanned up to 50,000
  // bytes, as SpamAssassin does).
  const std::string big = message("x", "refuse this\r\n" + std::string(200 * 1024, 'a'));
  const auto o = scan(make(context), big);
  EXPECT_EQ(o.verdict.kind, Kind::kReject);
}

TEST_F(RulesFilterTest, ConfigProblems) {
  auto missing = test::load(*make_rules_factory(), "filters:\n  rules: {}\n");
  ASSERT_EQ(missing.problems.size(), 1u);
  EXPECT_NE(missing.problems[0].find("filters.rules.dir: missing"), std::string::npos);
  write("b.yaml", "- {id: BAD, target: body, pattern: 'a(b'}\n");
  auto bad = test::load(*make_rules_factory(),
                        "filters:\n  rules: {dir: \"" + dir_.string() + "\"}\n");
  ASSERT_FALSE(bad.problems.empty());
  EXPECT_EQ(bad.filter, nullptr);
  EXPECT_NE(bad.problems[0].find("filters.rules.dir: rule set refused: "), std::string::npos);
  EXPECT_NE(bad.problems[0].find("b.yaml:1: BAD.pattern: bad regex"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::filters::content
