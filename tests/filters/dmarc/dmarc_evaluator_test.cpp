#include "filters/dmarc/dmarc_evaluator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace portcullis::filters::dmarc {
namespace {

using Code = DmarcResult::Code;
using dns::Answer;
using dns::RrType;

const OrgDomain& org() {
  static const OrgDomain o = OrgDomain::from_file(PORTCULLIS_DMARC_TEST_PSL);
  return o;
}

// TXT answers by name; names not listed are NXDOMAIN. In lazy mode a name is unknown (null)
// until an evaluation asked for it, as with the asynchronous driver.
class FakeView : public dns::DnsView {
 public:
  void txt(const std::string& name, std::vector<std::string> records) {
    Answer a;
    a.status = records.empty() ? Answer::Status::kNoData : Answer::Status::kOk;
    a.txt = std::move(records);
    zone_[name] = std::move(a);
  }
  void status(const std::string& name, Answer::Status s) { zone_[name] = Answer{s, {}, {}, {}, {}, 0}; }
  void lazy() { lazy_ = true; }
  void learn(const std::vector<dns::Question>& qs) {
    for (const auto& q : qs) known_.insert(dns::normalize_name(q.name));
  }
  const Answer* find(std::string_view name, RrType type) override {
    EXPECT_EQ(type, RrType::kTxt);
    const std::string key = dns::normalize_name(name);
    finds.push_back(key);
    if (lazy_ && !known_.count(key)) return nullptr;
    const auto it = zone_.find(key);
    return it == zone_.end() ? &nx_ : &it->second;
  }
  std::vector<std::string> finds;

 private:
  std::map<std::string, Answer> zone_;
  std::set<std::string> known_;
  Answer nx_{Answer::Status::kNxDomain, {}, {}, {}, {}, 0};
  bool lazy_ = false;
};

struct Draws {
  std::vector<std::uint32_t> values;
  int calls = 0;
  PercentSource source() {
    return [this] { return values.at(static_cast<std::size_t>(calls++)); };
  }
};

DmarcResult run(const DmarcInput& in, FakeView& view, const PercentSource& p = nullptr) {
  auto e = evaluate_dmarc(in, org(), view, p);
  EXPECT_TRUE(e.result.has_value());
  EXPECT_TRUE(e.needs.empty());
  return e.result.value_or(DmarcResult{});
}

DmarcInput input(std::string from, std::optional<std::string> spf = std::nullopt,
                 std::vector<std::string> dkim = {}) {
  return DmarcInput{std::move(from), std::move(spf), std::move(dkim)};
}

TEST(DmarcEvaluator, NoRecordIsNone) {
  FakeView v;
  const DmarcResult r = run(input("example.com", "example.com"), v);
  EXPECT_EQ(r.code, Code::kNone);
  EXPECT_EQ(r.reason, "no DMARC record");
  EXPECT_FALSE(r.record);
  EXPECT_EQ(r.policy_domain, "");
  EXPECT_EQ(v.finds, (std::vector<std::string>{"_dmarc.example.com"}));
}

TEST(DmarcEvaluator, SpfAlignment) {
  FakeView v;
  v.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
  v.txt("_dmarc.example.org", {"v=DMARC1; p=reject; aspf=s"});
  DmarcResult r = run(input("example.com", "bounce.example.com"), v);
  EXPECT_EQ(r.code, Code::kPass);
  EXPECT_TRUE(r.spf_aligned);
  EXPECT_FALSE(r.dkim_aligned);
  EXPECT_EQ(r.reason, "SPF aligned (relaxed)");
  EXPECT_EQ(r.policy, Policy::kReject);
  EXPECT_EQ(r.applied, Policy::kNone);

  EXPECT_EQ(run(input("example.org", "example.org"), v).reason, "SPF aligned (strict)");
  r = run(input("example.org", "mail.example.org"), v);
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.reason, "neither SPF nor DKIM aligned");
  EXPECT_EQ(r.applied, Policy::kReject);
  // SPF that did not pass is not an input at all.
  EXPECT_EQ(run(input("example.com"), v).code, Code::kFail);
  EXPECT_EQ(run(input("example.com", "example.net"), v).code, Code::kFail);
}

TEST(DmarcEvaluator, DkimAlignment) {
  FakeView v;
  v.txt("_dmarc.example.com", {"v=DMARC1; p=quarantine"});
  v.txt("_dmarc.example.org", {"v=DMARC1; p=reject; adkim=s"});
  DmarcResult r = run(input("example.com", std::nullopt, {"example.net", "Mail.EXAMPLE.com."}), v);
  EXPECT_EQ(r.code, Code::kPass);
  EXPECT_TRUE(r.dkim_aligned);
  EXPECT_EQ(r.reason, "DKIM aligned (relaxed, d=mail.example.com)");
  r = run(input("example.org", std::nullopt, {"mail.example.org"}), v);
  EXPECT_EQ(r.code, Code::kFail);
  r = run(input("example.org", std::nullopt, {"EXAMPLE.ORG"}), v);
  EXPECT_EQ(r.code, Code::kPass);
  r = run(input("example.org", "example.org", {"example.org"}), v);
  EXPECT_EQ(r.reason, "SPF aligned (relaxed), DKIM aligned (strict, d=example.org)");
  // Relaxed alignment stops at the organizational domain: co.uk is not one organization.
  v.txt("_dmarc.a.co.uk", {"v=DMARC1; p=reject"});
  EXPECT_EQ(run(input("a.co.uk", "b.co.uk", {"co.uk"}), v).code, Code::kFail);
  EXPECT_EQ(run(input("example.com", std::nullopt, {"", "..", "\xff"}), v).code, Code::kFail);
}

TEST(DmarcEvaluator, AlignedFunction) {
  EXPECT_TRUE(aligned("mail.example.com", "example.com", Alignment::kRelaxed, org()));
  EXPECT_TRUE(aligned("example.com", "a.b.example.com", Alignment::kRelaxed, org()));
  EXPECT_FALSE(aligned("example.com", "a.b.example.com", Alignment::kStrict, org()));
  EXPECT_TRUE(aligned("Example.COM.", "example.com", Alignment::kStrict, org()));
  EXPECT_FALSE(aligned("example.com", "example.com.evil.example", Alignment::kRelaxed, org()));
  EXPECT_FALSE(aligned("x.example.co.uk", "y.other.co.uk", Alignment::kRelaxed, org()));
  EXPECT_TRUE(aligned("x.nodmarc.test", "nodmarc.test", Alignment::kRelaxed, org()));
  EXPECT_FALSE(aligned("", "", Alignment::kRelaxed, org()));
}

TEST(DmarcEvaluator, FallbackToOrganizationalDomainUsesSp) {
  FakeView v;
  v.txt("_dmarc.example.com", {"v=DMARC1; p=reject; sp=quarantine"});
  v.txt("_dmarc.example.net", {"v=DMARC1; p=none"});
  DmarcResult r = run(input("a.b.example.com"), v);
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.policy_domain, "example.com");
  EXPECT_EQ(r.from_domain, "a.b.example.com");
  EXPECT_EQ(r.policy, Policy::kQuarantine);
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->policy, Policy::kReject);
  // sp= defaults to p=.
  EXPECT_EQ(run(input("sub.example.net"), v).policy, Policy::kNone);
  // The From domain's own record wins, with its p=.
  v.txt("_dmarc.own.example.com", {"v=spf1 -all", "v=DMARC1; p=none"});
  r = run(input("own.example.com"), v);
  EXPECT_EQ(r.policy_domain, "own.example.com");
  EXPECT_EQ(r.policy, Policy::kNone);
}

TEST(DmarcEvaluator, OtherTxtRecordsAreIgnored) {
  FakeView v;
  v.txt("_dmarc.mail.example.com", {"v=spf1 -all", "p=reject; v=DMARC1", "hello"});
  v.txt("_dmarc.example.com", {"v=DMARC1; p=reject; sp=none"});
  const DmarcResult r = run(input("mail.example.com"), v);
  EXPECT_EQ(r.policy_domain, "example.com");
  EXPECT_EQ(r.policy, Policy::kNone);
  FakeView nodata;
  nodata.txt("_dmarc.mail.example.com", {});
  nodata.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
  EXPECT_EQ(run(input("mail.example.com"), nodata).policy_domain, "example.com");
}

TEST(DmarcEvaluator, MultipleRecordsMeanNoPolicy) {
  FakeView v;
  v.txt("_dmarc.two.example.com", {"v=DMARC1; p=reject", "v=DMARC1; p=none"});
  v.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
  DmarcResult r = run(input("two.example.com", "two.example.com"), v);
  EXPECT_EQ(r.code, Code::kNone);
  EXPECT_EQ(r.reason, "multiple DMARC records at _dmarc.two.example.com");
  EXPECT_FALSE(r.record);
  // Also at the organizational domain.
  FakeView w;
  w.txt("_dmarc.example.com", {"v=DMARC1; p=reject", "v=DMARC1; p=reject"});
  EXPECT_EQ(run(input("sub.example.com"), w).reason, "multiple DMARC records at _dmarc.example.com");
}

TEST(DmarcEvaluator, InvalidRecordMeansNoPolicyWithoutFallback) {
  FakeView v;
  v.txt("_dmarc.bad.example.com", {"v=DMARC1; p=bogus"});
  v.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
  const DmarcResult r = run(input("bad.example.com"), v);
  EXPECT_EQ(r.code, Code::kNone);
  EXPECT_EQ(r.reason, "invalid DMARC record at _dmarc.bad.example.com: invalid p= value \"bogus\"");
  // Rescued by rua=: p=none.
  v.txt("_dmarc.rua.example.com", {"v=DMARC1; p=bogus; rua=mailto:d@example.com"});
  const DmarcResult rescued = run(input("rua.example.com"), v);
  EXPECT_EQ(rescued.code, Code::kFail);
  EXPECT_EQ(rescued.policy, Policy::kNone);
  EXPECT_EQ(rescued.applied, Policy::kNone);
  ASSERT_TRUE(rescued.record);
  EXPECT_TRUE(rescued.record->policy_defaulted);
}

TEST(DmarcEvaluator, Temperror) {
  FakeView v;
  v.status("_dmarc.example.com", Answer::Status::kServFail);
  DmarcResult r = run(input("example.com", "example.com"), v);
  EXPECT_EQ(r.code, Code::kTemperror);
  EXPECT_EQ(r.reason, "DNS error looking up _dmarc.example.com");
  EXPECT_EQ(r.policy, Policy::kNone);
  EXPECT_EQ(r.applied, Policy::kNone);
  // The organizational domain's error matters only when that record is needed.
  EXPECT_EQ(run(input("sub.example.com"), v).code, Code::kTemperror);
  v.txt("_dmarc.sub.example.com", {"v=DMARC1; p=reject"});
  EXPECT_EQ(run(input("sub.example.com"), v).code, Code::kFail);
  FakeView t;
  t.status("_dmarc.sub.example.com", Answer::Status::kTimeout);
  t.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
  EXPECT_EQ(run(input("sub.example.com"), t).code, Code::kTemperror);
}

TEST(DmarcEvaluator, PctSampling) {
  FakeView v;
  v.txt("_dmarc.half.example", {"v=DMARC1; p=reject; pct=50"});
  v.txt("_dmarc.q.example", {"v=DMARC1; p=quarantine; pct=50"});
  v.txt("_dmarc.zero.example", {"v=DMARC1; p=reject; pct=0"});
  v.txt("_dmarc.full.example", {"v=DMARC1; p=reject"});
  v.txt("_dmarc.none.example", {"v=DMARC1; p=none; pct=10"});

  Draws d{{49, 50, 99, 0}};
  DmarcResult r = run(input("half.example"), v, d.source());
  EXPECT_TRUE(r.sampled);
  EXPECT_EQ(r.applied, Policy::kReject);
  r = run(input("half.example"), v, d.source());
  EXPECT_FALSE(r.sampled);
  EXPECT_EQ(r.policy, Policy::kReject);
  EXPECT_EQ(r.applied, Policy::kQuarantine);
  EXPECT_EQ(r.reason, "neither SPF nor DKIM aligned; not sampled (pct=50): reject lowered to quarantine");
  r = run(input("q.example"), v, d.source());
  EXPECT_EQ(r.applied, Policy::kNone);
  EXPECT_EQ(d.calls, 3);
  // Pass, pct=100, pct=0 and p=none never draw.
  EXPECT_EQ(run(input("half.example", "half.example"), v, d.source()).code, Code::kPass);
  EXPECT_EQ(run(input("full.example"), v, d.source()).applied, Policy::kReject);
  r = run(input("zero.example"), v, d.source());
  EXPECT_EQ(r.code, Code::kFail);
  EXPECT_EQ(r.applied, Policy::kQuarantine);
  EXPECT_EQ(run(input("none.example"), v, d.source()).applied, Policy::kNone);
  EXPECT_EQ(d.calls, 3);
  // Without a source the full policy applies.
  EXPECT_EQ(run(input("half.example"), v, nullptr).applied, Policy::kReject);
  // The default source stays in range.
  const PercentSource def = default_percent_source();
  for (int i = 0; i < 1000; ++i) EXPECT_LT(def(), 100u);
}

TEST(DmarcEvaluator, RestartProtocolAsksBothNamesInOneRound) {
  FakeView v;
  v.lazy();
  v.txt("_dmarc.example.com", {"v=DMARC1; p=reject; sp=quarantine"});
  const DmarcInput in = input("Mail.Example.COM", std::nullopt, {"example.com"});
  auto e = evaluate_dmarc(in, org(), v, nullptr);
  ASSERT_FALSE(e.result);
  EXPECT_EQ(e.needs, (std::vector<dns::Question>{{"_dmarc.mail.example.com", RrType::kTxt},
                                                 {"_dmarc.example.com", RrType::kTxt}}));
  v.learn(e.needs);
  e = evaluate_dmarc(in, org(), v, nullptr);
  ASSERT_TRUE(e.result);
  EXPECT_TRUE(e.needs.empty());
  EXPECT_EQ(e.result->code, Code::kPass);
  EXPECT_EQ(e.result->policy, Policy::kQuarantine);
}

TEST(DmarcEvaluator, RestartProtocolOrgLevelFromNeedsOneName) {
  FakeView v;
  v.lazy();
  v.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
  auto e = evaluate_dmarc(input("example.com"), org(), v, nullptr);
  ASSERT_FALSE(e.result);
  EXPECT_EQ(e.needs, (std::vector<dns::Question>{{"_dmarc.example.com", RrType::kTxt}}));
  v.learn(e.needs);
  e = evaluate_dmarc(input("example.com"), org(), v, nullptr);
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.result->code, Code::kFail);
}

TEST(DmarcEvaluator, RestartProtocolWhenOnlyTheFromAnswerIsKnown) {
  FakeView v;
  v.lazy();
  v.learn({{"_dmarc.sub.example.com", RrType::kTxt}});  // known: NXDOMAIN
  auto e = evaluate_dmarc(input("sub.example.com"), org(), v, nullptr);
  ASSERT_FALSE(e.result);
  EXPECT_EQ(e.needs, (std::vector<dns::Question>{{"_dmarc.example.com", RrType::kTxt}}));
  v.learn(e.needs);
  e = evaluate_dmarc(input("sub.example.com"), org(), v, nullptr);
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.result->code, Code::kNone);
  // A From domain record found in the first round makes the prefetched answer unused.
  FakeView w;
  w.lazy();
  w.txt("_dmarc.sub.example.com", {"v=DMARC1; p=none"});
  w.learn({{"_dmarc.sub.example.com", RrType::kTxt}});
  e = evaluate_dmarc(input("sub.example.com"), org(), w, nullptr);
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.result->policy_domain, "sub.example.com");
}

TEST(DmarcEvaluator, BadFromDomainIsPermerror) {
  FakeView v;
  for (const char* bad : {"", "a..b", "exa mple.com", "\x01"}) {
    const DmarcResult r = run(input(bad), v);
    EXPECT_EQ(r.code, Code::kPermerror) << bad;
    EXPECT_NE(r.reason.find("is not a DNS name"), std::string::npos);
  }
  EXPECT_TRUE(v.finds.empty());
  const DmarcResult p = dmarc_permerror("2 From headers (exactly one required)");
  EXPECT_EQ(p.code, Code::kPermerror);
  EXPECT_EQ(p.reason, "2 From headers (exactly one required)");
}

TEST(DmarcEvaluator, QueryNameTooLongIsNoRecord) {
  FakeView v;
  std::string from;
  while (from.size() < 240) from.append("abcdefghi.");
  from.append("example.com");  // fits 253, "_dmarc." + it does not
  const DmarcResult r = run(input(from), v);
  EXPECT_EQ(r.code, Code::kNone);
  EXPECT_EQ(v.finds, (std::vector<std::string>{"_dmarc.example.com"}));
}

TEST(DmarcEvaluator, CodeSpelling) {
  EXPECT_EQ(to_string(Code::kNone), "none");
  EXPECT_EQ(to_string(Code::kPass), "pass");
  EXPECT_EQ(to_string(Code::kFail), "fail");
  EXPECT_EQ(to_string(Code::kTemperror), "temperror");
  EXPECT_EQ(to_string(Code::kPermerror), "permerror");
}

}  // namespace
}  // namespace portcullis::filters::dmarc
