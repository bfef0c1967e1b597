// Fuzz target for the SPF library: the input is parsed as a record (parse_record), checked
// and expanded as a macro string in both modes, and evaluated as the SPF record of
// fuzz.example.org against a small fixed zone, eagerly and through the restart protocol,
// for an IPv4 and an IPv6 client. The two ways must agree and every result must be
// well-formed and bounded.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filters/spf/spf_domain.hpp"
#include "filters/spf/spf_evaluator.hpp"
#include "filters/spf/spf_macro.hpp"
#include "filters/spf/spf_record.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "zone_view.hpp"


namespace portcullis::filters::spf::fuzz {
namespace {

bool printable(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return true;
}

void check_query_name(std::string_view expanded) {
  const auto name = to_query_name(expanded);
  if (!name) return;
  FUZZ_CHECK(!name->empty() && name->size() <= kMaxDomainLength);
  FUZZ_CHECK(name->back() != '.' && name->front() != '.');
  FUZZ_CHECK(name->find("..") == std::string::npos);
}

void check_parser(std::string_view in) {
  const RecordParse p = parse_record(in);
  if (!p.record) {
    FUZZ_CHECK(!p.error.empty() && printable(p.error) && p.error.size() <= 400);
    return;
  }
  FUZZ_CHECK(is_spf_record(in) && in.size() <= kMaxRecordLength && printable(in));
  const SpfRecord& r = *p.record;
  FUZZ_CHECK(r.mechanisms.size() + r.unknown_modifiers <= kMaxTerms);
  for (const auto& m : r.mechanisms) {
    FUZZ_CHECK(!m.text.empty() && m.text.find(' ') == std::string::npos);
    FUZZ_CHECK(m.domain_spec.empty() || check_domain_spec(m.domain_spec, nullptr));
    FUZZ_CHECK(m.cidr4 >= 0 && m.cidr4 <= 32 && m.cidr6 >= 0 && m.cidr6 <= 128);
    if (m.kind == MechanismKind::kIp4) FUZZ_CHECK(m.network.is_v4);
  }
  if (r.redirect) FUZZ_CHECK(check_domain_spec(*r.redirect, nullptr));
  if (r.exp) FUZZ_CHECK(check_domain_spec(*r.exp, nullptr));
}

void check_macros(std::string_view in) {
  MacroValues v;
  v.sender = "user@fuzz.example.org";
  v.local_part = "user";
  v.sender_domain = "fuzz.example.org";
  v.domain = "fuzz.example.org";
  v.ip = *config::IpAddress::parse("2001:db8::1");
  v.validated_name = "mail.example.org";
  v.helo = "mail.example.org";
  v.receiver = "mx.example.net";
  v.timestamp = 1700000000;
  const bool as_domain = check_macro_string(in, MacroMode::kDomainSpec, nullptr);
  const bool as_exp = check_macro_string(in, MacroMode::kExplanation, nullptr);
  FUZZ_CHECK(!as_domain || as_exp);  // explanation syntax is a superset
  for (const MacroMode mode : {MacroMode::kDomainSpec, MacroMode::kExplanation}) {
    const auto out = expand_macro_string(in, mode, v);
    if (!(mode == MacroMode::kDomainSpec ? as_domain : as_exp)) {
      FUZZ_CHECK(!out);
      continue;
    }
    if (!out) continue;  // only when longer than the cap
    FUZZ_CHECK(out->size() <= kMaxExpansionLength);
    check_query_name(*out);
  }
  if (check_domain_spec(in, nullptr)) FUZZ_CHECK(as_domain && !in.empty());
  check_query_name(in);
}

testing::ZoneView make_zone(std::string_view in) {
  testing::ZoneView z;
  std::string record(in);
  if (!is_spf_record(record)) record = "v=spf1 " + record;
  z.add_txt("fuzz.example.org", record);
  z.add_txt("sub.fuzz.example.org", record);
  z.add_txt("example.org", "v=spf1 a mx ptr:example.org -all exp=exp.example.org");
  z.add_mx("example.org", 10, "mail.example.org");
  z.add_mx("example.org", 20, "");
  z.add_address("mail.example.org", *config::IpAddress::parse("192.0.2.1"));
  z.add_address("mail.example.org", *config::IpAddress::parse("2001:db8::1"));
  z.add_ptr("1.2.0.192.in-addr.arpa", "mail.example.org");
  z.add_ptr("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
            "mail.example.org");
  z.add_txt("exp.example.org", "%{i} %{p} %{s} %{c} %{r} %{t} not allowed");
  z.set_timeout("timeout.example.org");
  z.set_servfail("servfail.example.org");
  z.set_cname("cname.example.org", "example.org");
  z.set_cname("loop.example.org", "loop.example.org");
  return z;
}

void check_result(const SpfResult& r) {
  FUZZ_CHECK(r.identity == "mailfrom");
  FUZZ_CHECK(r.domain == "fuzz.example.org");
  FUZZ_CHECK(!r.reason.empty() && printable(r.reason) && r.reason.size() <= 1024);
  FUZZ_CHECK(r.explanation.empty() || r.code == SpfResult::Code::kFail);
  FUZZ_CHECK(printable(r.explanation) && r.explanation.size() <= kMaxExplanationLength);
  FUZZ_CHECK(r.code != SpfResult::Code::kNone);  // the record is there
}

void check_evaluation(std::string_view in) {
  testing::ZoneView zone = make_zone(in);
  for (const char* client : {"192.0.2.1", "2001:db8::2"}) {
    SpfRequest req;
    req.client_ip = *config::IpAddress::parse(client);
    req.helo = "mail.example.org";
    req.mail_from = "user@fuzz.example.org";
    req.receiver = "mx.example.net";
    req.timestamp = 1700000000;
    auto evaluate = [&](dns::DnsView& view) { return check_mail_from(req, view); };
    const auto eager = evaluate(zone);
    FUZZ_CHECK(eager.result && eager.needs.empty());
    check_result(*eager.result);
    std::string error;
    const auto lazy = testing::drive_lazily(zone, evaluate, &error);
    if (!lazy) std::fprintf(stderr, "restart protocol: %s\n", error.c_str());
    FUZZ_CHECK(lazy);
    FUZZ_CHECK(*lazy == *eager.result);
  }
}

}  // namespace
}  // namespace portcullis::filters::spf::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis::filters::spf::fuzz;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_parser(in);
  check_macros(in);
  if (size <= 2 * portcullis::filters::spf::kMaxRecordLength) check_evaluation(in);
  return 0;
}
