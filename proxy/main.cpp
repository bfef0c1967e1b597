// portcullis command line (DESIGN.md "Command line", fixed grammar):
//   portcullis --config FILE                 run in the foreground, log to stderr
//   portcullis --check-config --config FILE  validate and exit (0 ok, 2 errors)
//   portcullis scan --config FILE [--client-ip IP] [--helo NAME] [--mail-from ADDR]
//                   [--rcpt ADDR]... [--json] MESSAGE...
//   portcullis rules lint PATH...            validate and compile rule files
//   portcullis rules test --rules PATH... [--config FILE] [--json] MESSAGE...
//   portcullis rules import-sa DIR --output DIR [--include-disabled] [--cache-dir DIR]
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "config/config.hpp"
#include "filters/api/pipeline.hpp"
#include "proxy/builtin_filters.hpp"
#include "proxy/gate_services.hpp"
#include "proxy/logging.hpp"
#include "proxy/rules_command.hpp"
#include "proxy/scan_command.hpp"
#include "proxy/server.hpp"

namespace {

constexpr int kExitUsage = 2;

int print_problems(const portcullis::config::ConfigError& e) {
  for (const auto& problem : e.problems()) std::fprintf(stderr, "%s\n", problem.c_str());
  return kExitUsage;
}

// The worker pool and resolver the filters are built with, from a first read of the file
// (cheap: no filter is built). Null if the file has problems: the full load reports them all.
std::shared_ptr<portcullis::proxy::GateServices> make_services(const std::string& path) {
  try {
    return std::make_shared<portcullis::proxy::GateServices>(
        portcullis::config::load_config_file(path));
  } catch (const portcullis::config::ConfigError&) {
    return nullptr;
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace pc = portcullis;
  CLI::App app{"portcullis: a mail-security gate in front of your MTA"};
  std::string config_path;
  bool check_only = false;
  app.add_option("--config", config_path, "configuration file (YAML)");
  app.add_flag("--check-config", check_only, "validate the configuration and exit");

  pc::proxy::ScanOptions scan;
  std::string scan_config;
  auto* scan_cmd = app.add_subcommand("scan", "run the pipeline over saved messages");
  scan_cmd->add_option("--config", scan_config, "configuration file (YAML)")->required();
  scan_cmd->add_option("--client-ip", scan.client_ip, "client address (default 127.0.0.1)");
  scan_cmd->add_option("--helo", scan.helo, "HELO name the client gave");
  scan_cmd->add_option("--mail-from", scan.mail_from, "envelope sender (default: <>)");
  // One address per --rcpt, so the message files after it stay message files.
  scan_cmd->add_option("--rcpt", scan.recipients, "envelope recipient (repeatable)")
      ->allow_extra_args(false);
  scan_cmd->add_flag("--json", scan.json, "one JSON object per message");
  scan_cmd->add_option("MESSAGE", scan.files, "message files (RFC 5322)")->required();
  auto* rules_cmd = app.add_subcommand("rules", "the security team's rule tools");
  rules_cmd->require_subcommand(1);
  std::vector<std::string> lint_paths;
  std::string rules_cache;
  auto* lint_cmd = rules_cmd->add_subcommand("lint", "validate and compile rule files");
  lint_cmd->add_option("PATH", lint_paths, "rule files or directories")->required();
  lint_cmd->add_option("--cache-dir", rules_cache, "compiled database cache");
  pc::proxy::RulesTestOptions rules_test;
  auto* test_cmd = rules_cmd->add_subcommand("test", "which rules hit each message, and where");
  test_cmd->add_option("--rules", rules_test.rules, "rule files or directories")
      ->required()
      ->allow_extra_args(false);
  test_cmd->add_option("--config", rules_test.config, "take policy thresholds from this config");
  test_cmd->add_option("--cache-dir", rules_test.cache_dir, "compiled database cache");
  test_cmd->add_flag("--json", rules_test.json, "one JSON object per message");
  test_cmd->add_option("MESSAGE", rules_test.messages, "message files (RFC 5322)")->required();
  std::string sa_dir, sa_output;
  auto* import_cmd = rules_cmd->add_subcommand("import-sa", "convert SpamAssassin .cf rules");
  import_cmd->add_option("DIR", sa_dir, "directory of SpamAssassin .cf files")->required();
  import_cmd->add_option("--output", sa_output, "directory for the YAML rule files")->required();
  bool sa_disabled = false;
  std::string sa_cache;
  import_cmd->add_option("--cache-dir", sa_cache, "compiled database cache");
  import_cmd->add_flag("--include-disabled", sa_disabled,
                       "also the rules SpamAssassin never runs (score 0), at score 0");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  if (*rules_cmd) {
    if (*lint_cmd) return pc::proxy::run_rules_lint(lint_paths, rules_cache, std::cout, std::cerr);
    if (*test_cmd) return pc::proxy::run_rules_test(rules_test, std::cout, std::cerr);
    return pc::proxy::run_rules_import_sa(sa_dir, sa_output, sa_disabled, sa_cache, std::cout,
                                          std::cerr);
  }
  auto counters = std::make_shared<pc::filters::Counters>();
  // Filters log while the configuration loads (an engine's load time): in our format from
  // the start; the configured format takes over once the file is read.
  // --check-config and scan print their own results: only warnings and errors besides.
  pc::proxy::setup_logging(pc::config::LogFormat::kText,
                           check_only || *scan_cmd ? "warn" : "info");
  if (*scan_cmd) {
    if (!pc::config::IpAddress::parse(scan.client_ip)) {
      std::fprintf(stderr, "--client-ip: '%s' is not an IP address\n", scan.client_ip.c_str());
      return kExitUsage;
    }
    try {
      // Offline: blocking work runs inline (no pool), DNS goes through the real resolver.
      auto services = make_services(scan_config);
      auto loaded = pc::proxy::load_gate_config(scan_config, counters, nullptr,
                                                services ? services->resolver() : nullptr);
      return pc::proxy::run_scan(loaded.config, *loaded.pipeline, scan, std::cout, std::cerr);
    } catch (const pc::config::ConfigError& e) {
      return print_problems(e);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fatal: %s\n", e.what());
      return 1;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "--config is required\n%s", app.help().c_str());
    return kExitUsage;
  }

  pc::proxy::LoadedConfig loaded;
  std::shared_ptr<pc::proxy::GateServices> services;
  try {
    if (!check_only) services = make_services(config_path);
    // The filter sections are checked with the rest of the file: every problem at once.
    loaded = pc::proxy::load_gate_config(config_path, counters,
                                         services ? services->pool() : nullptr,
                                         services ? services->resolver() : nullptr);
    if (check_only) {
      std::fprintf(stdout, "%s: ok\n", config_path.c_str());
      return 0;
    }
    // The file changed between the two reads: services for what was loaded.
    if (!services) services = std::make_shared<pc::proxy::GateServices>(loaded.config);
  } catch (const pc::config::ConfigError& e) {
    return print_problems(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fatal: %s\n", e.what());
    return 1;
  }
  pc::proxy::setup_logging(loaded.config.log_format, loaded.config.log_level);
  try {
    pc::proxy::Server server(config_path, std::move(loaded), counters, services);
    return server.run();
  } catch (const pc::config::ConfigError& e) {
    return print_problems(e);
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
