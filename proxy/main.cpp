// portcullis command line (DESIGN.md "Command line", fixed grammar):
//   portcullis --config FILE                 run in the foreground, log to stderr
//   portcullis --check-config --config FILE  validate and exit (0 ok, 2 errors)
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "config/config.hpp"
#include "proxy/logging.hpp"
#include "proxy/server.hpp"

namespace {
constexpr int kExitUsage = 2;
}

int main(int argc, char** argv) {
  CLI::App app{"portcullis: a mail-security gate in front of your MTA"};
  std::string config_path;
  bool check_only = false;
  app.add_option("--config", config_path, "configuration file (YAML)")->required();
  app.add_flag("--check-config", check_only, "validate the configuration and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  portcullis::config::Config cfg;
  try {
    cfg = portcullis::config::load_config_file(config_path);
  } catch (const portcullis::config::ConfigError& e) {
    for (const auto& problem : e.problems()) std::fprintf(stderr, "%s\n", problem.c_str());
    return kExitUsage;
  }
  if (check_only) {
    std::fprintf(stdout, "%s: ok\n", config_path.c_str());
    return 0;
  }
  portcullis::proxy::setup_logging(cfg.log_format, cfg.log_level);
  try {
    portcullis::proxy::Server server(config_path, std::move(cfg));
    return server.run();
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
