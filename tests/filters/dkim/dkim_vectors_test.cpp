// The shared DKIM vectors (shared/testdata/dkim/vectors.yaml, dns.json): every signature of
// every message through Verifier, keys from dns.json (anything else NXDOMAIN), LF→CRLF where
// the vector says so, and a clock that makes the t=1700000000 signatures current. Prints
// "N passed, N failed"; also checks the documented code and reason of the RFC-judged cases.
// Exit status 0 only when every signature matches.
#include <boost/json/src.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <utility>

#include "filters/dkim/dkim_verifier.hpp"
#include "map_dns_view.hpp"

namespace dkim = portcullis::filters::dkim;
using Code = dkim::DkimResult::Code;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string lf_to_crlf(const std::string& in) {
  std::string out;
  out.reserve(in.size() + in.size() / 16);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out.push_back('\r');
    out.push_back(in[i]);
  }
  return out;
}

void load_dns(const std::string& path, dkim::testing::MapDnsView& view) {
  const boost::json::value doc = boost::json::parse(read_file(path));
  for (const auto& [name, types] : doc.as_object()) {
    const auto* txt = types.as_object().if_contains("TXT");
    if (txt == nullptr) continue;
    std::vector<std::string> records;
    for (const auto& rr : txt->as_array()) {
      std::string joined;
      for (const auto& part : rr.as_array()) joined.append(part.as_string().c_str());
      records.push_back(std::move(joined));
    }
    view.add_txt(std::string(name), std::move(records));
  }
}

struct Documented {
  Code code;
  std::string reason;  // prefix
};

// The outcome this verifier documents for the cases where the RFCs, not the oracles, decide.
const std::map<std::string, Documented>& documented() {
  static const std::map<std::string, Documented> table = {
      {"rfc6376-a2", {Code::kFail, "body hash mismatch"}},
      {"tampered-header", {Code::kFail, "signature did not verify"}},
      {"tampered-body", {Code::kFail, "body hash mismatch"}},
      {"simple-body-whitespace-fail", {Code::kFail, "body hash mismatch"}},
      {"simple-header-case-fail", {Code::kFail, "signature did not verify"}},
      {"rsa-sha1", {Code::kPolicy, "rsa-sha1 not acceptable (RFC 8301)"}},
      {"rsa-512-key", {Code::kPolicy, "key too short (512 bits)"}},
      {"key-missing", {Code::kPermerror, "no key for signature"}},
      {"key-revoked", {Code::kFail, "key revoked"}},
      {"key-bad-version", {Code::kPermerror, "key record v= is not DKIM1"}},
      {"key-bad-k", {Code::kPermerror, "unknown key type k=ed25519-sha256"}},
      {"key-corrupt-p", {Code::kPermerror, "rsa key p= is not a valid public key"}},
      {"key-service-tlsrpt", {Code::kPermerror, "key not for email (s=)"}},
      {"key-h-sha1-only", {Code::kPermerror, "key h= does not allow sha256"}},
      {"extra-from-added", {Code::kFail, "signature did not verify"}},
      {"oversigned-subject-added-fail", {Code::kFail, "signature did not verify"}},
  };
  return table;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : PORTCULLIS_DKIM_TESTDATA;
  dkim::testing::MapDnsView dns;
  load_dns(dir + "/dns.json", dns);
  const YAML::Node doc = YAML::LoadFile(dir + "/vectors.yaml");

  dkim::VerifyOptions options;
  options.now = 1700000000 + 3600;  // an hour after the gen-* signatures were made

  int passed = 0;
  int failed = 0;
  int signatures = 0;
  for (const YAML::Node& vector : doc["vectors"]) {
    const std::string name = vector["name"].as<std::string>();
    std::string message = read_file(dir + "/" + vector["file"].as<std::string>());
    if (vector["line_endings"].as<std::string>("CRLF") == "LF") message = lf_to_crlf(message);

    dkim::Verifier verifier(message, options);
    const std::vector<dkim::DkimResult> results = verifier.verify(dns);
    const YAML::Node sigs = vector["signatures"];
    if (results.size() != sigs.size()) {
      std::printf("FAIL %s: %zu results for %zu signatures\n", name.c_str(), results.size(),
                  sigs.size());
      failed += static_cast<int>(sigs.size());
      signatures += static_cast<int>(sigs.size());
      continue;
    }
    for (std::size_t i = 0; i < sigs.size(); ++i) {
      ++signatures;
      const dkim::DkimResult& r = results[i];
      const std::string expected = sigs[i]["expected"].as<std::string>();
      std::string problem;
      if (r.domain != sigs[i]["d"].as<std::string>() ||
          r.selector != sigs[i]["s"].as<std::string>() ||
          r.algorithm != sigs[i]["a"].as<std::string>()) {
        problem = "signature order/identity differs (d=" + r.domain + " s=" + r.selector + ")";
      } else if ((expected == "pass") != (r.code == Code::kPass)) {
        problem = "expected " + expected;
      } else if (auto it = documented().find(name); it != documented().end()) {
        if (r.code != it->second.code || r.reason.rfind(it->second.reason, 0) != 0) {
          problem = "documented outcome is " + std::string(dkim::to_string(it->second.code)) +
                    " (" + it->second.reason + ")";
        }
      } else if (name == "body-length-appended-pass" && !r.body_truncated) {
        problem = "l= pass without body_truncated";
      }
      std::printf("%s %s[%zu] d=%s s=%s a=%s: %s (%s)%s%s\n", problem.empty() ? "ok  " : "FAIL",
                  name.c_str(), i, r.domain.c_str(), r.selector.c_str(), r.algorithm.c_str(),
                  std::string(dkim::to_string(r.code)).c_str(), r.reason.c_str(),
                  problem.empty() ? "" : " — ", problem.c_str());
      if (problem.empty()) {
        ++passed;
      } else {
        ++failed;
      }
    }
  }
  std::printf("%d passed, %d failed (%d signatures)\n", passed, failed, signatures);
  return failed == 0 && signatures > 0 ? 0 : 1;
}
