#include "filters/helo/helo_filter.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/filters/filter_harness.hpp"

namespace portcullis::filters::helo {
namespace {

using test::load;
using test::run;
using Kind = Verdict::Kind;

constexpr std::string_view kClient = "198.51.100.7";
constexpr std::string_view kOurHost = "MX.Example.ORG";
constexpr std::string_view kOurV4 = "192.0.2.25";
constexpr std::string_view kOurV6 = "2001:db8::25";

std::shared_ptr<Filter> make(const std::string& section_body) {
  const auto factory = make_helo_factory();
  auto loaded = load(*factory, "filters:\n  helo:\n" + section_body);
  EXPECT_TRUE(loaded.problems.empty()) << ::testing::PrintToString(loaded.problems);
  EXPECT_NE(loaded.filter, nullptr);
  return loaded.filter;
}

std::shared_ptr<Filter> make_default() { return make("    {}\n"); }

std::string problem_of(const std::string& section_body) {
  const auto factory = make_helo_factory();
  auto loaded = load(*factory, "filters:\n  helo:\n" + section_body);
  EXPECT_EQ(loaded.filter, nullptr);
  EXPECT_EQ(loaded.problems.size(), 1u) << ::testing::PrintToString(loaded.problems);
  return loaded.problems.empty() ? std::string() : loaded.problems.front();
}

config::IpAddress ip(std::string_view text) {
  const auto parsed = config::IpAddress::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(config::IpAddress{});
}

struct Outcome {
  Verdict verdict;
  std::vector<Symbol> symbols;
  // name → score, for the common assertions
  std::map<std::string, double> scores() const {
    std::map<std::string, double> out;
    for (const auto& s : symbols) out[s.name] += s.score;
    return out;
  }
};

// HELO `helo` from `client`, talking to us (kOurHost, kOurV4, kOurV6 and the unspecified
// address of a wildcard listener).
Outcome helo(const std::shared_ptr<Filter>& f, std::string_view name,
             std::string_view client = kClient, bool client_known = true) {
  Session s;
  if (client_known) {
    s.client_ip = ip(client);
    s.client_ip_text = std::string(client);
  }
  s.client_port = 40000;
  s.helo = std::string(name);
  s.esmtp = true;
  s.local_hostname = std::string(kOurHost);
  s.local_ips = {ip(kOurV4), ip(kOurV6), ip("0.0.0.0"), ip("::")};
  Transaction t;
  Verdict v = run(f, Stage::kHelo, s, t);
  EXPECT_TRUE(s.symbols.empty());  // the pipeline moves them, not the filter
  for (const auto& sym : t.symbols) {
    EXPECT_EQ(sym.filter, "helo");
    EXPECT_LE(sym.detail.size(), 64u);
    for (char c : sym.detail) EXPECT_TRUE(c > ' ' && c < 0x7f) << sym.detail;
  }
  return {v, t.symbols};
}

using Scores = std::map<std::string, double>;

// ---- factory --------------------------------------------------------------------------

TEST(HeloFactory, NameKeysStages) {
  const auto factory = make_helo_factory();
  EXPECT_EQ(factory->name(), "helo");
  EXPECT_EQ(factory->keys(), (std::vector<std::string_view>{"scores", "reject_forged_own"}));
  EXPECT_TRUE(factory->after().empty());
  const auto f = make_default();
  EXPECT_EQ(f->name(), "helo");
  EXPECT_EQ(f->stages(), stage_bit(Stage::kHelo));
}

TEST(HeloFactory, NullSectionGetsDefaults) {
  const auto factory = make_helo_factory();
  auto loaded = load(*factory, "filters:\n  helo:\n");
  EXPECT_TRUE(loaded.problems.empty()) << ::testing::PrintToString(loaded.problems);
  ASSERT_NE(loaded.filter, nullptr);
  EXPECT_EQ(helo(loaded.filter, "mypc").scores(), (Scores{{"HELO_NOT_FQDN", 1.0}}));
}

// ---- each symbol, default scores ------------------------------------------------------

TEST(HeloSymbols, GoodNamesEarnNothing) {
  const auto f = make_default();
  for (std::string_view name : {"mail.example.net", "MAIL.EXAMPLE.NET", "mail.example.net.",
                                "[198.51.100.7]", "[IPv6:::ffff:198.51.100.7]"}) {
    const auto o = helo(f, name);
    EXPECT_EQ(o.verdict.kind, Kind::kContinue) << name;
    EXPECT_TRUE(o.symbols.empty()) << name << ": " << o.symbols.front().name;
  }
  const auto v6 = helo(f, "[IPv6:2001:db8:1::7]", "2001:db8:1::7");
  EXPECT_TRUE(v6.symbols.empty());
  const auto v6_long_form = helo(f, "[IPv6:2001:DB8:1:0:0:0:0:7]", "2001:db8:1::7");
  EXPECT_TRUE(v6_long_form.symbols.empty());
}

TEST(HeloSymbols, EmptyHeloEarnsNothing) {
  const auto o = helo(make_default(), "");
  EXPECT_EQ(o.verdict.kind, Kind::kContinue);
  EXPECT_TRUE(o.symbols.empty());
}

TEST(HeloSymbols, BadSyntax) {
  const auto f = make_default();
  for (std::string_view name : {"my_pc.example.net", "-x.example", "a..b", "[::1]", "[1.2.3]",
                                "caf\xc3\xa9.example", "192.0.2.256", "[IPv6:192.0.2.1]"}) {
    const auto o = helo(f, name);
    EXPECT_EQ(o.verdict.kind, Kind::kContinue);
    ASSERT_EQ(o.symbols.size(), 1u) << name;
    EXPECT_EQ(o.symbols[0].name, "HELO_BAD_SYNTAX");
    EXPECT_EQ(o.symbols[0].score, 3.0);
  }
  EXPECT_EQ(helo(f, "my_pc.example.net").symbols[0].detail, "my_pc.example.net");
  // The detail is the HELO, sanitised and capped.
  EXPECT_EQ(helo(f, "caf\xc3\xa9.example").symbols[0].detail, "caf??.example");
  const std::string long_name = "x_" + std::string(100, 'y');
  EXPECT_EQ(helo(f, long_name).symbols[0].detail, "x_" + std::string(59, 'y') + "...");
  const std::string exactly64 = "x_" + std::string(62, 'y');
  EXPECT_EQ(helo(f, exactly64).symbols[0].detail, exactly64);
}

TEST(HeloSymbols, BareIp) {
  const auto f = make_default();
  auto o = helo(f, "198.51.100.7");
  EXPECT_EQ(o.scores(), (Scores{{"HELO_BARE_IP", 2.0}}));
  EXPECT_EQ(o.symbols[0].detail, "198.51.100.7");
  EXPECT_EQ(helo(f, "203.0.113.1").scores(), (Scores{{"HELO_BARE_IP", 2.0}}));
  EXPECT_EQ(helo(f, "2001:db8:1::7", "2001:db8:1::7").scores(), (Scores{{"HELO_BARE_IP", 2.0}}));
  EXPECT_EQ(helo(f, "[198.51.100.7]").scores(), Scores{});
}

TEST(HeloSymbols, NotFqdn) {
  const auto f = make_default();
  for (std::string_view name : {"localhost", "mypc", "MyPC", "mypc."}) {
    const auto o = helo(f, name);
    EXPECT_EQ(o.scores(), (Scores{{"HELO_NOT_FQDN", 1.0}})) << name;
    EXPECT_EQ(o.symbols[0].detail, name);
  }
  EXPECT_EQ(helo(f, "mypc.lan").scores(), Scores{});
}

TEST(HeloSymbols, ForgedOwnHostname) {
  const auto f = make_default();
  for (std::string_view name :
       {"mx.example.org", "MX.EXAMPLE.ORG", "Mx.Example.Org.", "mx.example.org."}) {
    const auto o = helo(f, name);
    EXPECT_EQ(o.verdict.kind, Kind::kContinue);
    EXPECT_EQ(o.scores(), (Scores{{"HELO_FORGED_OWN", 5.0}})) << name;
    EXPECT_EQ(o.symbols[0].detail, name);
  }
  EXPECT_EQ(helo(f, "mx2.example.org").scores(), Scores{});
  EXPECT_EQ(helo(f, "example.org").scores(), Scores{});
  EXPECT_EQ(helo(f, "mx.example.org.evil").scores(), Scores{});
}

TEST(HeloSymbols, ForgedOwnAddress) {
  const auto f = make_default();
  EXPECT_EQ(helo(f, "192.0.2.25").scores(),
            (Scores{{"HELO_BARE_IP", 2.0}, {"HELO_FORGED_OWN", 5.0}}));
  EXPECT_EQ(helo(f, "[192.0.2.25]").scores(),
            (Scores{{"HELO_FORGED_OWN", 5.0}, {"HELO_IP_MISMATCH", 1.0}}));
  EXPECT_EQ(helo(f, "[IPv6:2001:db8::25]").scores(),
            (Scores{{"HELO_FORGED_OWN", 5.0}, {"HELO_IP_MISMATCH", 1.0}}));
  EXPECT_EQ(helo(f, "2001:DB8::25").scores(),
            (Scores{{"HELO_BARE_IP", 2.0}, {"HELO_FORGED_OWN", 5.0}}));
  EXPECT_EQ(helo(f, "[IPv6:2001:db8::25]", "2001:db8:1::7").scores(),
            (Scores{{"HELO_FORGED_OWN", 5.0}, {"HELO_IP_MISMATCH", 1.0}}));
  // A wildcard listener's 0.0.0.0 / :: is nobody's address.
  EXPECT_EQ(helo(f, "[0.0.0.0]").scores(), (Scores{{"HELO_IP_MISMATCH", 1.0}}));
  EXPECT_EQ(helo(f, "[IPv6:::]").scores(), (Scores{{"HELO_IP_MISMATCH", 1.0}}));
  EXPECT_EQ(helo(f, "0.0.0.0").scores(), (Scores{{"HELO_BARE_IP", 2.0}}));
}

TEST(HeloSymbols, ClientThatIsUsMayUseOurNames) {
  const auto f = make_default();
  // Loopback, IPv4, IPv4-mapped and IPv6.
  EXPECT_EQ(helo(f, "mx.example.org", "127.0.0.1").scores(), Scores{});
  EXPECT_EQ(helo(f, "mx.example.org", "127.8.9.10").scores(), Scores{});
  EXPECT_EQ(helo(f, "mx.example.org", "::ffff:127.0.0.1").scores(), Scores{});
  EXPECT_EQ(helo(f, "mx.example.org", "::1").scores(), Scores{});
  // One of our own addresses.
  EXPECT_EQ(helo(f, "mx.example.org", kOurV4).scores(), Scores{});
  EXPECT_EQ(helo(f, "MX.EXAMPLE.ORG.", kOurV6).scores(), Scores{});
  EXPECT_EQ(helo(f, "[192.0.2.25]", kOurV4).scores(), Scores{});
  EXPECT_EQ(helo(f, "[192.0.2.25]", kOurV6).scores(), (Scores{{"HELO_IP_MISMATCH", 1.0}}));
  EXPECT_EQ(helo(f, "[192.0.2.25]", "127.0.0.1").scores(), (Scores{{"HELO_IP_MISMATCH", 1.0}}));
  // Not loopback: ::2, 128.0.0.1, a listener's wildcard.
  EXPECT_EQ(helo(f, "mx.example.org", "::2").scores(), (Scores{{"HELO_FORGED_OWN", 5.0}}));
  EXPECT_EQ(helo(f, "mx.example.org", "128.0.0.1").scores(), (Scores{{"HELO_FORGED_OWN", 5.0}}));
}

TEST(HeloSymbols, IpMismatch) {
  const auto f = make_default();
  auto o = helo(f, "[203.0.113.9]");
  EXPECT_EQ(o.scores(), (Scores{{"HELO_IP_MISMATCH", 1.0}}));
  EXPECT_EQ(o.symbols[0].detail, "[203.0.113.9]");
  EXPECT_EQ(helo(f, "[IPv6:2001:db8:1::8]", "2001:db8:1::7").scores(),
            (Scores{{"HELO_IP_MISMATCH", 1.0}}));
  // An IPv4 literal from an IPv6 client, and the other way round.
  EXPECT_EQ(helo(f, "[198.51.100.7]", "2001:db8:1::7").scores(),
            (Scores{{"HELO_IP_MISMATCH", 1.0}}));
  EXPECT_EQ(helo(f, "[IPv6:2001:db8:1::7]", "198.51.100.7").scores(),
            (Scores{{"HELO_IP_MISMATCH", 1.0}}));
  // The same address, written as an IPv4-mapped IPv6 literal, matches a dual-stack client.
  EXPECT_EQ(helo(f, "[198.51.100.7]", "::ffff:198.51.100.7").scores(), Scores{});
  // Bare IPs are not literals: no mismatch, only HELO_BARE_IP.
  EXPECT_EQ(helo(f, "203.0.113.9").scores(), (Scores{{"HELO_BARE_IP", 2.0}}));
}

TEST(HeloSymbols, UnknownClientAddress) {
  const auto f = make_default();
  EXPECT_EQ(helo(f, "[203.0.113.9]", "", false).scores(), Scores{});
  EXPECT_EQ(helo(f, "mx.example.org", "", false).scores(), Scores{});
  EXPECT_EQ(helo(f, "192.0.2.25", "", false).scores(), (Scores{{"HELO_BARE_IP", 2.0}}));
  EXPECT_EQ(helo(f, "mypc", "", false).scores(), (Scores{{"HELO_NOT_FQDN", 1.0}}));
}

TEST(HeloSymbols, NoOwnHostname) {
  const auto f = make_default();
  Session s;
  s.client_ip = ip(kClient);
  s.client_ip_text = std::string(kClient);
  s.helo = "mx.example.org";
  Transaction t;
  EXPECT_EQ(run(f, Stage::kHelo, s, t).kind, Kind::kContinue);
  EXPECT_TRUE(t.symbols.empty());
}

// ---- configuration --------------------------------------------------------------------

TEST(HeloConfig, CustomScores) {
  const auto f = make(
      "    scores:\n"
      "      HELO_BAD_SYNTAX: 4\n"
      "      HELO_BARE_IP: 0.5\n"
      "      HELO_NOT_FQDN: -1.25\n"
      "      HELO_FORGED_OWN: 20\n"
      "      HELO_IP_MISMATCH: 0\n");
  EXPECT_EQ(helo(f, "a_b").scores(), (Scores{{"HELO_BAD_SYNTAX", 4.0}}));
  EXPECT_EQ(helo(f, "203.0.113.1").scores(), (Scores{{"HELO_BARE_IP", 0.5}}));
  EXPECT_EQ(helo(f, "mypc").scores(), (Scores{{"HELO_NOT_FQDN", -1.25}}));
  EXPECT_EQ(helo(f, "mx.example.org").scores(), (Scores{{"HELO_FORGED_OWN", 20.0}}));
  // A zero score still records the symbol.
  EXPECT_EQ(helo(f, "[203.0.113.1]").scores(), (Scores{{"HELO_IP_MISMATCH", 0.0}}));
}

TEST(HeloConfig, SomeScoresKeepTheRestDefault) {
  const auto f = make("    scores: { HELO_BARE_IP: 7 }\n");
  EXPECT_EQ(helo(f, "203.0.113.1").scores(), (Scores{{"HELO_BARE_IP", 7.0}}));
  EXPECT_EQ(helo(f, "a_b").scores(), (Scores{{"HELO_BAD_SYNTAX", 3.0}}));
  EXPECT_EQ(helo(f, "mypc").scores(), (Scores{{"HELO_NOT_FQDN", 1.0}}));
  EXPECT_EQ(helo(f, "mx.example.org").scores(), (Scores{{"HELO_FORGED_OWN", 5.0}}));
  EXPECT_EQ(helo(f, "[203.0.113.1]").scores(), (Scores{{"HELO_IP_MISMATCH", 1.0}}));
  const auto empty = make("    scores: {}\n");
  EXPECT_EQ(helo(empty, "203.0.113.1").scores(), (Scores{{"HELO_BARE_IP", 2.0}}));
}

TEST(HeloConfig, RejectForgedOwn) {
  const auto f = make("    reject_forged_own: true\n");
  auto o = helo(f, "MX.example.org");
  EXPECT_EQ(o.verdict.kind, Kind::kReject);
  EXPECT_EQ(o.verdict.code, 550);
  EXPECT_EQ(o.verdict.enhanced, "5.7.1");
  EXPECT_EQ(o.verdict.text, "Helo command rejected: You are not me");
  EXPECT_EQ(o.verdict.symbol, "HELO_FORGED_OWN");
  EXPECT_EQ(o.scores(), (Scores{{"HELO_FORGED_OWN", 5.0}}));
  o = helo(f, "[192.0.2.25]");
  EXPECT_EQ(o.verdict.kind, Kind::kReject);
  EXPECT_EQ(o.scores(), (Scores{{"HELO_FORGED_OWN", 5.0}, {"HELO_IP_MISMATCH", 1.0}}));
  // Everything else still only scores.
  for (std::string_view name :
       {"a_b", "mypc", "203.0.113.1", "[203.0.113.1]", "mail.example.net"}) {
    EXPECT_EQ(helo(f, name).verdict.kind, Kind::kContinue) << name;
  }
  // Our own clients are not refused.
  EXPECT_EQ(helo(f, "mx.example.org", "127.0.0.1").verdict.kind, Kind::kContinue);
  EXPECT_EQ(helo(f, "mx.example.org", kOurV4).verdict.kind, Kind::kContinue);
}

TEST(HeloConfig, RejectForgedOwnDefaultsToFalse) {
  EXPECT_EQ(helo(make_default(), "mx.example.org").verdict.kind, Kind::kContinue);
  EXPECT_EQ(helo(make("    reject_forged_own: false\n"), "mx.example.org").verdict.kind,
            Kind::kContinue);
}

TEST(HeloConfig, Problems) {
  EXPECT_EQ(problem_of("    reject_forged_own: yes\n"),
            "t.yaml:3:24: filters.helo.reject_forged_own: expected true or false, got \"yes\"");
  EXPECT_EQ(problem_of("    scores:\n      HELO_BARE_IP: lots\n"),
            "t.yaml:4:21: filters.helo.scores.HELO_BARE_IP: expected a number like 15 or 7.5 "
            "(from -1000000 to 1000000, at most 6 decimals), got \"lots\"");
  EXPECT_EQ(problem_of("    scores:\n      HELO_BARE_IP: 1e3\n"),
            "t.yaml:4:21: filters.helo.scores.HELO_BARE_IP: expected a number like 15 or 7.5 "
            "(from -1000000 to 1000000, at most 6 decimals), got \"1e3\"");
  EXPECT_EQ(problem_of("    scores:\n      HELO_BADSYNTAX: 1\n"),
            "t.yaml:4:7: filters.helo.scores.HELO_BADSYNTAX: unknown key; did you mean "
            "'HELO_BAD_SYNTAX'?");
  EXPECT_EQ(problem_of("    scores: [1, 2]\n"),
            "t.yaml:3:13: filters.helo.scores: expected a mapping (key: value), got a list");
  EXPECT_EQ(problem_of("    scores:\n      HELO_NOT_FQDN: 1\n      HELO_NOT_FQDN: 2\n"),
            "t.yaml:5:7: filters.helo.scores.HELO_NOT_FQDN: duplicate key (first on line 4)");
  EXPECT_EQ(problem_of("    reject_forged: true\n"),
            "t.yaml:3:5: filters.helo.reject_forged: unknown key");
  EXPECT_EQ(problem_of("    reject_forged_onw: true\n"),
            "t.yaml:3:5: filters.helo.reject_forged_onw: unknown key; did you mean "
            "'reject_forged_own'?");
  EXPECT_EQ(problem_of("    scores:\n      HELO_BARE_IP: [2]\n"),
            "t.yaml:4:21: filters.helo.scores.HELO_BARE_IP: expected a number like 15 or 7.5, "
            "got a list");
}

}  // namespace
}  // namespace portcullis::filters::helo
