// Runs the shared DMARC scenarios (shared/testdata/dmarc/cases.yaml) through the DMARC
// library: the SPF and DKIM results expected by each case are the inputs (SPF pass domain =
// the MAIL FROM domain, or HELO for the null sender, when spf is pass; DKIM pass domains =
// d= of the signatures expected to pass), the From domain is extracted from the message, the
// DNS comes from dns.json through a view that knows nothing until asked (the driver's restart
// protocol). Compares the DMARC result and the policy to apply, prints "N passed, N failed".
// usage: dmarc_cases TESTDATA_DIR PSL_FILE
#include <cstdio>
#include <exception>
#include <set>
#include <string>

#include "dmarc_cases.hpp"
#include "filters/dmarc/dmarc_evaluator.hpp"
#include "filters/dmarc/from_domain.hpp"

namespace dm = portcullis::filters::dmarc;
namespace dns = portcullis::dns;

namespace {

// Answers only what an earlier evaluation asked for, as the async driver does.
class LazyView : public dns::DnsView {
 public:
  explicit LazyView(dns::DnsView& backing) : backing_(backing) {}
  const dns::Answer* find(std::string_view name, dns::RrType type) override {
    if (!known_.count({dns::normalize_name(name), type})) return nullptr;
    return backing_.find(name, type);
  }
  void learn(const dns::Question& q) { known_.insert({dns::normalize_name(q.name), q.type}); }

 private:
  dns::DnsView& backing_;
  std::set<std::pair<std::string, dns::RrType>> known_;
};

std::string run_case(const dm::testing::DmarcCase& c, const dm::OrgDomain& org,
                     dm::testing::StaticDnsView& zone) {
  dm::DmarcResult result;
  const dm::FromDomain from = dm::extract_from_domain(c.message);
  if (!from.ok()) {
    result = dm::dmarc_permerror(from.reason);
  } else {
    dm::DmarcInput input;
    input.from_domain = from.domain;
    if (c.expected_spf == "pass") {
      input.spf_pass_domain = c.mail_from.empty() ? c.helo : dm::testing::address_domain(c.mail_from);
    }
    const auto sigs = dm::testing::dkim_signature_domains(c.message);
    if (sigs.size() != c.expected_dkim.size()) {
      return "message has " + std::to_string(sigs.size()) + " DKIM-Signature fields, case expects " +
             std::to_string(c.expected_dkim.size());
    }
    for (std::size_t i = 0; i < sigs.size(); ++i) {
      if (c.expected_dkim[i] == "pass") input.dkim_pass_domains.push_back(sigs[i]);
    }
    LazyView view(zone);
    const dm::PercentSource always_sampled = [] { return std::uint32_t{0}; };
    int rounds = 0;
    while (true) {
      auto eval = dm::evaluate_dmarc(input, org, view, always_sampled);
      if (eval.result) {
        result = std::move(*eval.result);
        break;
      }
      if (eval.needs.empty()) return "evaluation returned neither a result nor questions";
      if (++rounds > 4) return "more than 4 DNS rounds";
      for (const auto& q : eval.needs) view.learn(q);
    }
  }

  std::string problems;
  if (dm::to_string(result.code) != c.expected_dmarc) {
    problems.append("dmarc=").append(dm::to_string(result.code)).append(" expected ").append(c.expected_dmarc);
  }
  // The policy to apply: for a failure after pct sampling, otherwise the published p/sp.
  if (c.expected_policy) {
    const dm::Policy p = result.code == dm::DmarcResult::Code::kFail ? result.applied : result.policy;
    if (!result.record || dm::to_string(p) != *c.expected_policy) {
      if (!problems.empty()) problems.append("; ");
      problems.append("policy=").append(result.record ? dm::to_string(p) : "null")
          .append(" expected ").append(*c.expected_policy);
    }
  } else if (result.record) {
    if (!problems.empty()) problems.append("; ");
    problems.append("a record was used, expected none");
  }
  std::printf("%s %s: dmarc=%s policy=%s (%s)\n", problems.empty() ? "ok  " : "FAIL",
              c.name.c_str(), std::string(dm::to_string(result.code)).c_str(),
              result.record ? std::string(dm::to_string(result.policy)).c_str() : "null",
              result.reason.c_str());
  return problems;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s TESTDATA_DIR PSL_FILE\n", argv[0]);
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
    const auto cases = dm::testing::load_dmarc_cases(dir);
    auto zone = dm::testing::StaticDnsView::from_json_file(dir / "dns.json");
    const auto org = dm::OrgDomain::from_file(argv[2]);
    int passed = 0, failed = 0;
    for (const auto& c : cases) {
      const std::string problems = run_case(c, org, zone);
      if (problems.empty()) {
        ++passed;
      } else {
        ++failed;
        std::printf("     %s: %s\n", c.name.c_str(), problems.c_str());
      }
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dmarc_cases: %s\n", e.what());
    return 2;
  }
}
