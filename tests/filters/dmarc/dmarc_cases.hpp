// The shared DMARC scenarios (shared/testdata/dmarc: cases.yaml, dns.json, messages/) as
// values, for the DMARC cases test and for later full-chain tests (SPF + DKIM + DMARC over
// the same cases). Test support only: throws std::runtime_error on unreadable or malformed
// files.
// Untrusted input: none (checked-in test data).
// Limits: the dns.json reader understands the mailauth --dns-cache shape only:
// { "name": { "TXT": [ ["string", ...], ... ], ... }, ... }; other record types are ignored.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/dns/dns_answer.hpp"

namespace portcullis::filters::dmarc::testing {

struct DmarcCase {
  std::string name;
  std::string description;
  std::string spec;
  std::filesystem::path message_path;
  std::string message;  // raw bytes (CRLF)
  std::string ip;
  std::string helo;
  std::string mail_from;                     // "" for the null sender
  std::string expected_spf;                  // "pass", "fail", "none", …
  std::vector<std::string> expected_dkim;    // one per DKIM-Signature, in header order
  std::string expected_dmarc;                // "pass", "fail", "none", …
  std::optional<std::string> expected_policy;  // null in the YAML: nullopt
};

// Reads <dir>/cases.yaml and every message it names (relative to <dir>).
std::vector<DmarcCase> load_dmarc_cases(const std::filesystem::path& dir);

// An in-memory DnsView: names not listed are NXDOMAIN, a listed name without the asked type
// is NODATA. Every find() is recorded.
class StaticDnsView : public dns::DnsView {
 public:
  static StaticDnsView from_json_file(const std::filesystem::path& path);
  void add_txt(std::string_view name, std::vector<std::string> records);
  const dns::Answer* find(std::string_view name, dns::RrType type) override;
  const std::vector<dns::Question>& asked() const { return asked_; }

 private:
  std::map<std::string, std::map<dns::RrType, dns::Answer>> zone_;
  dns::Answer nxdomain_;
  dns::Answer nodata_;
  std::vector<dns::Question> asked_;
};

// The d= tag of each DKIM-Signature header field of `message`, in header order ("" when a
// signature has none).
std::vector<std::string> dkim_signature_domains(std::string_view message);

// The domain of "local@domain" (after the last '@'), "" when there is none.
std::string address_domain(std::string_view address);

}  // namespace portcullis::filters::dmarc::testing
