#include "config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/not_yet.hpp"
#include "config/raw_section.hpp"

namespace portcullis::config {
namespace {

using namespace std::chrono_literals;
using Problems = std::vector<std::string>;

// A minimal valid config; tests append to it, so their own keys start on line 3.
const std::string kBase =
    "listeners: [{ name: mx, address: \"127.0.0.1:2525\" }]\n"
    "backend: { address: \"127.0.0.1:10025\" }\n";

Config load(const std::string& text) { return load_config_text(text, "t.yaml"); }

Problems problems_of(const std::string& text) {
  try {
    load(text);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << text;
  return {};
}

// The single problem a config has.
std::string problem_of(const std::string& text) {
  const Problems p = problems_of(text);
  EXPECT_EQ(p.size(), 1u) << ::testing::PrintToString(p);
  return p.empty() ? std::string() : p.front();
}

std::string machine_hostname() {
  std::array<char, 256> buf{};
  EXPECT_EQ(gethostname(buf.data(), buf.size() - 1), 0);
  return buf.data();
}

// ---- defaults -------------------------------------------------------------------------

TEST(ConfigDefaults, MinimalConfigGetsEveryDefault) {
  const Config c = load(kBase);
  const smtp::Limits defaults;
  EXPECT_EQ(c.source_file, "t.yaml");
  EXPECT_EQ(c.hostname, machine_hostname());
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].name, "mx");
  EXPECT_EQ(c.listeners[0].address.host, "127.0.0.1");
  EXPECT_EQ(c.listeners[0].address.port, 2525);
  EXPECT_EQ(c.listeners[0].tls, ListenerTls::kNone);
  EXPECT_FALSE(c.listeners[0].require_auth);
  EXPECT_FALSE(c.listeners[0].proxy_protocol);
  ASSERT_TRUE(c.backend.smtp.has_value());
  EXPECT_EQ(c.backend.smtp->host, "127.0.0.1");
  EXPECT_EQ(c.backend.smtp->port, 10025);
  EXPECT_FALSE(c.backend.maildir.has_value());
  EXPECT_EQ(c.backend.identity, BackendIdentity::kNone);
  EXPECT_EQ(c.backend.tls, BackendTls::kNone);
  EXPECT_TRUE(c.relay_domains.empty());
  ASSERT_EQ(c.trusted_networks.size(), 2u);
  EXPECT_EQ(c.trusted_networks[0].to_string(), "127.0.0.0/8");
  EXPECT_EQ(c.trusted_networks[1].to_string(), "::1/128");
  EXPECT_EQ(c.limits.max_command_line, defaults.max_command_line);
  EXPECT_EQ(c.limits.max_reply_line, defaults.max_reply_line);
  EXPECT_EQ(c.limits.max_reply_lines, defaults.max_reply_lines);
  EXPECT_EQ(c.limits.max_message_size, defaults.max_message_size);
  EXPECT_EQ(c.limits.max_recipients, defaults.max_recipients);
  EXPECT_EQ(c.limits.max_errors, defaults.max_errors);
  EXPECT_EQ(c.limits.max_connections, defaults.max_connections);
  EXPECT_EQ(c.limits.max_connections_per_ip, defaults.max_connections_per_ip);
  EXPECT_EQ(c.limits.command_timeout, defaults.command_timeout);
  EXPECT_EQ(c.limits.data_timeout, defaults.data_timeout);
  EXPECT_EQ(c.limits.shutdown_grace, defaults.shutdown_grace);
  EXPECT_EQ(c.limits.backend_connect_timeout, defaults.backend_connect_timeout);
  EXPECT_EQ(c.limits.backend_reply_timeout, defaults.backend_reply_timeout);
  EXPECT_EQ(c.bare_newline, smtp::BareNewline::kReject);
  EXPECT_EQ(c.log_format, LogFormat::kText);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.threads, 0u);
  EXPECT_FALSE(c.policy.reject.has_value());
  EXPECT_FALSE(c.policy.tempfail.has_value());
  EXPECT_FALSE(c.policy.quarantine.has_value());
  EXPECT_FALSE(c.policy.add_header.has_value());
  EXPECT_EQ(c.filters, nullptr);
}

TEST(ConfigDefaults, DocumentedLimitDefaults) {
  // docs/config.md states these numbers; keep the two in step.
  const smtp::Limits d;
  EXPECT_EQ(d.max_connections, 10000u);
  EXPECT_EQ(d.max_connections_per_ip, 20u);
  EXPECT_EQ(d.max_message_size, 50u * 1024 * 1024);
  EXPECT_EQ(d.max_recipients, 100u);
  EXPECT_EQ(d.max_errors, 10u);
  EXPECT_EQ(d.command_timeout, 300s);
  EXPECT_EQ(d.data_timeout, 600s);
  EXPECT_EQ(d.shutdown_grace, 30s);
  EXPECT_EQ(d.backend_connect_timeout, 30s);
  EXPECT_EQ(d.backend_reply_timeout, 300s);
  EXPECT_EQ(d.max_command_line, 512u);
  EXPECT_EQ(d.max_reply_line, 2048u);
  EXPECT_EQ(d.max_reply_lines, 64u);
}

TEST(ConfigDefaults, EmptySectionsMeanDefaults) {
  const Config c = load(kBase + "limits: {}\nsmtp: {}\nlog:\n");
  EXPECT_EQ(c.limits.max_errors, smtp::Limits{}.max_errors);
  EXPECT_EQ(c.bare_newline, smtp::BareNewline::kReject);
  EXPECT_EQ(c.log_level, "info");
}

TEST(ConfigDefaults, EmptyTrustedNetworksTrustsNobody) {
  EXPECT_TRUE(load(kBase + "trusted_networks: []\n").trusted_networks.empty());
}

// ---- every key --------------------------------------------------------------------------

TEST(ConfigKeys, EveryKeyParsed) {
  const Config c = load(R"(
hostname: mx.Example.org
listeners:
  - name: mx
    address: "0.0.0.0:25"
    tls: none
    require_auth: false
    proxy_protocol: false
  - { name: v6, address: "[2001:db8::1]:2525" }
  - { name: any-port_2, address: "localhost:0" }
backend: { address: "mta.example.org:10025", identity: none, tls: none }
relay_domains: [Example.ORG, .sub.example.net]
trusted_networks: [192.0.2.0/24, "2001:db8::/32", 10.1.2.3]
limits:
  max_connections: 500
  max_connections_per_ip: 5
  max_message_size: 10MiB
  max_recipients: 50
  max_errors: 3
  command_timeout: 2m
  data_timeout: 1h
  shutdown_grace: 0s
  backend_connect_timeout: 1500ms
  backend_reply_timeout: 45s
  max_command_line: 1KiB
  max_reply_line: 4096
  max_reply_lines: 10
smtp: { bare_newline: normalize }
log: { format: json, level: debug }
threads: 4
policy: { reject: 15, tempfail: 10, quarantine: 12.5, add_header: 5 }
filters:
  access: { deny_clients: [192.0.2.0/24] }
)");
  EXPECT_EQ(c.hostname, "mx.Example.org");
  ASSERT_EQ(c.listeners.size(), 3u);
  EXPECT_EQ(c.listeners[0].name, "mx");
  EXPECT_EQ(c.listeners[0].address.host, "0.0.0.0");
  EXPECT_EQ(c.listeners[0].address.port, 25);
  EXPECT_EQ(c.listeners[1].name, "v6");
  EXPECT_EQ(c.listeners[1].address.host, "2001:db8::1");
  EXPECT_EQ(c.listeners[1].address.port, 2525);
  EXPECT_EQ(c.listeners[2].name, "any-port_2");
  EXPECT_EQ(c.listeners[2].address.host, "localhost");
  EXPECT_EQ(c.listeners[2].address.port, 0);
  ASSERT_TRUE(c.backend.smtp.has_value());
  EXPECT_EQ(c.backend.smtp->host, "mta.example.org");
  EXPECT_EQ(c.backend.smtp->port, 10025);
  EXPECT_EQ(c.relay_domains, (std::vector<std::string>{"example.org", ".sub.example.net"}));
  ASSERT_EQ(c.trusted_networks.size(), 3u);
  EXPECT_EQ(c.trusted_networks[0].to_string(), "192.0.2.0/24");
  EXPECT_EQ(c.trusted_networks[1].to_string(), "2001:db8::/32");
  EXPECT_EQ(c.trusted_networks[2].to_string(), "10.1.2.3/32");
  EXPECT_EQ(c.limits.max_connections, 500u);
  EXPECT_EQ(c.limits.max_connections_per_ip, 5u);
  EXPECT_EQ(c.limits.max_message_size, 10u * 1024 * 1024);
  EXPECT_EQ(c.limits.max_recipients, 50u);
  EXPECT_EQ(c.limits.max_errors, 3u);
  EXPECT_EQ(c.limits.command_timeout, 120s);
  EXPECT_EQ(c.limits.data_timeout, 3600s);
  EXPECT_EQ(c.limits.shutdown_grace, 0ms);
  EXPECT_EQ(c.limits.backend_connect_timeout, 1500ms);
  EXPECT_EQ(c.limits.backend_reply_timeout, 45s);
  EXPECT_EQ(c.limits.max_command_line, 1024u);
  EXPECT_EQ(c.limits.max_reply_line, 4096u);
  EXPECT_EQ(c.limits.max_reply_lines, 10u);
  EXPECT_EQ(c.bare_newline, smtp::BareNewline::kNormalize);
  EXPECT_EQ(c.log_format, LogFormat::kJson);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.threads, 4u);
  EXPECT_EQ(c.policy.reject, 15.0);
  EXPECT_EQ(c.policy.tempfail, 10.0);
  EXPECT_EQ(c.policy.quarantine, 12.5);
  EXPECT_EQ(c.policy.add_header, 5.0);
  ASSERT_NE(c.filters, nullptr);
  EXPECT_TRUE(c.filters->value.node.IsMap());
}

TEST(ConfigKeys, MaildirBackendKeepsThePathAsGiven) {
  const Config rel = load(
      "listeners: [{ name: a, address: \"127.0.0.1:0\" }]\n"
      "backend: { address: \"maildir:./var/demo-mail\" }\n");
  ASSERT_TRUE(rel.backend.maildir.has_value());
  EXPECT_EQ(*rel.backend.maildir, "./var/demo-mail");
  EXPECT_FALSE(rel.backend.smtp.has_value());
  const Config abs = load(
      "listeners: [{ name: a, address: \"127.0.0.1:0\" }]\n"
      "backend: { address: \"maildir:/srv/mail dir\" }\n");
  EXPECT_EQ(abs.backend.maildir, "/srv/mail dir");
}

TEST(ConfigKeys, EveryLogLevel) {
  for (std::string level : {"trace", "debug", "info", "warn", "error"}) {
    EXPECT_EQ(load(kBase + "log: { level: " + level + " }\n").log_level, level);
  }
}

TEST(ConfigKeys, ThreadsBounds) {
  EXPECT_EQ(load(kBase + "threads: 256\n").threads, 256u);
  EXPECT_EQ(problem_of(kBase + "threads: 257\n"),
            "t.yaml:3:10: threads: expected a whole number from 0 to 256, got \"257\"");
  EXPECT_EQ(problem_of(kBase + "threads: -1\n"),
            "t.yaml:3:10: threads: expected a whole number from 0 to 256, got \"-1\"");
}

TEST(ConfigKeys, ListenerPortZeroMeansAnyFreePort) {
  EXPECT_EQ(
      load("listeners: [{ name: t, address: \"[::1]:0\" }]\nbackend: { address: \"maildir:m\" }\n")
          .listeners[0]
          .address.port,
      0);
}

TEST(ConfigKeys, NullMappingReadsAsEmpty) {
  // "limits:" with every entry commented out.
  const Config c = load(kBase + "limits:\n  # max_errors: 3\n");
  EXPECT_EQ(c.limits.max_errors, 10u);
}

// ---- error format and positions -------------------------------------------------------

TEST(ConfigErrors, BadSizeNamesFileLineColumnKeyAndExpectation) {
  EXPECT_EQ(problem_of(kBase + "limits:\n  max_message_size: fifty\n"),
            "t.yaml:4:21: limits.max_message_size: expected a size like 50MiB, got \"fifty\"");
}

TEST(ConfigErrors, WhatIsEveryProblemOnItsOwnLine) {
  try {
    load(kBase + "threads: x\nlog: { format: xml }\n");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "t.yaml:3:10: threads: expected a whole number from 0 to 256, got \"x\"\n"
                 "t.yaml:4:16: log.format: expected one of text or json, got \"xml\"");
    EXPECT_EQ(e.problems().size(), 2u);
  }
}

TEST(ConfigErrors, AllProblemsCollectedInFileOrder) {
  const Problems p = problems_of(R"(listeners:
  - { name: a, address: "127.0.0.1:99999" }
  - { name: a, address: "127.0.0.1:26", tls: sometimes }
backend: { address: "127.0.0.1:0" }
relay_domains: ["*.example.org"]
trusted_networks: [192.0.2.1/24]
limits: { max_errors: 0, data_timeout: 30, max_erors: 3 }
smtp: { bare_newline: keep }
log: { level: verbose }
threads: many
policy: { reject: high }
)");
  const Problems expected = {
      "t.yaml:2:25: listeners[0].address: expected a port 0-65535 after the ':', got "
      "\"127.0.0.1:99999\"",
      "t.yaml:3:13: listeners[1].name: duplicate listener name \"a\" (first on line 2)",
      "t.yaml:3:46: listeners[1].tls: expected one of none, starttls or implicit, got "
      "\"sometimes\"",
      "t.yaml:4:21: backend.address: expected a port 1-65535 after the ':', got \"127.0.0.1:0\" "
      "(or \"maildir:DIR\")",
      "t.yaml:5:17: relay_domains[0]: expected a domain like example.org or .example.org (its "
      "subdomains), got "
      "\"*.example.org\"; write \".example.org\" for its subdomains",
      "t.yaml:6:20: trusted_networks[0]: 192.0.2.1/24 has host bits set; did you mean "
      "192.0.2.0/24?",
      "t.yaml:7:23: limits.max_errors: expected a whole number of at least 1, got \"0\"",
      "t.yaml:7:40: limits.data_timeout: expected a duration like 30s, got \"30\"; a plain number "
      "is ambiguous, add "
      "ms, s, m or h",
      "t.yaml:7:44: limits.max_erors: unknown key; did you mean 'max_errors'?",
      "t.yaml:8:23: smtp.bare_newline: expected one of reject or normalize, got \"keep\"",
      "t.yaml:9:15: log.level: expected one of trace, debug, info, warn or error, got \"verbose\"",
      "t.yaml:10:10: threads: expected a whole number from 0 to 256, got \"many\"",
      "t.yaml:11:19: policy.reject: expected a number like 15 or 7.5 (from -1000000 to 1000000, "
      "at most 6 decimals), got \"high\"",
  };
  EXPECT_EQ(p, expected);
}

TEST(ConfigErrors, YamlSyntaxErrorIsOneLine) {
  EXPECT_EQ(problem_of("listeners: [1,\nbackend: 2\n"),
            "t.yaml:3:1: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(problem_of("hostname: a: b\n"), "t.yaml:1:12: YAML syntax error: illegal map value");
  EXPECT_EQ(problem_of("a:\n\tb: 1\n").substr(0, 27), "t.yaml:2:3: YAML syntax err");
}

TEST(ConfigErrors, OneDocumentOnly) {
  EXPECT_EQ(problem_of(kBase + "---\nthreads: 2\n"),
            "t.yaml:4:1: expected one YAML document, found 2; remove the extra '---'");
}

TEST(ConfigErrors, EmptyFileMissesTheRequiredSections) {
  const Problems expected = {
      "t.yaml:1:1: listeners: missing; expected a list of listeners like [{ name: mx, address: "
      "\"0.0.0.0:25\" }]",
      "t.yaml:1:1: backend: missing; expected { address: \"host:port\" } or { address: "
      "\"maildir:DIR\" }",
  };
  EXPECT_EQ(problems_of(""), expected);
  EXPECT_EQ(problems_of("# nothing but a comment\n"), expected);
}

TEST(ConfigErrors, RootMustBeAMapping) {
  EXPECT_EQ(problem_of("- a\n- b\n"), "t.yaml:1:1: expected a mapping (key: value), got a list");
  EXPECT_EQ(problem_of("just text\n"),
            "t.yaml:1:1: expected a mapping (key: value), got \"just text\"");
}

TEST(ConfigErrors, UnknownKeys) {
  EXPECT_EQ(problem_of(kBase + "limits:\n  max_erors: 3\n"),
            "t.yaml:4:3: limits.max_erors: unknown key; did you mean 'max_errors'?");
  EXPECT_EQ(problem_of(kBase + "Hostname: mx.example.org\n"),
            "t.yaml:3:1: Hostname: unknown key; did you mean 'hostname'?");
  EXPECT_EQ(problem_of(kBase + "colour: blue\n"), "t.yaml:3:1: colour: unknown key");
  // Distance 3 is too far to guess.
  EXPECT_EQ(problem_of(kBase + "limits: { maximum_errors: 3 }\n"),
            "t.yaml:3:11: limits.maximum_errors: unknown key");
  // Known-but-refused keys are suggested too.
  EXPECT_EQ(problem_of(kBase + "run-as: nobody\n"),
            "t.yaml:3:1: run-as: unknown key; did you mean 'run_as'?");
  EXPECT_EQ(problem_of("listeners: [{ name: a, address: \"127.0.0.1:0\", tsl: none }]\nbackend: { "
                       "address: \"maildir:m\" }\n"),
            "t.yaml:1:48: listeners[0].tsl: unknown key; did you mean 'tls'?");
  EXPECT_EQ(problem_of(kBase + "smtp: { bare_newlines: reject }\n"),
            "t.yaml:3:9: smtp.bare_newlines: unknown key; did you mean 'bare_newline'?");
}

TEST(ConfigErrors, UnprintableKeysAndValuesAreEscaped) {
  EXPECT_EQ(problem_of(kBase + "\"a\\tb\": 1\n"), "t.yaml:3:1: \"a\\x09b\": unknown key");
  EXPECT_EQ(
      problem_of(kBase + "hostname: \"bad\\x01name\"\n"),
      "t.yaml:3:11: hostname: expected a host name like mx.example.org, got \"bad\\x01name\"");
  const std::string long_value(200, 'x');
  EXPECT_EQ(problem_of(kBase + "log: { level: " + long_value + " }\n"),
            "t.yaml:3:15: log.level: expected one of trace, debug, info, warn or error, got \"" +
                std::string(60, 'x') + "...\"");
}

TEST(ConfigErrors, DuplicateKey) {
  EXPECT_EQ(problem_of(kBase + "threads: 1\nthreads: 2\n"),
            "t.yaml:4:1: threads: duplicate key (first on line 3)");
  EXPECT_EQ(problem_of(kBase + "limits: { max_errors: 1, max_errors: 2 }\n"),
            "t.yaml:3:26: limits.max_errors: duplicate key (first on line 3)");
}

TEST(ConfigErrors, WrongTypes) {
  EXPECT_EQ(problem_of(kBase + "limits: [1, 2]\n"),
            "t.yaml:3:9: limits: expected a mapping (key: value), got a list");
  EXPECT_EQ(problem_of(kBase + "log: json\n"),
            "t.yaml:3:6: log: expected a mapping (key: value), got \"json\"");
  EXPECT_EQ(problem_of(kBase + "threads: [1]\n"),
            "t.yaml:3:10: threads: expected a whole number from 0 to 256, got a list");
  EXPECT_EQ(problem_of(kBase + "hostname: { a: b }\n"),
            "t.yaml:3:11: hostname: expected a host name like mx.example.org, got a mapping");
  EXPECT_EQ(problem_of(kBase + "relay_domains: example.org\n"),
            "t.yaml:3:16: relay_domains: expected a list of domains, got \"example.org\"");
  EXPECT_EQ(problem_of(kBase + "relay_domains: [[a]]\n"),
            "t.yaml:3:17: relay_domains[0]: expected a domain like example.org, got a list");
  EXPECT_EQ(problem_of(kBase + "hostname:\n"),
            "t.yaml:3:1: hostname: expected a host name like mx.example.org, got nothing");
  EXPECT_EQ(problem_of("listeners: { name: a, address: \"127.0.0.1:0\" }\nbackend: { address: "
                       "\"maildir:m\" }\n"),
            "t.yaml:1:12: listeners: expected a list of listeners, got a mapping");
  EXPECT_EQ(problem_of("listeners: [mx]\nbackend: { address: \"maildir:m\" }\n"),
            "t.yaml:1:13: listeners[0]: expected a mapping (key: value), got \"mx\"");
  EXPECT_EQ(problem_of(kBase + "[a]: 1\n"), "t.yaml:3:1: expected a plain key, got a list");
}

TEST(ConfigErrors, NullListIsNeitherEmptyNorDefault) {
  EXPECT_EQ(problem_of(kBase + "trusted_networks:\n"),
            "t.yaml:3:1: trusted_networks: expected a list of networks like [127.0.0.0/8, "
            "\"::1/128\"], got nothing "
            "(write [] for an empty list)");
}

TEST(ConfigErrors, BooleansAreTrueOrFalseOnly) {
  EXPECT_EQ(problem_of("listeners: [{ name: a, address: \"127.0.0.1:0\", require_auth: yes }]\n"
                       "backend: { address: \"maildir:m\" }\n"),
            "t.yaml:1:62: listeners[0].require_auth: expected true or false, got \"yes\"");
}

TEST(ConfigErrors, ListenerProblems) {
  const std::string backend = "backend: { address: \"maildir:m\" }\n";
  EXPECT_EQ(problem_of("listeners: []\n" + backend),
            "t.yaml:1:12: listeners: expected at least one listener");
  EXPECT_EQ(problem_of(backend),
            "t.yaml:1:1: listeners: missing; expected a list of listeners like [{ name: mx, "
            "address: \"0.0.0.0:25\" }]");
  EXPECT_EQ(
      problem_of("listeners:\n  - name: a\n" + backend),
      "t.yaml:2:5: listeners[0].address: missing; expected \"host:port\" like \"0.0.0.0:25\"");
  EXPECT_EQ(problem_of("listeners:\n  - address: \"127.0.0.1:0\"\n" + backend),
            "t.yaml:2:5: listeners[0].name: missing; expected a listener name like mx");
  EXPECT_EQ(problem_of("listeners: [{ name: \"m x\", address: \"127.0.0.1:0\" }]\n" + backend),
            "t.yaml:1:21: listeners[0].name: expected a name of letters, digits, '-' or '_' (at "
            "most 64), got \"m x\"");
  EXPECT_EQ(problem_of("listeners: [{ name: a, address: \"127.0.0.1:25\" }, { name: b, address: "
                       "\"127.0.0.1:25\" }]\n" +
                       backend),
            "t.yaml:1:51: listeners[1]: same address as listeners[0]");
  EXPECT_EQ(problem_of("listeners:\n  -\n  - { name: b, address: \"127.0.0.1:0\" }\n" + backend),
            "t.yaml:2:3: listeners[0]: expected a listener like { name: mx, address: "
            "\"0.0.0.0:25\" }, got nothing");
  // Port 0 twice is fine: each gets its own free port.
  EXPECT_NO_THROW(
      load("listeners: [{ name: a, address: \"127.0.0.1:0\" }, { name: b, address: \"127.0.0.1:0\" "
           "}]\n" +
           backend));
}

TEST(ConfigErrors, AddressGrammar) {
  const auto listener_problem = [](const std::string& address) {
    return problem_of("listeners: [{ name: a, address: \"" + address +
                      "\" }]\nbackend: { address: \"maildir:m\" }\n");
  };
  EXPECT_EQ(listener_problem("::1:25"),
            "t.yaml:1:33: listeners[0].address: an IPv6 address needs brackets, as in "
            "\"[::1]:25\", got \"::1:25\"");
  EXPECT_EQ(listener_problem("127.0.0.1"),
            "t.yaml:1:33: listeners[0].address: expected \"host:port\" (IPv6 as \"[::1]:25\"), got "
            "\"127.0.0.1\"");
  EXPECT_EQ(listener_problem(":25"),
            "t.yaml:1:33: listeners[0].address: expected \"host:port\" (IPv6 as \"[::1]:25\"), got "
            "\":25\"");
  EXPECT_EQ(listener_problem("[127.0.0.1]:25"),
            "t.yaml:1:33: listeners[0].address: expected an IPv6 address inside [...], got "
            "\"[127.0.0.1]:25\"");
  EXPECT_EQ(listener_problem("[::1]25"),
            "t.yaml:1:33: listeners[0].address: expected \"host:port\" (IPv6 as \"[::1]:25\"), got "
            "\"[::1]25\"");
  EXPECT_EQ(listener_problem("256.0.0.1:25"),
            "t.yaml:1:33: listeners[0].address: expected an IPv4 address, [IPv6 address] or host "
            "name before the "
            "port, got \"256.0.0.1:25\"");
  EXPECT_EQ(listener_problem("bad_host:25"),
            "t.yaml:1:33: listeners[0].address: expected an IPv4 address, [IPv6 address] or host "
            "name before the "
            "port, got \"bad_host:25\"");
  for (const std::string port : {"65536", "-1", "", "025", "2x", "99999999999999999999999"}) {
    EXPECT_EQ(listener_problem("127.0.0.1:" + port),
              "t.yaml:1:33: listeners[0].address: expected a port 0-65535 after the ':', got "
              "\"127.0.0.1:" +
                  port + "\"");
  }
  EXPECT_EQ(load("listeners: [{ name: a, address: \"127.0.0.1:65535\" }]\nbackend: { address: "
                 "\"maildir:m\" }\n")
                .listeners[0]
                .address.port,
            65535);
}

TEST(ConfigErrors, BackendProblems) {
  const std::string listeners = "listeners: [{ name: a, address: \"127.0.0.1:0\" }]\n";
  EXPECT_EQ(problem_of(listeners),
            "t.yaml:1:1: backend: missing; expected { address: \"host:port\" } or { address: "
            "\"maildir:DIR\" }");
  EXPECT_EQ(problem_of(listeners + "backend: {}\n"),
            "t.yaml:2:10: backend.address: missing; expected \"host:port\" or \"maildir:DIR\"");
  EXPECT_EQ(problem_of(listeners + "backend: { address: \"maildir:\" }\n"),
            "t.yaml:2:21: backend.address: expected \"maildir:DIR\" with a directory path, got "
            "\"maildir:\"");
  EXPECT_EQ(problem_of(listeners + "backend: { address: mta.example.org }\n"),
            "t.yaml:2:21: backend.address: expected \"host:port\" (IPv6 as \"[::1]:25\"), got "
            "\"mta.example.org\" (or "
            "\"maildir:DIR\")");
  EXPECT_EQ(problem_of(listeners + "backend: { address: \"maildir:m\", identity: sometimes }\n"),
            "t.yaml:2:44: backend.identity: expected one of none, xclient or proxy_v2, got "
            "\"sometimes\"");
  EXPECT_EQ(problem_of(listeners + "backend: { address: \"maildir:m\", tls: always }\n"),
            "t.yaml:2:39: backend.tls: expected one of none or starttls, got \"always\"");
}

TEST(ConfigErrors, RelayDomainsAreValidatedAndLowerCased) {
  EXPECT_EQ(
      load(kBase +
           "relay_domains: [EXAMPLE.org, .Sub.Example.org, localhost, xn--bcher-kva.example]\n")
          .relay_domains,
      (std::vector<std::string>{"example.org", ".sub.example.org", "localhost",
                                "xn--bcher-kva.example"}));
  EXPECT_EQ(problem_of(kBase + "relay_domains: [example.org.]\n"),
            "t.yaml:3:17: relay_domains[0]: expected a domain like example.org or .example.org "
            "(its subdomains), got "
            "\"example.org.\"; leave out the trailing dot");
  EXPECT_EQ(problem_of(kBase + "relay_domains: [user@example.org]\n"),
            "t.yaml:3:17: relay_domains[0]: expected a domain like example.org or .example.org "
            "(its subdomains), got "
            "\"user@example.org\"; a domain, not an address");
  for (const std::string bad : {"exa mple.org", "-a.org", "a-.org", "a..org", "192.0.2.1", "\"\"",
                                "..org", "b\\u00fccher.de"}) {
    EXPECT_EQ(problems_of(kBase + "relay_domains: [\"" + bad + "\"]\n").size(), 1u) << bad;
  }
  EXPECT_EQ(problems_of(kBase + "relay_domains: [" + std::string(64, 'a') + ".org]\n").size(), 1u);
  EXPECT_NO_THROW(load(kBase + "relay_domains: [" + std::string(63, 'a') + ".org]\n"));
}

TEST(ConfigErrors, HostnameIsValidated) {
  EXPECT_EQ(problem_of(kBase + "hostname: \"mx example\"\n"),
            "t.yaml:3:11: hostname: expected a host name like mx.example.org, got \"mx example\"");
}

// ---- limits: counts, sizes, durations ---------------------------------------------------

TEST(ConfigLimits, CountsAreAtLeastOne) {
  for (const std::string key : {"max_connections", "max_connections_per_ip", "max_recipients",
                                "max_errors", "max_reply_lines"}) {
    EXPECT_EQ(problem_of(kBase + "limits: { " + key + ": 0 }\n"),
              "t.yaml:3:" + std::to_string(13 + key.size()) + ": limits." + key +
                  ": expected a whole number of at least 1, got \"0\"");
    EXPECT_NO_THROW(load(kBase + "limits: { " + key + ": 1 }\n")) << key;
  }
  EXPECT_EQ(problem_of(kBase + "limits: { max_errors: 010 }\n"),
            "t.yaml:3:23: limits.max_errors: expected a whole number of at least 1, got \"010\"");
  EXPECT_EQ(problem_of(kBase + "limits: { max_errors: 1.5 }\n"),
            "t.yaml:3:23: limits.max_errors: expected a whole number of at least 1, got \"1.5\"");
}

TEST(ConfigLimits, LineLengthsHaveTheRfcMinimum) {
  EXPECT_EQ(problem_of(kBase + "limits: { max_command_line: 511 }\n"),
            "t.yaml:3:29: limits.max_command_line: expected a size from 512 to 1MiB, got \"511\"");
  EXPECT_EQ(load(kBase + "limits: { max_command_line: 512 }\n").limits.max_command_line, 512u);
  EXPECT_EQ(load(kBase + "limits: { max_command_line: 1MiB }\n").limits.max_command_line, 1u << 20);
  EXPECT_EQ(problem_of(kBase + "limits: { max_reply_line: 2MiB }\n"),
            "t.yaml:3:27: limits.max_reply_line: expected a size from 512 to 1MiB, got \"2MiB\"");
}

TEST(ConfigLimits, MessageSize) {
  EXPECT_EQ(problem_of(kBase + "limits: { max_message_size: 0 }\n"),
            "t.yaml:3:29: limits.max_message_size: expected a size of at least 1, got \"0\"");
  EXPECT_EQ(problem_of(kBase + "limits: { max_message_size: 50MB }\n"),
            "t.yaml:3:29: limits.max_message_size: expected a size like 50MiB, got \"50MB\"; units "
            "are KiB, MiB and GiB");
  EXPECT_EQ(problem_of(kBase + "limits: { max_message_size: 99999999999GiB }\n"),
            "t.yaml:3:29: limits.max_message_size: expected a size like 50MiB, got "
            "\"99999999999GiB\"; too large");
  EXPECT_EQ(problem_of(kBase + "limits: { max_message_size: 050MiB }\n"),
            "t.yaml:3:29: limits.max_message_size: expected a size like 50MiB, got \"050MiB\"; "
            "write the number "
            "without leading zeros");
  EXPECT_EQ(load(kBase + "limits: { max_message_size: 1GiB }\n").limits.max_message_size, 1u << 30);
}

TEST(ConfigLimits, Durations) {
  EXPECT_EQ(problem_of(kBase + "limits: { command_timeout: 0s }\n"),
            "t.yaml:3:28: limits.command_timeout: expected a duration from 1ms to 24h, got \"0s\"");
  EXPECT_EQ(problem_of(kBase + "limits: { data_timeout: 25h }\n"),
            "t.yaml:3:25: limits.data_timeout: expected a duration from 1ms to 24h, got \"25h\"");
  EXPECT_EQ(problem_of(kBase + "limits: { shutdown_grace: 25h }\n"),
            "t.yaml:3:27: limits.shutdown_grace: expected a duration from 0ms to 24h, got \"25h\"");
  EXPECT_EQ(problem_of(kBase + "limits: { backend_reply_timeout: 1d }\n"),
            "t.yaml:3:34: limits.backend_reply_timeout: expected a duration like 30s, got \"1d\"; "
            "units are ms, s, m "
            "and h");
  EXPECT_EQ(
      problem_of(kBase + "limits: { backend_connect_timeout: soon }\n"),
      "t.yaml:3:36: limits.backend_connect_timeout: expected a duration like 30s, got \"soon\"");
  EXPECT_EQ(problem_of(kBase + "limits: { command_timeout: 99999999999999999999ms }\n"),
            "t.yaml:3:28: limits.command_timeout: expected a duration like 30s, got "
            "\"99999999999999999999ms\"; too "
            "large");
  EXPECT_EQ(load(kBase + "limits: { data_timeout: 24h }\n").limits.data_timeout, 24h);
  EXPECT_EQ(load(kBase + "limits: { command_timeout: 1ms }\n").limits.command_timeout, 1ms);
}

TEST(Units, SizeGrammar) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("1"), 1u);
  EXPECT_EQ(parse_size("1000"), 1000u);
  EXPECT_EQ(parse_size("512KiB"), 512u * 1024);
  EXPECT_EQ(parse_size("50MiB"), 50u * 1024 * 1024);
  EXPECT_EQ(parse_size("1GiB"), 1ull << 30);
  EXPECT_EQ(parse_size("0MiB"), 0u);
  for (std::string_view bad : {"",     "MiB", "KiB", "1.5MiB", "1 MiB", " 1",  "1 ", "1mib", "1MIB",
                               "1MB",  "1KB", "1GB", "1K",     "1M",    "1B",  "1b", "-1",   "+1",
                               "0x10", "010", "1e3", "1MiBx",  "1_000", "1TiB"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
  }
}

TEST(Units, SizeOverflow) {
  EXPECT_EQ(parse_size("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_size("18446744073709551616").has_value());
  EXPECT_FALSE(parse_size("99999999999999999999999999").has_value());
  EXPECT_EQ(parse_size("17179869183GiB"), 17179869183ull << 30);
  EXPECT_FALSE(parse_size("17179869184GiB").has_value());  // 2^64
  EXPECT_EQ(parse_size("18014398509481983KiB"), 18014398509481983ull << 10);
  EXPECT_FALSE(parse_size("18014398509481984KiB").has_value());  // 2^64
}

TEST(Units, DurationGrammar) {
  EXPECT_EQ(parse_duration_ms("500ms"), 500u);
  EXPECT_EQ(parse_duration_ms("30s"), 30'000u);
  EXPECT_EQ(parse_duration_ms("5m"), 300'000u);
  EXPECT_EQ(parse_duration_ms("1h"), 3'600'000u);
  EXPECT_EQ(parse_duration_ms("0s"), 0u);
  EXPECT_EQ(parse_duration_ms("0ms"), 0u);
  for (std::string_view bad :
       {"",    "30",  "0",   "s",    "ms",   "1d",  "1S",  "1MS", "1H",   "1.5s", "1 s",
        "-1s", "+1s", "01s", "1sec", "1min", "1hr", "1us", "1ns", "1smh", "1m s", "1e3ms"}) {
    EXPECT_FALSE(parse_duration_ms(bad).has_value()) << bad;
  }
}

TEST(Units, DurationOverflow) {
  EXPECT_EQ(parse_duration_ms("18446744073709551615ms"), UINT64_MAX);
  EXPECT_FALSE(parse_duration_ms("18446744073709551616ms").has_value());
  EXPECT_EQ(parse_duration_ms("18446744073709551s"), 18446744073709551000ull);
  EXPECT_FALSE(parse_duration_ms("18446744073709552s").has_value());
  EXPECT_EQ(parse_duration_ms("5124095576030h"), 5124095576030ull * 3'600'000);
  EXPECT_FALSE(parse_duration_ms("5124095576031h").has_value());
}

TEST(Units, ScoreGrammar) {
  EXPECT_EQ(parse_score("0"), 0.0);
  EXPECT_EQ(parse_score("15"), 15.0);
  EXPECT_EQ(parse_score("7.5"), 7.5);
  EXPECT_EQ(parse_score("-2"), -2.0);
  EXPECT_EQ(parse_score("-0.25"), -0.25);
  EXPECT_EQ(parse_score("0.000001"), 0.000001);
  EXPECT_EQ(parse_score("1000000"), 1'000'000.0);
  EXPECT_EQ(parse_score("-1000000"), -1'000'000.0);
  const auto zero = parse_score("-0");
  ASSERT_TRUE(zero.has_value());
  EXPECT_FALSE(std::signbit(*zero));
  for (std::string_view bad : {"",    "-",   ".5",  "5.",    "+5",      "010",        "1e3",
                               "1E3", "inf", "nan", "-inf",  "0x10",    "1.0000001",  "1,5",
                               " 1",  "1 ",  "--1", "1.2.3", "1000001", "-1000000.5", "1_0"}) {
    EXPECT_FALSE(parse_score(bad).has_value()) << bad;
  }
}

// ---- policy and filters ------------------------------------------------------------------

TEST(ConfigPolicy, ThresholdsAreOptional) {
  Config c = load(kBase + "policy: { reject: 15, add_header: -1.5 }\n");
  EXPECT_EQ(c.policy.reject, 15.0);
  EXPECT_EQ(c.policy.add_header, -1.5);
  EXPECT_FALSE(c.policy.tempfail.has_value());
  EXPECT_FALSE(c.policy.quarantine.has_value());
  c = load(kBase + "policy: {}\n");
  EXPECT_FALSE(c.policy.reject.has_value());
  c = load(kBase + "policy:\n");
  EXPECT_FALSE(c.policy.add_header.has_value());
  // Quoting does not matter, as for every value.
  EXPECT_EQ(load(kBase + "policy: { tempfail: \"10\" }\n").policy.tempfail, 10.0);
}

TEST(ConfigPolicy, Problems) {
  EXPECT_EQ(problem_of(kBase + "policy: { reject: 1e3 }\n"),
            "t.yaml:3:19: policy.reject: expected a number like 15 or 7.5 (from -1000000 to "
            "1000000, at most 6 decimals), got \"1e3\"");
  EXPECT_EQ(problem_of(kBase + "policy: { quarantine: [1] }\n"),
            "t.yaml:3:23: policy.quarantine: expected a number like 15 or 7.5, got a list");
  EXPECT_EQ(problem_of(kBase + "policy: { add_headers: 5 }\n"),
            "t.yaml:3:11: policy.add_headers: unknown key; did you mean 'add_header'?");
  EXPECT_EQ(problem_of(kBase + "policy: [reject]\n"),
            "t.yaml:3:9: policy: expected a mapping (key: value), got a list");
}

TEST(ConfigFilters, SectionIsKeptAsWrittenForThePipelineBuilder) {
  const Config c = load(kBase + "filters:\n  helo: {}\n  some_unknown_filter: { x: 1 }\n");
  ASSERT_NE(c.filters, nullptr);
  EXPECT_EQ(c.filters->file, "t.yaml");
  EXPECT_EQ(c.filters->value.path, "filters");
  EXPECT_EQ(c.filters->value.mark.line + 1, 4);
  EXPECT_EQ(c.filters->value.mark.column + 1, 3);
  ASSERT_TRUE(c.filters->value.node.IsMap());
  EXPECT_EQ(c.filters->value.node.size(), 2u);
  // A copy of the config shares the section; it outlives the loader's YAML document.
  const Config copy = c;
  EXPECT_EQ(copy.filters, c.filters);
  // The loader does not judge its contents: any value is kept, "filters:" is a null node
  // pointing at the key.
  EXPECT_TRUE(load(kBase + "filters: [a]\n").filters->value.node.IsSequence());
  const Config empty = load(kBase + "filters:\n");
  ASSERT_NE(empty.filters, nullptr);
  EXPECT_TRUE(empty.filters->value.node.IsNull());
  EXPECT_EQ(empty.filters->value.mark.line + 1, 3);
  EXPECT_EQ(empty.filters->value.mark.column + 1, 1);
  EXPECT_EQ(load(kBase).filters, nullptr);
}

// ---- dns and authserv_id ----------------------------------------------------------------

TEST(ConfigDns, DefaultsWhenAbsent) {
  const Config c = load(kBase);
  EXPECT_TRUE(c.dns.servers.empty());
  EXPECT_EQ(c.dns.timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.dns.attempts, 2u);
  EXPECT_EQ(c.authserv_id, c.hostname);
}

TEST(ConfigDns, ServersWithPortsAndSettings) {
  const Config c = load(kBase +
                        "dns: { servers: [\"127.0.0.1:5353\", \"[::1]:53\", 192.0.2.53], "
                        "timeout: 500ms, attempts: 3, cache_entries: 10, max_ttl: 1h, "
                        "negative_ttl: 30s }\nauthserv_id: mx.example.org\n");
  ASSERT_EQ(c.dns.servers.size(), 3u);
  EXPECT_EQ(c.dns.servers[0].host, "127.0.0.1");
  EXPECT_EQ(c.dns.servers[0].port, 5353);
  EXPECT_EQ(c.dns.servers[1].host, "::1");
  EXPECT_EQ(c.dns.servers[2].port, 53);
  EXPECT_EQ(c.dns.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.dns.attempts, 3u);
  EXPECT_EQ(c.dns.cache_entries, 10u);
  EXPECT_EQ(c.dns.max_ttl, std::chrono::seconds(3600));
  EXPECT_EQ(c.dns.negative_ttl, std::chrono::seconds(30));
  EXPECT_EQ(c.authserv_id, "mx.example.org");
}

TEST(ConfigDns, BadValuesNameTheKey) {
  EXPECT_EQ(problem_of(kBase + "dns: { servers: [\"ns.example.org:53\"] }\n"),
            "t.yaml:3:18: dns.servers[0]: expected a numeric address (a resolver cannot resolve "
            "its own servers), got \"ns.example.org:53\"");
  EXPECT_EQ(problem_of(kBase + "dns: { attempts: 0 }\n"),
            "t.yaml:3:18: dns.attempts: expected a whole number from 1 to 10, got \"0\"");
  EXPECT_EQ(problem_of(kBase + "dns: { tiemout: 2s }\n").substr(0, 30), "t.yaml:3:8: dns.tiemout: unkno");
  EXPECT_EQ(problem_of(kBase + "authserv_id: \"a b\"\n"),
            "t.yaml:3:14: authserv_id: expected a host name like mx.example.org (RFC 8601 "
            "authserv-id), got \"a b\"");
}

TEST(ConfigMilter, AddressIsAnEndpoint) {
  EXPECT_FALSE(load(kBase).milter.has_value());
  const Config c = load(kBase + "milter: { address: \"127.0.0.1:8899\" }\n");
  ASSERT_TRUE(c.milter.has_value());
  EXPECT_EQ(c.milter->host, "127.0.0.1");
  EXPECT_EQ(c.milter->port, 8899);
  EXPECT_EQ(problem_of(kBase + "milter: {}\n").substr(0, 35), "t.yaml:3:9: milter.address: missing");
  EXPECT_NE(problem_of(kBase + "milter: { address: nowhere }\n").find("milter.address"),
            std::string::npos);
}

TEST(ConfigMilter, UnixSocketWithMode) {
  Config c = load(kBase + "milter: { address: \"unix:/run/portcullis/milter.sock\" }\n");
  EXPECT_FALSE(c.milter.has_value());
  EXPECT_EQ(c.milter_unix, "/run/portcullis/milter.sock");
  EXPECT_EQ(c.milter_unix_mode, 0660u);
  c = load(kBase + "milter: { address: \"unix:/tmp/m.sock\", mode: \"0666\" }\n");
  EXPECT_EQ(c.milter_unix_mode, 0666u);
  EXPECT_NE(problem_of(kBase + "milter: { address: \"unix:relative.sock\" }\n")
                .find("milter.address: a unix socket needs an absolute path"),
            std::string::npos);
  EXPECT_NE(problem_of(kBase + "milter: { address: \"unix:/" + std::string(120, 'x') + "\" }\n")
                .find("at most 107 bytes"),
            std::string::npos);
  EXPECT_NE(problem_of(kBase + "milter: { address: \"unix:/tmp/m.sock\", mode: \"0999\" }\n")
                .find("milter.mode: expected octal permissions"),
            std::string::npos);
  EXPECT_NE(problem_of(kBase + "milter: { address: \"127.0.0.1:8899\", mode: \"0660\" }\n")
                .find("milter.mode: only for a unix socket address"),
            std::string::npos);
}

// ---- features not in this build ---------------------------------------------------------

TEST(ConfigNotYet, TopLevelSectionsAreRefusedByName) {
  for (const std::string key : {"run_as", "trusted_proxies", "tls", "auth", "store", "admin"}) {
    EXPECT_EQ(problem_of(kBase + key + ": {}\n"),
              "t.yaml:3:1: " + key + ": not supported by this build yet");
    // Whatever the value: even an empty one must not slip through.
    EXPECT_EQ(problem_of(kBase + key + ":\n"),
              "t.yaml:3:1: " + key + ": not supported by this build yet");
  }
}

TEST(ConfigNotYet, ListenerFeaturesAreRefused) {
  const auto listener = [](const std::string& extra) {
    return "listeners:\n  - { name: a, address: \"127.0.0.1:0\", " + extra +
           " }\nbackend: { address: \"maildir:m\" }\n";
  };
  EXPECT_EQ(problem_of(listener("tls: starttls")),
            "t.yaml:2:45: listeners[0].tls: starttls is not supported by this build yet");
  EXPECT_EQ(problem_of(listener("tls: implicit")),
            "t.yaml:2:45: listeners[0].tls: implicit is not supported by this build yet");
  EXPECT_EQ(problem_of(listener("require_auth: true")),
            "t.yaml:2:54: listeners[0].require_auth: true is not supported by this build yet");
  EXPECT_EQ(problem_of(listener("proxy_protocol: true")),
            "t.yaml:2:56: listeners[0].proxy_protocol: true is not supported by this build yet");
  const Config off = load(listener("tls: none, require_auth: false, proxy_protocol: false"));
  EXPECT_EQ(off.listeners[0].tls, ListenerTls::kNone);
  EXPECT_FALSE(off.listeners[0].require_auth);
  EXPECT_FALSE(off.listeners[0].proxy_protocol);
}

TEST(ConfigNotYet, BackendFeaturesAreRefused) {
  const std::string listeners = "listeners: [{ name: a, address: \"127.0.0.1:0\" }]\n";
  EXPECT_EQ(problem_of(listeners + "backend: { address: \"127.0.0.1:25\", identity: xclient }\n"),
            "t.yaml:2:47: backend.identity: xclient is not supported by this build yet");
  EXPECT_EQ(problem_of(listeners + "backend: { address: \"127.0.0.1:25\", identity: proxy_v2 }\n"),
            "t.yaml:2:47: backend.identity: proxy_v2 is not supported by this build yet");
  EXPECT_EQ(problem_of(listeners + "backend: { address: \"127.0.0.1:25\", tls: starttls }\n"),
            "t.yaml:2:42: backend.tls: starttls is not supported by this build yet");
}

// Every entry of the not-yet list is refused by the loader, so the list cannot hold an entry
// that silently stopped mattering (or one for a key the schema does not reach).
TEST(ConfigNotYet, EveryListedEntryIsRefused) {
  for (const detail::NotYet& entry : detail::not_yet_supported()) {
    const std::string key(entry.key);
    const std::string value = entry.value.empty() ? "{}" : std::string(entry.value);
    std::string text;
    if (key.find('.') == std::string::npos && key.find('[') == std::string::npos) {
      text = kBase + key + ": " + value + "\n";
    } else if (key.starts_with("listeners[].")) {
      text = "listeners: [{ name: a, address: \"127.0.0.1:0\", " + key.substr(12) + ": " + value +
             " }]\nbackend: { address: \"maildir:m\" }\n";
    } else if (key.starts_with("filters.")) {
      // Refused by the pipeline builder (tests/filters/api), which alone reads `filters:`;
      // the loader keeps the section as written.
      const Config c = load(kBase + "filters:\n  " + key.substr(8) + ": {}\n");
      EXPECT_NE(c.filters, nullptr) << key;
      continue;
    } else if (key.starts_with("backend.")) {
      text =
          "listeners: [{ name: a, address: \"127.0.0.1:0\" }]\nbackend: { address: "
          "\"127.0.0.1:25\", " +
          key.substr(8) + ": " + value + " }\n";
    } else {
      ADD_FAILURE() << "teach this test to build a config for " << key;
      continue;
    }
    const std::string problem = problem_of(text);
    EXPECT_NE(problem.find("not supported by this build yet"), std::string::npos)
        << key << " = " << value << ": " << problem;
  }
}

// ---- files -------------------------------------------------------------------------------

TEST(ConfigFile, ShippedDefaultConfigLoads) {
  const Config c = load_config_file(PORTCULLIS_SHIPPED_CONFIG);
  EXPECT_EQ(c.source_file, PORTCULLIS_SHIPPED_CONFIG);
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].name, "demo");
  EXPECT_EQ(c.listeners[0].address.host, "127.0.0.1");
  EXPECT_EQ(c.listeners[0].address.port, 2525);
  EXPECT_EQ(c.backend.maildir, "./var/demo-mail");
  EXPECT_EQ(c.relay_domains, std::vector<std::string>{"example.org"});
  // The demo shows relay denial, so nobody is trusted to relay.
  EXPECT_TRUE(c.trusted_networks.empty());
  EXPECT_EQ(c.bare_newline, smtp::BareNewline::kReject);
}

// docs/config.md ends with an example config; it must stay valid.
TEST(ConfigFile, DocsExampleLoads) {
  std::ifstream in(PORTCULLIS_CONFIG_DOC);
  ASSERT_TRUE(in) << PORTCULLIS_CONFIG_DOC;
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  const std::size_t section = text.find("\n## Example");
  ASSERT_NE(section, std::string::npos);
  const std::size_t start = text.find("```yaml\n", section);
  ASSERT_NE(start, std::string::npos);
  const std::size_t end = text.find("```", start + 8);
  ASSERT_NE(end, std::string::npos);
  const Config c =
      load_config_text(text.substr(start + 8, end - start - 8), "docs/config.md example");
  EXPECT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.relay_domains, (std::vector<std::string>{"example.org", ".example.org"}));
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "config_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

using ConfigFileErrors = TempDir;

TEST_F(ConfigFileErrors, MessagesNameTheFile) {
  const std::string path = write("bad.yaml", kBase + "threads: lots\n");
  try {
    load_config_file(path);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(
        e.what(),
        (path + ":3:10: threads: expected a whole number from 0 to 256, got \"lots\"").c_str());
  }
}

TEST_F(ConfigFileErrors, MissingFileAndDirectory) {
  const std::string missing = (dir_ / "nope.yaml").string();
  try {
    load_config_file(missing);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), (missing + ": cannot open: No such file or directory").c_str());
  }
  try {
    load_config_file(dir_.string());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), (dir_.string() + ": is a directory, expected a YAML file").c_str());
  }
}

TEST_F(ConfigFileErrors, HugeFileIsRefused) {
  const std::string path = write("huge.yaml", kBase + "#" + std::string(17u << 20, 'x') + "\n");
  try {
    load_config_file(path);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), (path + ": larger than 16MiB; is this the config file?").c_str());
  }
}

}  // namespace
}  // namespace portcullis::config
