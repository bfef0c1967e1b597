// The SPF filter against a real DNS server (dnsmasq on loopback) through the c-ares resolver.
#include "filters/spf/spf_filter.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filters/spf/spf_result.hpp"
#include "tests/filters/auth_test_support.hpp"

namespace portcullis::filters::spf {
namespace {


class SpfFilterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::DnsmasqServer({
        "--txt-record=good.test,v=spf1 ip4:127.0.0.1 -all",
        "--txt-record=bad.test,v=spf1 -all exp=why.bad.test",
        "--txt-record=why.bad.test,%{i} is not a mail server of %{d}",
        "--txt-record=soft.test,v=spf1 ~all",
        "--txt-record=broken.test,v=spf1 ip4:999.1.1.1 -all",
        "--txt-record=helo.good.test,v=spf1 a -all",
        "--host-record=helo.good.test,127.0.0.1",
    });
    resolver_ = new dns::CaresResolver(test::dns_settings(server_->port()));
  }
  static void TearDownTestSuite() {
    delete resolver_;
    delete server_;
  }

  std::shared_ptr<Filter> filter(const std::string& section) {
    auto loaded = test::load(*make_spf_factory(), "filters:\n  spf: " + section + "\n",
                             test::auth_context(resolver_));
    EXPECT_TRUE(loaded.problems.empty()) << loaded.problems.front();
    return loaded.filter;
  }

  // MAIL, then (when the filter hooks it) one RCPT, then end of data.
  struct Run {
    Verdict rcpt;
    Transaction txn;
  };
  Run transaction(const std::shared_ptr<Filter>& f, const std::string& mail_from,
                  const std::string& helo = "client.test") {
    Session session = test::client("127.0.0.1", helo);
    Run out;
    out.txn.mail_from = mail_from;
    EXPECT_FALSE(run(f, Stage::kMail, session, out.txn).refuses());
    if (f->stages() & stage_bit(Stage::kRcpt)) {
      out.txn.current_rcpt = "user@example.org";
      out.rcpt = run(f, Stage::kRcpt, session, out.txn);
    }
    if (!out.rcpt.refuses()) {
      out.txn.message = "From: a@" + helo + "\r\n\r\nbody\r\n";
      run(f, Stage::kEndOfMessage, session, out.txn);
    }
    return out;
  }

  static testing::DnsmasqServer* server_;
  static dns::CaresResolver* resolver_;
  test::HookRunner run;
};
testing::DnsmasqServer* SpfFilterTest::server_ = nullptr;
dns::CaresResolver* SpfFilterTest::resolver_ = nullptr;

TEST_F(SpfFilterTest, PassIsASymbolAResultAndAnAuthenticationResult) {
  auto f = filter("{}");
  EXPECT_EQ(f->stages(),
            stage_bit(Stage::kConnect) | stage_bit(Stage::kMail) | stage_bit(Stage::kEndOfMessage));
  Run r = transaction(f, "alice@good.test");
  const Symbol* s = test::find_symbol(r.txn, "SPF_PASS");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->score, -0.5);
  EXPECT_EQ(s->detail, "good.test");
  EXPECT_EQ(test::ar_value(r.txn), "mx.portcullis.test; spf=pass smtp.mailfrom=good.test");
  const SpfResult* result = r.txn.results.get<SpfResult>();
  ASSERT_NE(result, nullptr);  // for DMARC
  EXPECT_EQ(result->code, SpfResult::Code::kPass);
  EXPECT_NE(auth_report_json(r.txn).find(R"("spf":{"result":"pass")"), std::string::npos);
}

TEST_F(SpfFilterTest, ReportIsBuiltOnlyWhenTheSessionAsks) {
  auto f = filter("{}");
  Session session = test::client("127.0.0.1", "client.test");
  session.report = false;  // the proxy: nobody prints the scan report
  Transaction txn;
  txn.mail_from = "alice@good.test";
  run(f, Stage::kMail, session, txn);
  txn.message = "From: a@good.test\r\n\r\nbody\r\n";
  run(f, Stage::kEndOfMessage, session, txn);
  EXPECT_EQ(test::ar_value(txn), "mx.portcullis.test; spf=pass smtp.mailfrom=good.test");
  EXPECT_EQ(auth_report_json(txn), "{}");
}

TEST_F(SpfFilterTest, FailIsOnlyScoredByDefault) {
  Run r = transaction(filter("{}"), "mallory@bad.test");
  EXPECT_NE(test::find_symbol(r.txn, "SPF_FAIL"), nullptr);
  EXPECT_EQ(test::ar_value(r.txn),
            "mx.portcullis.test; spf=fail reason=\"matched -all\" smtp.mailfrom=bad.test");
}

TEST_F(SpfFilterTest, FailRejectRefusesAtRcptWithTheDomainsExplanation) {
  auto f = filter("{ fail: reject }");
  Run r = transaction(f, "mallory@bad.test");
  EXPECT_EQ(r.rcpt.kind, Verdict::Kind::kReject);
  EXPECT_EQ(r.rcpt.code, 550);
  EXPECT_EQ(r.rcpt.enhanced, "5.7.23");
  EXPECT_EQ(r.rcpt.text,
            "SPF validation failed for bad.test: 127.0.0.1 is not a mail server of bad.test");
  EXPECT_EQ(r.rcpt.symbol, "SPF_FAIL");
  // A pass is not refused.
  EXPECT_FALSE(transaction(f, "alice@good.test").rcpt.refuses());
}

TEST_F(SpfFilterTest, RefusalAtRcptCarriesItsSymbolOnce) {
  auto f = filter("{ fail: reject }");
  Session session = test::client("127.0.0.1", "client.test");
  Transaction txn;
  txn.mail_from = "mallory@bad.test";
  run(f, Stage::kMail, session, txn);
  for (const char* rcpt : {"a@example.org", "b@example.org"}) {
    txn.current_rcpt = rcpt;
    EXPECT_EQ(run(f, Stage::kRcpt, session, txn).code, 550);
  }
  ASSERT_EQ(txn.symbols.size(), 1u);
  EXPECT_EQ(txn.symbols[0].name, "SPF_FAIL");
}

// An allow-list hit of an earlier filter ends the MAIL stage before SPF's hook: the check
// then starts when its result is first needed, instead of reading as "not checked".
TEST_F(SpfFilterTest, SkippedMailHookStillChecks) {
  for (const auto& [section, stage] :
       {std::pair{"{ fail: reject }", Stage::kRcpt}, std::pair{"{}", Stage::kEndOfMessage}}) {
    auto f = filter(section);
    Session session = test::client("127.0.0.1", "client.test");
    Transaction txn;
    txn.mail_from = "alice@good.test";
    txn.message = "From: a@good.test\r\n\r\nbody\r\n";
    EXPECT_FALSE(run(f, stage, session, txn).refuses());
    ASSERT_NE(txn.results.get<SpfResult>(), nullptr);
    EXPECT_EQ(txn.results.get<SpfResult>()->code, SpfResult::Code::kPass);
    EXPECT_NE(test::find_symbol(txn, "SPF_PASS"), nullptr);
  }
}

TEST_F(SpfFilterTest, SoftfailAndPermerrorActions) {
  Run soft = transaction(filter("{ softfail: reject }"), "x@soft.test");
  EXPECT_EQ(soft.rcpt.code, 550);
  EXPECT_EQ(soft.rcpt.enhanced, "5.7.23");
  Run broken = transaction(filter("{ permerror: reject }"), "x@broken.test");
  EXPECT_EQ(broken.rcpt.code, 550);
  EXPECT_EQ(broken.rcpt.enhanced, "5.7.24");
  EXPECT_EQ(broken.rcpt.text, "SPF record of broken.test is invalid");
  Run scored = transaction(filter("{ scores: { SPF_PERMERROR: 4 } }"), "x@broken.test");
  EXPECT_EQ(test::find_symbol(scored.txn, "SPF_PERMERROR")->score, 4);
  Run none = transaction(filter("{}"), "x@unpublished.test");
  EXPECT_NE(test::find_symbol(none.txn, "SPF_NONE"), nullptr);
}

TEST_F(SpfFilterTest, NullSenderIsCheckedAsPostmasterAtHelo) {
  Run r = transaction(filter("{}"), "", "helo.good.test");
  EXPECT_NE(test::find_symbol(r.txn, "SPF_PASS"), nullptr);
  EXPECT_EQ(test::ar_value(r.txn), "mx.portcullis.test; spf=pass smtp.helo=helo.good.test");
}

TEST_F(SpfFilterTest, BadActionsAreConfigProblems) {
  auto loaded = test::load(*make_spf_factory(), "filters:\n  spf: { fail: tempfail }\n",
                           test::auth_context(resolver_));
  ASSERT_EQ(loaded.problems.size(), 1u);
  EXPECT_EQ(loaded.problems[0],
            "t.yaml:2:16: filters.spf.fail: expected one of symbol or reject, got \"tempfail\"");
  EXPECT_EQ(loaded.filter, nullptr);
  auto symbol = test::load(*make_spf_factory(), "filters:\n  spf: { scores: { SPF_FAILS: 1 } }\n",
                           test::auth_context(resolver_));
  ASSERT_EQ(symbol.problems.size(), 1u);
  EXPECT_NE(symbol.problems[0].find("did you mean 'SPF_FAIL'"), std::string::npos)
      << symbol.problems[0];
}

// A server that never answers: temperror, never pass or fail.
class SilentDns {
 public:
  SilentDns() : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentDns() { close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

TEST(SpfFilterTimeout, TimeoutIsTemperrorAndTempfailsWhenAsked) {
  SilentDns silent;
  dns::CaresResolver resolver(test::dns_settings(silent.port(), 100));
  test::HookRunner run;
  for (const auto& [section, refuses] : {std::pair{"{}", false}, std::pair{"{ temperror: tempfail }", true}}) {
    auto loaded = test::load(*make_spf_factory(), std::string("filters:\n  spf: ") + section + "\n",
                             test::auth_context(&resolver));
    ASSERT_NE(loaded.filter, nullptr);
    Session session = test::client("127.0.0.1", "client.test");
    Transaction txn;
    txn.mail_from = "a@slow.test";
    run(loaded.filter, Stage::kMail, session, txn);
    if (refuses) {
      const Verdict v = run(loaded.filter, Stage::kRcpt, session, txn);
      EXPECT_EQ(v.kind, Verdict::Kind::kTempfail);
      EXPECT_EQ(v.code, 451);
      EXPECT_EQ(v.enhanced, "4.7.24");
    } else {
      txn.message = "From: a@slow.test\r\n\r\nx\r\n";
      EXPECT_FALSE(run(loaded.filter, Stage::kEndOfMessage, session, txn).refuses());
      EXPECT_NE(test::find_symbol(txn, "SPF_TEMPERROR"), nullptr);
      EXPECT_EQ(txn.results.get<SpfResult>()->code, SpfResult::Code::kTemperror);
    }
  }
}

TEST(SpfFilterNoResolver, BuildsForCheckConfigAndAnswersTemperror) {
  test::HookRunner run;
  auto loaded = test::load(*make_spf_factory(), "filters:\n  spf: {}\n", test::auth_context(nullptr));
  ASSERT_NE(loaded.filter, nullptr);
  Session session = test::client("127.0.0.1", "client.test");
  Transaction txn;
  txn.mail_from = "a@good.test";
  run(loaded.filter, Stage::kMail, session, txn);
  run(loaded.filter, Stage::kEndOfMessage, session, txn);
  EXPECT_NE(test::find_symbol(txn, "SPF_TEMPERROR"), nullptr);
}

}  // namespace
}  // namespace portcullis::filters::spf
