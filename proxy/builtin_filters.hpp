// The one place that knows the list of concrete filters (STYLE.md: only main does), and the
// loading of a configuration together with its pipeline.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "filters/api/blocking_pool.hpp"
#include "filters/api/counters.hpp"
#include "filters/api/filter_factory.hpp"
#include "filters/api/pipeline.hpp"
#include "filters/dns/resolver.hpp"

namespace portcullis::proxy {

filters::FilterRegistry builtin_filters();

struct LoadedConfig {
  config::Config config;
  std::shared_ptr<filters::Pipeline> pipeline;
};

// Reads the file and builds its pipeline once (a filter may load a large engine, e.g.
// ClamAV's signatures), reporting the problems of both together in file order. Blocking:
// callers on an event loop run it on the worker pool. Throws config::ConfigError.
// pool and resolver come from GateServices (null for --check-config).
LoadedConfig load_gate_config(const std::string& path, std::shared_ptr<filters::Counters> counters,
                              filters::BlockingPool* pool, dns::Resolver* resolver);

}  // namespace portcullis::proxy
