// Verifier: signing round trips with the RFC 8463 test keys (signed here, verified by the
// library), tampering, every outcome of the documented mapping, the DnsView protocol and
// limits.
#include "filters/dkim/dkim_verifier.hpp"

#include <gtest/gtest.h>

#include <string>

#include "map_dns_view.hpp"
#include "test_signer.hpp"
#include "test_support.hpp"

namespace portcullis::filters::dkim {
namespace {

using Code = DkimResult::Code;
using testing::MapDnsView;
using testing::SignSpec;

constexpr std::int64_t kNow = 1700000000;

const std::string kMessage =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game. Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = testing::load_rsa_private(testing::testdata("keys/rfc8463-rsa1024-private.pem"));
    ed_ = testing::load_ed25519_seed(testing::testdata("keys/rfc8463-ed25519-private.seed.b64"));
    dns_.add_txt("rsa1._domainkey.example.com", {testing::key_record(rsa_.get())});
    dns_.add_txt("ed1._domainkey.example.com", {testing::key_record(ed_.get())});
    options_.now = kNow;
  }

  std::vector<DkimResult> verify(const std::string& message) {
    Verifier v(message, options_);
    return v.verify(dns_);
  }
  DkimResult one(const std::string& message) {
    const auto r = verify(message);
    EXPECT_EQ(r.size(), 1u);
    return r.empty() ? DkimResult{} : r[0];
  }
  std::string sign_rsa(const std::string& m, SignSpec spec = {}) {
    return testing::sign(m, rsa_.get(), spec);
  }
  std::string sign_ed(const std::string& m, SignSpec spec = {}) {
    spec.a = "ed25519-sha256";
    spec.s = "ed1";
    return testing::sign(m, ed_.get(), spec);
  }

  testing::Pkey rsa_, ed_;
  MapDnsView dns_;
  VerifyOptions options_;
};

std::string replace(std::string s, std::string_view from, std::string_view to) {
  const std::size_t at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("replace: not found");
  return s.replace(at, from.size(), to);
}

TEST_F(VerifierTest, TestKeysMatchTheSharedDnsRecords) {
  EXPECT_EQ(testing::key_record(ed_.get()),
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  EXPECT_NE(testing::key_record(rsa_.get()).find("p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHl"),
            std::string::npos);
}

TEST_F(VerifierTest, RoundTripAllCanonicalizations) {
  for (const char* c : {"simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"}) {
    SignSpec spec;
    spec.c = c;
    const DkimResult r = one(sign_rsa(kMessage, spec));
    EXPECT_EQ(r.code, Code::kPass) << c << ": " << r.reason;
    EXPECT_EQ(r.domain, "example.com");
    EXPECT_EQ(r.selector, "rsa1");
    EXPECT_EQ(r.algorithm, "rsa-sha256");
    EXPECT_EQ(r.identity, "@example.com");
    EXPECT_FALSE(r.signature_b.empty());
    EXPECT_EQ(r.signature_b.find_first_of(" \r\n\t"), std::string::npos);
    const DkimResult e = one(sign_ed(kMessage, spec));
    EXPECT_EQ(e.code, Code::kPass) << c << ": " << e.reason;
    EXPECT_EQ(e.algorithm, "ed25519-sha256");
  }
}

TEST_F(VerifierTest, SignsTheRfc6376UnsignedExample) {
  const std::string m =
      testing::lf_to_crlf(testing::read_file(testing::testdata("messages/rfc6376-a1-unsigned.eml")));
  EXPECT_EQ(one(sign_rsa(m)).code, Code::kPass);
  EXPECT_EQ(one(sign_ed(m)).code, Code::kPass);
}

TEST_F(VerifierTest, TamperedHeaderFails) {
  for (bool ed : {false, true}) {
    const std::string signed_m = ed ? sign_ed(kMessage) : sign_rsa(kMessage);
    const DkimResult r = one(replace(signed_m, "Is dinner ready?", "Is dinner ready!"));
    EXPECT_EQ(r.code, Code::kFail);
    EXPECT_EQ(r.reason, "signature did not verify");
  }
}

TEST_F(VerifierTest, TamperedBodyFails) {
  for (bool ed : {false, true}) {
    const std::string signed_m = ed ? sign_ed(kMessage) : sign_rsa(kMessage);
    const DkimResult r = one(replace(signed_m, "hungry", "angry"));
    EXPECT_EQ(r.code, Code::kFail);
    EXPECT_EQ(r.reason, "body hash mismatch");
  }
}

TEST_F(VerifierTest, TamperedSignatureFails) {
  const std::string m = sign_rsa(kMessage);
  const std::size_t b = m.find(" b=") + 3;
  std::string bad = m;
  bad[b] = bad[b] == 'A' ? 'B' : 'A';
  EXPECT_EQ(one(bad).code, Code::kFail);
  // The signature field itself is covered (except b=): changing s= or t= breaks it.
  SignSpec spec;
  spec.extra = "t=1700000000; ";
  EXPECT_EQ(one(replace(sign_rsa(kMessage, spec), "t=1700000000", "t=1700000001")).code,
            Code::kFail);
}

TEST_F(VerifierTest, RelaxedToleratesRefoldingSimpleDoesNot) {
  SignSpec relaxed;
  const std::string a = replace(sign_rsa(kMessage, relaxed), "Subject: Is dinner ready?",
                                "SUBJECT:   Is dinner\r\n\tready?  ");
  EXPECT_EQ(one(a).code, Code::kPass);
  SignSpec simple;
  simple.c = "simple/simple";
  const std::string b = replace(sign_rsa(kMessage, simple), "Subject: Is dinner ready?",
                                "Subject:  Is dinner ready?");
  EXPECT_EQ(one(b).code, Code::kFail);
}

TEST_F(VerifierTest, ExtraFromAndOversigning) {
  const std::string m = sign_rsa(kMessage);
  // A forged From below the signed one is the instance checked.
  EXPECT_EQ(one(replace(m, "To: Suzie", "From: evil@example.org\r\nTo: Suzie")).code, Code::kFail);
  // A From added *above* the signed one is not selected: still a pass (h= lists from once).
  EXPECT_EQ(one(replace(m, "From: Joe", "From: evil@example.org\r\nFrom: Joe")).code, Code::kPass);
  SignSpec over;
  over.h = "from:to:subject:from:subject";
  const std::string o = sign_rsa(kMessage, over);
  EXPECT_EQ(one(o).code, Code::kPass);
  EXPECT_EQ(one(replace(o, "To: Suzie", "Subject: second\r\nTo: Suzie")).code, Code::kFail);
  EXPECT_EQ(one(replace(o, "From: Joe", "From: evil@example.org\r\nFrom: Joe")).code, Code::kFail);
}

TEST_F(VerifierTest, BodyLength) {
  SignSpec spec;
  spec.l = 10;
  const std::string m = sign_rsa(kMessage, spec);
  DkimResult r = one(m);
  EXPECT_EQ(r.code, Code::kPass) << r.reason;
  EXPECT_TRUE(r.body_truncated);
  r = one(m + "APPENDED\r\n");
  EXPECT_EQ(r.code, Code::kPass);
  EXPECT_TRUE(r.body_truncated);
  // l= covering exactly the canonical body is not "truncated".
  spec.l = 54;  // "Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n"
  r = one(sign_rsa(kMessage, spec));
  EXPECT_EQ(r.code, Code::kPass) << r.reason;
  EXPECT_FALSE(r.body_truncated);
  spec.l = 55;
  r = one(sign_rsa(kMessage, spec));
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.reason, "body shorter than l=");
}

TEST_F(VerifierTest, PolicyOutcomes) {
  SignSpec sha1;
  sha1.a = "rsa-sha1";
  DkimResult r = one(sign_rsa(kMessage, sha1));
  EXPECT_EQ(r.code, Code::kPolicy);
  EXPECT_EQ(r.reason, "rsa-sha1 not acceptable (RFC 8301)");

  SignSpec no_from;
  no_from.h = "to:subject";
  const std::string m = sign_rsa(kMessage, no_from);
  Verifier v(m, options_);
  EXPECT_TRUE(v.key_questions().empty());
  r = one(m);
  EXPECT_EQ(r.code, Code::kPolicy);
  EXPECT_EQ(r.reason, "From not signed");

  options_.min_rsa_bits = 2048;
  r = one(sign_rsa(kMessage));
  EXPECT_EQ(r.code, Code::kPolicy);
  EXPECT_EQ(r.reason, "key too short (1024 bits)");
}

TEST_F(VerifierTest, Time) {
  SignSpec spec;
  spec.extra = "t=" + std::to_string(kNow - 1000) + "; x=" + std::to_string(kNow - 400) + "; ";
  DkimResult r = one(sign_rsa(kMessage, spec));
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.reason, "signature expired");
  spec.extra = "t=" + std::to_string(kNow - 1000) + "; x=" + std::to_string(kNow - 200) + "; ";
  EXPECT_EQ(one(sign_rsa(kMessage, spec)).code, Code::kPass);  // within the clock skew
  spec.extra = "t=" + std::to_string(kNow + 1000) + "; ";
  r = one(sign_rsa(kMessage, spec));
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.reason, "signature timestamp in the future");
  spec.extra = "t=" + std::to_string(kNow + 100) + "; ";
  EXPECT_EQ(one(sign_rsa(kMessage, spec)).code, Code::kPass);
}

TEST_F(VerifierTest, KeyOutcomes) {
  const std::string m = sign_rsa(kMessage);
  dns_.add_status("rsa1._domainkey.example.com", dns::Answer::Status::kServFail);
  EXPECT_EQ(one(m).code, Code::kTemperror);
  dns_.add_status("rsa1._domainkey.example.com", dns::Answer::Status::kTimeout);
  EXPECT_EQ(one(m).code, Code::kTemperror);
  dns_.add_status("rsa1._domainkey.example.com", dns::Answer::Status::kNoData);
  EXPECT_EQ(one(m).reason, "no key for signature");
  dns_.add_status("rsa1._domainkey.example.com", dns::Answer::Status::kNxDomain);
  EXPECT_EQ(one(m).code, Code::kPermerror);

  const std::string good = testing::key_record(rsa_.get());
  dns_.add_txt("rsa1._domainkey.example.com", {"v=spf1 -all", good});
  EXPECT_EQ(one(m).code, Code::kPass);
  dns_.add_txt("rsa1._domainkey.example.com", {"v=spf1 -all", "v=DKIM1; k=rsa"});
  DkimResult r = one(m);
  EXPECT_EQ(r.code, Code::kPermerror);
  EXPECT_EQ(r.reason, "key record v= is not DKIM1 (first)");  // the first record's error

  dns_.add_txt("rsa1._domainkey.example.com", {"v=DKIM1; p="});
  EXPECT_EQ(one(m).reason, "key revoked");
  EXPECT_EQ(one(m).code, Code::kFail);

  dns_.add_txt("rsa1._domainkey.example.com", {testing::key_record(ed_.get())});
  EXPECT_EQ(one(m).reason, "key type k= does not match a=");

  dns_.add_txt("rsa1._domainkey.example.com", {testing::key_record(rsa_.get(), "h=sha1; ")});
  EXPECT_EQ(one(m).reason, "key h= does not allow sha256");
  dns_.add_txt("rsa1._domainkey.example.com",
               {testing::key_record(rsa_.get(), "h=sha1:sha256; ")});
  EXPECT_EQ(one(m).code, Code::kPass);

  dns_.add_txt("rsa1._domainkey.example.com", {testing::key_record(rsa_.get(), "t=y; ")});
  r = one(m);
  EXPECT_EQ(r.code, Code::kPass);
  EXPECT_TRUE(r.key_testing);

  // t=s: i= must be exactly d=.
  dns_.add_txt("rsa1._domainkey.example.com", {testing::key_record(rsa_.get(), "t=s; ")});
  EXPECT_EQ(one(m).code, Code::kPass);
  SignSpec sub;
  sub.extra = "i=joe@mail.example.com; ";
  const std::string ms = sign_rsa(kMessage, sub);
  EXPECT_EQ(one(ms).reason, "i= domain must equal d= (key t=s)");
  dns_.add_txt("rsa1._domainkey.example.com", {good});
  r = one(ms);
  EXPECT_EQ(r.code, Code::kPass);
  EXPECT_EQ(r.identity, "joe@mail.example.com");

  dns_.add_txt("rsa1._domainkey.example.com", {"v=DKIM1; k=rsa; p=AAAA"});
  EXPECT_EQ(one(m).reason, "rsa key p= is not a valid public key");
  dns_.add_txt("ed1._domainkey.example.com", {"v=DKIM1; k=ed25519; p=AAAA"});
  EXPECT_EQ(one(sign_ed(kMessage)).reason, "ed25519 key p= is not 32 bytes");
}

TEST_F(VerifierTest, EvaluateAsksForMissingKeys) {
  const std::string m = sign_ed(sign_rsa(kMessage));
  MapDnsView lazy(/*unknown_is_null=*/true);
  Verifier v(m, options_);
  const std::vector<dns::Question> questions = v.key_questions();
  ASSERT_EQ(questions.size(), 2u);
  EXPECT_EQ(questions[0].name, "ed1._domainkey.example.com");  // header order: ed on top
  EXPECT_EQ(questions[1].name, "rsa1._domainkey.example.com");
  EXPECT_EQ(questions[0].type, dns::RrType::kTxt);

  auto e = v.evaluate(lazy);
  EXPECT_FALSE(e.result);
  EXPECT_EQ(e.needs, questions);
  lazy.add_txt("rsa1._domainkey.example.com", {testing::key_record(rsa_.get())});
  e = v.evaluate(lazy);
  ASSERT_EQ(e.needs.size(), 1u);
  EXPECT_EQ(e.needs[0].name, "ed1._domainkey.example.com");
  // verify() does not wait: the unknown key is a temperror.
  const auto partial = v.verify(lazy);
  ASSERT_EQ(partial.size(), 2u);
  EXPECT_EQ(partial[0].code, Code::kTemperror);
  EXPECT_EQ(partial[0].reason, "key not looked up");
  EXPECT_EQ(partial[1].code, Code::kPass);
  lazy.add_txt("ed1._domainkey.example.com", {testing::key_record(ed_.get())});
  e = v.evaluate(lazy);
  ASSERT_TRUE(e.result);
  EXPECT_TRUE(e.needs.empty());
  ASSERT_EQ(e.result->size(), 2u);
  EXPECT_EQ((*e.result)[0].code, Code::kPass);
  EXPECT_EQ((*e.result)[1].code, Code::kPass);
}

TEST_F(VerifierTest, SharedKeyAskedOnce) {
  SignSpec simple;
  simple.c = "simple/simple";
  const std::string m = sign_rsa(sign_rsa(kMessage), simple);
  Verifier v(m, options_);
  EXPECT_EQ(v.key_questions().size(), 1u);
  v.hash_bodies();
  v.hash_bodies();
  const auto r1 = v.verify(dns_);
  const auto r2 = v.verify(dns_);
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(r1[0].code, Code::kPass);
  EXPECT_EQ(r1[1].code, Code::kPass);
  EXPECT_EQ(r2[1].reason, r1[1].reason);
}

TEST_F(VerifierTest, NoSignatures) {
  Verifier v(kMessage, options_);
  EXPECT_TRUE(v.key_questions().empty());
  EXPECT_TRUE(v.verify(dns_).empty());
  EXPECT_EQ(dns_.lookups(), 0u);
}

TEST_F(VerifierTest, MalformedSignatureIsPermerror) {
  const std::string m =
      "DKIM-Signature: v=1; a=rsa-sha256; d=Example.com; s=rsa1; h=from; bh=AAAA; b=AB CD; "
      "i=x@elsewhere.example\r\n" + kMessage;
  Verifier v(m, options_);
  EXPECT_TRUE(v.key_questions().empty());
  const DkimResult r = v.verify(dns_).at(0);
  EXPECT_EQ(r.code, Code::kPermerror);
  EXPECT_EQ(r.reason, "i= domain is not d= or a subdomain of it");
  EXPECT_EQ(r.domain, "example.com");
  EXPECT_EQ(r.signature_b, "ABCD");
  EXPECT_EQ(one("DKIM-Signature: garbage\r\n" + kMessage).reason,
            "malformed tag list: tag without '='");
}

TEST_F(VerifierTest, SignatureLimit) {
  std::string m = kMessage;
  for (int i = 0; i < 3; ++i) m = sign_rsa(m);
  options_.max_signatures = 2;
  const auto r = verify(m);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].code, Code::kPass);
  EXPECT_EQ(r[1].code, Code::kPass);
  EXPECT_EQ(r[2].code, Code::kNeutral);
  EXPECT_EQ(r[2].reason, "not checked (more than 2 signatures)");
  EXPECT_EQ(r[2].domain, "example.com");
}

TEST_F(VerifierTest, HeaderOverLimitsIsPermerror) {
  std::string m = sign_rsa(kMessage);
  std::string extra;
  for (std::size_t i = 0; i < kMaxHeaderFields; ++i) extra.append("X-Filler: y\r\n");
  m = replace(m, "From: Joe", extra + "From: Joe");
  const DkimResult r = one(m);
  EXPECT_EQ(r.code, Code::kPermerror);
  EXPECT_EQ(r.reason, "message header exceeds limits");
}

TEST_F(VerifierTest, HostileInputs) {
  // Binary and degenerate messages never crash and never pass.
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary.push_back(static_cast<char>((i * 131) & 0xff));
  for (const std::string& m :
       {std::string(), std::string("\r\n"), binary, "DKIM-Signature:" + binary,
        std::string("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa1; h=from; "
                    "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\nFrom: x\r\n"),
        "DKIM-Signature: " + std::string(kMaxSignatureValue + 10, 'a') + "\r\n\r\n"}) {
    for (const DkimResult& r : verify(m)) EXPECT_NE(r.code, Code::kPass);
  }
}

TEST(DkimResult, Rfc8601Spelling) {
  EXPECT_EQ(to_string(Code::kNone), "none");
  EXPECT_EQ(to_string(Code::kPass), "pass");
  EXPECT_EQ(to_string(Code::kFail), "fail");
  EXPECT_EQ(to_string(Code::kPolicy), "policy");
  EXPECT_EQ(to_string(Code::kNeutral), "neutral");
  EXPECT_EQ(to_string(Code::kTemperror), "temperror");
  EXPECT_EQ(to_string(Code::kPermerror), "permerror");
}

TEST(Crypto, RejectsOversizedAndWrongKeys) {
  std::string error;
  const std::vector<std::uint8_t> junk(300, 0x30);
  EXPECT_FALSE(PublicKey::load(KeyType::kRsa, junk, error));
  EXPECT_FALSE(PublicKey::load(KeyType::kEd25519, junk, error));
  // An Ed25519 SPKI is not an RSA key.
  testing::Pkey ed = testing::load_ed25519_seed(testing::testdata("keys/rfc8463-ed25519-private.seed.b64"));
  const int len = i2d_PUBKEY(ed.get(), nullptr);
  std::vector<std::uint8_t> spki(static_cast<std::size_t>(len));
  unsigned char* p = spki.data();
  i2d_PUBKEY(ed.get(), &p);
  EXPECT_FALSE(PublicKey::load(KeyType::kRsa, spki, error));
  EXPECT_EQ(error, "key p= is not an RSA key");
}

}  // namespace
}  // namespace portcullis::filters::dkim
