#include "filters/access/access_filter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/filters/filter_harness.hpp"

namespace portcullis::filters::access {
namespace {

using test::load;
using test::run;
using Kind = Verdict::Kind;

std::shared_ptr<Filter> make(const std::string& section_body) {
  const auto factory = make_access_factory();
  const std::string text = "filters:\n  access:\n" + section_body;
  auto loaded = load(*factory, text);
  EXPECT_TRUE(loaded.problems.empty()) << ::testing::PrintToString(loaded.problems);
  EXPECT_NE(loaded.filter, nullptr);
  return loaded.filter;
}

std::vector<std::string> problems_of(const std::string& section_body) {
  const auto factory = make_access_factory();
  auto loaded = load(*factory, "filters:\n  access:\n" + section_body);
  EXPECT_EQ(loaded.filter, nullptr);
  return loaded.problems;
}

std::string problem_of(const std::string& section_body) {
  const auto p = problems_of(section_body);
  EXPECT_EQ(p.size(), 1u) << ::testing::PrintToString(p);
  return p.empty() ? std::string() : p.front();
}

Session client(const std::string& ip) {
  Session s;
  const auto parsed = config::IpAddress::parse(ip);
  EXPECT_TRUE(parsed) << ip;
  if (parsed) s.client_ip = *parsed;
  s.client_ip_text = ip;
  return s;
}

struct Outcome {
  Verdict verdict;
  std::vector<Symbol> symbols;
};

Outcome connect(const std::shared_ptr<Filter>& f, const std::string& ip) {
  Session s = client(ip);
  Transaction t;
  Verdict v = run(f, Stage::kConnect, s, t);
  return {v, t.symbols};
}

Outcome mail(const std::shared_ptr<Filter>& f, const std::string& from) {
  Session s = client("198.51.100.7");
  Transaction t;
  t.mail_from = from;
  Verdict v = run(f, Stage::kMail, s, t);
  return {v, t.symbols};
}

Outcome rcpt(const std::shared_ptr<Filter>& f, const std::string& to) {
  Session s = client("198.51.100.7");
  Transaction t;
  t.mail_from = "sender@example.net";
  t.current_rcpt = to;
  Verdict v = run(f, Stage::kRcpt, s, t);
  return {v, t.symbols};
}

void expect_symbol(const Outcome& o, std::string_view name, std::string_view detail) {
  ASSERT_EQ(o.symbols.size(), 1u);
  EXPECT_EQ(o.symbols[0].name, name);
  EXPECT_EQ(o.symbols[0].score, 0.0);
  EXPECT_EQ(o.symbols[0].detail, detail);
  EXPECT_EQ(o.symbols[0].filter, "access");
}

void expect_reject(const Outcome& o, int code, std::string_view enhanced, std::string_view text,
                   std::string_view symbol, std::string_view detail) {
  EXPECT_EQ(o.verdict.kind, Kind::kReject);
  EXPECT_EQ(o.verdict.code, code);
  EXPECT_EQ(o.verdict.enhanced, enhanced);
  EXPECT_EQ(o.verdict.text, text);
  EXPECT_EQ(o.verdict.symbol, symbol);
  expect_symbol(o, symbol, detail);
}

void expect_accept(const Outcome& o, std::string_view symbol, std::string_view detail) {
  EXPECT_EQ(o.verdict.kind, Kind::kAccept);
  EXPECT_EQ(o.verdict.symbol, symbol);
  expect_symbol(o, symbol, detail);
}

void expect_proceed(const Outcome& o) {
  EXPECT_EQ(o.verdict.kind, Kind::kContinue);
  EXPECT_TRUE(o.symbols.empty());
}

// ---- factory and stages ---------------------------------------------------------------

TEST(AccessFactory, NameAndKeys) {
  const auto f = make_access_factory();
  EXPECT_EQ(f->name(), "access");
  EXPECT_TRUE(f->after().empty());
  const std::vector<std::string_view> keys = f->keys();
  const std::vector<std::string_view> expected = {
      "allow_clients",   "deny_clients", "allow_senders", "deny_senders",   "allow_recipients",
      "deny_recipients", "client_reply", "sender_reply",  "recipient_reply"};
  EXPECT_EQ(keys, expected);
}

TEST(AccessFactory, EmptySectionHooksNothing) {
  const auto f = make("    {}\n");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->name(), "access");
  EXPECT_EQ(f->stages(), 0u);
}

TEST(AccessFactory, NullSectionIsEmpty) {
  const auto factory = make_access_factory();
  const auto loaded = load(*factory, "filters:\n  access:\n");
  EXPECT_TRUE(loaded.problems.empty()) << ::testing::PrintToString(loaded.problems);
  ASSERT_NE(loaded.filter, nullptr);
  EXPECT_EQ(loaded.filter->stages(), 0u);
}

TEST(AccessFactory, StagesFollowTheListsGiven) {
  EXPECT_EQ(make("    deny_clients: [192.0.2.0/24]\n")->stages(), stage_bit(Stage::kConnect));
  EXPECT_EQ(make("    allow_clients: [192.0.2.0/24]\n")->stages(), stage_bit(Stage::kConnect));
  EXPECT_EQ(make("    deny_senders: [\"@example.com\"]\n")->stages(), stage_bit(Stage::kMail));
  EXPECT_EQ(make("    allow_senders: [\"<>\"]\n")->stages(), stage_bit(Stage::kMail));
  EXPECT_EQ(make("    deny_recipients: [a@example.org]\n")->stages(), stage_bit(Stage::kRcpt));
  EXPECT_EQ(make("    allow_recipients: [a@example.org]\n")->stages(), stage_bit(Stage::kRcpt));
  // Empty lists and replies alone hook nothing.
  EXPECT_EQ(make("    deny_clients: []\n    client_reply: \"554 5.7.1 No\"\n")->stages(), 0u);
  EXPECT_EQ(make("    deny_clients: [192.0.2.0/24]\n"
                 "    deny_senders: [\"@example.com\"]\n"
                 "    deny_recipients: [a@example.org]\n")
                ->stages(),
            stage_bit(Stage::kConnect) | stage_bit(Stage::kMail) | stage_bit(Stage::kRcpt));
}

TEST(AccessFactory, DesignExampleLoads) {
  const auto factory = make_access_factory();
  const auto loaded = load(*factory,
                           "filters:\n"
                           "  access: { deny_clients: [192.0.2.0/24], allow_clients: [], "
                           "deny_senders: [\"@spam.example\"],\n"
                           "            deny_recipients: [\"abuse-trap@example.org\"] }\n");
  EXPECT_TRUE(loaded.problems.empty()) << ::testing::PrintToString(loaded.problems);
  ASSERT_NE(loaded.filter, nullptr);
  expect_reject(connect(loaded.filter, "192.0.2.77"), 554, "5.7.1", "Access denied",
                "ACCESS_DENY_CLIENT", "192.0.2.0/24");
  expect_reject(mail(loaded.filter, "x@spam.example"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER", "@spam.example");
  expect_reject(rcpt(loaded.filter, "abuse-trap@example.org"), 550, "5.7.1",
                "Recipient address rejected: Access denied", "ACCESS_DENY_RECIPIENT",
                "abuse-trap@example.org");
}

TEST(AccessFactory, CommonKeysAreLeftToThePipeline) {
  const auto f =
      make("    deadline: 5s\n    on_error: continue\n    deny_clients: [192.0.2.0/24]\n");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->stages(), stage_bit(Stage::kConnect));
}

// ---- clients --------------------------------------------------------------------------

TEST(AccessClients, DenyIpv4Network) {
  const auto f = make("    deny_clients: [192.0.2.0/24, 203.0.113.9]\n");
  expect_reject(connect(f, "192.0.2.1"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "192.0.2.0/24");
  expect_reject(connect(f, "192.0.2.255"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "192.0.2.0/24");
  expect_reject(connect(f, "203.0.113.9"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "203.0.113.9/32");
  expect_proceed(connect(f, "192.0.3.1"));
  expect_proceed(connect(f, "203.0.113.8"));
  expect_proceed(connect(f, "2001:db8::1"));
}

TEST(AccessClients, Ipv4NetworkMatchesIpv4MappedClient) {
  const auto f = make("    deny_clients: [192.0.2.0/24]\n");
  expect_reject(connect(f, "::ffff:192.0.2.7"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "192.0.2.0/24");
}

TEST(AccessClients, DenyIpv6Network) {
  const auto f = make("    deny_clients: [\"2001:db8::/32\", \"2001:db8:1::/48\", \"::1\"]\n");
  // The most specific network is the one reported.
  expect_reject(connect(f, "2001:db8:1::5"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "2001:db8:1::/48");
  expect_reject(connect(f, "2001:db8:ffff::5"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "2001:db8::/32");
  expect_reject(connect(f, "::1"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT", "::1/128");
  expect_proceed(connect(f, "2001:db9::1"));
  expect_proceed(connect(f, "192.0.2.1"));
}

TEST(AccessClients, AllowWinsOverDeny) {
  const auto f = make(
      "    allow_clients: [192.0.2.10, \"2001:db8::/64\"]\n"
      "    deny_clients: [192.0.2.0/24, \"2001:db8::/32\"]\n");
  expect_accept(connect(f, "192.0.2.10"), "ACCESS_ALLOW_CLIENT", "192.0.2.10/32");
  expect_accept(connect(f, "2001:db8::99"), "ACCESS_ALLOW_CLIENT", "2001:db8::/64");
  expect_reject(connect(f, "192.0.2.11"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "192.0.2.0/24");
  expect_reject(connect(f, "2001:db8:0:1::99"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "2001:db8::/32");
  expect_proceed(connect(f, "198.51.100.1"));
}

TEST(AccessClients, AllowListAloneOnlyAccepts) {
  const auto f = make("    allow_clients: [10.0.0.0/8]\n");
  expect_accept(connect(f, "10.1.2.3"), "ACCESS_ALLOW_CLIENT", "10.0.0.0/8");
  expect_proceed(connect(f, "11.1.2.3"));
}

TEST(AccessClients, EverythingNetworks) {
  const auto f = make("    deny_clients: [0.0.0.0/0]\n    allow_clients: [\"::/0\"]\n");
  // ::/0 holds every address, the IPv4-mapped ones included: allow wins.
  expect_accept(connect(f, "192.0.2.1"), "ACCESS_ALLOW_CLIENT", "::/0");
  const auto v4_only = make("    deny_clients: [0.0.0.0/0]\n");
  expect_reject(connect(v4_only, "192.0.2.1"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "0.0.0.0/0");
  expect_proceed(connect(v4_only, "2001:db8::1"));
}

TEST(AccessClients, ClientStageLeavesOtherStagesAlone) {
  const auto f = make("    deny_clients: [192.0.2.0/24]\n");
  // A denied client's MAIL would never be asked about, but the hook has no opinion on it.
  Session s = client("192.0.2.1");
  Transaction t;
  t.mail_from = "a@example.org";
  EXPECT_EQ(run(f, Stage::kMail, s, t).kind, Kind::kContinue);
}

TEST(AccessClients, HostBitsAreReportedAtTheEntry) {
  EXPECT_EQ(problem_of("    deny_clients: [192.0.2.1/24]\n"),
            "t.yaml:3:20: filters.access.deny_clients[0]: 192.0.2.1/24 has host bits set; "
            "did you mean 192.0.2.0/24?");
  EXPECT_EQ(problem_of("    allow_clients:\n"
                       "      - 192.0.2.0/24\n"
                       "      - \"2001:db8::1/32\"\n"),
            "t.yaml:5:9: filters.access.allow_clients[1]: 2001:db8::1/32 has host bits set; "
            "did you mean 2001:db8::/32?");
}

TEST(AccessClients, BadNetworksAreReported) {
  EXPECT_EQ(problem_of("    deny_clients: [mx.example.org]\n"),
            "t.yaml:3:20: filters.access.deny_clients[0]: expected an address or network like "
            "192.0.2.0/24 or 2001:db8::/32, got \"mx.example.org\"");
  EXPECT_EQ(problem_of("    deny_clients: [192.0.2.0/33]\n"),
            "t.yaml:3:20: filters.access.deny_clients[0]: expected a prefix length 0-32 after "
            "the '/', got \"192.0.2.0/33\"");
  EXPECT_EQ(problem_of("    deny_clients: 192.0.2.0/24\n"),
            "t.yaml:3:19: filters.access.deny_clients: expected a list of networks like "
            "[192.0.2.0/24, \"2001:db8::/32\"], got \"192.0.2.0/24\"");
  EXPECT_EQ(problem_of("    deny_clients: [{a: b}]\n"),
            "t.yaml:3:20: filters.access.deny_clients[0]: expected a network like "
            "192.0.2.0/24, got a mapping");
}

// ---- senders --------------------------------------------------------------------------

TEST(AccessSenders, DomainEntryMatchesThatDomainOnly) {
  const auto f = make("    deny_senders: [\"@spam.example\"]\n");
  expect_reject(mail(f, "bob@spam.example"), 550, "5.7.1", "Sender address rejected: Access denied",
                "ACCESS_DENY_SENDER", "@spam.example");
  expect_reject(mail(f, "Bob@SPAM.Example"), 550, "5.7.1", "Sender address rejected: Access denied",
                "ACCESS_DENY_SENDER", "@spam.example");
  expect_reject(mail(f, "bob@spam.example."), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER", "@spam.example");
  expect_proceed(mail(f, "bob@sub.spam.example"));
  expect_proceed(mail(f, "bob@notspam.example"));
  expect_proceed(mail(f, "spam.example@example.org"));
  expect_proceed(mail(f, ""));
  expect_proceed(mail(f, "postmaster"));
}

TEST(AccessSenders, SubdomainEntryMatchesSubdomainsOnly) {
  const auto f = make("    deny_senders: [\"@.spam.example\"]\n");
  expect_reject(mail(f, "bob@mx.spam.example"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER", "@.spam.example");
  expect_reject(mail(f, "bob@a.b.c.SPAM.example"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER", "@.spam.example");
  expect_proceed(mail(f, "bob@spam.example"));
  expect_proceed(mail(f, "bob@xspam.example"));
  expect_proceed(mail(f, "bob@example"));
}

TEST(AccessSenders, DomainAndSubdomainsTogether) {
  const auto f = make("    deny_senders: [\"@spam.example\", \"@.spam.example\"]\n");
  expect_reject(mail(f, "bob@spam.example"), 550, "5.7.1", "Sender address rejected: Access denied",
                "ACCESS_DENY_SENDER", "@spam.example");
  expect_reject(mail(f, "bob@x.spam.example"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER", "@.spam.example");
}

TEST(AccessSenders, FullAddressIsCaseInsensitive) {
  const auto f = make("    deny_senders: [Bad.Guy@Example.ORG]\n");
  expect_reject(mail(f, "bad.guy@example.org"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER",
                "Bad.Guy@Example.ORG");
  expect_reject(mail(f, "BAD.GUY@EXAMPLE.ORG"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER",
                "Bad.Guy@Example.ORG");
  expect_proceed(mail(f, "good.guy@example.org"));
  expect_proceed(mail(f, "bad.guy+tag@example.org"));
  expect_proceed(mail(f, "bad.guy@sub.example.org"));
}

TEST(AccessSenders, NullSender) {
  const auto f = make("    deny_senders: [\"<>\"]\n");
  expect_reject(mail(f, ""), 550, "5.7.1", "Sender address rejected: Access denied",
                "ACCESS_DENY_SENDER", "<>");
  expect_proceed(mail(f, "a@example.org"));
  // Domain entries never match the null sender.
  const auto domains = make("    deny_senders: [\"@example.org\", \"@.org\"]\n");
  expect_proceed(mail(domains, ""));
}

TEST(AccessSenders, AllowWinsOverDeny) {
  const auto f = make(
      "    allow_senders: [friend@spam.example, \"<>\", \"@.good.spam.example\"]\n"
      "    deny_senders: [\"@spam.example\", \"@.spam.example\", \"<>\"]\n");
  expect_accept(mail(f, "Friend@spam.example"), "ACCESS_ALLOW_SENDER", "friend@spam.example");
  expect_accept(mail(f, ""), "ACCESS_ALLOW_SENDER", "<>");
  expect_accept(mail(f, "x@mx.good.spam.example"), "ACCESS_ALLOW_SENDER", "@.good.spam.example");
  expect_reject(mail(f, "foe@spam.example"), 550, "5.7.1", "Sender address rejected: Access denied",
                "ACCESS_DENY_SENDER", "@spam.example");
  expect_reject(mail(f, "foe@good.spam.example"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER", "@.spam.example");
}

TEST(AccessSenders, FullAddressBeatsDomainInTheDetail) {
  const auto f = make("    deny_senders: [\"@example.org\", \"@.org\", boss@example.org]\n");
  expect_reject(mail(f, "boss@example.org"), 550, "5.7.1", "Sender address rejected: Access denied",
                "ACCESS_DENY_SENDER", "boss@example.org");
  expect_reject(mail(f, "clerk@example.org"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER", "@example.org");
  expect_reject(mail(f, "clerk@sub.example.org"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER", "@.org");
}

TEST(AccessSenders, BadEntriesAreReported) {
  EXPECT_EQ(problem_of("    deny_senders: [example.org]\n"),
            "t.yaml:3:20: filters.access.deny_senders[0]: expected an address like "
            "user@example.org, a domain like \"@example.org\", subdomains like "
            "\"@.example.org\" or the null sender \"<>\", got \"example.org\"");
  EXPECT_EQ(problem_of("    deny_senders:\n      - ok@example.org\n      - \"@bad_domain\"\n"),
            "t.yaml:5:9: filters.access.deny_senders[1]: expected an address like "
            "user@example.org, a domain like \"@example.org\", subdomains like "
            "\"@.example.org\" or the null sender \"<>\", got \"@bad_domain\"; the domain is "
            "not a valid host name");
  EXPECT_EQ(problem_of("    allow_senders: [\"<a@example.org>\"]\n"),
            "t.yaml:3:21: filters.access.allow_senders[0]: expected an address like "
            "user@example.org, a domain like \"@example.org\", subdomains like "
            "\"@.example.org\" or the null sender \"<>\", got \"<a@example.org>\"; write "
            "addresses without <>");
  EXPECT_EQ(problem_of("    deny_senders: [\"a b@example.org\"]\n"),
            "t.yaml:3:20: filters.access.deny_senders[0]: expected an address like "
            "user@example.org, a domain like \"@example.org\", subdomains like "
            "\"@.example.org\" or the null sender \"<>\", got \"a b@example.org\"; the local "
            "part must be 1-64 printable characters without spaces");
  EXPECT_EQ(problem_of("    deny_senders: \"@example.org\"\n"),
            "t.yaml:3:19: filters.access.deny_senders: expected a list of addresses like "
            "[user@example.org, \"@example.org\"], got \"@example.org\"");
  EXPECT_EQ(problem_of("    deny_senders:\n"),
            "t.yaml:3:5: filters.access.deny_senders: expected a list of addresses like "
            "[user@example.org, \"@example.org\"], got nothing (write [] for an empty list)");
}

// ---- recipients -----------------------------------------------------------------------

TEST(AccessRecipients, MatchesCurrentRecipient) {
  const auto f = make("    deny_recipients: [abuse-trap@example.org, \"@.internal.example\"]\n");
  expect_reject(rcpt(f, "Abuse-Trap@example.org"), 550, "5.7.1",
                "Recipient address rejected: Access denied", "ACCESS_DENY_RECIPIENT",
                "abuse-trap@example.org");
  expect_reject(rcpt(f, "x@db.internal.example"), 550, "5.7.1",
                "Recipient address rejected: Access denied", "ACCESS_DENY_RECIPIENT",
                "@.internal.example");
  expect_proceed(rcpt(f, "user@example.org"));
  expect_proceed(rcpt(f, "x@internal.example"));
}

TEST(AccessRecipients, OnlyTheCurrentRecipientCounts) {
  const auto f = make("    deny_recipients: [trap@example.org]\n");
  Session s = client("198.51.100.7");
  Transaction t;
  t.mail_from = "trap@example.org";
  t.recipients = {"trap@example.org"};
  t.current_rcpt = "user@example.org";
  EXPECT_EQ(run(f, Stage::kRcpt, s, t).kind, Kind::kContinue);
  EXPECT_TRUE(t.symbols.empty());
}

TEST(AccessRecipients, AllowWinsOverDeny) {
  const auto f = make(
      "    allow_recipients: [postmaster@example.org]\n"
      "    deny_recipients: [\"@example.org\"]\n");
  expect_accept(rcpt(f, "PostMaster@Example.org"), "ACCESS_ALLOW_RECIPIENT",
                "postmaster@example.org");
  expect_reject(rcpt(f, "user@example.org"), 550, "5.7.1",
                "Recipient address rejected: Access denied", "ACCESS_DENY_RECIPIENT",
                "@example.org");
}

TEST(AccessRecipients, NullSenderIsNoRecipient) {
  EXPECT_EQ(problem_of("    deny_recipients: [\"<>\"]\n"),
            "t.yaml:3:23: filters.access.deny_recipients[0]: expected an address like "
            "user@example.org, a domain like \"@example.org\", subdomains like "
            "\"@.example.org\", got \"<>\"; the null sender is never a recipient");
}

// ---- replies --------------------------------------------------------------------------

TEST(AccessReplies, Overrides) {
  const auto f = make(
      "    deny_clients: [192.0.2.0/24]\n"
      "    deny_senders: [\"@spam.example\"]\n"
      "    deny_recipients: [trap@example.org]\n"
      "    client_reply: \"521 5.7.0 Go away\"\n"
      "    sender_reply: \"553 5.7.1 Not from you\"\n"
      "    recipient_reply: \"550 5.1.1 No such user here\"\n");
  expect_reject(connect(f, "192.0.2.1"), 521, "5.7.0", "Go away", "ACCESS_DENY_CLIENT",
                "192.0.2.0/24");
  expect_reject(mail(f, "a@spam.example"), 553, "5.7.1", "Not from you", "ACCESS_DENY_SENDER",
                "@spam.example");
  expect_reject(rcpt(f, "trap@example.org"), 550, "5.1.1", "No such user here",
                "ACCESS_DENY_RECIPIENT", "trap@example.org");
}

TEST(AccessReplies, TransientReplyTempfails) {
  const auto f = make(
      "    deny_clients: [192.0.2.0/24]\n"
      "    client_reply: \"421 4.7.0 Try again later\"\n");
  const auto o = connect(f, "192.0.2.1");
  EXPECT_EQ(o.verdict.kind, Kind::kTempfail);
  EXPECT_EQ(o.verdict.code, 421);
  EXPECT_EQ(o.verdict.enhanced, "4.7.0");
  EXPECT_EQ(o.verdict.text, "Try again later");
  EXPECT_EQ(o.verdict.symbol, "ACCESS_DENY_CLIENT");
}

TEST(AccessReplies, BadRepliesAreReported) {
  EXPECT_EQ(problem_of("    client_reply: \"250 2.0.0 Ok\"\n"),
            "t.yaml:3:19: filters.access.client_reply: expected a 4xx or 5xx reply code (a "
            "refusal), got \"250 2.0.0 Ok\"");
  EXPECT_EQ(problem_of("    sender_reply: \"550 4.7.1 Nope\"\n"),
            "t.yaml:3:19: filters.access.sender_reply: the enhanced status code 4.7.1 does "
            "not match reply code 550 (its class must be 5), got \"550 4.7.1 Nope\"");
  EXPECT_EQ(problem_of("    recipient_reply: \"550 Nope\"\n"),
            "t.yaml:3:22: filters.access.recipient_reply: expected a reply like \"554 5.7.1 "
            "Access denied\" (a 4xx or 5xx code, an enhanced status code and text), got "
            "\"550 Nope\"");
  EXPECT_EQ(problem_of("    client_reply: \"554 5.7.1\"\n"),
            "t.yaml:3:19: filters.access.client_reply: expected a reply like \"554 5.7.1 "
            "Access denied\" (a 4xx or 5xx code, an enhanced status code and text), got "
            "\"554 5.7.1\"");
  EXPECT_EQ(problem_of("    client_reply: \"554 5.7.1 tab\\there\"\n"),
            "t.yaml:3:19: filters.access.client_reply: the reply text must be printable "
            "ASCII, got \"554 5.7.1 tab\\x09here\"");
  EXPECT_EQ(problem_of("    client_reply: [554]\n"),
            "t.yaml:3:19: filters.access.client_reply: expected a reply like \"554 5.7.1 "
            "Access denied\", got a list");
  const std::string long_reply = "554 5.7.1 " + std::string(400, 'x');
  EXPECT_EQ(problem_of("    client_reply: \"" + long_reply + "\"\n"),
            "t.yaml:3:19: filters.access.client_reply: the reply is 410 bytes, at most 400 "
            "are allowed");
}

TEST(AccessFactory, EveryProblemIsReportedInFileOrder) {
  const auto p = problems_of(
      "    client_reply: \"554 5.7.1\"\n"
      "    deny_clients: [192.0.2.1/24, 10.0.0.0/8, nonsense]\n"
      "    deny_senders: [\"@\"]\n"
      "    deny_recipeints: []\n");
  ASSERT_EQ(p.size(), 5u) << ::testing::PrintToString(p);
  EXPECT_TRUE(p[0].starts_with("t.yaml:3:19: filters.access.client_reply: ")) << p[0];
  EXPECT_TRUE(p[1].starts_with("t.yaml:4:20: filters.access.deny_clients[0]: ")) << p[1];
  EXPECT_TRUE(p[2].starts_with("t.yaml:4:46: filters.access.deny_clients[2]: ")) << p[2];
  EXPECT_TRUE(p[3].starts_with("t.yaml:5:20: filters.access.deny_senders[0]: ")) << p[3];
  EXPECT_EQ(p[4],
            "t.yaml:6:5: filters.access.deny_recipeints: unknown key; did you mean "
            "'deny_recipients'?");
}

// ---- large lists ----------------------------------------------------------------------

TEST(AccessLargeLists, ThousandsOfEntries) {
  std::string body = "    deny_clients:\n";
  for (int i = 0; i < 4000; ++i) {
    body += "      - \"10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24\"\n";
  }
  for (int i = 0; i < 1000; ++i) body += "      - \"2001:db8:" + std::to_string(i) + "::/48\"\n";
  body += "    deny_senders:\n";
  for (int i = 0; i < 5000; ++i) {
    body += "      - user" + std::to_string(i) + "@example.org\n";
    body += "      - \"@d" + std::to_string(i) + ".example\"\n";
  }
  const auto f = make(body);
  ASSERT_NE(f, nullptr);
  expect_reject(connect(f, "10.15.99.4"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "10.15.99.0/24");
  expect_reject(connect(f, "2001:db8:999::1"), 554, "5.7.1", "Access denied", "ACCESS_DENY_CLIENT",
                "2001:db8:999::/48");
  expect_proceed(connect(f, "10.16.0.1"));
  expect_reject(mail(f, "user4999@example.org"), 550, "5.7.1",
                "Sender address rejected: Access denied", "ACCESS_DENY_SENDER",
                "user4999@example.org");
  expect_reject(mail(f, "x@d1234.example"), 550, "5.7.1", "Sender address rejected: Access denied",
                "ACCESS_DENY_SENDER", "@d1234.example");
  expect_proceed(mail(f, "user5000@example.org"));
}

}  // namespace
}  // namespace portcullis::filters::access
