// The gate process: event-loop threads, listeners, the worker pool, signals (SIGTERM/SIGINT
// drain, SIGHUP reload) and the current configuration snapshot. No Asio in this header, so
// main stays cheap to compile.
#pragma once

#include <memory>
#include <string>

#include "proxy/builtin_filters.hpp"
#include "proxy/gate_services.hpp"

namespace portcullis::proxy {

class Server {
 public:
  // `loaded` comes from load_gate_config(config_path, counters, …); reloads read the same
  // file again the same way.
  Server(std::string config_path, LoadedConfig loaded,
         std::shared_ptr<filters::Counters> counters, std::shared_ptr<GateServices> services);
  ~Server();
  // Runs until a SIGTERM/SIGINT drain completes. Returns the process exit code.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::proxy
