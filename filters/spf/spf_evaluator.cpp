#include "filters/spf/spf_evaluator.hpp"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "filters/spf/spf_domain.hpp"
#include "filters/spf/spf_macro.hpp"
#include "filters/spf/spf_record.hpp"

namespace portcullis::filters::spf {
namespace {

using Code = SpfResult::Code;
using dns::Answer;
using dns::RrType;

struct Outcome {
  Code code = Code::kNone;
  std::string reason;
  std::string explanation;
};

// What one mechanism did: matched, did not, or ended the check (temperror/permerror).
struct MechanismOutcome {
  enum class Kind { kNoMatch, kMatch, kError } kind = Kind::kNoMatch;
  Outcome error;
};

// An expanded domain-spec: nullopt inside = not a usable DNS name.
struct Target {
  std::optional<std::string> name;
};

Code code_of(Qualifier q) {
  switch (q) {
    case Qualifier::kPass: return Code::kPass;
    case Qualifier::kFail: return Code::kFail;
    case Qualifier::kSoftfail: return Code::kSoftfail;
    case Qualifier::kNeutral: return Code::kNeutral;
  }
  return Code::kNeutral;
}

std::string_view type_name(RrType t) {
  switch (t) {
    case RrType::kA: return "A";
    case RrType::kAaaa: return "AAAA";
    case RrType::kMx: return "MX";
    case RrType::kTxt: return "TXT";
    case RrType::kPtr: return "PTR";
  }
  return "?";
}

// The first `bits` bits of a and b are equal.
bool same_prefix(const config::IpAddress& a, const config::IpAddress& b, int bits) {
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (b.bytes[i] & mask)) return false;
  }
  return true;
}

class Evaluator {
 public:
  Evaluator(const SpfRequest& request, dns::DnsView& view, std::string sender,
            std::string local_part, std::string sender_domain)
      : request_(request),
        view_(view),
        sender_(std::move(sender)),
        local_part_(std::move(local_part)),
        sender_domain_(std::move(sender_domain)) {}

  // nullopt: answers are missing, see needs().
  std::optional<Outcome> check_host(std::string_view domain, int depth, bool want_explanation);

  std::vector<dns::Question> take_needs() { return std::move(needs_); }

 private:
  const Answer* lookup(std::string_view name, RrType type) {
    const Answer* answer = view_.find(name, type);
    if (answer == nullptr) {
      dns::Question q{std::string(name), type};
      bool seen = false;
      for (const auto& n : needs_) seen |= n == q;
      if (!seen) needs_.push_back(std::move(q));
    }
    return answer;
  }

  RrType address_type() const { return request_.client_ip.is_v4 ? RrType::kA : RrType::kAaaa; }

  bool address_matches(const Answer& answer, int cidr4, int cidr6) const {
    const config::IpAddress& ip = request_.client_ip;
    for (const auto& a : answer.addresses) {
      if (a.is_v4 != ip.is_v4) continue;
      if (same_prefix(a, ip, ip.is_v4 ? 96 + cidr4 : cidr6)) return true;
    }
    return false;
  }

  MacroValues values(std::string_view domain) const {
    MacroValues v;
    v.sender = sender_;
    v.local_part = local_part_;
    v.sender_domain = sender_domain_;
    v.domain = domain;
    v.ip = request_.client_ip;
    v.helo = request_.helo;
    v.receiver = request_.receiver;
    v.timestamp = request_.timestamp;
    return v;
  }

  static Outcome temperror(std::string_view name, RrType type, const Answer& answer) {
    return {Code::kTemperror,
            std::string(answer.status == Answer::Status::kTimeout ? "DNS timeout" : "DNS error") +
                " looking up " + std::string(type_name(type)) + " of " + printable_excerpt(name),
            {}};
  }

  // 4.6.4: more than two lookups that found nothing end the check.
  std::optional<Outcome> note_void(std::string_view name) {
    if (++voids_ > kMaxVoidLookups) {
      return Outcome{Code::kPermerror,
                     "more than " + std::to_string(kMaxVoidLookups) + " void DNS lookups (last: " +
                         printable_excerpt(name) + ")",
                     {}};
    }
    return std::nullopt;
  }

  std::optional<std::vector<std::string>> validated_names();
  std::optional<std::string> validated_name_for(std::string_view domain);
  std::optional<std::string> expand(std::string_view text, MacroMode mode, std::string_view domain);
  std::optional<Target> target(std::string_view spec, std::string_view domain);
  std::optional<MechanismOutcome> evaluate(const Mechanism& m, std::string_view domain, int depth);
  std::optional<MechanismOutcome> address_mechanism(const Mechanism& m, const std::string& name,
                                                    RrType type);
  std::optional<MechanismOutcome> mx_mechanism(const Mechanism& m, const std::string& name);
  std::optional<MechanismOutcome> ptr_mechanism(const std::string& name);
  std::optional<std::string> explanation(std::string_view spec, std::string_view domain);

  const SpfRequest& request_;
  dns::DnsView& view_;
  const std::string sender_;
  const std::string local_part_;
  const std::string sender_domain_;
  std::vector<dns::Question> needs_;
  int dns_terms_ = 0;
  int voids_ = 0;
  std::optional<std::vector<std::string>> validated_;
  std::map<std::string, std::string, std::less<>> p_cache_;
};

// The names of the client's PTR records (at most 10) whose A/AAAA records lead back to it.
std::optional<std::vector<std::string>> Evaluator::validated_names() {
  if (validated_) return validated_;
  const std::string rev = reverse_name(request_.client_ip);
  const Answer* ptr = lookup(rev, RrType::kPtr);
  if (ptr == nullptr) return std::nullopt;
  std::vector<std::string> names;
  if (ptr->ok()) {
    for (const auto& n : ptr->names) {
      if (names.size() >= kMaxNamesPerMechanism) break;
      if (auto q = to_query_name(n)) names.push_back(std::move(*q));
    }
  }
  // Ask for all the names' addresses at once.
  std::vector<const Answer*> answers;
  bool missing = false;
  for (const auto& n : names) {
    answers.push_back(lookup(n, address_type()));
    missing |= answers.back() == nullptr;
  }
  if (missing) return std::nullopt;
  std::vector<std::string> valid;
  for (std::size_t i = 0; i < names.size(); ++i) {
    // 5.5: a DNS error on one name only skips that name.
    if (answers[i]->ok() && address_matches(*answers[i], 32, 128)) valid.push_back(names[i]);
  }
  validated_ = std::move(valid);
  return validated_;
}

// %{p} (7.3): a validated name equal to or under <domain> if any, else the first one,
// else "unknown".
std::optional<std::string> Evaluator::validated_name_for(std::string_view domain) {
  if (auto it = p_cache_.find(domain); it != p_cache_.end()) return it->second;
  const auto names = validated_names();
  if (!names) return std::nullopt;
  std::string p = "unknown";
  for (const auto& n : *names) {
    if (n == dns::normalize_name(domain)) {
      p = n;
      break;
    }
  }
  if (p == "unknown") {
    for (const auto& n : *names) {
      if (is_same_or_subdomain(n, domain)) {
        p = n;
        break;
      }
    }
  }
  if (p == "unknown" && !names->empty()) p = names->front();
  p_cache_.emplace(std::string(domain), p);
  return p;
}

// The expanded string, or "" when expansion fails (too long); nullopt = answers missing.
std::optional<std::string> Evaluator::expand(std::string_view text, MacroMode mode,
                                             std::string_view domain) {
  MacroValues v = values(domain);
  std::string p;
  if (uses_macro(text, 'p')) {
    auto name = validated_name_for(domain);
    if (!name) return std::nullopt;
    p = std::move(*name);
    v.validated_name = p;
  }
  auto out = expand_macro_string(text, mode, v);
  return out ? std::move(*out) : std::string();
}

std::optional<Target> Evaluator::target(std::string_view spec, std::string_view domain) {
  if (spec.empty()) return Target{to_query_name(domain)};
  auto expanded = expand(spec, MacroMode::kDomainSpec, domain);
  if (!expanded) return std::nullopt;
  return Target{to_query_name(*expanded)};
}

std::optional<MechanismOutcome> Evaluator::address_mechanism(const Mechanism& m,
                                                             const std::string& name,
                                                             RrType type) {
  const Answer* answer = lookup(name, type);
  if (answer == nullptr) return std::nullopt;
  MechanismOutcome out;
  if (answer->temporary()) {
    out.kind = MechanismOutcome::Kind::kError;
    out.error = temperror(name, type, *answer);
    return out;
  }
  if (!answer->ok()) {
    if (auto stop = note_void(name)) {
      out.kind = MechanismOutcome::Kind::kError;
      out.error = std::move(*stop);
    }
    return out;
  }
  if (m.kind == MechanismKind::kExists || address_matches(*answer, m.cidr4, m.cidr6)) {
    out.kind = MechanismOutcome::Kind::kMatch;
  }
  return out;
}

std::optional<MechanismOutcome> Evaluator::mx_mechanism(const Mechanism& m,
                                                        const std::string& name) {
  const Answer* mx = lookup(name, RrType::kMx);
  if (mx == nullptr) return std::nullopt;
  MechanismOutcome out;
  if (mx->temporary()) {
    out.kind = MechanismOutcome::Kind::kError;
    out.error = temperror(name, RrType::kMx, *mx);
    return out;
  }
  if (!mx->ok()) {
    if (auto stop = note_void(name)) {
      out.kind = MechanismOutcome::Kind::kError;
      out.error = std::move(*stop);
    }
    return out;
  }
  std::vector<std::string> hosts;
  for (const auto& h : mx->mx) {
    auto q = to_query_name(h.host);
    if (!q || q->empty()) continue;  // null MX (RFC 7505) or an unusable name
    hosts.push_back(std::move(*q));
  }
  if (hosts.size() > kMaxNamesPerMechanism) {
    out.kind = MechanismOutcome::Kind::kError;
    out.error = {Code::kPermerror,
                 "more than " + std::to_string(kMaxNamesPerMechanism) + " MX records for " +
                     printable_excerpt(name),
                 {}};
    return out;
  }
  std::vector<const Answer*> answers;
  bool missing = false;
  for (const auto& h : hosts) {
    answers.push_back(lookup(h, address_type()));
    missing |= answers.back() == nullptr;
  }
  if (missing) return std::nullopt;
  const Answer* failed = nullptr;
  std::size_t failed_index = 0;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (answers[i]->ok() && address_matches(*answers[i], m.cidr4, m.cidr6)) {
      out.kind = MechanismOutcome::Kind::kMatch;
      return out;
    }
    if (answers[i]->temporary() && failed == nullptr) {
      failed = answers[i];
      failed_index = i;
    }
  }
  if (failed != nullptr) {
    // No host matched and one could not be checked: the answer is unknown, not "no".
    out.kind = MechanismOutcome::Kind::kError;
    out.error = temperror(hosts[failed_index], address_type(), *failed);
  }
  return out;
}

std::optional<MechanismOutcome> Evaluator::ptr_mechanism(const std::string& name) {
  const std::string rev = reverse_name(request_.client_ip);
  const Answer* ptr = lookup(rev, RrType::kPtr);
  if (ptr == nullptr) return std::nullopt;
  MechanismOutcome out;
  if (ptr->nothing()) {
    if (auto stop = note_void(rev)) {
      out.kind = MechanismOutcome::Kind::kError;
      out.error = std::move(*stop);
      return out;
    }
  }
  const auto names = validated_names();
  if (!names) return std::nullopt;
  for (const auto& n : *names) {
    if (is_same_or_subdomain(n, name)) {
      out.kind = MechanismOutcome::Kind::kMatch;
      break;
    }
  }
  return out;
}

std::optional<MechanismOutcome> Evaluator::evaluate(const Mechanism& m, std::string_view domain,
                                                    int depth) {
  MechanismOutcome out;
  const config::IpAddress& ip = request_.client_ip;
  switch (m.kind) {
    case MechanismKind::kAll:
      out.kind = MechanismOutcome::Kind::kMatch;
      return out;
    case MechanismKind::kIp4:
      if (ip.is_v4 && same_prefix(ip, m.network, 96 + m.cidr4)) out.kind = MechanismOutcome::Kind::kMatch;
      return out;
    case MechanismKind::kIp6:
      if (!ip.is_v4 && same_prefix(ip, m.network, m.cidr6)) out.kind = MechanismOutcome::Kind::kMatch;
      return out;
    default:
      break;
  }
  auto t = target(m.domain_spec, domain);
  if (!t) return std::nullopt;
  if (m.kind == MechanismKind::kInclude) {
    if (!t->name) {
      out.kind = MechanismOutcome::Kind::kError;
      out.error = {Code::kPermerror, quoted_excerpt(m.text) + " names no valid domain", {}};
      return out;
    }
    auto r = check_host(*t->name, depth + 1, false);
    if (!r) return std::nullopt;
    switch (r->code) {
      case Code::kPass:
        out.kind = MechanismOutcome::Kind::kMatch;
        break;
      case Code::kFail:
      case Code::kSoftfail:
      case Code::kNeutral:
        break;
      case Code::kTemperror:
        out.kind = MechanismOutcome::Kind::kError;
        out.error = std::move(*r);
        break;
      case Code::kPermerror:
        out.kind = MechanismOutcome::Kind::kError;
        out.error = std::move(*r);
        break;
      case Code::kNone:
        out.kind = MechanismOutcome::Kind::kError;
        out.error = {Code::kPermerror, quoted_excerpt(m.text).append(": ").append(r->reason), {}};
        break;
    }
    return out;
  }
  // A target that cannot be a DNS name cannot match (4.3 by analogy; RFC 7208 leaves it open).
  if (!t->name) return out;
  switch (m.kind) {
    case MechanismKind::kA:
      return address_mechanism(m, *t->name, address_type());
    case MechanismKind::kExists:
      return address_mechanism(m, *t->name, RrType::kA);
    case MechanismKind::kMx:
      return mx_mechanism(m, *t->name);
    case MechanismKind::kPtr:
      return ptr_mechanism(*t->name);
    default:
      return out;
  }
}

// 6.2: the explanation text, or "" when there is none to use; nullopt = answers missing.
std::optional<std::string> Evaluator::explanation(std::string_view spec, std::string_view domain) {
  auto t = target(spec, domain);
  if (!t) return std::nullopt;
  if (!t->name) return std::string();
  const Answer* txt = lookup(*t->name, RrType::kTxt);
  if (txt == nullptr) return std::nullopt;
  if (!txt->ok() || txt->txt.size() != 1) return std::string();
  const std::string& text = txt->txt.front();
  if (text.size() > kMaxExpansionLength) return std::string();
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return std::string();  // 7-bit printable text only
  }
  if (!check_macro_string(text, MacroMode::kExplanation, nullptr)) return std::string();
  auto expanded = expand(text, MacroMode::kExplanation, domain);
  if (!expanded) return std::nullopt;
  std::string out;
  for (char c : *expanded) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u <= 0x7e ? c : '?');
    if (out.size() >= kMaxExplanationLength) break;
  }
  return out;
}

std::optional<Outcome> Evaluator::check_host(std::string_view domain, int depth,
                                             bool want_explanation) {
  if (depth > kMaxRecursionDepth) {
    return Outcome{Code::kPermerror, "include/redirect nested more than " +
                                         std::to_string(kMaxRecursionDepth) + " deep", {}};
  }
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (!is_checkable_domain(domain)) {
    return Outcome{Code::kNone, "malformed domain '" + printable_excerpt(domain) + "'", {}};
  }
  const std::string qname = dns::normalize_name(domain);
  // Names reached through macros may hold any octet but controls: quote them safely.
  const std::string shown = printable_excerpt(qname, kMaxDomainLength);
  const Answer* txt = lookup(qname, RrType::kTxt);
  if (txt == nullptr) return std::nullopt;
  if (txt->temporary()) return temperror(qname, RrType::kTxt, *txt);
  const std::string* found = nullptr;
  if (txt->ok()) {
    for (const auto& t : txt->txt) {
      if (!is_spf_record(t)) continue;
      if (found != nullptr) {
        return Outcome{Code::kPermerror, "more than one SPF record for " + shown, {}};
      }
      found = &t;
    }
  }
  if (found == nullptr) return Outcome{Code::kNone, "no SPF record for " + shown, {}};
  const RecordParse parsed = parse_record(*found);
  if (!parsed.record) {
    return Outcome{Code::kPermerror, parsed.error + " (record of " + shown + ")", {}};
  }
  const SpfRecord& record = *parsed.record;

  for (const Mechanism& m : record.mechanisms) {
    if (m.uses_dns() && ++dns_terms_ > kMaxDnsTerms) {
      return Outcome{Code::kPermerror,
                     "more than " + std::to_string(kMaxDnsTerms) + " DNS lookups (at '" +
                         printable_excerpt(m.text) + "' in record of " + shown + ")",
                     {}};
    }
    auto r = evaluate(m, domain, depth);
    if (!r) return std::nullopt;
    if (r->kind == MechanismOutcome::Kind::kError) return std::move(r->error);
    if (r->kind == MechanismOutcome::Kind::kNoMatch) continue;
    Outcome out{code_of(m.qualifier), "matched " + printable_excerpt(m.text), {}};
    if (depth > 0) out.reason += " in record of " + shown;
    if (out.code == Code::kFail && want_explanation && record.exp) {
      auto text = explanation(*record.exp, domain);
      if (!text) return std::nullopt;
      out.explanation = std::move(*text);
    }
    return out;
  }
  if (record.redirect) {
    if (++dns_terms_ > kMaxDnsTerms) {
      return Outcome{Code::kPermerror,
                     "more than " + std::to_string(kMaxDnsTerms) + " DNS lookups (at redirect in record of " +
                         shown + ")",
                     {}};
    }
    auto t = target(*record.redirect, domain);
    if (!t) return std::nullopt;
    if (!t->name) {
      return Outcome{Code::kPermerror, "redirect target of " + shown + " is not a valid domain", {}};
    }
    auto r = check_host(*t->name, depth + 1, want_explanation);
    if (!r) return std::nullopt;
    if (r->code == Code::kNone) {
      return Outcome{Code::kPermerror, "redirect=" + printable_excerpt(*t->name) + ": " + r->reason, {}};
    }
    return r;
  }
  return Outcome{Code::kNeutral, "no mechanism matched in record of " + shown, {}};
}

dns::Evaluation<SpfResult> run(const SpfRequest& request, std::string_view domain,
                               std::string_view sender, std::string_view identity,
                               dns::DnsView& view) {
  std::string local;
  std::string sender_domain;
  const std::size_t at = sender.rfind('@');
  if (at == std::string_view::npos) {
    sender_domain = std::string(sender);
  } else {
    local = std::string(sender.substr(0, at));
    sender_domain = std::string(sender.substr(at + 1));
  }
  if (local.empty()) local = "postmaster";
  std::string full_sender = local;
  full_sender.push_back('@');
  full_sender.append(sender_domain);

  Evaluator evaluator(request, view, std::move(full_sender), std::move(local),
                      std::move(sender_domain));
  auto outcome = evaluator.check_host(domain, 0, true);
  if (!outcome) return dns::Evaluation<SpfResult>::need(evaluator.take_needs());
  SpfResult result;
  result.code = outcome->code;
  result.identity = std::string(identity);
  std::string_view d = domain;
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  result.domain = is_checkable_domain(d) ? dns::normalize_name(d) : printable_excerpt(d);
  result.reason = std::move(outcome->reason);
  if (result.code == Code::kFail) result.explanation = std::move(outcome->explanation);
  return dns::Evaluation<SpfResult>::done(std::move(result));
}

}  // namespace

dns::Evaluation<SpfResult> check_host(const SpfRequest& request, std::string_view domain,
                                      std::string_view sender, std::string_view identity,
                                      dns::DnsView& view) {
  return run(request, domain, sender, identity, view);
}

dns::Evaluation<SpfResult> check_mail_from(const SpfRequest& request, dns::DnsView& view) {
  if (request.mail_from.empty()) {
    std::string sender = "postmaster@";
    sender.append(request.helo);
    return run(request, request.helo, sender, "mailfrom", view);
  }
  const std::size_t at = request.mail_from.rfind('@');
  const std::string_view domain = at == std::string::npos
                                      ? std::string_view(request.mail_from)
                                      : std::string_view(request.mail_from).substr(at + 1);
  return run(request, domain, request.mail_from, "mailfrom", view);
}

dns::Evaluation<SpfResult> check_helo(const SpfRequest& request, dns::DnsView& view) {
  std::string sender = "postmaster@";
  sender.append(request.helo);
  return run(request, request.helo, sender, "helo", view);
}

}  // namespace portcullis::filters::spf
