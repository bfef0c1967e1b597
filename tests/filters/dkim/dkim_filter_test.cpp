// The DKIM filter against a real DNS server (dnsmasq on loopback) publishing keys that the
// test generates and signs with.
#include "filters/dkim/dkim_filter.hpp"

#include <gtest/gtest.h>

#include "proxy/worker_pool.hpp"
#include "test_signer.hpp"
#include "tests/filters/auth_test_support.hpp"

namespace portcullis::filters::dkim {
namespace {

using testing::Pkey;

const std::string kMessage =
    "From: Alice <alice@signed.test>\r\n"
    "To: bob@example.org\r\n"
    "Subject: quarterly figures\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "the figures are attached.\r\n";

class DkimFilterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new Pkey(testing::generate_rsa(2048));
    ed_ = new Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    server_ = new portcullis::testing::DnsmasqServer({
        "--txt-record=rsa1._domainkey.signed.test," + testing::key_record(rsa_->get()),
        "--txt-record=ed1._domainkey.signed.test," + testing::key_record(ed_->get()),
        "--txt-record=trial._domainkey.signed.test," + testing::key_record(rsa_->get(), "t=y; "),
    });
    resolver_ = new dns::CaresResolver(test::dns_settings(server_->port()));
  }
  static void TearDownTestSuite() {
    delete resolver_;
    delete server_;
    delete rsa_;
    delete ed_;
  }

  static std::string rsa_signed(const std::string& message) {
    testing::SignSpec spec;
    spec.d = "signed.test";
    spec.s = "rsa1";
    return testing::sign(message, rsa_->get(), spec);
  }
  static std::string ed_signed(const std::string& message) {
    testing::SignSpec spec;
    spec.a = "ed25519-sha256";
    spec.d = "signed.test";
    spec.s = "ed1";
    return testing::sign(message, ed_->get(), spec);
  }

  Transaction verify(const std::string& message, BlockingPool* pool = nullptr,
                     dns::Resolver* resolver = resolver_) {
    auto loaded = test::load(*make_dkim_factory(), "filters:\n  dkim: {}\n",
                             test::auth_context(resolver, pool));
    EXPECT_TRUE(loaded.problems.empty());
    Session session = test::client("192.0.2.1", "client.test");
    Transaction txn;
    txn.message = message;
    EXPECT_FALSE(run(loaded.filter, Stage::kEndOfMessage, session, txn).refuses());
    return txn;
  }

  static Pkey* rsa_;
  static Pkey* ed_;
  static portcullis::testing::DnsmasqServer* server_;
  static dns::CaresResolver* resolver_;
  test::HookRunner run;
};
Pkey* DkimFilterTest::rsa_ = nullptr;
Pkey* DkimFilterTest::ed_ = nullptr;
portcullis::testing::DnsmasqServer* DkimFilterTest::server_ = nullptr;
dns::CaresResolver* DkimFilterTest::resolver_ = nullptr;

TEST_F(DkimFilterTest, Rsa2048SignaturePasses) {
  const std::string message = rsa_signed(kMessage);
  Transaction txn = verify(message);
  const Symbol* valid = test::find_symbol(txn, "DKIM_VALID");
  ASSERT_NE(valid, nullptr);
  EXPECT_EQ(valid->detail, "signed.test");
  const std::string b = message.substr(message.find(" b=") + 3, 12);
  EXPECT_EQ(test::ar_value(txn),
            "mx.portcullis.test; dkim=pass header.d=signed.test header.s=rsa1 "
            "header.a=rsa-sha256 header.b=" + auth_value(b));  // "/" in base64: quoted
  const DkimResults* results = txn.results.get<DkimResults>();  // for DMARC
  ASSERT_NE(results, nullptr);
  ASSERT_EQ(results->signatures.size(), 1u);
  EXPECT_EQ(results->signatures[0].code, DkimResult::Code::kPass);
}

TEST_F(DkimFilterTest, Ed25519AndRsaSignaturesEachGetAnEntry) {
  Transaction txn = verify(ed_signed(rsa_signed(kMessage)));
  const std::string ar = test::ar_value(txn);
  EXPECT_NE(ar.find("dkim=pass header.d=signed.test header.s=ed1 header.a=ed25519-sha256"),
            std::string::npos) << ar;
  EXPECT_NE(ar.find("dkim=pass header.d=signed.test header.s=rsa1"), std::string::npos) << ar;
  EXPECT_EQ(test::find_symbol(txn, "DKIM_VALID")->detail, "signed.test,signed.test");
  const std::string json = auth_report_json(txn);
  EXPECT_NE(json.find(R"("dkim":[{"domain":"signed.test","selector":"ed1")"), std::string::npos)
      << json;
}

TEST_F(DkimFilterTest, TamperedBodyOrHeaderFails) {
  std::string body = rsa_signed(kMessage);
  body.replace(body.find("attached"), 8, "deleted!");
  Transaction a = verify(body);
  EXPECT_NE(test::find_symbol(a, "DKIM_INVALID"), nullptr);
  EXPECT_EQ(test::find_symbol(a, "DKIM_VALID"), nullptr);
  EXPECT_NE(test::ar_value(a).find("dkim=fail reason=\"body hash mismatch\""), std::string::npos)
      << test::ar_value(a);
  std::string header = rsa_signed(kMessage);
  header.replace(header.find("quarterly"), 9, "QUARTERLY");
  Transaction b = verify(header);
  EXPECT_NE(test::find_symbol(b, "DKIM_INVALID"), nullptr);
}

TEST_F(DkimFilterTest, HeaderSectionStartsTheKeyLookup) {
  const std::string message = rsa_signed(kMessage);
  const dns::Question key{"rsa1._domainkey.signed.test", dns::RrType::kTxt};
  // A resolver of its own: nothing cached yet.
  dns::CaresResolver resolver(test::dns_settings(server_->port()));
  auto loaded = test::load(*make_dkim_factory(), "filters:\n  dkim: {}\n",
                           test::auth_context(&resolver));
  ASSERT_EQ(resolver.cached(key), nullptr);
  boost::asio::io_context io;
  Session session;
  Transaction txn;
  loaded.filter->on_headers(session, txn, message.substr(0, message.find("\r\n\r\n") + 4),
                            io.get_executor());
  io.run();  // the background lookup, nothing else
  const auto cached = resolver.cached(key);
  ASSERT_NE(cached, nullptr);
  EXPECT_TRUE(cached->ok());
}

TEST_F(DkimFilterTest, TestingKeysCountAsUnsignedPassOrFail) {
  testing::SignSpec spec;
  spec.d = "signed.test";
  spec.s = "trial";
  const std::string good = testing::sign(kMessage, rsa_->get(), spec);
  Transaction pass = verify(good);
  EXPECT_EQ(test::find_symbol(pass, "DKIM_VALID"), nullptr);
  EXPECT_NE(test::ar_value(pass).find("dkim=pass (key in testing mode)"), std::string::npos);
  std::string bad = good;
  bad.replace(bad.find("attached"), 8, "deleted!");
  Transaction fail = verify(bad);
  EXPECT_EQ(test::find_symbol(fail, "DKIM_INVALID"), nullptr);
  EXPECT_NE(test::ar_value(fail).find("dkim=fail"), std::string::npos);
}

TEST_F(DkimFilterTest, UnsignedMessageIsNone) {
  Transaction txn = verify(kMessage);
  EXPECT_NE(test::find_symbol(txn, "DKIM_NONE"), nullptr);
  EXPECT_EQ(test::ar_value(txn), "mx.portcullis.test; dkim=none");
  EXPECT_EQ(auth_report_json(txn), R"({"dkim":[]})");
}

TEST_F(DkimFilterTest, UnpublishedKeyIsPermerror) {
  testing::SignSpec spec;
  spec.d = "signed.test";
  spec.s = "gone";
  Transaction txn = verify(testing::sign(kMessage, rsa_->get(), spec));
  EXPECT_NE(test::find_symbol(txn, "DKIM_PERMERROR"), nullptr);
}

TEST_F(DkimFilterTest, LargeBodyIsHashedOnTheWorkerPool) {
  std::string big = kMessage;
  while (big.size() < 3 * kInlineBodyBytes) big += std::string(70, 'x') + "\r\n";
  proxy::WorkerPool pool(2);
  Transaction txn = verify(rsa_signed(big), &pool);
  EXPECT_NE(test::find_symbol(txn, "DKIM_VALID"), nullptr);
  pool.stop();
}

TEST_F(DkimFilterTest, WithoutAResolverKeysAreTemperror) {
  Transaction txn = verify(rsa_signed(kMessage), nullptr, nullptr);
  EXPECT_NE(test::find_symbol(txn, "DKIM_TEMPERROR"), nullptr);
}

TEST(DkimFilterConfig, MinRsaBitsIsBounded) {
  auto loaded = test::load(*make_dkim_factory(), "filters:\n  dkim: { min_rsa_bits: 512 }\n");
  ASSERT_EQ(loaded.problems.size(), 1u);
  EXPECT_EQ(loaded.problems[0],
            "t.yaml:2:25: filters.dkim.min_rsa_bits: expected a whole number from 1024 to 4096, "
            "got \"512\"");
}

}  // namespace
}  // namespace portcullis::filters::dkim
