// The DMARC filter against a real DNS server (dnsmasq on loopback), with the SPF and DKIM
// results of earlier filters placed in the transaction as they would leave them.
#include "filters/dmarc/dmarc_filter.hpp"

#include <gtest/gtest.h>

#include "filters/dkim/dkim_filter.hpp"
#include "filters/spf/spf_result.hpp"
#include "tests/filters/auth_test_support.hpp"

namespace portcullis::filters::dmarc {
namespace {

class DmarcFilterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new portcullis::testing::DnsmasqServer({
        "--txt-record=_dmarc.rej.test,v=DMARC1; p=reject",
        "--txt-record=_dmarc.quar.test,v=DMARC1; p=quarantine",
        "--txt-record=_dmarc.none.test,v=DMARC1; p=none",
    });
    resolver_ = new dns::CaresResolver(test::dns_settings(server_->port()));
  }
  static void TearDownTestSuite() {
    delete resolver_;
    delete server_;
  }

  struct Outcome {
    Verdict verdict;
    Transaction txn;
  };
  Outcome check(const std::string& from, const std::string& section = "{}",
                std::optional<std::string> spf_pass = std::nullopt,
                std::optional<dkim::DkimResult> signature = std::nullopt,
                bool spf_temperror = false) {
    auto loaded = test::load(*make_dmarc_factory(), "filters:\n  dmarc: " + section + "\n",
                             test::auth_context(resolver_));
    EXPECT_TRUE(loaded.problems.empty()) << loaded.problems.front();
    Session session = test::client("192.0.2.1", "client.test");
    Outcome out;
    if (spf_pass) {
      spf::SpfResult spf;
      spf.code = spf::SpfResult::Code::kPass;
      spf.domain = *spf_pass;
      out.txn.results.set(spf);
    }
    if (spf_temperror) {
      spf::SpfResult spf;
      spf.code = spf::SpfResult::Code::kTemperror;
      out.txn.results.set(spf);
    }
    if (signature) out.txn.results.set(dkim::DkimResults{{*signature}});
    out.txn.message = from.empty() ? "Subject: x\r\n\r\nbody\r\n"
                                   : "From: <" + from + ">\r\nSubject: x\r\n\r\nbody\r\n";
    out.verdict = run(loaded.filter, Stage::kEndOfMessage, session, out.txn);
    return out;
  }

  static dkim::DkimResult passing(const std::string& domain) {
    dkim::DkimResult r;
    r.code = dkim::DkimResult::Code::kPass;
    r.domain = domain;
    return r;
  }

  static portcullis::testing::DnsmasqServer* server_;
  static dns::CaresResolver* resolver_;
  test::HookRunner run;
};
portcullis::testing::DnsmasqServer* DmarcFilterTest::server_ = nullptr;
dns::CaresResolver* DmarcFilterTest::resolver_ = nullptr;

TEST_F(DmarcFilterTest, RejectPolicyFailureIsRefusedNamingDmarc) {
  Outcome o = check("a@rej.test");
  EXPECT_EQ(o.verdict.kind, Verdict::Kind::kReject);
  EXPECT_EQ(o.verdict.code, 550);
  EXPECT_EQ(o.verdict.enhanced, "5.7.1");
  EXPECT_EQ(o.verdict.text,
            "Rejected by the DMARC policy of rej.test: neither SPF nor DKIM aligned");
  EXPECT_EQ(o.verdict.symbol, "DMARC_POLICY_REJECT");
  EXPECT_NE(test::find_symbol(o.txn, "DMARC_POLICY_REJECT"), nullptr);
  EXPECT_EQ(test::ar_value(o.txn),
            "mx.portcullis.test; dmarc=fail (p=reject dis=reject) reason=\"neither SPF nor DKIM "
            "aligned\" header.from=rej.test");
  EXPECT_NE(auth_report_json(o.txn).find(R"("policy":"reject","applied":"reject")"),
            std::string::npos);
}

TEST_F(DmarcFilterTest, RejectPolicyCanBeQuarantinedOrTagged) {
  Outcome q = check("a@rej.test", "{ on_reject: quarantine }");
  EXPECT_EQ(q.verdict.kind, Verdict::Kind::kQuarantine);
  EXPECT_EQ(q.verdict.text, "DMARC policy of rej.test is reject");
  EXPECT_NE(auth_report_json(q.txn).find(R"("applied":"quarantine")"), std::string::npos);
  Outcome t = check("a@rej.test", "{ on_reject: tag }");
  EXPECT_EQ(t.verdict.kind, Verdict::Kind::kContinue);
  EXPECT_NE(test::find_symbol(t.txn, "DMARC_POLICY_REJECT"), nullptr);
  EXPECT_NE(auth_report_json(t.txn).find(R"("policy":"reject","applied":"none")"),
            std::string::npos);
}

TEST_F(DmarcFilterTest, QuarantineAndNonePolicies) {
  Outcome q = check("a@quar.test");
  EXPECT_EQ(q.verdict.kind, Verdict::Kind::kQuarantine);
  EXPECT_NE(test::find_symbol(q.txn, "DMARC_POLICY_QUARANTINE"), nullptr);
  EXPECT_EQ(check("a@quar.test", "{ on_quarantine: tag }").verdict.kind, Verdict::Kind::kContinue);
  Outcome n = check("a@none.test");
  EXPECT_EQ(n.verdict.kind, Verdict::Kind::kContinue);
  EXPECT_NE(test::find_symbol(n.txn, "DMARC_POLICY_NONE"), nullptr);
  Outcome unpublished = check("a@nothing.test");
  EXPECT_NE(test::find_symbol(unpublished.txn, "DMARC_NONE"), nullptr);
  EXPECT_EQ(test::ar_value(unpublished.txn),
            "mx.portcullis.test; dmarc=none reason=\"no DMARC record\" header.from=nothing.test");
}

TEST_F(DmarcFilterTest, AlignedSpfOrDkimPasses) {
  Outcome spf = check("a@rej.test", "{}", "bounce.rej.test");  // relaxed alignment
  EXPECT_EQ(spf.verdict.kind, Verdict::Kind::kContinue);
  EXPECT_NE(test::find_symbol(spf.txn, "DMARC_PASS"), nullptr);
  EXPECT_EQ(test::ar_value(spf.txn),
            "mx.portcullis.test; dmarc=pass (p=reject dis=none) header.from=rej.test");
  Outcome dkim = check("a@rej.test", "{}", std::nullopt, passing("rej.test"));
  EXPECT_NE(test::find_symbol(dkim.txn, "DMARC_PASS"), nullptr);
  // An unaligned pass does not count, nor a key in testing mode.
  EXPECT_EQ(check("a@rej.test", "{}", "other.test").verdict.kind, Verdict::Kind::kReject);
  dkim::DkimResult testing = passing("rej.test");
  testing.key_testing = true;
  EXPECT_EQ(check("a@rej.test", "{}", std::nullopt, testing).verdict.kind, Verdict::Kind::kReject);
}

TEST_F(DmarcFilterTest, HeaderSectionStartsThePolicyLookups) {
  dns::CaresResolver resolver(test::dns_settings(server_->port()));
  auto loaded = test::load(*make_dmarc_factory(), "filters:\n  dmarc: {}\n",
                           test::auth_context(&resolver));
  boost::asio::io_context io;
  Session session;
  Transaction txn;
  loaded.filter->on_headers(session, txn, "From: <a@news.rej.test>\r\nSubject: x\r\n\r\n",
                            io.get_executor());
  io.run();
  // The subdomain's record and the organisational domain's, asked together.
  EXPECT_NE(resolver.cached({"_dmarc.news.rej.test", dns::RrType::kTxt}), nullptr);
  const auto org = resolver.cached({"_dmarc.rej.test", dns::RrType::kTxt});
  ASSERT_NE(org, nullptr);
  EXPECT_TRUE(org->ok());
}

TEST_F(DmarcFilterTest, FailWhileACheckFailedTemporarilyIsTemperrorAndRetried) {
  Outcome spf = check("a@rej.test", "{}", std::nullopt, std::nullopt, true);
  EXPECT_EQ(spf.verdict.kind, Verdict::Kind::kTempfail);
  EXPECT_EQ(spf.verdict.code, 451);
  EXPECT_EQ(spf.verdict.enhanced, "4.7.1");
  EXPECT_EQ(spf.verdict.text, "DMARC check of rej.test failed temporarily, try again later");
  EXPECT_NE(test::find_symbol(spf.txn, "DMARC_TEMPERROR"), nullptr);
  EXPECT_NE(test::ar_value(spf.txn).find("dmarc=temperror (p=reject dis=tempfail)"),
            std::string::npos) << test::ar_value(spf.txn);
  dkim::DkimResult slow;
  slow.code = dkim::DkimResult::Code::kTemperror;
  slow.domain = "rej.test";
  EXPECT_EQ(check("a@rej.test", "{}", std::nullopt, slow).verdict.kind, Verdict::Kind::kTempfail);
  Outcome tagged = check("a@rej.test", "{ temperror: tag }", std::nullopt, slow);
  EXPECT_EQ(tagged.verdict.kind, Verdict::Kind::kContinue);
  EXPECT_NE(test::find_symbol(tagged.txn, "DMARC_TEMPERROR"), nullptr);
  // p=none asks for nothing: never held back.
  EXPECT_EQ(check("a@none.test", "{}", std::nullopt, slow).verdict.kind, Verdict::Kind::kContinue);
}

TEST_F(DmarcFilterTest, DispositionIsWhatWeDid) {
  Outcome q = check("a@rej.test", "{ on_reject: quarantine }");
  EXPECT_NE(test::ar_value(q.txn).find("(p=reject dis=quarantine)"), std::string::npos)
      << test::ar_value(q.txn);
  Outcome t = check("a@rej.test", "{ on_reject: tag }");
  EXPECT_NE(test::ar_value(t.txn).find("(p=reject dis=none)"), std::string::npos);
}

TEST_F(DmarcFilterTest, MessageWithoutFromIsPermerror) {
  Outcome o = check("");
  EXPECT_EQ(o.verdict.kind, Verdict::Kind::kContinue);
  ASSERT_NE(test::find_symbol(o.txn, "DMARC_PERMERROR"), nullptr);
  EXPECT_FALSE(test::find_symbol(o.txn, "DMARC_PERMERROR")->detail.empty());  // the reason
}

TEST_F(DmarcFilterTest, SeveralAuthorsAreRefusedUnlessTagged) {
  // A second address would otherwise escape the first one's p=reject.
  Outcome two = check("a@rej.test>, <b@nothing.test");
  EXPECT_EQ(two.verdict.kind, Verdict::Kind::kReject);
  EXPECT_EQ(two.verdict.code, 550);
  EXPECT_EQ(two.verdict.enhanced, "5.7.1");
  EXPECT_NE(two.verdict.text.find("DMARC needs exactly one author"), std::string::npos)
      << two.verdict.text;
  EXPECT_NE(test::find_symbol(two.txn, "DMARC_PERMERROR"), nullptr);
  EXPECT_NE(test::ar_value(two.txn).find("dmarc=permerror"), std::string::npos);
  Outcome tagged = check("a@rej.test>, <b@nothing.test", "{ multiple_from: tag }");
  EXPECT_EQ(tagged.verdict.kind, Verdict::Kind::kContinue);
  EXPECT_NE(test::find_symbol(tagged.txn, "DMARC_PERMERROR"), nullptr);
}

TEST_F(DmarcFilterTest, SubdomainRejectNamesWherePolicyWasPublished) {
  Outcome o = check("a@news.rej.test");
  EXPECT_EQ(o.verdict.text,
            "Rejected by the DMARC policy of rej.test for news.rej.test: neither SPF nor DKIM "
            "aligned");
}

TEST(DmarcFilterConfig, RunsAfterSpfAndDkimAndChecksItsKeys) {
  const auto factory = make_dmarc_factory();
  EXPECT_EQ(factory->after(), (std::vector<std::string_view>{"spf", "dkim"}));
  auto bad = test::load(*factory, "filters:\n  dmarc: { on_reject: drop, psl_file: /nonexistent }\n");
  ASSERT_EQ(bad.problems.size(), 2u);
  EXPECT_EQ(bad.problems[0].substr(0, 38), "t.yaml:2:23: filters.dmarc.on_reject: ");
  EXPECT_EQ(bad.problems[1].substr(0, 37), "t.yaml:2:39: filters.dmarc.psl_file: ");
}

}  // namespace
}  // namespace portcullis::filters::dmarc
