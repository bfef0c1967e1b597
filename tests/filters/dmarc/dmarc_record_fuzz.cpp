// Fuzz target for the DMARC record parser and the From extraction over the same input:
// - the record parser never crashes, keeps its limits, gives printable reasons, and a valid
//   record written back in canonical form parses to the same values;
// - extract_from_domain on the input as a message and as a From value gives either a clean
//   lowercase DNS name or a printable reason;
// - the evaluator, with the input as the TXT record(s) of _dmarc.example.com, always ends
//   with a result in one round and keeps its invariants.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "filters/dmarc/dmarc_evaluator.hpp"
#include "filters/dmarc/dmarc_record.hpp"
#include "filters/dmarc/from_domain.hpp"
#include "filters/dmarc/org_domain.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace portcullis::filters::dmarc {
namespace {

bool printable(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

std::string canonical(const DmarcRecord& r) {
  std::string out = "v=DMARC1; p=";
  out.append(to_string(r.policy));
  out.append("; sp=").append(to_string(r.subdomain_policy));
  out.append("; pct=").append(std::to_string(r.pct));
  out.append("; adkim=").append(r.adkim == Alignment::kStrict ? "s" : "r");
  out.append("; aspf=").append(r.aspf == Alignment::kStrict ? "s" : "r");
  for (const auto* list : {&r.rua, &r.ruf}) {
    if (list->empty()) continue;
    out.append(list == &r.rua ? "; rua=" : "; ruf=");
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (i) out.append(",");
      out.append((*list)[i].uri);
      if ((*list)[i].max_bytes) out.append("!").append(std::to_string(*(*list)[i].max_bytes));
    }
  }
  std::string fo, rf;
  for (const auto& f : r.fo) fo.append(fo.empty() ? "" : ":").append(f);
  for (const auto& f : r.rf) rf.append(rf.empty() ? "" : ":").append(f);
  out.append("; fo=").append(fo).append("; rf=").append(rf);
  out.append("; ri=").append(std::to_string(r.ri));
  return out;
}

void check_record(std::string_view in) {
  const RecordLimits limits;
  const ParsedRecord p = parse_dmarc_record(in, limits);
  FUZZ_CHECK((p.status == ParsedRecord::Status::kNotDmarc) == !starts_with_dmarc_version(in));
  FUZZ_CHECK(printable(p.reason));
  FUZZ_CHECK((p.status == ParsedRecord::Status::kInvalid) == !p.reason.empty());
  if (!p.valid()) return;
  const DmarcRecord& r = p.record;
  FUZZ_CHECK(r.pct >= 0 && r.pct <= 100);
  FUZZ_CHECK(r.rua.size() <= limits.max_uris && r.ruf.size() <= limits.max_uris);
  FUZZ_CHECK(!r.fo.empty() && !r.rf.empty());
  FUZZ_CHECK(r.policy_defaulted == !r.note.empty());
  if (r.policy_defaulted) FUZZ_CHECK(!r.rua.empty() && r.policy == Policy::kNone);
  if (!r.has_subdomain_policy) FUZZ_CHECK(r.subdomain_policy == r.policy);
  for (const auto* list : {&r.rua, &r.ruf}) {
    for (const ReportUri& u : *list) {
      FUZZ_CHECK(!u.uri.empty() && u.uri.size() <= limits.max_uri_length);
      FUZZ_CHECK(u.uri.find_first_of(",!; \t\r\n") == std::string::npos);
    }
  }
  // Round trip through the canonical form (which may exceed the input's length limit).
  RecordLimits roomy;
  roomy.max_length = 1 << 20;
  const ParsedRecord back = parse_dmarc_record(canonical(r), roomy);
  FUZZ_CHECK(back.valid());
  const DmarcRecord& b = back.record;
  FUZZ_CHECK(b.policy == r.policy && b.subdomain_policy == r.subdomain_policy);
  FUZZ_CHECK(b.pct == r.pct && b.adkim == r.adkim && b.aspf == r.aspf);
  FUZZ_CHECK(b.rua == r.rua && b.ruf == r.ruf && b.dropped_uris == 0);
  FUZZ_CHECK(b.fo == r.fo && b.rf == r.rf && b.ri == r.ri);
}

void check_from(const FromDomain& f) {
  FUZZ_CHECK(printable(f.reason));
  FUZZ_CHECK(printable(f.address));
  FUZZ_CHECK(f.ok() == f.reason.empty());
  if (!f.ok()) {
    FUZZ_CHECK(f.domain.empty());
    return;
  }
  FUZZ_CHECK(!f.domain.empty() && f.domain.size() <= 253);
  FUZZ_CHECK(f.domain.front() != '.' && f.domain.back() != '.');
  FUZZ_CHECK(f.domain.find("..") == std::string::npos);
  for (char c : f.domain) {
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
  }
  FUZZ_CHECK(OrgDomain::normalize(f.domain) == f.domain);
}

class OneNameView : public dns::DnsView {
 public:
  explicit OneNameView(std::vector<std::string> txt) {
    record_.status = dns::Answer::Status::kOk;
    record_.txt = std::move(txt);
    nx_.status = dns::Answer::Status::kNxDomain;
  }
  const dns::Answer* find(std::string_view name, dns::RrType) override {
    return dns::normalize_name(name) == "_dmarc.example.com" ? &record_ : &nx_;
  }

 private:
  dns::Answer record_, nx_;
};

void check_evaluation(std::string_view in, const std::string& from) {
  static const OrgDomain org = OrgDomain::builtin();
  const std::size_t at = portcullis::fuzz::split_point(in);
  for (auto txt : {std::vector<std::string>{std::string(in)},
                   std::vector<std::string>{std::string(in.substr(0, at)), std::string(in.substr(at))}}) {
    OneNameView view(std::move(txt));
    int draws = 0;
    const PercentSource percent = [&draws] { return static_cast<std::uint32_t>(++draws * 37 % 100); };
    DmarcInput input{from.empty() ? "mail.example.com" : from, std::nullopt, {"example.net"}};
    // Let the input decide whether the identifiers align, so failures and sampling are reached.
    if (in.size() % 3 == 1) input.spf_pass_domain = "example.com";
    if (in.size() % 3 == 2) input.dkim_pass_domains.push_back(from);
    const auto e = evaluate_dmarc(input, org, view, percent);
    FUZZ_CHECK(e.result && e.needs.empty());
    const DmarcResult& r = *e.result;
    FUZZ_CHECK(draws <= 1);
    FUZZ_CHECK(!r.reason.empty());
    const bool decided = r.code == DmarcResult::Code::kPass || r.code == DmarcResult::Code::kFail;
    FUZZ_CHECK(decided == r.record.has_value());
    FUZZ_CHECK(decided == !r.policy_domain.empty());
    FUZZ_CHECK(r.code != DmarcResult::Code::kPass || r.spf_aligned || r.dkim_aligned);
    FUZZ_CHECK(r.applied <= r.policy);
    if (r.code != DmarcResult::Code::kFail) FUZZ_CHECK(r.applied == Policy::kNone);
  }
}

}  // namespace
}  // namespace portcullis::filters::dmarc

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis::filters::dmarc;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_record(in);

  const FromDomain as_message = extract_from_domain(in);
  check_from(as_message);
  std::string header = "From:";
  header.append(in);
  const FromDomain as_value = extract_from_domain(header);
  check_from(as_value);

  check_evaluation(in, as_value.ok() ? as_value.domain : as_message.domain);
  return 0;
}
