#include "filters/dmarc/dmarc_evaluator.hpp"

#include <random>

#include "filters/dmarc/dmarc_text.hpp"

namespace portcullis::filters::dmarc {
namespace {

constexpr std::size_t kMaxQueryName = 253;

// What one _dmarc.<domain> TXT lookup gave.
struct Lookup {
  enum class State : std::uint8_t { kUnknown, kTemporary, kNothing, kMultiple, kInvalid, kFound };
  State state = State::kUnknown;
  std::string name;  // _dmarc.<domain>
  ParsedRecord parsed;
};

Lookup look_up(dns::DnsView& dns, const std::string& domain) {
  Lookup out;
  out.name = "_dmarc.";
  out.name.append(domain);
  if (out.name.size() > kMaxQueryName) {
    out.state = Lookup::State::kNothing;  // cannot exist in the DNS
    return out;
  }
  const dns::Answer* answer = dns.find(out.name, dns::RrType::kTxt);
  if (answer == nullptr) return out;
  if (answer->temporary()) {
    out.state = Lookup::State::kTemporary;
    return out;
  }
  std::string_view first;
  std::size_t candidates = 0;
  std::size_t seen = 0;
  for (const std::string& txt : answer->txt) {
    if (++seen > kMaxTxtRecords) break;
    if (!starts_with_dmarc_version(txt)) continue;  // RFC 7489 6.6.3 step 3
    if (++candidates == 1) first = txt;
  }
  if (candidates == 0) {
    out.state = Lookup::State::kNothing;
  } else if (candidates > 1) {
    out.state = Lookup::State::kMultiple;
  } else {
    out.parsed = parse_dmarc_record(first);
    out.state = out.parsed.valid() ? Lookup::State::kFound : Lookup::State::kInvalid;
  }
  return out;
}

DmarcResult with_code(DmarcResult::Code code, std::string from, std::string reason) {
  DmarcResult r;
  r.code = code;
  r.from_domain = std::move(from);
  r.reason = std::move(reason);
  return r;
}

Policy lower_policy(Policy p) {
  return p == Policy::kReject ? Policy::kQuarantine : Policy::kNone;
}

}  // namespace

std::string_view to_string(DmarcResult::Code code) {
  switch (code) {
    case DmarcResult::Code::kNone: return "none";
    case DmarcResult::Code::kPass: return "pass";
    case DmarcResult::Code::kFail: return "fail";
    case DmarcResult::Code::kTemperror: return "temperror";
    case DmarcResult::Code::kPermerror: return "permerror";
  }
  return "none";
}

PercentSource default_percent_source() {
  return [] {
    thread_local std::mt19937 engine{std::random_device{}()};
    return std::uniform_int_distribution<std::uint32_t>(0, 99)(engine);
  };
}

DmarcResult dmarc_permerror(std::string reason) {
  return with_code(DmarcResult::Code::kPermerror, {}, std::move(reason));
}

bool aligned(std::string_view from_domain, std::string_view other_domain, Alignment mode,
             const OrgDomain& org) {
  const auto from = OrgDomain::normalize(from_domain);
  const auto other = OrgDomain::normalize(other_domain);
  if (!from || !other) return false;
  if (*from == *other) return true;
  if (mode == Alignment::kStrict) return false;
  const auto from_org = org.organizational_domain(*from);
  const auto other_org = org.organizational_domain(*other);
  return from_org && other_org && *from_org == *other_org;
}

dns::Evaluation<DmarcResult> evaluate_dmarc(const DmarcInput& input, const OrgDomain& org,
                                            dns::DnsView& dns, const PercentSource& percent) {
  using Code = DmarcResult::Code;
  using Eval = dns::Evaluation<DmarcResult>;

  const auto from = OrgDomain::normalize(input.from_domain);
  if (!from) {
    return Eval::done(dmarc_permerror("From domain \"" + excerpt(input.from_domain) +
                                      "\" is not a DNS name"));
  }
  const std::string org_domain = org.organizational_domain(*from).value_or(*from);
  const bool has_org_fallback = org_domain != *from;

  Lookup found = look_up(dns, *from);
  if (found.state == Lookup::State::kUnknown) {
    std::vector<dns::Question> needs{{found.name, dns::RrType::kTxt}};
    if (has_org_fallback) {
      // Most subdomains publish no record of their own: ask for the organizational domain's
      // in the same round trip.
      Lookup ahead = look_up(dns, org_domain);
      if (ahead.state == Lookup::State::kUnknown) needs.push_back({ahead.name, dns::RrType::kTxt});
    }
    return Eval::need(std::move(needs));
  }
  bool at_org = false;
  if (found.state == Lookup::State::kNothing && has_org_fallback) {
    found = look_up(dns, org_domain);
    at_org = true;
    if (found.state == Lookup::State::kUnknown) {
      return Eval::need({{found.name, dns::RrType::kTxt}});
    }
  }

  switch (found.state) {
    case Lookup::State::kUnknown:  // handled above
    case Lookup::State::kTemporary:
      return Eval::done(with_code(Code::kTemperror, *from, "DNS error looking up " + found.name));
    case Lookup::State::kNothing:
      return Eval::done(with_code(Code::kNone, *from, "no DMARC record"));
    case Lookup::State::kMultiple:
      return Eval::done(with_code(Code::kNone, *from, "multiple DMARC records at " + found.name));
    case Lookup::State::kInvalid:
      return Eval::done(with_code(Code::kNone, *from,
                                  "invalid DMARC record at " + found.name + ": " + found.parsed.reason));
    case Lookup::State::kFound:
      break;
  }

  DmarcResult r;
  r.from_domain = *from;
  r.policy_domain = at_org ? org_domain : *from;
  const DmarcRecord& rec = found.parsed.record;
  r.policy = at_org ? rec.subdomain_policy : rec.policy;

  if (input.spf_pass_domain) r.spf_aligned = aligned(*from, *input.spf_pass_domain, rec.aspf, org);
  std::string dkim_d;
  for (const std::string& d : input.dkim_pass_domains) {
    if (aligned(*from, d, rec.adkim, org)) {
      r.dkim_aligned = true;
      dkim_d = OrgDomain::normalize(d).value_or(std::string());
      break;
    }
  }

  if (r.spf_aligned || r.dkim_aligned) {
    r.code = Code::kPass;
    if (r.spf_aligned) {
      r.reason.append("SPF aligned (").append(to_string(rec.aspf)).append(")");
    }
    if (r.dkim_aligned) {
      if (!r.reason.empty()) r.reason.append(", ");
      r.reason.append("DKIM aligned (").append(to_string(rec.adkim)).append(", d=");
      r.reason.append(dkim_d).append(")");
    }
  } else {
    r.code = Code::kFail;
    r.reason = "neither SPF nor DKIM aligned";
    r.applied = r.policy;
    if (rec.pct < 100 && r.policy != Policy::kNone) {
      // Without a source every failing message is sampled: the full policy is the safe side.
      const bool sampled =
          rec.pct > 0 && (!percent || percent() % 100 < static_cast<std::uint32_t>(rec.pct));
      if (!sampled) {
        r.sampled = false;
        r.applied = lower_policy(r.policy);
        r.reason.append("; not sampled (pct=").append(std::to_string(rec.pct)).append("): ");
        r.reason.append(to_string(r.policy)).append(" lowered to ").append(to_string(r.applied));
      }
    }
  }
  r.record = rec;
  return Eval::done(std::move(r));
}

}  // namespace portcullis::filters::dmarc
