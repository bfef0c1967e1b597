#include "proxy/transaction_log.hpp"

#include <gtest/gtest.h>

#include "proxy/scan_command.hpp"

namespace portcullis::proxy {
namespace {

struct Fixture {
  filters::Session session;
  filters::Transaction txn;
  Fixture() {
    session.id = "s1f";
    session.client_ip_text = "192.0.2.7";
    session.client_port = 50596;
    session.helo = "mypc";
    session.symbols.push_back({"HELO_NOT_FQDN", 1.0, "mypc", "helo"});
    txn.mail_from = "a@example.net";
    txn.recipients = {"b@example.org", "c@example.org"};
    txn.symbols.push_back({"X_TEST", 2.5, "say \"hi\"\n", "test"});
  }
  filters::Outcome outcome(filters::Action action, double score, std::string reply) {
    filters::Decision d;
    d.action = action;
    d.score = score;
    return filters::Outcome{session, txn, d, std::move(reply), 4211,
                            std::chrono::microseconds(12'400)};
  }
};

TEST(TransactionLog, TextLineHasEveryField) {
  Fixture f;
  TransactionLog log(config::LogFormat::kText);
  EXPECT_EQ(log.text_line(f.outcome(filters::Action::kAddHeader, 3.5, "250 2.0.0 Ok: queued")),
            "s1f: client=[192.0.2.7]:50596 helo=<mypc> from=<a@example.net> "
            "to=<b@example.org>,<c@example.org> size=4211 action=add_header score=3.5 "
            "symbols=HELO_NOT_FQDN(1.0),X_TEST(2.5) reply=\"250 2.0.0 Ok: queued\" time=12ms");
}

TEST(TransactionLog, TlsAndAuthShowWhenKnown) {
  Fixture f;
  f.session.tls_version = "TLSv1.3";
  f.session.auth_user = "alice";
  TransactionLog text(config::LogFormat::kText);
  EXPECT_NE(text.text_line(f.outcome(filters::Action::kAccept, 0, "250 ok"))
                .find("helo=<mypc> tls=TLSv1.3 auth=<alice> from=<a@example.net>"),
            std::string::npos);
  TransactionLog json(config::LogFormat::kJson);
  EXPECT_NE(json.json_line(f.outcome(filters::Action::kAccept, 0, "250 ok"))
                .find("\"tls\":\"TLSv1.3\",\"auth\":\"alice\""),
            std::string::npos);
}

TEST(TransactionLog, JsonLineIsEscapedJson) {
  Fixture f;
  f.session.helo = "bad\"helo\x01";
  TransactionLog log(config::LogFormat::kJson);
  std::string line = log.json_line(f.outcome(filters::Action::kReject, 16, "554 5.7.1 No"));
  EXPECT_EQ(line,
            "{\"event\":\"transaction\",\"session\":\"s1f\",\"client_ip\":\"192.0.2.7\","
            "\"client_port\":50596,\"helo\":\"bad\\\"helo\\u0001\",\"tls\":\"\",\"auth\":\"\","
            "\"from\":\"a@example.net\","
            "\"to\":[\"b@example.org\",\"c@example.org\"],\"size\":4211,\"action\":\"reject\","
            "\"score\":16,\"symbols\":[{\"name\":\"HELO_NOT_FQDN\",\"score\":1,\"detail\":"
            "\"mypc\"},{\"name\":\"X_TEST\",\"score\":2.5,\"detail\":\"say \\\"hi\\\"\\u000a\"}],"
            "\"reply\":\"554 5.7.1 No\",\"time_ms\":12}");
}

TEST(TransactionLog, JsonQuoteKeepsUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json_quote("j\xc3\xb6rg"), "\"j\xc3\xb6rg\"");
  EXPECT_EQ(json_quote("a\xff" "b"), "\"a\\ufffdb\"");
  EXPECT_EQ(json_quote("\xe2\x82"), "\"\\ufffd\\ufffd\"");  // truncated sequence
  EXPECT_EQ(json_quote("back\\slash\t"), "\"back\\\\slash\\u0009\"");
}

TEST(ScanCommand, SavedFilesGetCrlfLineEnds) {
  EXPECT_EQ(to_crlf("a\nb\n"), "a\r\nb\r\n");
  EXPECT_EQ(to_crlf("a\r\nb\r\n"), "a\r\nb\r\n");
  EXPECT_EQ(to_crlf("\nx"), "\r\nx");
  EXPECT_EQ(to_crlf("mixed\r\nlf\n"), "mixed\r\nlf\r\n");
}

}  // namespace
}  // namespace portcullis::proxy
