// The config schema: which keys exist, their types, defaults and cross-checks. The generic
// reading (types, unknown keys, positions, refusing not-yet-supported features) lives in
// yaml_reader.cpp; the list of refused features in not_yet.cpp.
#include "config/config.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "config/raw_section.hpp"
#include "config/syntax.hpp"
#include "config/yaml_reader.hpp"

namespace portcullis::config {
namespace {

using detail::Map;
using detail::Reader;
using detail::Value;

constexpr std::size_t kMaxFileBytes = 16u << 20;
constexpr std::uint64_t kSizeMax = std::numeric_limits<std::size_t>::max();
constexpr std::uint64_t kMaxLineBytes = 1u << 20;
constexpr std::uint64_t kMaxTimeoutMs = 24ull * 3'600'000;
constexpr unsigned kMaxThreads = 256;

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

std::string default_hostname() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "localhost";
  return std::string(buf.data());
}

bool is_listener_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void read_hostname(Reader& r, const Map& root, Config& cfg) {
  cfg.hostname = default_hostname();
  const auto v = root.get("hostname");
  if (!v) return;
  const auto text = r.string(*v, "a host name like mx.example.org");
  if (!text) return;
  if (!detail::is_host_name(*text)) {
    r.problem(
        *v, fmt::format("expected a host name like mx.example.org, got {}", detail::quoted(*text)));
    return;
  }
  cfg.hostname = *text;
}

struct ListenerSeen {
  std::string name;
  int line;
};

void read_listener(Reader& r, const Value& v, Config& cfg, std::vector<ListenerSeen>& seen) {
  // One entry per list item, even a broken one, so indices match for the address check.
  Listener& listener = cfg.listeners.emplace_back();
  if (v.node.IsNull()) {  // "-" and nothing: not an all-defaults listener
    r.problem(v, "expected a listener like { name: mx, address: \"0.0.0.0:25\" }, got nothing");
    return;
  }
  const auto map = r.mapping(v, {"name", "address", "tls", "require_auth", "proxy_protocol"});
  if (!map) return;
  if (const auto name = map->get("name")) {
    if (const auto text = r.string(*name, "a listener name like mx")) {
      const auto first =
          std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.name == *text; });
      if (!is_listener_name(*text)) {
        r.problem(*name,
                  fmt::format("expected a name of letters, digits, '-' or '_' (at most 64), got {}",
                              detail::quoted(*text)));
      } else if (first != seen.end()) {
        r.problem(*name, fmt::format("duplicate listener name {} (first on line {})",
                                     detail::quoted(*text), first->line));
      } else {
        listener.name = *text;
        seen.push_back({*text, name->mark.line + 1});
      }
    }
  } else {
    r.missing(*map, "name", "a listener name like mx");
  }
  if (const auto address = map->get("address")) {
    if (const auto text = r.string(*address, "\"host:port\"")) {
      std::string why;
      if (auto endpoint = detail::parse_endpoint(*text, 0, why)) {
        listener.address = std::move(*endpoint);
      } else {
        r.problem(*address, why);
      }
    }
  } else {
    r.missing(*map, "address", "\"host:port\" like \"0.0.0.0:25\"");
  }
  if (const auto tls = map->get("tls")) {
    if (auto value = r.choice<ListenerTls>(*tls, {{"none", ListenerTls::kNone},
                                                  {"starttls", ListenerTls::kStarttls},
                                                  {"implicit", ListenerTls::kImplicit}})) {
      listener.tls = *value;
    }
  }
  if (const auto auth = map->get("require_auth")) {
    if (auto value = r.boolean(*auth)) listener.require_auth = *value;
  }
  if (const auto proxy = map->get("proxy_protocol")) {
    if (auto value = r.boolean(*proxy)) listener.proxy_protocol = *value;
  }
}

void read_listeners(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("listeners");
  if (!v) {
    r.missing(root, "listeners",
              "a list of listeners like [{ name: mx, address: \"0.0.0.0:25\" }]");
    return;
  }
  const auto items = r.sequence(*v, "a list of listeners");
  if (!items) return;
  if (items->empty()) {
    r.problem(*v, "expected at least one listener");
    return;
  }
  std::vector<ListenerSeen> seen;
  for (const Value& item : *items) read_listener(r, item, cfg, seen);
  // Two listeners on one fixed address would fail at bind time; say so now.
  for (std::size_t i = 0; i < cfg.listeners.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const Endpoint& a = cfg.listeners[i].address;
      const Endpoint& b = cfg.listeners[j].address;
      if (a.port != 0 && a.port == b.port && a.host == b.host && !a.host.empty()) {
        r.problem((*items)[i], fmt::format("same address as {}", (*items)[j].path));
        break;
      }
    }
  }
}

void read_backend(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("backend");
  if (!v) {
    r.missing(root, "backend", "{ address: \"host:port\" } or { address: \"maildir:DIR\" }");
    return;
  }
  const auto map = r.mapping(*v, {"address", "identity", "tls"});
  if (!map) return;
  Backend& backend = cfg.backend;
  if (const auto address = map->get("address")) {
    if (const auto text = r.string(*address, "\"host:port\" or \"maildir:DIR\"")) {
      static constexpr std::string_view kMaildir = "maildir:";
      if (std::string_view(*text).starts_with(kMaildir)) {
        const std::string dir = text->substr(kMaildir.size());
        const bool control = std::any_of(dir.begin(), dir.end(),
                                         [](unsigned char c) { return c < 0x20 || c == 0x7f; });
        if (dir.empty() || control) {
          r.problem(*address, fmt::format("expected \"maildir:DIR\" with a directory path, got {}",
                                          detail::quoted(*text)));
        } else {
          backend.maildir = dir;
        }
      } else {
        std::string why;
        if (auto endpoint = detail::parse_endpoint(*text, 1, why)) {
          backend.smtp = std::move(*endpoint);
        } else {
          r.problem(*address, why + " (or \"maildir:DIR\")");
        }
      }
    }
  } else {
    r.missing(*map, "address", "\"host:port\" or \"maildir:DIR\"");
  }
  if (const auto identity = map->get("identity")) {
    if (auto value =
            r.choice<BackendIdentity>(*identity, {{"none", BackendIdentity::kNone},
                                                  {"xclient", BackendIdentity::kXclient},
                                                  {"proxy_v2", BackendIdentity::kProxyV2}})) {
      backend.identity = *value;
      if (backend.maildir && *value != BackendIdentity::kNone) {
        r.problem(*identity, "applies only to an SMTP backend (address \"host:port\")");
      }
    }
  }
  if (const auto tls = map->get("tls")) {
    if (auto value = r.choice<BackendTls>(
            *tls, {{"none", BackendTls::kNone}, {"starttls", BackendTls::kStarttls}})) {
      backend.tls = *value;
      if (backend.maildir && *value != BackendTls::kNone) {
        r.problem(*tls, "applies only to an SMTP backend (address \"host:port\")");
      }
    }
  }
}

void read_relay_domains(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("relay_domains");
  if (!v) return;
  const auto items = r.sequence(*v, "a list of domains");
  if (!items) return;
  for (const Value& item : *items) {
    const auto text = r.string(item, "a domain like example.org");
    if (!text) continue;
    const std::string domain = lower(*text);
    const std::string_view name = std::string_view(domain).substr(domain.starts_with('.') ? 1 : 0);
    if (detail::is_host_name(name)) {
      cfg.relay_domains.push_back(domain);
      continue;
    }
    std::string hint;
    if (domain.starts_with("*.")) hint = "; write \".example.org\" for its subdomains";
    if (domain.ends_with('.')) hint = "; leave out the trailing dot";
    if (domain.find('@') != std::string::npos) hint = "; a domain, not an address";
    r.problem(
        item,
        fmt::format("expected a domain like example.org or .example.org (its subdomains), got {}{}",
                    detail::quoted(*text), hint));
  }
}

void read_trusted_networks(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("trusted_networks");
  if (!v) {
    cfg.trusted_networks = {*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1/128")};
    return;
  }
  const auto items = r.sequence(*v, "a list of networks like [127.0.0.0/8, \"::1/128\"]");
  if (!items) return;
  for (const Value& item : *items) {
    const auto text = r.string(item, "a network like 192.0.2.0/24");
    if (!text) continue;
    std::string why;
    if (auto cidr = Cidr::parse(*text, &why)) {
      cfg.trusted_networks.push_back(*cidr);
    } else {
      r.problem(item, why);
    }
  }
}

void read_limits(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("limits");
  if (!v) return;
  const auto map =
      r.mapping(*v, {"max_connections", "max_connections_per_ip", "max_message_size",
                     "max_recipients", "max_errors", "command_timeout", "data_timeout",
                     "shutdown_grace", "backend_connect_timeout", "backend_reply_timeout",
                     "max_command_line", "max_reply_line", "max_reply_lines"});
  if (!map) return;
  smtp::Limits& limits = cfg.limits;
  const auto count = [&](std::string_view key, std::size_t& field) {
    if (const auto value = map->get(key)) {
      if (const auto n = r.count(*value, 1, kSizeMax)) field = static_cast<std::size_t>(*n);
    }
  };
  const auto size = [&](std::string_view key, std::size_t& field, std::uint64_t min,
                        std::uint64_t max) {
    if (const auto value = map->get(key)) {
      if (const auto n = r.size(*value, min, max)) field = static_cast<std::size_t>(*n);
    }
  };
  const auto duration = [&](std::string_view key, std::chrono::milliseconds& field,
                            std::uint64_t min) {
    if (const auto value = map->get(key)) {
      if (const auto ms = r.duration_ms(*value, min, kMaxTimeoutMs)) {
        field = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(*ms));
      }
    }
  };
  count("max_connections", limits.max_connections);
  count("max_connections_per_ip", limits.max_connections_per_ip);
  size("max_message_size", limits.max_message_size, 1, kSizeMax);
  count("max_recipients", limits.max_recipients);
  count("max_errors", limits.max_errors);
  duration("command_timeout", limits.command_timeout, 1);
  duration("data_timeout", limits.data_timeout, 1);
  duration("shutdown_grace", limits.shutdown_grace, 0);
  duration("backend_connect_timeout", limits.backend_connect_timeout, 1);
  duration("backend_reply_timeout", limits.backend_reply_timeout, 1);
  // RFC 5321 4.5.3.1: command lines and reply lines are at least 512 octets.
  size("max_command_line", limits.max_command_line, 512, kMaxLineBytes);
  size("max_reply_line", limits.max_reply_line, 512, kMaxLineBytes);
  count("max_reply_lines", limits.max_reply_lines);
}

void read_smtp(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("smtp");
  if (!v) return;
  const auto map = r.mapping(*v, {"bare_newline"});
  if (!map) return;
  if (const auto bare = map->get("bare_newline")) {
    if (auto value =
            r.choice<smtp::BareNewline>(*bare, {{"reject", smtp::BareNewline::kReject},
                                                {"normalize", smtp::BareNewline::kNormalize}})) {
      cfg.bare_newline = *value;
    }
  }
}

void read_log(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("log");
  if (!v) return;
  const auto map = r.mapping(*v, {"format", "level"});
  if (!map) return;
  if (const auto format = map->get("format")) {
    if (auto value = r.choice<LogFormat>(
            *format, {{"text", LogFormat::kText}, {"json", LogFormat::kJson}})) {
      cfg.log_format = *value;
    }
  }
  if (const auto level = map->get("level")) {
    if (auto value = r.choice<std::string_view>(*level, {{"trace", "trace"},
                                                         {"debug", "debug"},
                                                         {"info", "info"},
                                                         {"warn", "warn"},
                                                         {"error", "error"}})) {
      cfg.log_level = std::string(*value);
    }
  }
}

void read_threads(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("threads");
  if (!v) return;
  if (const auto n = r.count(*v, 0, kMaxThreads)) cfg.threads = static_cast<unsigned>(*n);
}

void read_policy(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("policy");
  if (!v) return;
  const auto map = r.mapping(*v, {"reject", "tempfail", "quarantine", "add_header"});
  if (!map) return;
  const auto threshold = [&](std::string_view key, std::optional<double>& field) {
    if (const auto value = map->get(key)) field = r.score(*value);
  };
  threshold("reject", cfg.policy.reject);
  threshold("tempfail", cfg.policy.tempfail);
  threshold("quarantine", cfg.policy.quarantine);
  threshold("add_header", cfg.policy.add_header);
}

void read_dns(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("dns");
  if (!v) return;
  const auto map =
      r.mapping(*v, {"servers", "timeout", "attempts", "cache_entries", "max_ttl", "negative_ttl"});
  if (!map) return;
  DnsSettings& dns = cfg.dns;
  if (const auto servers = map->get("servers")) {
    if (const auto items = r.sequence(*servers, "a list of \"address:port\" like \"127.0.0.1:53\"")) {
      for (const Value& item : *items) {
        const auto text = r.string(item, "\"address:port\" like \"127.0.0.1:53\"");
        if (!text) continue;
        std::string why;
        auto endpoint = detail::parse_endpoint(*text, 1, why);
        if (!endpoint && text->find(':') == std::string::npos) {
          // A bare address means port 53.
          endpoint = detail::parse_endpoint(*text + ":53", 1, why);
        }
        if (!endpoint) {
          r.problem(item, why);
        } else if (!IpAddress::parse(endpoint->host)) {
          r.problem(item, fmt::format("expected a numeric address (a resolver cannot resolve its "
                                      "own servers), got {}",
                                      detail::quoted(*text)));
        } else {
          dns.servers.push_back(std::move(*endpoint));
        }
      }
    }
  }
  if (const auto value = map->get("timeout")) {
    if (const auto ms = r.duration_ms(*value, 10, 60'000)) dns.timeout = std::chrono::milliseconds(*ms);
  }
  if (const auto value = map->get("attempts")) {
    if (const auto n = r.count(*value, 1, 10)) dns.attempts = static_cast<unsigned>(*n);
  }
  if (const auto value = map->get("cache_entries")) {
    if (const auto n = r.count(*value, 0, 100'000'000)) dns.cache_entries = static_cast<std::size_t>(*n);
  }
  const auto seconds = [&](std::string_view key, std::chrono::seconds& field) {
    if (const auto value = map->get(key)) {
      if (const auto ms = r.duration_ms(*value, 0, kMaxTimeoutMs * 7)) {
        field = std::chrono::seconds(*ms / 1000);
      }
    }
  };
  seconds("max_ttl", dns.max_ttl);
  seconds("negative_ttl", dns.negative_ttl);
}

void read_milter(Reader& r, const Map& root, Config& cfg) {
  const auto v = root.get("milter");
  if (!v) return;
  const auto map = r.mapping(*v, {"address", "mode"});
  if (!map) return;
  constexpr std::string_view kExpected =
      "\"host:port\" like \"127.0.0.1:8899\" or \"unix:/run/portcullis/milter.sock\"";
  const auto address = map->get("address");
  if (!address) {
    r.missing(*map, "address", kExpected);
    return;
  }
  bool unix_socket = false;
  if (const auto text = r.string(*address, kExpected)) {
    if (text->starts_with("unix:")) {
      unix_socket = true;
      const std::string path = text->substr(5);
      // sun_path holds 108 bytes with its NUL; a relative path would depend on the cwd.
      if (path.empty() || path.front() != '/' || path.size() > 107 ||
          path.find('\0') != std::string::npos) {
        r.problem(*address, "a unix socket needs an absolute path of at most 107 bytes, like "
                            "\"unix:/run/portcullis/milter.sock\"");
      } else {
        cfg.milter_unix = path;
      }
    } else {
      std::string why;
      if (auto endpoint = detail::parse_endpoint(*text, 0, why)) {
        cfg.milter = std::move(*endpoint);
      } else {
        r.problem(*address, why);
      }
    }
  }
  if (const auto mode = map->get("mode")) {
    const auto text = r.string(*mode, "octal permissions like \"0660\"");
    if (!unix_socket) {
      r.problem(*mode, "only for a unix socket address");
    } else if (text) {
      std::uint32_t value = 0;
      bool ok = text->size() >= 3 && text->size() <= 4;
      for (char c : *text) {
        if (c < '0' || c > '7') ok = false;
        value = value * 8 + static_cast<std::uint32_t>(c - '0');
      }
      if (!ok || value > 0777) {
        r.problem(*mode, "expected octal permissions like \"0660\"");
      } else {
        cfg.milter_unix_mode = value;
      }
    }
  }
}

void read_authserv_id(Reader& r, const Map& root, Config& cfg) {
  cfg.authserv_id = cfg.hostname;
  const auto v = root.get("authserv_id");
  if (!v) return;
  const auto text = r.string(*v, "a host name like mx.example.org");
  if (!text) return;
  if (!detail::is_host_name(*text)) {
    r.problem(*v, fmt::format("expected a host name like mx.example.org (RFC 8601 authserv-id), "
                              "got {}",
                              detail::quoted(*text)));
    return;
  }
  cfg.authserv_id = *text;
}

// Only the pipeline builder knows the filter names and their keys: keep the section raw.
void keep_filters(const Map& root, Config& cfg) {
  if (auto v = root.get("filters")) {
    cfg.filters = std::make_shared<const RawSection>(RawSection{std::move(*v), cfg.source_file});
  }
}

Config read_document(Reader& r, const Value& root_value, const std::string& name) {
  Config cfg;
  cfg.source_file = name;
  const auto root = r.mapping(
      root_value, {"hostname", "listeners", "backend", "relay_domains", "trusted_networks",
                   "limits", "smtp", "log", "threads", "policy", "dns", "authserv_id",
                   "milter", "filters"});
  if (!root) return cfg;
  read_hostname(r, *root, cfg);
  read_listeners(r, *root, cfg);
  read_backend(r, *root, cfg);
  read_relay_domains(r, *root, cfg);
  read_trusted_networks(r, *root, cfg);
  read_limits(r, *root, cfg);
  read_smtp(r, *root, cfg);
  read_log(r, *root, cfg);
  read_threads(r, *root, cfg);
  read_policy(r, *root, cfg);
  read_dns(r, *root, cfg);
  read_authserv_id(r, *root, cfg);
  read_milter(r, *root, cfg);
  keep_filters(*root, cfg);
  return cfg;
}

[[noreturn]] void throw_file_problem(const std::string& path, std::string_view what) {
  throw ConfigError({fmt::format("{}: {}", path, what)});
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_file_problem(path, fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw_file_problem(path, "is a directory, expected a YAML file");
  }
  std::string text;
  std::array<char, 65536> buf{};
  while (true) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw_file_problem(path, fmt::format("cannot read: {}", std::strerror(err)));
    }
    if (n == 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) {
      ::close(fd);
      throw_file_problem(path, "larger than 16MiB; is this the config file?");
    }
  }
  ::close(fd);
  return text;
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(join_lines(problems)), problems_(std::move(problems)) {}

namespace {

// (line, column) of a "name:LINE:COL: …" problem; problems without one sort first.
std::pair<long, long> position_of(const std::string& problem, const std::string& name) {
  if (problem.compare(0, name.size() + 1, name + ":") != 0) return {0, 0};
  const char* p = problem.c_str() + name.size() + 1;
  char* end = nullptr;
  long line = std::strtol(p, &end, 10);
  if (end == p || *end != ':') return {0, 0};
  long column = std::strtol(end + 1, &end, 10);
  return {line, column};
}

void throw_problems(Reader& r, const Config& cfg, const std::string& name,
                    const ExtraCheck& extra) {
  std::vector<std::string> problems = r.take_problems();
  if (extra) {
    std::vector<std::string> more = extra(cfg);
    problems.insert(problems.end(), more.begin(), more.end());
    std::stable_sort(problems.begin(), problems.end(),
                     [&](const std::string& a, const std::string& b) {
                       return position_of(a, name) < position_of(b, name);
                     });
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
}

}  // namespace

Config load_config_text(const std::string& text, const std::string& name,
                        const ExtraCheck& extra) {
  Reader r(name);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    r.file_problem(e.mark, fmt::format("YAML syntax error: {}", e.msg));
    throw ConfigError(r.take_problems());
  }
  if (documents.size() > 1) {
    r.file_problem(documents[1].Mark(),
                   fmt::format("expected one YAML document, found {}; remove the extra '---'",
                               documents.size()));
  }
  YAML::Mark start;  // 1:1 when the file is empty
  Value root{documents.empty() ? YAML::Node() : documents[0], "", start};
  if (!documents.empty() && !documents[0].Mark().is_null() && !documents[0].IsNull()) {
    root.mark = documents[0].Mark();
  }
  Config cfg = read_document(r, root, name);
  throw_problems(r, cfg, name, extra);
  return cfg;
}

Config load_config_file(const std::string& path, const ExtraCheck& extra) {
  return load_config_text(read_file(path), path, extra);
}

}  // namespace portcullis::config
