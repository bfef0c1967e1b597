#include "filters/api/auth_results.hpp"

#include <gtest/gtest.h>

#include "filters/api/policy.hpp"

namespace portcullis::filters {
namespace {

const Header* ar_header(const Transaction& txn) {
  for (const Header& h : txn.add_headers) {
    if (h.name == "Authentication-Results") return &h;
  }
  return nullptr;
}

TEST(AuthResults, OneHeaderMethodsInRfcOrderWhateverTheRunOrder) {
  Transaction txn;
  add_auth_result(txn, "mx.example.org",
                  {AuthMethod::kDmarc, "dmarc=pass header.from=example.com", R"({"result":"pass"})"});
  add_auth_result(txn, "mx.example.org",
                  {AuthMethod::kSpf, "spf=pass smtp.mailfrom=example.com", R"({"result":"pass"})"});
  add_auth_result(txn, "mx.example.org",
                  {AuthMethod::kDkim, "dkim=pass header.d=example.com", R"({"result":"pass"})"});
  add_auth_result(txn, "mx.example.org",
                  {AuthMethod::kDkim, "dkim=fail header.d=other.example", R"({"result":"fail"})"});
  ASSERT_EQ(txn.add_headers.size(), 1u);
  EXPECT_EQ(ar_header(txn)->value,
            "mx.example.org; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; "
            "dkim=fail header.d=other.example; dmarc=pass header.from=example.com");
  EXPECT_EQ(auth_report_json(txn),
            R"({"spf":{"result":"pass"},"dkim":[{"result":"pass"},{"result":"fail"}],)"
            R"("dmarc":{"result":"pass"}})");
}

TEST(AuthResults, DkimWithoutSignaturesIsNone) {
  Transaction txn;
  mark_dkim_ran(txn, "mx.example.org");
  EXPECT_EQ(ar_header(txn)->value, "mx.example.org; dkim=none");
  EXPECT_EQ(auth_report_json(txn), R"({"dkim":[]})");
  Transaction untouched;
  EXPECT_EQ(auth_report_json(untouched), "");
  EXPECT_EQ(ar_header(untouched), nullptr);
}

TEST(AuthResults, ValuesAreTokensOrQuotedStrings) {
  EXPECT_EQ(auth_value("example.com"), "example.com");
  EXPECT_EQ(auth_value("user@example.com"), "\"user@example.com\"");
  EXPECT_EQ(auth_value("body hash mismatch"), "\"body hash mismatch\"");
  EXPECT_EQ(auth_value("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(auth_value("x\r\ny\x80"), "\"xy\"");
  EXPECT_EQ(auth_value(""), "\"\"");
}

TEST(AuthResults, RecognisesFieldsClaimingOurAuthservId) {
  EXPECT_TRUE(claims_authserv_id("Authentication-Results: mx.example.org; spf=pass\r\n",
                                 "mx.example.org"));
  EXPECT_TRUE(claims_authserv_id("authentication-results:\r\n\t(forged) MX.Example.ORG;\r\n none\r\n",
                                 "mx.example.org"));
  EXPECT_TRUE(claims_authserv_id("Authentication-Results: \"mx.example.org\"; none\r\n",
                                 "mx.example.org"));
  EXPECT_TRUE(claims_authserv_id("Authentication-Results: mx.example.org 1; none\r\n",
                                 "mx.example.org"));  // RFC 8601 version after the id
  EXPECT_FALSE(claims_authserv_id("Authentication-Results: mx.example.org.evil; none\r\n",
                                  "mx.example.org"));
  EXPECT_FALSE(claims_authserv_id("Authentication-Results: upstream.example; spf=pass\r\n",
                                  "mx.example.org"));
  EXPECT_FALSE(claims_authserv_id("X-Authentication-Results: mx.example.org; none\r\n",
                                  "mx.example.org"));
  EXPECT_FALSE(claims_authserv_id("Authentication-Results mx.example.org", "mx.example.org"));
}

TEST(AuthResults, RewriteRemovesForgedResultsWithTheirContinuationsOnly) {
  const std::string message =
      "Authentication-Results: mx.example.org;\r\n"
      "\tspf=pass smtp.mailfrom=forged.example\r\n"
      "Received: from a\r\n"
      "Authentication-Results: upstream.example; dkim=pass\r\n"
      "AUTHENTICATION-RESULTS: (c) mx.example.org; dmarc=pass\r\n"
      "Subject: hi\r\n"
      "\r\n"
      "Authentication-Results: mx.example.org; in the body stays\r\n";
  Transaction txn;
  add_auth_result(txn, "mx.example.org", {AuthMethod::kSpf, "spf=fail smtp.mailfrom=x.example", "{}"});
  EXPECT_EQ(rewrite_headers(message, txn.add_headers, "mx.example.org"),
            "Authentication-Results: mx.example.org; spf=fail smtp.mailfrom=x.example\r\n"
            "Received: from a\r\n"
            "Authentication-Results: upstream.example; dkim=pass\r\n"
            "Subject: hi\r\n"
            "\r\n"
            "Authentication-Results: mx.example.org; in the body stays\r\n");
  // Without an authserv-id nothing of that kind is removed.
  EXPECT_EQ(rewrite_headers(message, {}), message);
}

}  // namespace
}  // namespace portcullis::filters
