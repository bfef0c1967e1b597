// Fuzz target for the whole verifier over one message, with a fixed key view (the RFC 8463
// test keys at rsa1/ed1._domainkey.example.com, a 512-bit key, a revoked key and a
// temporary failure; everything else NXDOMAIN). Checks: one result per DKIM-Signature
// field, re-runs agree, evaluate() asks only for key_questions(), and the body
// canonicalizer gives the same bytes whole and split at an input-derived point.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "filters/dkim/canonicalization.hpp"
#include "filters/dkim/dkim_verifier.hpp"
#include "filters/dkim/message_headers.hpp"
#include "filters/dkim/text.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "map_dns_view.hpp"

namespace portcullis::filters::dkim::fuzz {

using portcullis::fuzz::split_point;
namespace {

testing::MapDnsView& keys() {
  static testing::MapDnsView* view = [] {
    auto* v = new testing::MapDnsView();
    v->add_txt("rsa1._domainkey.example.com",
               {"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3"
                "idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+"
                "yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"});
    v->add_txt("ed1._domainkey.example.com",
               {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="});
    v->add_txt("small512._domainkey.example.com",
               {"v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALJAzaT5FwXdsMJxkqi4ZKcBPW+Acy"
                "i5fDMF/ozF+lwYI98Pz6iMCy+PPG4YdxT77D7cV38iDnJhxc3QOmUoN4sCAwEAAQ=="});
    v->add_txt("revoked._domainkey.example.com", {"v=DKIM1; p="});
    v->add_status("temp._domainkey.example.com", dns::Answer::Status::kServFail);
    return v;
  }();
  return *view;
}

std::string canon(Canonicalization c, std::string_view body, std::size_t at) {
  std::string out;
  BodyCanonicalizer b(c, std::nullopt, [&](std::string_view chunk) {
    FUZZ_CHECK(!chunk.empty() && chunk.size() <= BodyCanonicalizer::kChunk);
    out.append(chunk);
  });
  b.feed(body.substr(0, at));
  b.feed(body.substr(at));
  b.finish();
  FUZZ_CHECK(b.canonical_length() == out.size());
  return out;
}

void check_message(std::string_view in) {
  VerifyOptions options;
  options.now = 1700003600;
  Verifier verifier(in, options);
  const std::vector<dns::Question> questions = verifier.key_questions();
  const std::vector<DkimResult> results = verifier.verify(keys());

  const MessageView view = split_message(in);
  std::size_t signatures = 0;
  for (const HeaderField& f : view.fields) signatures += iequals(f.name, "dkim-signature");
  FUZZ_CHECK(results.size() == signatures);
  for (const DkimResult& r : results) {
    FUZZ_CHECK(r.code != DkimResult::Code::kNone);
    FUZZ_CHECK(!r.reason.empty());
    if (r.code == DkimResult::Code::kPass) {
      FUZZ_CHECK(r.selector == "rsa1" || r.selector == "ed1");
    }
  }
  // Re-running (as the DNS driver does) gives the same answers.
  const std::vector<DkimResult> again = verifier.verify(keys());
  FUZZ_CHECK(again.size() == results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    FUZZ_CHECK(again[i].code == results[i].code && again[i].reason == results[i].reason);
  }
  // With nothing known, evaluate() asks exactly the key questions.
  testing::MapDnsView empty(/*unknown_is_null=*/true);
  const auto e = verifier.evaluate(empty);
  FUZZ_CHECK(e.needs == questions);
  FUZZ_CHECK(e.result.has_value() == questions.empty());

  const std::size_t at = split_point(view.body);
  for (Canonicalization c : {Canonicalization::kSimple, Canonicalization::kRelaxed}) {
    FUZZ_CHECK(canon(c, view.body, at) == canon(c, view.body, 0));
  }
}

}  // namespace
}  // namespace portcullis::filters::dkim::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  portcullis::filters::dkim::fuzz::check_message(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
