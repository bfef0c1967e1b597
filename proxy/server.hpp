// The gate process: event-loop threads, listeners, the worker pool, signals (SIGTERM/SIGINT
// drain, SIGHUP reload) and the current configuration snapshot. No Asio in this header, so
// main stays cheap to compile.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "filters/api/filter_factory.hpp"

namespace portcullis::proxy {

class Server {
 public:
  // Throws config::ConfigError when the `filters:` section is wrong.
  Server(std::string config_path, config::Config config, filters::FilterRegistry registry);
  ~Server();
  // Runs until a SIGTERM/SIGINT drain completes. Returns the process exit code.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::proxy
