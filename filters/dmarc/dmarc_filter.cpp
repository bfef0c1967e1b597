#include "filters/dmarc/dmarc_filter.hpp"

#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "config/yaml_reader.hpp"
#include "filters/api/auth_results.hpp"
#include "filters/api/json_text.hpp"
#include "filters/api/symbol_scores.hpp"
#include "filters/dkim/dkim_filter.hpp"
#include "filters/dmarc/dmarc_evaluator.hpp"
#include "filters/dmarc/from_domain.hpp"
#include "filters/dns/dns_driver.hpp"
#include "filters/spf/spf_result.hpp"

namespace portcullis::filters::dmarc {
namespace {

namespace asio = boost::asio;
using config::detail::Map;
using config::detail::Reader;
using Code = DmarcResult::Code;

enum SymbolIndex : std::size_t {
  kPass, kPolicyReject, kPolicyQuarantine, kPolicyNone, kNoPolicy, kTemperror, kPermerror,
  kSymbolCount
};
constexpr std::array<SymbolDefault, kSymbolCount> kSymbols = {{
    {"DMARC_PASS", -0.5},
    {"DMARC_POLICY_REJECT", 4.0},
    {"DMARC_POLICY_QUARANTINE", 3.0},
    {"DMARC_POLICY_NONE", 0.5},
    {"DMARC_NONE", 0.0},
    {"DMARC_TEMPERROR", 0.0},
    {"DMARC_PERMERROR", 1.0},
}};

enum class OnReject { kReject, kQuarantine, kTag };
enum class OnQuarantine { kQuarantine, kTag };

struct Settings {
  SymbolScores<kSymbolCount> scores{kSymbols};
  OnReject on_reject = OnReject::kReject;
  OnQuarantine on_quarantine = OnQuarantine::kQuarantine;
  bool reject_multiple_from = true;
  bool tempfail_on_temperror = true;
  std::string authserv_id;
};

SymbolIndex symbol_of(const DmarcResult& r) {
  switch (r.code) {
    case Code::kPass: return kPass;
    case Code::kNone: return kNoPolicy;
    case Code::kTemperror: return kTemperror;
    case Code::kPermerror: return kPermerror;
    case Code::kFail:
      switch (r.applied) {
        case Policy::kReject: return kPolicyReject;
        case Policy::kQuarantine: return kPolicyQuarantine;
        case Policy::kNone: return kPolicyNone;
      }
  }
  return kNoPolicy;
}

DmarcInput input_of(const Transaction& txn, std::string from_domain) {
  DmarcInput input;
  input.from_domain = std::move(from_domain);
  if (const auto* spf = txn.results.get<spf::SpfResult>();
      spf != nullptr && spf->code == spf::SpfResult::Code::kPass && !spf->domain.empty()) {
    input.spf_pass_domain = spf->domain;
  }
  if (const auto* dkim = txn.results.get<dkim::DkimResults>()) {
    for (const auto& sig : dkim->signatures) {
      // Testing-mode keys count as unsigned (RFC 6376 3.6.1).
      if (sig.code == dkim::DkimResult::Code::kPass && !sig.key_testing) {
        input.dkim_pass_domains.push_back(sig.domain);
      }
    }
  }
  return input;
}

asio::awaitable<DmarcResult> evaluate_on(dns::Resolver* resolver, DmarcInput input,
                                         std::shared_ptr<const OrgDomain> org) {
  if (resolver == nullptr) {
    DmarcResult r;
    r.code = Code::kTemperror;
    r.from_domain = input.from_domain;
    r.reason = "no resolver";
    co_return r;
  }
  const PercentSource percent = default_percent_source();
  const auto eval = [input, org, percent](dns::DnsView& view) {
    return evaluate_dmarc(input, *org, view, percent);
  };
  auto evaluation = dns::evaluate<DmarcResult>(*resolver, eval);
  std::optional<DmarcResult> result = co_await std::move(evaluation);
  if (!result) {
    DmarcResult r;
    r.code = Code::kTemperror;
    r.from_domain = input.from_domain;
    r.reason = "DNS lookups did not converge";
    co_return r;
  }
  co_return std::move(*result);
}

// A view that knows no answer yet: the evaluator's first round of questions.
struct NothingKnown final : dns::DnsView {
  const dns::Answer* find(std::string_view, dns::RrType) override { return nullptr; }
};

class DmarcFilter final : public Filter {
 public:
  DmarcFilter(Settings settings, dns::Resolver* resolver, std::shared_ptr<const OrgDomain> org)
      : s_(std::move(settings)), resolver_(resolver), org_(std::move(org)) {}

  std::string_view name() const override { return kFilterName; }
  StageMask stages() const override { return stage_bit(Stage::kEndOfMessage); }

  // From is in the header section: ask for the policy records while the body arrives.
  void on_headers(Session&, Transaction&, std::string_view headers,
                  const asio::any_io_executor& executor) override {
    if (resolver_ == nullptr) return;
    const FromDomain from = extract_from_domain(headers);
    if (!from.ok()) return;
    DmarcInput input;
    input.from_domain = from.domain;
    NothingKnown nothing;
    const auto first = evaluate_dmarc(input, *org_, nothing, PercentSource{});
    dns::prefetch(*resolver_, executor, first.needs);
  }

  asio::awaitable<Verdict> on_end_of_message(Session& session, Transaction& txn) override {
    const FromDomain from = extract_from_domain(txn.message);
    DmarcResult result;
    Verdict verdict;
    if (!from.ok()) {
      result = dmarc_permerror(from.reason);
      // Several authors: no single domain's policy can be checked, and any second address
      // would otherwise escape the first one's p=reject (RFC 7489 6.6.1).
      const bool several = from.status == FromDomain::Status::kMultipleFrom ||
                           from.status == FromDomain::Status::kMultipleMailboxes ||
                           from.status == FromDomain::Status::kGroup;
      if (several && s_.reject_multiple_from) {
        verdict = Verdict::reject(
            550, "5.7.1",
            fmt::format("Rejected: {}; DMARC needs exactly one author (RFC 7489 6.6.1)",
                        symbol_detail(from.reason)),
            std::string(kSymbols[kPermerror].name));
      }
    } else {
      auto evaluation = evaluate_on(resolver_, input_of(txn, from.domain), org_);
      result = co_await std::move(evaluation);
      result = unless_temporary(txn, std::move(result));
      verdict = verdict_for(result);
    }
    const std::string_view applied = verdict.kind == Verdict::Kind::kReject       ? "reject"
                                     : verdict.kind == Verdict::Kind::kQuarantine ? "quarantine"
                                     : verdict.kind == Verdict::Kind::kTempfail   ? "tempfail"
                                                                                  : "none";
    s_.scores.add(txn, symbol_of(result),
                  symbol_detail(result.from_domain.empty() ? result.reason : result.from_domain),
                  kFilterName);
    add_auth_result(txn, s_.authserv_id,
                    {AuthMethod::kDmarc, resinfo_of(result, applied),
                     session.report ? json_of(result, applied) : std::string()});
    co_return verdict;
  }

 private:
  // A fail that a temporary SPF or DKIM error may have caused is not a fail: with the
  // answer that did not come, the message might have aligned. It becomes temperror, so a
  // DNS hiccup never turns into a permanent rejection.
  static DmarcResult unless_temporary(const Transaction& txn, DmarcResult r) {
    if (r.code != Code::kFail) return r;
    const auto* spf = txn.results.get<spf::SpfResult>();
    bool temporary = spf != nullptr && spf->code == spf::SpfResult::Code::kTemperror;
    if (const auto* dkim = txn.results.get<dkim::DkimResults>()) {
      for (const auto& sig : dkim->signatures) {
        temporary = temporary || sig.code == dkim::DkimResult::Code::kTemperror;
      }
    }
    if (!temporary) return r;
    r.code = Code::kTemperror;
    r.applied = Policy::kNone;
    r.reason = "not aligned while an SPF or DKIM check failed temporarily";
    return r;
  }

  Verdict verdict_for(const DmarcResult& r) const {
    if (r.code == Code::kTemperror && r.record && r.policy != Policy::kNone &&
        s_.tempfail_on_temperror) {
      return Verdict::tempfail(
          451, "4.7.1",
          fmt::format("DMARC check of {} failed temporarily, try again later", policy_domain(r)),
          std::string(kSymbols[kTemperror].name));
    }
    if (r.code != Code::kFail) return Verdict::proceed();
    const std::string symbol(kSymbols[symbol_of(r)].name);
    const std::string domain = symbol_detail(r.from_domain);
    if (r.applied == Policy::kReject) {
      switch (s_.on_reject) {
        case OnReject::kReject:
          return Verdict::reject(
              550, "5.7.1",
              fmt::format("Rejected by the DMARC policy of {}{}: neither SPF nor DKIM aligned",
                          policy_domain(r), domain == policy_domain(r) ? "" : " for " + domain),
              symbol);
        case OnReject::kQuarantine:
          return Verdict::quarantine(fmt::format("DMARC policy of {} is reject", policy_domain(r)),
                                     symbol);
        case OnReject::kTag:
          break;
      }
    }
    if (r.applied == Policy::kQuarantine && s_.on_quarantine == OnQuarantine::kQuarantine) {
      return Verdict::quarantine(
          fmt::format("DMARC policy of {} is quarantine", policy_domain(r)), symbol);
    }
    return Verdict::proceed();
  }

  // Where the policy was published (the organisational domain for a subdomain From).
  static std::string policy_domain(const DmarcResult& r) {
    return symbol_detail(r.policy_domain.empty() ? r.from_domain : r.policy_domain);
  }

  // dis= is what we did with the message (the disposition of RFC 7489 reports).
  static std::string resinfo_of(const DmarcResult& r, std::string_view applied) {
    std::string out = fmt::format("dmarc={}", to_string(r.code));
    if (r.record) out += fmt::format(" (p={} dis={})", to_string(r.policy), applied);
    if (r.code != Code::kPass && !r.reason.empty()) out.append(" reason=").append(auth_value(r.reason));
    if (!r.from_domain.empty()) out.append(" header.from=").append(auth_value(r.from_domain));
    return out;
  }

  static std::string json_of(const DmarcResult& r, std::string_view applied) {
    return fmt::format(
        R"({{"result":"{}","policy":"{}","applied":"{}","domain":{},"policy_domain":{},)"
        R"("spf_aligned":{},"dkim_aligned":{},"reason":{}}})",
        to_string(r.code), r.record ? to_string(r.policy) : "none", applied,
        json_quote(r.from_domain), json_quote(r.policy_domain), r.spf_aligned, r.dkim_aligned,
        json_quote(r.reason));
  }

  const Settings s_;
  dns::Resolver* resolver_;
  std::shared_ptr<const OrgDomain> org_;
};

class DmarcFactory final : public FilterFactory {
 public:
  std::string_view name() const override { return kFilterName; }
  std::vector<std::string_view> after() const override { return {"spf", "dkim"}; }
  std::vector<std::string_view> keys() const override {
    return {"scores", "on_reject", "on_quarantine", "multiple_from", "temperror", "psl_file"};
  }

  std::shared_ptr<Filter> create(Reader& r, const Map& section,
                                 const FilterContext& context) const override {
    Settings s;
    s.authserv_id = context.authserv_id.empty() ? context.hostname : context.authserv_id;
    const std::size_t problems_before = r.problem_count();
    s.scores.read(r, section);
    if (const auto v = section.get("on_reject")) {
      if (const auto value = r.choice<OnReject>(*v, {{"reject", OnReject::kReject},
                                                     {"quarantine", OnReject::kQuarantine},
                                                     {"tag", OnReject::kTag}})) {
        s.on_reject = *value;
      }
    }
    if (const auto v = section.get("on_quarantine")) {
      if (const auto value = r.choice<OnQuarantine>(
              *v, {{"quarantine", OnQuarantine::kQuarantine}, {"tag", OnQuarantine::kTag}})) {
        s.on_quarantine = *value;
      }
    }
    if (const auto v = section.get("multiple_from")) {
      if (const auto value = r.choice<bool>(*v, {{"reject", true}, {"tag", false}})) {
        s.reject_multiple_from = *value;
      }
    }
    if (const auto v = section.get("temperror")) {
      if (const auto value = r.choice<bool>(*v, {{"tempfail", true}, {"tag", false}})) {
        s.tempfail_on_temperror = *value;
      }
    }
    std::shared_ptr<const OrgDomain> org;
    if (const auto v = section.get("psl_file")) {
      if (const auto path = r.string(*v, "the path of a Public Suffix List file")) {
        try {
          org = std::make_shared<const OrgDomain>(OrgDomain::from_file(*path));
        } catch (const std::exception& e) {
          r.problem(*v, e.what());
        }
      }
    } else {
      std::error_code ignored;
      org = std::make_shared<const OrgDomain>(
          std::filesystem::is_regular_file(kSystemPslFile, ignored)
              ? OrgDomain::from_file(std::string(kSystemPslFile))
              : OrgDomain::builtin());
    }
    if (r.problem_count() != problems_before) return nullptr;
    return std::make_shared<DmarcFilter>(std::move(s), context.resolver, std::move(org));
  }
};

}  // namespace

std::shared_ptr<const FilterFactory> make_dmarc_factory() {
  return std::make_shared<const DmarcFactory>();
}

}  // namespace portcullis::filters::dmarc
