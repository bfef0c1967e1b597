// The shared DMARC scenarios end to end: SPF, DKIM and DMARC all computed by our own
// evaluators (no expected value is fed in), DNS from the scenarios' dns.json through an
// in-memory view (DESIGN.md: the suites are where a fake resolver is right). Each case
// must give its expected spf, per-signature dkim ("fail" = anything but pass) and dmarc
// result, and the expected policy. Prints "N passed, N failed"; exits 1 unless all pass.
// Usage: auth_chain_cases <shared/testdata/dmarc> <psl file>
#include <cstdio>
#include <string>
#include <vector>

#include "dmarc_cases.hpp"
#include "filters/dkim/dkim_verifier.hpp"
#include "filters/dmarc/dmarc_evaluator.hpp"
#include "filters/dmarc/from_domain.hpp"
#include "filters/spf/spf_evaluator.hpp"

namespace {

using namespace portcullis;
using namespace portcullis::filters;

// The messages were signed at t=1700000000 (no x=).
constexpr std::int64_t kNow = 1'700'003'600;

template <class R>
bool finished(const dns::Evaluation<R>& e, const char* what, const std::string& name) {
  if (e.result) return true;
  std::printf("FAIL %s: %s asked for an answer the view lacks\n", name.c_str(), what);
  return false;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return "[" + out + "]";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DMARC_TESTDATA_DIR PSL_FILE\n", argv[0]);
    return 2;
  }
  const auto cases = dmarc::testing::load_dmarc_cases(argv[1]);
  const dmarc::OrgDomain org = dmarc::OrgDomain::from_file(argv[2]);
  int passed = 0;
  int failed = 0;
  for (const auto& c : cases) {
    auto view = dmarc::testing::StaticDnsView::from_json_file(std::string(argv[1]) + "/dns.json");
    spf::SpfRequest request;
    request.client_ip = *config::IpAddress::parse(c.ip);
    request.helo = c.helo;
    request.mail_from = c.mail_from;
    request.receiver = "mx.receiver.example";
    const auto spf_eval = spf::check_mail_from(request, view);
    dkim::VerifyOptions options;
    options.now = kNow;
    dkim::Verifier verifier(c.message, options);
    verifier.hash_bodies();
    auto dkim_eval = verifier.evaluate(view);
    if (!finished(spf_eval, "SPF", c.name) || !finished(dkim_eval, "DKIM", c.name)) {
      ++failed;
      continue;
    }
    const spf::SpfResult& spf_result = *spf_eval.result;
    const std::vector<dkim::DkimResult>& signatures = *dkim_eval.result;

    dmarc::DmarcInput input;
    const dmarc::FromDomain from = dmarc::extract_from_domain(c.message);
    dmarc::DmarcResult dmarc_result;
    if (!from.ok()) {
      dmarc_result = dmarc::dmarc_permerror(from.reason);
    } else {
      input.from_domain = from.domain;
      if (spf_result.code == spf::SpfResult::Code::kPass) input.spf_pass_domain = spf_result.domain;
      for (const auto& s : signatures) {
        if (s.code == dkim::DkimResult::Code::kPass) input.dkim_pass_domains.push_back(s.domain);
      }
      // pct sampling: the draw that keeps the published policy (pct0 downgrades anyway).
      const dmarc::PercentSource never_sampled_out = [] { return 0u; };
      const auto dmarc_eval = dmarc::evaluate_dmarc(input, org, view, never_sampled_out);
      if (!finished(dmarc_eval, "DMARC", c.name)) {
        ++failed;
        continue;
      }
      dmarc_result = *dmarc_eval.result;
    }

    std::vector<std::string> dkim_got;
    for (const auto& s : signatures) {
      dkim_got.push_back(s.code == dkim::DkimResult::Code::kPass ? "pass" : "fail");
    }
    std::string problems;
    const std::string spf_got(spf::to_string(spf_result.code));
    if (spf_got != c.expected_spf) problems += " spf=" + spf_got + " (want " + c.expected_spf + ")";
    if (dkim_got != c.expected_dkim) {
      problems += " dkim=" + join(dkim_got) + " (want " + join(c.expected_dkim) + ")";
    }
    const std::string dmarc_got(dmarc::to_string(dmarc_result.code));
    if (dmarc_got != c.expected_dmarc) {
      problems += " dmarc=" + dmarc_got + " (want " + c.expected_dmarc + ", " +
                  dmarc_result.reason + ")";
    }
    if (c.expected_policy) {
      // The published policy, except where sampling applies (pct0: the applied one).
      const bool sampling = dmarc_result.record && dmarc_result.record->pct == 0 &&
                            dmarc_result.code == dmarc::DmarcResult::Code::kFail;
      const std::string policy(
          dmarc::to_string(sampling ? dmarc_result.applied : dmarc_result.policy));
      if (policy != *c.expected_policy) {
        problems += " policy=" + policy + " (want " + *c.expected_policy + ")";
      }
    }
    if (problems.empty()) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL %s:%s\n", c.name.c_str(), problems.c_str());
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed == static_cast<int>(cases.size()) && passed > 0 ? 0 : 1;
}
