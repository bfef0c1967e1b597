#include "filters/spf/spf_evaluator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "zone_view.hpp"

namespace portcullis::filters::spf {
namespace {

using Code = SpfResult::Code;
using testing::drive_lazily;
using testing::LazyView;
using testing::ZoneView;

config::IpAddress ip(std::string_view text) { return *config::IpAddress::parse(text); }

SpfRequest request(std::string_view client, std::string_view mail_from,
                   std::string_view helo = "mx.sender.example") {
  SpfRequest r;
  r.client_ip = ip(client);
  r.mail_from = std::string(mail_from);
  r.helo = std::string(helo);
  r.receiver = "mx.receiver.example";
  return r;
}

// The eager result, checked against the restart protocol's.
SpfResult check(ZoneView& zone, const SpfRequest& req, bool helo = false) {
  auto evaluate = [&](dns::DnsView& view) {
    return helo ? check_helo(req, view) : check_mail_from(req, view);
  };
  auto eager = evaluate(zone);
  EXPECT_TRUE(eager.result) << "eager view left needs";
  std::string error;
  auto lazy = drive_lazily(zone, evaluate, &error);
  EXPECT_TRUE(lazy) << error;
  if (eager.result && lazy) {
    EXPECT_EQ(*eager.result, *lazy);
  }
  return eager.result ? *eager.result : SpfResult{};
}

ZoneView basic_zone() {
  ZoneView z;
  z.add_txt("example.org", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 mx -all exp=why.example.org");
  z.add_txt("example.org", "some other TXT record");
  z.add_txt("why.example.org", "%{i} may not send for %{d} (%{s})");
  z.add_mx("example.org", 10, "mx1.example.org");
  z.add_mx("example.org", 20, "mx2.example.org");
  z.add_mx("example.org", 30, "mx3.example.org");
  z.add_address("mx1.example.org", ip("198.51.100.1"));
  z.add_address("mx2.example.org", ip("198.51.100.2"));
  z.add_address("mx3.example.org", ip("198.51.100.3"));
  return z;
}

TEST(SpfEvaluator, PassFailAndFields) {
  ZoneView z = basic_zone();
  SpfResult r = check(z, request("192.0.2.7", "alice@Example.ORG"));
  EXPECT_EQ(r.code, Code::kPass);
  EXPECT_EQ(r.identity, "mailfrom");
  EXPECT_EQ(r.domain, "example.org");
  EXPECT_EQ(r.reason, "matched ip4:192.0.2.0/24");
  EXPECT_EQ(r.explanation, "");

  r = check(z, request("198.51.100.3", "alice@example.org"));
  EXPECT_EQ(r.code, Code::kPass);
  EXPECT_EQ(r.reason, "matched mx");

  r = check(z, request("203.0.113.9", "alice@example.org"));
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.reason, "matched -all");
  EXPECT_EQ(r.explanation, "203.0.113.9 may not send for example.org (alice@example.org)");
  EXPECT_EQ(to_string(r.code), "fail");
}

TEST(SpfEvaluator, MxAddressLookupsAreAskedTogether) {
  ZoneView z = basic_zone();
  LazyView lazy(z);
  const SpfRequest req = request("203.0.113.9", "alice@example.org");
  auto e = check_mail_from(req, lazy);
  ASSERT_FALSE(e.result);
  ASSERT_EQ(e.needs, (std::vector<dns::Question>{{"example.org", dns::RrType::kTxt}}));
  ASSERT_TRUE(lazy.release(e.needs));
  e = check_mail_from(req, lazy);
  ASSERT_EQ(e.needs, (std::vector<dns::Question>{{"example.org", dns::RrType::kMx}}));
  ASSERT_TRUE(lazy.release(e.needs));
  e = check_mail_from(req, lazy);
  ASSERT_FALSE(e.result);
  EXPECT_EQ(e.needs, (std::vector<dns::Question>{{"mx1.example.org", dns::RrType::kA},
                                                 {"mx2.example.org", dns::RrType::kA},
                                                 {"mx3.example.org", dns::RrType::kA}}));
  ASSERT_TRUE(lazy.release(e.needs));
  e = check_mail_from(req, lazy);
  // The explanation is fetched only now that the result is known to be fail.
  EXPECT_EQ(e.needs, (std::vector<dns::Question>{{"why.example.org", dns::RrType::kTxt}}));
  ASSERT_TRUE(lazy.release(e.needs));
  e = check_mail_from(req, lazy);
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.result->code, Code::kFail);
  // IPv6 clients ask for AAAA.
  LazyView lazy6(z);
  const SpfRequest req6 = request("2001:db9::1", "alice@example.org");
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(lazy6.release(check_mail_from(req6, lazy6).needs));
  e = check_mail_from(req6, lazy6);
  EXPECT_EQ(e.needs.size(), 3u);
  EXPECT_EQ(e.needs.front().type, dns::RrType::kAaaa);
}

TEST(SpfEvaluator, NullSenderAndHelo) {
  ZoneView z;
  z.add_txt("mx.sender.example", "v=spf1 a -all exp=e.sender.example");
  z.add_txt("e.sender.example", "%{l} %{o} %{h}");
  z.add_address("mx.sender.example", ip("192.0.2.1"));
  SpfResult r = check(z, request("192.0.2.1", ""));
  EXPECT_EQ(r.code, Code::kPass);
  EXPECT_EQ(r.domain, "mx.sender.example");
  r = check(z, request("192.0.2.2", ""));
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.explanation, "postmaster mx.sender.example mx.sender.example");
  r = check(z, request("192.0.2.1", "bob@elsewhere.example"), true);
  EXPECT_EQ(r.code, Code::kPass);
  EXPECT_EQ(r.identity, "helo");
  r = check(z, request("192.0.2.1", "", "[192.0.2.1]"), true);
  EXPECT_EQ(r.code, Code::kNone);
  r = check(z, request("192.0.2.1", "", "localhost"), true);
  EXPECT_EQ(r.code, Code::kNone);
}

TEST(SpfEvaluator, TemporaryErrorsAreNeverPassOrFail) {
  ZoneView z;
  z.add_txt("a.example", "v=spf1 a:down.example -all");
  z.set_servfail("down.example");
  z.add_txt("b.example", "v=spf1 include:down.example +all");
  z.add_txt("c.example", "v=spf1 mx:c.example -all");
  z.add_mx("c.example", 1, "ok.c.example");
  z.add_mx("c.example", 2, "slow.c.example");
  z.add_address("ok.c.example", ip("192.0.2.10"));
  z.set_timeout("slow.c.example");
  z.set_timeout("t.example");
  for (std::string_view d : {"a.example", "b.example", "c.example", "t.example"}) {
    const SpfResult r = check(z, request("192.0.2.1", std::string("x@") + std::string(d)));
    EXPECT_EQ(r.code, Code::kTemperror) << d << ": " << r.reason;
  }
  // A matching MX host wins over one that timed out.
  EXPECT_EQ(check(z, request("192.0.2.10", "x@c.example")).code, Code::kPass);
  EXPECT_NE(check(z, request("192.0.2.1", "x@t.example")).reason.find("timeout"), std::string::npos);
}

TEST(SpfEvaluator, LookupAndVoidLimits) {
  ZoneView z;
  z.add_txt("loop.example", "v=spf1 include:loop.example -all");
  z.add_txt("void.example", "v=spf1 a:n1.example a:n2.example a:n3.example +all");
  z.add_txt("void2.example", "v=spf1 a:n1.example a:n2.example +all");
  z.add_txt("many.example", "v=spf1 a a a a a a a a a a -all");
  z.add_txt("toomany.example", "v=spf1 a a a a a a a a a a a -all");
  z.add_address("many.example", ip("192.0.2.99"));
  z.add_address("toomany.example", ip("192.0.2.99"));
  SpfResult r = check(z, request("192.0.2.1", "x@loop.example"));
  EXPECT_EQ(r.code, Code::kPermerror);
  EXPECT_NE(r.reason.find("more than 10 DNS lookups"), std::string::npos) << r.reason;
  r = check(z, request("192.0.2.1", "x@void.example"));
  EXPECT_EQ(r.code, Code::kPermerror);
  EXPECT_NE(r.reason.find("void"), std::string::npos) << r.reason;
  EXPECT_EQ(check(z, request("192.0.2.1", "x@void2.example")).code, Code::kPass);
  EXPECT_EQ(check(z, request("192.0.2.1", "x@many.example")).code, Code::kFail);
  EXPECT_EQ(check(z, request("192.0.2.1", "x@toomany.example")).code, Code::kPermerror);
}

TEST(SpfEvaluator, RecordSelectionAndSyntax) {
  ZoneView z;
  z.add_txt("two.example", "v=spf1 -all");
  z.add_txt("two.example", "v=spf1 +all");
  z.add_txt("bad.example", "v=spf1 ip4:192.0.2.1 -all moo");
  z.add_txt("none.example", "v=spf10 +all");
  z.add_txt("inc.example", "v=spf1 include:bad.example -all");
  z.add_address("norecord.example", ip("192.0.2.1"));
  EXPECT_EQ(check(z, request("192.0.2.1", "x@two.example")).code, Code::kPermerror);
  SpfResult r = check(z, request("192.0.2.1", "x@bad.example"));
  EXPECT_EQ(r.code, Code::kPermerror);
  EXPECT_EQ(r.reason, "syntax error: unknown mechanism 'moo' (record of bad.example)");
  EXPECT_EQ(check(z, request("192.0.2.1", "x@none.example")).code, Code::kNone);
  EXPECT_EQ(check(z, request("192.0.2.1", "x@norecord.example")).reason, "no SPF record for norecord.example");
  EXPECT_EQ(check(z, request("192.0.2.1", "x@nxdomain.example")).code, Code::kNone);
  EXPECT_EQ(check(z, request("192.0.2.1", "x@inc.example")).code, Code::kPermerror);
  EXPECT_EQ(check(z, request("192.0.2.1", "x@a..example")).code, Code::kNone);
}

TEST(SpfEvaluator, IncludeAndRedirect) {
  ZoneView z;
  z.add_txt("top.example", "v=spf1 include:inc.example -all exp=top-why.example");
  z.add_txt("inc.example", "v=spf1 ip4:192.0.2.1 -all exp=inc-why.example");
  z.add_txt("top-why.example", "top says no");
  z.add_txt("inc-why.example", "include says no");
  z.add_txt("red.example", "v=spf1 exp=top-why.example redirect=inc.example");
  z.add_txt("nored.example", "v=spf1 redirect=nothing.example");
  EXPECT_EQ(check(z, request("192.0.2.1", "x@top.example")).code, Code::kPass);
  SpfResult r = check(z, request("192.0.2.2", "x@top.example"));
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.explanation, "top says no");
  r = check(z, request("192.0.2.2", "x@red.example"));
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.explanation, "include says no");
  EXPECT_EQ(r.domain, "red.example");
  r = check(z, request("192.0.2.2", "x@nored.example"));
  EXPECT_EQ(r.code, Code::kPermerror);
  // The included record's exp= is never fetched.
  LazyView lazy(z);
  const SpfRequest req = request("192.0.2.2", "x@top.example");
  std::vector<dns::Question> asked;
  for (int i = 0; i < 10; ++i) {
    auto e = check_mail_from(req, lazy);
    if (e.result) break;
    asked.insert(asked.end(), e.needs.begin(), e.needs.end());
    ASSERT_TRUE(lazy.release(e.needs));
  }
  EXPECT_EQ(std::count(asked.begin(), asked.end(), dns::Question{"inc-why.example", dns::RrType::kTxt}), 0);
  EXPECT_EQ(std::count(asked.begin(), asked.end(), dns::Question{"top-why.example", dns::RrType::kTxt}), 1);
}

TEST(SpfEvaluator, PtrAndPMacro) {
  ZoneView z;
  z.add_txt("ptr.example", "v=spf1 ptr -all exp=e.ptr.example");
  z.add_txt("e.ptr.example", "from %{p}");
  z.add_ptr("1.2.0.192.in-addr.arpa", "mail.ptr.example");
  z.add_ptr("1.2.0.192.in-addr.arpa", "unrelated.example");
  z.add_address("mail.ptr.example", ip("192.0.2.1"));
  z.add_address("unrelated.example", ip("192.0.2.1"));
  z.add_ptr("2.2.0.192.in-addr.arpa", "liar.ptr.example");
  z.add_address("liar.ptr.example", ip("192.0.2.200"));
  EXPECT_EQ(check(z, request("192.0.2.1", "x@ptr.example")).code, Code::kPass);
  // IPv4-mapped clients are IPv4 clients.
  EXPECT_EQ(check(z, request("::ffff:192.0.2.1", "x@ptr.example")).code, Code::kPass);
  const SpfResult r = check(z, request("192.0.2.2", "x@ptr.example"));
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.explanation, "from unknown");
}

TEST(SpfEvaluator, Ipv4MappedNeverMatchesIp6) {
  ZoneView z;
  z.add_txt("m.example", "v=spf1 ip6:::ffff:192.0.2.0/120 ip6:::/0 -all");
  EXPECT_EQ(check(z, request("::ffff:192.0.2.1", "x@m.example")).code, Code::kFail);
  EXPECT_EQ(check(z, request("2001:db8::1", "x@m.example")).code, Code::kPass);
}

TEST(SpfEvaluator, HostileInputsStayBounded) {
  ZoneView z;
  std::string record = "v=spf1";
  for (int i = 0; i < 9; ++i) record.append(" exists:%{L}%{L}%{L}%{L}.%{S}%{S}%{H}.example");
  record.append(" -all exp=%{L}%{L}%{L}.example");
  z.add_txt("big.example", record);
  SpfRequest req = request("192.0.2.1", std::string(300, 'x') + "@big.example", std::string(300, 'h'));
  const SpfResult r = check(z, req);
  EXPECT_EQ(r.code, Code::kPermerror);  // the third name that does not exist
  EXPECT_NE(r.reason.find("void"), std::string::npos);
  EXPECT_LE(r.reason.size(), 200u);
  // Macro values with raw octets reach the DNS question but never the reason text.
  z.add_txt("raw.example", "v=spf1 include:%{l}.raw.example -all");
  const SpfResult raw = check(z, request("192.0.2.1", "j\xC3\xB6rg@raw.example"));
  EXPECT_EQ(raw.code, Code::kPermerror);
  for (char c : raw.reason) EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << raw.reason;
}

}  // namespace
}  // namespace portcullis::filters::spf
