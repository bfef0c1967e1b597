// Micro-benchmarks of the sender-authentication kernels, CPU only (no DNS, no sockets):
//  - DKIM: a whole verification (Verifier, hash_bodies, verify) of one message signed with
//    rsa-sha256 (2048-bit key) or ed25519-sha256, relaxed/relaxed, 4 KiB and 100 KiB, the
//    key record served by an in-memory view; items/s = verifications/s, bytes/s = message
//    bytes verified per second; BM_DkimHashBodies times the body-hash part alone;
//  - SPF: check_mail_from over a warm in-memory zone with two includes (one nesting a
//    third), ip4/ip6 ranges and an mx with two hosts, for clients that pass at different
//    depths and one that fails after every term;
//  - DMARC: evaluate_dmarc for a subdomain From whose record sits at the organizational
//    domain (relaxed alignment), passing and failing.
// Keys are generated and messages signed once at start-up (main), and every fixture is
// checked to give the expected result before anything is timed.
// Run: build-bench/bench_auth_kernels --benchmark_min_time=0.5 --benchmark_repetitions=3
//      --benchmark_report_aggregates_only=true   (bench/RESULTS.md)
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"
#include "filters/dkim/dkim_verifier.hpp"
#include "filters/dmarc/dmarc_evaluator.hpp"
#include "filters/dmarc/org_domain.hpp"
#include "filters/dns/dns_answer.hpp"
#include "filters/spf/spf_evaluator.hpp"
#include "tests/filters/dkim/test_signer.hpp"
#include "tests/filters/spf/zone_view.hpp"

namespace {

namespace dkim = portcullis::filters::dkim;
namespace spf = portcullis::filters::spf;
namespace dmarc = portcullis::filters::dmarc;
namespace dns = portcullis::dns;
using portcullis::config::IpAddress;
using spf::testing::ZoneView;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_auth_kernels: %s\n", what.c_str());
  std::exit(1);
}

IpAddress ip(std::string_view text) {
  const auto parsed = IpAddress::parse(text);
  if (!parsed) die("bad address " + std::string(text));
  return *parsed;
}

// ---------------------------------------------------------------------------------------
// DKIM

constexpr std::int64_t kNow = 1'700'000'000;

// A plain-text message of exactly `size` bytes (before signing): five header fields and
// CRLF lines of about 75 characters of varied text, with some runs of spaces and trailing
// blanks so relaxed body canonicalization has work to do.
std::string make_message(std::size_t size) {
  std::string m =
      "From: Alice Example <alice@example.test>\r\n"
      "To: Bob Example <bob@example.net>\r\n"
      "Subject: Quarterly report  and  figures\r\n"
      "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
      "Message-ID: <bench.0001@example.test>\r\n"
      "\r\n";
  static constexpr std::string_view kWords[] = {"the",   "gate",  "checks", "every",
                                                "message", "and",  "its",    "signature",
                                                "before",  "relaying", "it", "onward"};
  std::size_t word = 0;
  std::size_t line_no = 0;
  while (m.size() < size) {
    std::string line;
    while (line.size() < 70) {
      line.append(kWords[word % std::size(kWords)]);
      line.append(word % 7 == 3 ? "   " : " ");
      ++word;
    }
    if (line_no % 5 == 4) line.append(" \t");  // trailing whitespace (relaxed strips it)
    ++line_no;
    line.append("\r\n");
    m.append(line);
  }
  m.resize(size);
  if (m.size() >= 2) m.replace(m.size() - 2, 2, "\r\n");
  return m;
}

struct DkimFixture {
  std::string message;  // signed
  ZoneView keys;
};

// fixtures[algorithm][size]: algorithm 0 = rsa-sha256/2048, 1 = ed25519-sha256.
constexpr std::size_t kDkimSizes[] = {4 * 1024, 100 * 1024};
std::unique_ptr<DkimFixture> g_dkim[2][2];

void setup_dkim() {
  dkim::testing::Pkey rsa = dkim::testing::generate_rsa(2048);
  dkim::testing::Pkey ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!rsa || !ed) die("key generation failed");

  for (int alg = 0; alg < 2; ++alg) {
    EVP_PKEY* key = alg == 0 ? rsa.get() : ed.get();
    dkim::testing::SignSpec spec;
    spec.a = alg == 0 ? "rsa-sha256" : "ed25519-sha256";
    spec.c = "relaxed/relaxed";
    spec.d = "example.test";
    spec.s = alg == 0 ? "rsa2048" : "ed";
    spec.h = "from:to:subject:date:message-id";
    spec.extra = "t=" + std::to_string(kNow - 60) + "; ";
    for (std::size_t size_index = 0; size_index < 2; ++size_index) {
      auto f = std::make_unique<DkimFixture>();
      f->message = dkim::testing::sign(make_message(kDkimSizes[size_index]), key, spec);
      f->keys.add_txt(spec.s + "._domainkey.example.test", dkim::testing::key_record(key));

      dkim::Verifier v(f->message, dkim::VerifyOptions{.now = kNow});
      const auto results = v.verify(f->keys);
      if (results.size() != 1 || results[0].code != dkim::DkimResult::Code::kPass) {
        die("DKIM fixture " + spec.a + " does not verify: " +
            (results.empty() ? std::string("no result") : results[0].reason));
      }
      g_dkim[alg][size_index] = std::move(f);
    }
  }
}

void BM_DkimVerify(benchmark::State& state, int alg, std::size_t size_index) {
  DkimFixture& f = *g_dkim[alg][size_index];
  for (auto _ : state) {
    dkim::Verifier v(f.message, dkim::VerifyOptions{.now = kNow});
    v.hash_bodies();
    auto results = v.verify(f.keys);
    benchmark::DoNotOptimize(results.data());
    if (results[0].code != dkim::DkimResult::Code::kPass) state.SkipWithError("not a pass");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(f.message.size()));
  state.SetLabel(std::to_string(f.message.size()) + " B signed message");
}

// The body-hashing share of the above: Verifier construction (header split, signature
// parse) and hash_bodies() only, no key and no signature check.
void BM_DkimHashBodies(benchmark::State& state, int alg, std::size_t size_index) {
  DkimFixture& f = *g_dkim[alg][size_index];
  for (auto _ : state) {
    dkim::Verifier v(f.message, dkim::VerifyOptions{.now = kNow});
    v.hash_bodies();
    benchmark::DoNotOptimize(&v);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(f.message.size()));
}

// ---------------------------------------------------------------------------------------
// SPF

// example.test: v=spf1 include:_spf.a.test include:_spf.b.test ip4:198.51.100.0/24 mx -all
//   _spf.a.test: 4 ip4 + 2 ip6 ranges, ~all
//   _spf.b.test: 3 ip4 + 1 ip6 ranges, include:_spf.c.test, ~all
//   _spf.c.test: 2 ip4 ranges, ~all
//   MX example.test: mx1 (10), mx2 (20), one A record each
ZoneView g_spf_zone;

struct SpfCase {
  const char* name;
  const char* client;
  spf::SpfResult::Code expected;
};
constexpr SpfCase kSpfCases[] = {
    {"include_a_ip4", "192.0.2.77", spf::SpfResult::Code::kPass},         // 1st include
    {"include_a_ip6", "2001:db8:a:1::25", spf::SpfResult::Code::kPass},   // 1st include, ip6
    {"include_b_c_ip4", "203.0.113.200", spf::SpfResult::Code::kPass},    // nested include
    {"top_ip4", "198.51.100.9", spf::SpfResult::Code::kPass},             // after 3 includes
    {"mx", "100.64.20.2", spf::SpfResult::Code::kPass},                   // 2nd MX host
    {"fail", "100.64.99.1", spf::SpfResult::Code::kFail},                 // every term, -all
};

void setup_spf() {
  ZoneView& z = g_spf_zone;
  z.add_txt("example.test", "v=spf1 include:_spf.a.test include:_spf.b.test "
                            "ip4:198.51.100.0/24 mx -all");
  z.add_txt("_spf.a.test", "v=spf1 ip4:192.0.2.0/25 ip4:192.0.2.64/26 ip4:192.0.2.128/27 "
                           "ip4:10.10.0.0/16 ip6:2001:db8:a::/48 ip6:2001:db8:aa::/48 ~all");
  z.add_txt("_spf.b.test", "v=spf1 ip4:172.16.1.0/24 ip4:172.16.2.0/24 ip4:172.16.8.0/22 "
                           "ip6:2001:db8:b::/48 include:_spf.c.test ~all");
  z.add_txt("_spf.c.test", "v=spf1 ip4:203.0.113.128/25 ip4:203.0.112.0/24 ~all");
  z.add_mx("example.test", 10, "mx1.example.test");
  z.add_mx("example.test", 20, "mx2.example.test");
  z.add_address("mx1.example.test", ip("100.64.10.1"));
  z.add_address("mx2.example.test", ip("100.64.20.2"));

  for (const SpfCase& c : kSpfCases) {
    spf::SpfRequest request{ip(c.client), "mail.example.test", "alice@example.test"};
    const auto e = spf::check_mail_from(request, z);
    if (!e.result || e.result->code != c.expected) {
      die(std::string("SPF case ") + c.name + " gives " +
          (e.result ? std::string(spf::to_string(e.result->code)) + " (" + e.result->reason + ")"
                    : std::string("needs more answers")));
    }
  }
}

void BM_SpfCheckMailFrom(benchmark::State& state, const SpfCase& c) {
  const spf::SpfRequest request{ip(c.client), "mail.example.test", "alice@example.test"};
  for (auto _ : state) {
    auto e = spf::check_mail_from(request, g_spf_zone);
    benchmark::DoNotOptimize(e.result);
  }
  state.SetItemsProcessed(state.iterations());
}

// ---------------------------------------------------------------------------------------
// DMARC

ZoneView g_dmarc_zone;
std::unique_ptr<dmarc::OrgDomain> g_org;

dmarc::DmarcInput dmarc_input(bool pass) {
  dmarc::DmarcInput in;
  in.from_domain = "news.example.test";  // record only at _dmarc.example.test
  if (pass) {
    in.spf_pass_domain = "bounce.example.test";
    in.dkim_pass_domains = {"example.test"};
  } else {
    in.spf_pass_domain = "mailer.example.net";
    in.dkim_pass_domains = {"esp.example.net"};
  }
  return in;
}

const dmarc::PercentSource& percent_source() {
  static const dmarc::PercentSource source = [] { return std::uint32_t{0}; };
  return source;
}

void setup_dmarc() {
  g_org = std::make_unique<dmarc::OrgDomain>(dmarc::OrgDomain::latest());
  g_dmarc_zone.add_txt("_dmarc.example.test",
                       "v=DMARC1; p=reject; sp=quarantine; adkim=r; aspf=r; pct=100; "
                       "rua=mailto:dmarc-reports@example.test; fo=1");
  g_dmarc_zone.add_txt("news.example.test", "v=spf1 -all");  // the From name exists
  for (bool pass : {true, false}) {
    const auto e = dmarc::evaluate_dmarc(dmarc_input(pass), *g_org, g_dmarc_zone, percent_source());
    const auto want = pass ? dmarc::DmarcResult::Code::kPass : dmarc::DmarcResult::Code::kFail;
    if (!e.result || e.result->code != want || e.result->policy_domain != "example.test") {
      die(std::string("DMARC case ") + (pass ? "pass" : "fail") + " gives " +
          (e.result ? std::string(dmarc::to_string(e.result->code)) + " (" + e.result->reason +
                          ")"
                    : std::string("needs more answers")));
    }
  }
}

void BM_DmarcEvaluate(benchmark::State& state, bool pass) {
  const dmarc::DmarcInput input = dmarc_input(pass);
  for (auto _ : state) {
    auto e = dmarc::evaluate_dmarc(input, *g_org, g_dmarc_zone, percent_source());
    benchmark::DoNotOptimize(e.result);
  }
  state.SetItemsProcessed(state.iterations());
}

void register_benchmarks() {
  static constexpr const char* kAlgNames[] = {"rsa2048_sha256", "ed25519_sha256"};
  static constexpr const char* kSizeNames[] = {"4KiB", "100KiB"};
  for (int alg = 0; alg < 2; ++alg) {
    for (std::size_t size_index = 0; size_index < 2; ++size_index) {
      benchmark::RegisterBenchmark(
          (std::string("BM_DkimVerify/") + kAlgNames[alg] + "/" + kSizeNames[size_index]).c_str(),
          BM_DkimVerify, alg, size_index);
    }
  }
  for (std::size_t size_index = 0; size_index < 2; ++size_index) {
    benchmark::RegisterBenchmark(
        (std::string("BM_DkimHashBodies/rsa2048_sha256/") + kSizeNames[size_index]).c_str(),
        BM_DkimHashBodies, 0, size_index);
  }
  for (const SpfCase& c : kSpfCases) {
    benchmark::RegisterBenchmark((std::string("BM_SpfCheckMailFrom/") + c.name).c_str(),
                                 BM_SpfCheckMailFrom, c);
  }
  benchmark::RegisterBenchmark("BM_DmarcEvaluate/org_record_pass", BM_DmarcEvaluate, true);
  benchmark::RegisterBenchmark("BM_DmarcEvaluate/org_record_fail", BM_DmarcEvaluate, false);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  setup_dkim();
  setup_spf();
  setup_dmarc();
  register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
