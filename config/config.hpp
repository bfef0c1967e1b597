// The gate's configuration: the typed snapshot the proxy runs on, loaded from the YAML file
// of DESIGN.md ("Config (YAML)", fixed key names; full schema in docs/config.md). Loading
// validates everything at once and reports each problem as "file:line:col: key: what was
// expected"; a Config that exists is valid. Sections of DESIGN.md that this build does not
// implement yet are refused by name rather than silently ignored (the list: not_yet.cpp).
// Untrusted input: the file's text (values are checked, quoted values in messages escaped).
// Limits: files over 16 MiB are refused; timeouts are capped at 24h.
// Gaps: host names in addresses are kept as text, resolved later by the proxy. The `filters:`
// section is kept raw (RawSection) and read by the pipeline builder (filters/api), which
// alone knows the filter factories; load_config checks only that the rest is valid.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"
#include "proxy/smtp/limits.hpp"

namespace portcullis::config {

enum class ListenerTls { kNone, kStarttls, kImplicit };

struct Endpoint {
  std::string host;  // numeric IPv4/IPv6 (without brackets) or a name resolved at start
  std::uint16_t port = 0;
};

struct Listener {
  std::string name;
  Endpoint address;
  ListenerTls tls = ListenerTls::kNone;
  bool require_auth = false;
  bool proxy_protocol = false;
};

enum class BackendIdentity { kNone, kXclient, kProxyV2 };
enum class BackendTls { kNone, kStarttls };

struct Backend {
  // Exactly one of the two: an SMTP MTA at host:port, or the demo maildir ("maildir:DIR").
  std::optional<Endpoint> smtp;
  std::optional<std::string> maildir;  // directory, relative to the working directory
  BackendIdentity identity = BackendIdentity::kNone;
  BackendTls tls = BackendTls::kNone;  // SMTP backends only
};

enum class LogFormat { kText, kJson };

// `policy:` — score thresholds of the final action (filters/api/policy.hpp). An absent
// threshold never fires; an absent section means no thresholds at all.
struct PolicyThresholds {
  std::optional<double> reject;
  std::optional<double> tempfail;
  std::optional<double> quarantine;
  std::optional<double> add_header;
};

// `dns:` — the resolver of the authentication filters (filters/dns/resolver.hpp). Absent:
// the servers of /etc/resolv.conf with these defaults.
struct DnsSettings {
  std::vector<Endpoint> servers;  // numeric addresses only; empty = /etc/resolv.conf
  // The first try's wait; c-ares doubles it for each further round over the servers, so
  // one unanswered question costs about timeout × (2^attempts − 1) (2s × 2 → 6 s).
  std::chrono::milliseconds timeout{2000};
  unsigned attempts = 2;
  std::size_t cache_entries = 100'000;  // answers kept (positive and negative)
  std::chrono::seconds max_ttl{86'400};  // longer TTLs are cut to this
  std::chrono::seconds negative_ttl{300};  // cap for NXDOMAIN/NODATA (RFC 2308)
};

// The `filters:` section as written (config/raw_section.hpp), for the pipeline builder.
struct RawSection;

struct Config {
  std::string source_file;  // the file it came from, for messages
  std::string hostname;     // default: the machine's host name
  std::vector<Listener> listeners;
  Backend backend;
  std::vector<std::string> relay_domains;  // lower-case; ".example.org" = its subdomains only
  std::vector<Cidr> trusted_networks;
  smtp::Limits limits;
  smtp::BareNewline bare_newline = smtp::BareNewline::kReject;
  LogFormat log_format = LogFormat::kText;
  std::string log_level = "info";  // trace|debug|info|warn|error
  unsigned threads = 0;            // event-loop threads; 0 = number of cores
  PolicyThresholds policy;
  DnsSettings dns;
  // `milter:` — the milter front door (proxy/milter_session.hpp): where MTAs connect, a TCP
  // endpoint or (milter_unix set, then `milter` holds no endpoint) a unix socket path.
  std::optional<Endpoint> milter;
  std::string milter_unix;              // "unix:/run/portcullis/milter.sock" → the path
  std::uint32_t milter_unix_mode = 0660;  // permissions of the socket file
  // RFC 8601 authserv-id of our Authentication-Results headers; default: hostname.
  std::string authserv_id;
  // Null when the key is absent (no filters). Not validated by the loader: build_pipeline
  // (filters/api/pipeline.hpp) reads it and reports problems with file:line:col.
  std::shared_ptr<const RawSection> filters;
};

// Thrown by load_config with every problem found, one per line in what().
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// Validation the loader cannot do itself (the `filters:` sections, which only the pipeline
// builder understands). It is called with the configuration as read, even when that has
// problems, and its problems ("file:line:col: …") are reported with the loader's, in file
// order, so one run of --check-config shows everything.
using ExtraCheck = std::function<std::vector<std::string>(const Config&)>;

Config load_config_file(const std::string& path, const ExtraCheck& extra = {});
// For tests: parse text as if it came from `name`.
Config load_config_text(const std::string& text, const std::string& name,
                        const ExtraCheck& extra = {});

// "50MiB", "512KiB", "1GiB", "1000" → bytes; "30s", "500ms", "5m", "1h" → milliseconds.
std::optional<std::uint64_t> parse_size(std::string_view text);
std::optional<std::uint64_t> parse_duration_ms(std::string_view text);
// Scores and thresholds: "15", "7.5", "-2", "0.25" (at most 6 decimals). No exponent, no "+",
// no leading zeros, no "inf"/"nan"; |value| <= 1000000.
std::optional<double> parse_score(std::string_view text);

}  // namespace portcullis::config
