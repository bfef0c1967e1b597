#include "filters/api/pipeline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <exception>
#include <optional>

#include "tests/filters/api/fake_filter.hpp"

namespace portcullis::filters {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::FakeFilter;
using testing::Log;
using testing::Script;
using Symbols = std::vector<Symbol>;
using Strings = std::vector<std::string>;

Symbol sym(std::string name, double score) { return Symbol{std::move(name), score, "", ""}; }

class PipelineTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeFilter> filter(std::string name) {
    return std::make_shared<FakeFilter>(std::move(name), log_);
  }
  Pipeline make(std::vector<PipelineEntry> entries, Thresholds thresholds = {}) {
    return Pipeline(std::move(entries), Policy(thresholds), counters_);
  }

  // Runs one pipeline call to completion on the test's io_context.
  template <class T>
  T sync(asio::awaitable<T> work) {
    std::optional<T> value;
    std::exception_ptr error;
    asio::co_spawn(io_, std::move(work), [&](std::exception_ptr e, T v) {
      error = e;
      value = std::move(v);
    });
    io_.restart();
    io_.run();
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
  void sync(asio::awaitable<void> work) {
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(io_, std::move(work), [&](std::exception_ptr e) {
      error = e;
      done = true;
    });
    io_.restart();
    io_.run();
    ASSERT_TRUE(done);
    if (error) std::rethrow_exception(error);
  }
  Verdict run(const Pipeline& p, Stage stage) { return sync(p.run(stage, session_, txn_)); }
  Decision decide(const Pipeline& p) { return sync(p.decide(session_, txn_)); }
  void reset(const Pipeline& p) { sync(p.reset(session_, txn_)); }
  Strings take_log() { return std::exchange(*log_, {}); }

  asio::io_context io_;
  std::shared_ptr<Log> log_ = std::make_shared<Log>();
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
  Session session_;
  Transaction txn_;
};

// ---- order and stages ----------------------------------------------------------------------

TEST_F(PipelineTest, HooksRunInConfiguredOrderOnlyForHookedStages) {
  auto a = filter("a");
  a->on(Stage::kConnect).on(Stage::kMail);
  auto b = filter("b");
  b->on(Stage::kMail).on(Stage::kEndOfMessage);
  auto c = filter("c");
  c->on(Stage::kRcpt).on(Stage::kMail);
  const Pipeline p = make({{a}, {b}, {c}});
  EXPECT_EQ(p.size(), 3u);

  EXPECT_EQ(run(p, Stage::kConnect).kind, Verdict::Kind::kContinue);
  EXPECT_EQ(take_log(), Strings{"a:connect"});
  run(p, Stage::kHelo);
  EXPECT_EQ(take_log(), Strings{});
  run(p, Stage::kMail);
  EXPECT_EQ(take_log(), (Strings{"a:mail", "b:mail", "c:mail"}));
  run(p, Stage::kRcpt);
  EXPECT_EQ(take_log(), Strings{"c:rcpt"});
  run(p, Stage::kData);
  EXPECT_EQ(take_log(), Strings{});
  decide(p);
  EXPECT_EQ(take_log(), Strings{"b:end_of_message"});
}

TEST_F(PipelineTest, HeaderSectionHintReachesEveryFilterAndSurvivesAThrow) {
  auto a = filter("a");
  a->throws_on_headers();
  auto b = filter("b");
  Pipeline p = make({{a}, {b}});
  p.headers_seen(session_, txn_, "Subject: x\r\n\r\n", io_.get_executor());
  EXPECT_EQ(take_log(), (Strings{"a:headers:Subject: x\r\n\r\n", "b:headers:Subject: x\r\n\r\n"}));
  EXPECT_EQ(counters_->error_count("a", "exception"), 1u);
}

TEST_F(PipelineTest, EmptyPipelineContinuesAndAccepts) {
  const Pipeline p = make({});
  EXPECT_EQ(run(p, Stage::kConnect).kind, Verdict::Kind::kContinue);
  const Decision d = decide(p);
  EXPECT_EQ(d.action, Action::kAccept);
  EXPECT_EQ(counters_->message_count("accept"), 1u);
}

TEST_F(PipelineTest, AcceptSkipsTheRestOfTheStageOnly) {
  auto allow = filter("allow");
  allow->on(Stage::kMail, Script().answer(Verdict::accept("ALLOW_SENDER")));
  auto deny = filter("deny");
  deny->on(Stage::kMail, Script().answer(Verdict::reject(550, "5.7.1", "No", "DENY")))
      .on(Stage::kRcpt);
  const Pipeline p = make({{allow}, {deny}});
  EXPECT_EQ(run(p, Stage::kMail).kind, Verdict::Kind::kContinue);
  EXPECT_EQ(take_log(), Strings{"allow:mail"});
  EXPECT_EQ(counters_->verdict_count("allow", "accept"), 1u);
  run(p, Stage::kRcpt);
  EXPECT_EQ(take_log(), Strings{"deny:rcpt"});
}

TEST_F(PipelineTest, FirstRefusalWinsAndStopsTheStage) {
  auto a = filter("a");
  a->on(Stage::kRcpt);
  auto b = filter("b");
  b->on(Stage::kRcpt, Script().answer(Verdict::reject(550, "5.1.1", "User unknown", "B_NO")));
  auto c = filter("c");
  c->on(Stage::kRcpt, Script().answer(Verdict::tempfail(450, "4.2.0", "Later", "C_LATER")));
  const Pipeline p = make({{a}, {b}, {c}});
  const Verdict v = run(p, Stage::kRcpt);
  EXPECT_EQ(v.kind, Verdict::Kind::kReject);
  EXPECT_EQ(v.code, 550);
  EXPECT_EQ(v.enhanced, "5.1.1");
  EXPECT_EQ(v.text, "User unknown");
  EXPECT_EQ(v.symbol, "B_NO");
  EXPECT_EQ(take_log(), (Strings{"a:rcpt", "b:rcpt"}));
  EXPECT_EQ(counters_->verdict_count("b", "reject"), 1u);
  EXPECT_EQ(counters_->verdict_count("c", "tempfail"), 0u);

  const Pipeline tempfail_first = make({{c}, {b}});
  const Verdict t = run(tempfail_first, Stage::kRcpt);
  EXPECT_EQ(t.kind, Verdict::Kind::kTempfail);
  EXPECT_EQ(t.code, 450);
  EXPECT_EQ(take_log(), Strings{"c:rcpt"});
}

TEST_F(PipelineTest, RefusalsGetDefaultReplies) {
  auto r = filter("r");
  r->on(Stage::kConnect, Script().answer(Verdict::reject(0, "", "", "R")));
  auto t = filter("t");
  t->on(Stage::kConnect, Script().answer(Verdict::tempfail(0, "", "", "T")));
  auto bad = filter("bad");
  bad->on(Stage::kConnect, Script().answer(Verdict::reject(250, "2.0.0", "ok\r\n250 sneaky", "X")));

  Verdict v = run(make({{r}}), Stage::kConnect);
  EXPECT_EQ(v.code, 554);
  EXPECT_EQ(v.enhanced, "5.7.1");
  EXPECT_EQ(v.text, "Rejected by policy");
  v = run(make({{t}}), Stage::kConnect);
  EXPECT_EQ(v.code, 451);
  EXPECT_EQ(v.enhanced, "4.7.1");
  EXPECT_EQ(v.text, "Try again later");
  v = run(make({{bad}}), Stage::kConnect);
  EXPECT_EQ(v.kind, Verdict::Kind::kReject);
  EXPECT_EQ(v.code, 554);
  EXPECT_EQ(v.enhanced, "5.7.1");
  EXPECT_EQ(v.text, "ok  250 sneaky");
}

// ---- errors: deadlines and exceptions ------------------------------------------------------

TEST_F(PipelineTest, SlowFilterIsCutOffAtItsDeadline) {
  auto slow = filter("slow");
  slow->on(Stage::kMail, Script().waits(10s)).on(Stage::kRcpt);
  auto next = filter("next");
  next->on(Stage::kMail);
  const Pipeline p = make({{slow, 50ms, OnError::kTempfail}, {next}});

  const auto start = std::chrono::steady_clock::now();
  const Verdict v = run(p, Stage::kMail);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(v.kind, Verdict::Kind::kTempfail);
  EXPECT_EQ(v.code, 451);
  EXPECT_EQ(v.enhanced, "4.7.1");
  EXPECT_EQ(v.symbol, "FILTER_ERROR");
  EXPECT_EQ(v.text, filter_error_verdict().text);
  EXPECT_EQ(v.text.find("slow"), std::string::npos);  // nothing about which check
  // The hook was cancelled and had unwound before the pipeline answered.
  EXPECT_EQ(take_log(), (Strings{"slow:mail", "slow:cancelled"}));
  EXPECT_EQ(counters_->error_count("slow", "timeout"), 1u);
  EXPECT_EQ(counters_->error_count("slow", "exception"), 0u);

  // The session goes on.
  EXPECT_EQ(run(p, Stage::kRcpt).kind, Verdict::Kind::kContinue);
  EXPECT_EQ(take_log(), Strings{"slow:rcpt"});
}

TEST_F(PipelineTest, SlowFilterWithOnErrorContinueLetsTheNextRun) {
  auto slow = filter("slow");
  slow->on(Stage::kData, Script().adds(Symbols{sym("SLOW_PARTIAL", 1)}).waits(10s));
  auto next = filter("next");
  next->on(Stage::kData, Script().answer(Verdict::reject(550, "5.7.1", "Next says no", "NEXT")));
  const Pipeline p = make({{slow, 20ms, OnError::kContinue}, {next}});
  const Verdict v = run(p, Stage::kData);
  EXPECT_EQ(v.kind, Verdict::Kind::kReject);
  EXPECT_EQ(v.text, "Next says no");
  EXPECT_EQ(take_log(), (Strings{"slow:data", "slow:cancelled", "next:data"}));
  EXPECT_EQ(counters_->error_count("slow", "timeout"), 1u);
  // What it found before it was cut off is kept.
  ASSERT_EQ(txn_.symbols.size(), 1u);
  EXPECT_EQ(txn_.symbols[0].filter, "slow");
}

TEST_F(PipelineTest, FastFilterIsNotDisturbedByItsDeadline) {
  auto quick = filter("quick");
  quick->on(Stage::kMail, Script().answer(Verdict::reject(550, "5.7.1", "Done", "Q")).waits(5ms));
  const Pipeline p = make({{quick, 10s, OnError::kTempfail}});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run(p, Stage::kMail).text, "Done");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // the 10s timer was cancelled
  EXPECT_EQ(take_log(), (Strings{"quick:mail", "quick:waited"}));
  EXPECT_EQ(counters_->error_count("quick", "timeout"), 0u);
}

TEST_F(PipelineTest, ThrowingFilterTempfailsOrContinues) {
  auto boom = filter("boom");
  boom->on(Stage::kHelo, Script().throws());
  auto next = filter("next");
  next->on(Stage::kHelo, Script().adds(Symbols{sym("NEXT_RAN", 0)}));

  const Verdict closed = run(make({{boom, 10s, OnError::kTempfail}, {next}}), Stage::kHelo);
  EXPECT_EQ(closed.kind, Verdict::Kind::kTempfail);
  EXPECT_EQ(closed.code, 451);
  EXPECT_EQ(closed.symbol, "FILTER_ERROR");
  EXPECT_EQ(take_log(), Strings{"boom:helo"});
  EXPECT_EQ(counters_->error_count("boom", "exception"), 1u);

  const Verdict open = run(make({{boom, 10s, OnError::kContinue}, {next}}), Stage::kHelo);
  EXPECT_EQ(open.kind, Verdict::Kind::kContinue);
  EXPECT_EQ(take_log(), (Strings{"boom:helo", "next:helo"}));
  EXPECT_EQ(counters_->error_count("boom", "exception"), 2u);
  EXPECT_EQ(counters_->error_count("boom", "timeout"), 0u);
}

TEST_F(PipelineTest, OverrideThrowingBeforeItsCoroutineIsAnError) {
  auto boom = filter("boom");
  boom->on(Stage::kMail, Script().throws_at_call()).on(Stage::kReset, Script().throws_at_call());
  const Pipeline p = make({{boom}});
  EXPECT_EQ(run(p, Stage::kMail).symbol, "FILTER_ERROR");
  EXPECT_EQ(counters_->error_count("boom", "exception"), 1u);
  reset(p);
  EXPECT_EQ(counters_->error_count("boom", "exception"), 2u);
}

TEST_F(PipelineTest, CancellingTheCallerIsNotAFilterError) {
  auto slow = filter("slow");
  slow->on(Stage::kMail, Script().waits(10s));
  const Pipeline p = make({{slow, 10s, OnError::kTempfail}});
  asio::cancellation_signal signal;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(io_, p.run(Stage::kMail, session_, txn_),
                 asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, Verdict) {
                   error = e;
                   done = true;
                 }));
  asio::steady_timer shutdown(io_, 20ms);
  shutdown.async_wait(
      [&](boost::system::error_code) { signal.emit(asio::cancellation_type::terminal); });
  const auto start = std::chrono::steady_clock::now();
  io_.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_TRUE(done);
  ASSERT_TRUE(error);
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), asio::error::operation_aborted);
  }
  EXPECT_EQ(take_log(), (Strings{"slow:mail", "slow:cancelled"}));
  EXPECT_EQ(counters_->error_count("slow", "timeout"), 0u);
  EXPECT_EQ(counters_->error_count("slow", "exception"), 0u);
}

// ---- verdict precedence --------------------------------------------------------------------

TEST_F(PipelineTest, RefusalsOverQuarantine) {
  auto q = filter("q");
  q->on(Stage::kEndOfMessage, Script().answer(Verdict::quarantine("Looks odd", "Q_ODD")));
  auto t = filter("t");
  t->on(Stage::kEndOfMessage, Script().answer(Verdict::tempfail(451, "4.7.1", "AV busy", "AV")));
  auto r = filter("r");
  r->on(Stage::kEndOfMessage,
        Script().answer(Verdict::reject(554, "5.7.1", "Virus", "AV_INFECTED")));

  Decision d = decide(make({{q}, {r}}));
  EXPECT_EQ(d.action, Action::kReject);
  EXPECT_EQ(d.text, "Virus");
  EXPECT_EQ(d.reason, "AV_INFECTED");
  txn_ = {};
  d = decide(make({{q}, {t}}));
  EXPECT_EQ(d.action, Action::kTempfail);
  EXPECT_EQ(d.text, "AV busy");
  txn_ = {};
  d = decide(make({{q}}));
  EXPECT_EQ(d.action, Action::kQuarantine);
  EXPECT_EQ(d.reason, "Q_ODD");
  ASSERT_EQ(d.headers.size(), 3u);
  EXPECT_EQ(d.headers[2].value, "Looks odd");
  EXPECT_EQ(counters_->message_count("reject"), 1u);
  EXPECT_EQ(counters_->message_count("tempfail"), 1u);
  EXPECT_EQ(counters_->message_count("quarantine"), 1u);
  EXPECT_EQ(counters_->verdict_count("q", "quarantine"), 3u);
}

TEST_F(PipelineTest, FirstQuarantineReasonWinsAndTheStageGoesOn) {
  auto q1 = filter("q1");
  q1->on(Stage::kEndOfMessage, Script().answer(Verdict::quarantine("first", "Q1")));
  auto q2 = filter("q2");
  q2->on(Stage::kEndOfMessage, Script().answer(Verdict::quarantine("second", "Q2")));
  const Verdict v = run(make({{q1}, {q2}}), Stage::kEndOfMessage);
  EXPECT_EQ(v.kind, Verdict::Kind::kQuarantine);
  EXPECT_EQ(v.text, "first");
  EXPECT_EQ(take_log(), (Strings{"q1:end_of_message", "q2:end_of_message"}));
}

TEST_F(PipelineTest, QuarantineBeforeEndOfMessageHoldsTheTransaction) {
  auto q = filter("q");
  q->on(Stage::kRcpt, Script().answer(Verdict::quarantine("trap recipient", "RCPT_TRAP")));
  const Pipeline p = make({{q}});
  // Not a refusal: the RCPT goes on.
  EXPECT_EQ(run(p, Stage::kRcpt).kind, Verdict::Kind::kContinue);
  ASSERT_TRUE(txn_.quarantine.has_value());
  const Decision d = decide(p);
  EXPECT_EQ(d.action, Action::kQuarantine);
  EXPECT_EQ(d.reason, "RCPT_TRAP");
  // The next transaction is not held.
  reset(p);
  EXPECT_FALSE(txn_.quarantine.has_value());
  EXPECT_EQ(decide(p).action, Action::kAccept);
}

TEST_F(PipelineTest, QuarantineAtConnectHoldsEveryTransactionOfTheSession) {
  auto q = filter("q");
  q->on(Stage::kConnect, Script().answer(Verdict::quarantine("new client", "REP_NEW")));
  const Pipeline p = make({{q}});
  EXPECT_EQ(run(p, Stage::kConnect).kind, Verdict::Kind::kContinue);
  EXPECT_TRUE(session_.quarantine.has_value());
  EXPECT_FALSE(txn_.quarantine.has_value());
  for (int i = 0; i < 2; ++i) {
    const Decision d = decide(p);
    EXPECT_EQ(d.action, Action::kQuarantine);
    EXPECT_EQ(d.reason, "REP_NEW");
    reset(p);
  }
}

// ---- symbols -------------------------------------------------------------------------------

TEST_F(PipelineTest, ConnectAndHeloSymbolsCountInEveryTransaction) {
  auto conn = filter("conn");
  conn->on(Stage::kConnect, Script().adds(Symbols{sym("CONN_DYNAMIC", 3)}))
      .on(Stage::kHelo, Script().adds(Symbols{sym("HELO_BARE_IP", 2)}));
  auto content = filter("content");
  content->on(Stage::kEndOfMessage, Script().adds(Symbols{sym("BODY_URL", 1)}));
  const Pipeline p = make({{conn}, {content}}, Thresholds{std::nullopt, std::nullopt, 100.0, 5.0});

  run(p, Stage::kConnect);
  run(p, Stage::kHelo);
  EXPECT_TRUE(txn_.symbols.empty());
  ASSERT_EQ(session_.symbols.size(), 2u);
  EXPECT_EQ(session_.symbols[0].name, "CONN_DYNAMIC");
  EXPECT_EQ(session_.symbols[0].filter, "conn");
  EXPECT_EQ(session_.symbols[1].name, "HELO_BARE_IP");

  for (int message = 0; message < 2; ++message) {
    const Decision d = decide(p);
    EXPECT_DOUBLE_EQ(d.score, 6);
    EXPECT_EQ(d.action, Action::kAddHeader);
    EXPECT_EQ(d.headers[1].value,
              "Yes, score=6.0 required=5.0 tests=BODY_URL,CONN_DYNAMIC,HELO_BARE_IP");
    ASSERT_EQ(txn_.symbols.size(), 1u);
    EXPECT_EQ(txn_.symbols[0].filter, "content");
    reset(p);
  }
  // Counted once each time a filter adds one.
  EXPECT_EQ(counters_->symbol_count("conn", "CONN_DYNAMIC"), 1u);
  EXPECT_EQ(counters_->symbol_count("conn", "HELO_BARE_IP"), 1u);
  EXPECT_EQ(counters_->symbol_count("content", "BODY_URL"), 2u);
  EXPECT_EQ(counters_->message_count("add_header"), 2u);
}

TEST_F(PipelineTest, ANewHeloReplacesThePreviousHelosSymbols) {
  auto f = filter("f");
  f->on(Stage::kConnect, Script().adds(Symbols{sym("CONN", 1)}))
      .on(Stage::kHelo, Script().adds(Symbols{sym("HELO_X", 2)}));
  const Pipeline p = make({{f}});
  run(p, Stage::kConnect);
  run(p, Stage::kHelo);
  run(p, Stage::kHelo);  // EHLO again, e.g. after STARTTLS
  ASSERT_EQ(session_.symbols.size(), 2u);
  EXPECT_EQ(session_.symbols[0].name, "CONN");
  EXPECT_EQ(session_.symbols[1].name, "HELO_X");
  EXPECT_DOUBLE_EQ(decide(p).score, 3);
}

TEST_F(PipelineTest, SymbolKeepsAFilterNameItWasGiven) {
  auto f = filter("f");
  f->on(Stage::kMail, Script().adds(Symbols{Symbol{"DELEGATED", 1, "", "other"}}));
  run(make({{f}}), Stage::kMail);
  ASSERT_EQ(txn_.symbols.size(), 1u);
  EXPECT_EQ(txn_.symbols[0].filter, "other");
  EXPECT_EQ(counters_->symbol_count("other", "DELEGATED"), 1u);
}

TEST_F(PipelineTest, SymbolsOfARefusingFilterAreKept) {
  auto f = filter("f");
  f->on(Stage::kHelo, Script()
                          .answer(Verdict::reject(550, "5.7.1", "Bad HELO", "HELO_FORGED"))
                          .adds(Symbols{sym("HELO_FORGED", 10)}));
  EXPECT_EQ(run(make({{f}}), Stage::kHelo).kind, Verdict::Kind::kReject);
  ASSERT_EQ(session_.symbols.size(), 1u);
  EXPECT_EQ(counters_->symbol_count("f", "HELO_FORGED"), 1u);
}

// ---- reset ---------------------------------------------------------------------------------

TEST_F(PipelineTest, ResetTellsFiltersThenClearsTheTransactionOnly) {
  auto a = filter("a");
  a->on(Stage::kReset).on(Stage::kConnect, Script().adds(Symbols{sym("CONN", 1)}));
  auto b = filter("b");
  b->on(Stage::kMail);
  auto c = filter("c");
  c->on(Stage::kReset);
  const Pipeline p = make({{a}, {b}, {c}});
  run(p, Stage::kConnect);
  take_log();

  txn_.mail_from = "sender@example.org";
  txn_.recipients = {"a@example.org"};
  txn_.current_rcpt = "a@example.org";
  txn_.message = "Subject: x\r\n\r\nbody\r\n";
  txn_.symbols.push_back(sym("TXN", 1));
  txn_.add_headers.push_back({"Authentication-Results", "x"});
  txn_.results.set<int>(7);
  txn_.quarantine = Verdict::quarantine("q", "Q");
  reset(p);
  // Hooks see the transaction before it is cleared.
  EXPECT_EQ(take_log(), (Strings{"a:reset:sender@example.org", "c:reset:sender@example.org"}));
  EXPECT_TRUE(txn_.mail_from.empty());
  EXPECT_TRUE(txn_.recipients.empty());
  EXPECT_TRUE(txn_.current_rcpt.empty());
  EXPECT_TRUE(txn_.message.empty());
  EXPECT_TRUE(txn_.symbols.empty());
  EXPECT_TRUE(txn_.add_headers.empty());
  EXPECT_EQ(txn_.results.get<int>(), nullptr);
  EXPECT_FALSE(txn_.quarantine.has_value());
  ASSERT_EQ(session_.symbols.size(), 1u);
  EXPECT_EQ(session_.symbols[0].name, "CONN");
}

TEST_F(PipelineTest, ResetErrorsAreCountedNeverThrown) {
  auto boom = filter("boom");
  boom->on(Stage::kReset, Script().throws());
  auto slow = filter("slow");
  slow->on(Stage::kReset, Script().waits(10s));
  auto last = filter("last");
  last->on(Stage::kReset);
  const Pipeline p = make({{boom}, {slow, 20ms, OnError::kTempfail}, {last}});
  txn_.mail_from = "x@example.org";
  EXPECT_NO_THROW(reset(p));
  EXPECT_EQ(take_log(), (Strings{"boom:reset:x@example.org", "slow:reset:x@example.org",
                                 "slow:cancelled", "last:reset:x@example.org"}));
  EXPECT_EQ(counters_->error_count("boom", "exception"), 1u);
  EXPECT_EQ(counters_->error_count("slow", "timeout"), 1u);
  EXPECT_TRUE(txn_.mail_from.empty());
}

// ---- decide and observe --------------------------------------------------------------------

TEST_F(PipelineTest, DecideAppliesThePolicyThresholds) {
  auto content = filter("content");
  content->on(Stage::kEndOfMessage, Script().adds(Symbols{sym("SPAMMY", 11)}));
  const Pipeline p = make({{content}}, Thresholds{15.0, 10.0, 12.0, 5.0});
  const Decision d = decide(p);
  EXPECT_EQ(d.action, Action::kTempfail);
  EXPECT_EQ(d.code, 451);
  EXPECT_EQ(d.reason, "score");
  EXPECT_EQ(p.policy().thresholds().reject, 15.0);
  EXPECT_EQ(counters_->message_count("tempfail"), 1u);
}

class RecordingObserver : public Observer {
 public:
  void observe(const Outcome& outcome) override {
    replies.push_back(outcome.reply);
    if (outcome.reply == "throw") throw std::runtime_error("observer bug");
  }
  Strings replies;
};

TEST_F(PipelineTest, ObserversSeeOutcomesAndTheirErrorsAreCounted) {
  Pipeline p = make({});
  auto one = std::make_shared<RecordingObserver>();
  auto two = std::make_shared<RecordingObserver>();
  p.add_observer(one);
  p.add_observer(nullptr);
  p.add_observer(two);
  const Outcome ok{session_, txn_, Decision{}, "250 2.0.0 Ok", 10, 5us};
  p.observe(ok);
  const Outcome bad{session_, txn_, Decision{}, "throw", 10, 5us};
  EXPECT_NO_THROW(p.observe(bad));
  EXPECT_EQ(one->replies, (Strings{"250 2.0.0 Ok", "throw"}));
  EXPECT_EQ(two->replies, (Strings{"250 2.0.0 Ok", "throw"}));
  EXPECT_EQ(counters_->error_count("observer", "exception"), 2u);
}

TEST(PipelineConstruction, NeedsAFilterPerEntryAndMakesItsOwnCounters) {
  EXPECT_THROW(Pipeline({PipelineEntry{}}, Policy(), nullptr), std::invalid_argument);
  const Pipeline p({}, Policy(), nullptr);
  p.counters().message("accept");
  EXPECT_EQ(p.counters().message_count("accept"), 1u);
}

TEST(StageNames, Fixed) {
  EXPECT_EQ(stage_name(Stage::kConnect), "connect");
  EXPECT_EQ(stage_name(Stage::kHelo), "helo");
  EXPECT_EQ(stage_name(Stage::kMail), "mail");
  EXPECT_EQ(stage_name(Stage::kRcpt), "rcpt");
  EXPECT_EQ(stage_name(Stage::kData), "data");
  EXPECT_EQ(stage_name(Stage::kEndOfMessage), "end_of_message");
  EXPECT_EQ(stage_name(Stage::kReset), "reset");
  EXPECT_EQ(stage_bit(Stage::kConnect) | stage_bit(Stage::kReset), 0b1000001u);
}

}  // namespace
}  // namespace portcullis::filters
