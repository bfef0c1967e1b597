// The process's shared machinery, made once before the first pipeline is built and kept
// across reloads: the worker pool for blocking work and the DNS resolver (with its cache).
// The first configuration's filters get the same pool and resolver as every reload's.
// No Asio in this header, so main stays cheap to compile.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "filters/api/blocking_pool.hpp"
#include "filters/dns/resolver.hpp"

namespace portcullis::proxy {

class WorkerPool;

class GateServices {
 public:
  // Throws std::runtime_error if the resolver cannot start (reported as fatal).
  explicit GateServices(const config::Config& config);
  ~GateServices();
  GateServices(const GateServices&) = delete;
  GateServices& operator=(const GateServices&) = delete;

  WorkerPool& workers();
  filters::BlockingPool* pool();
  dns::Resolver* resolver();
  // The `dns:` settings the resolver runs with (a reload cannot change them).
  const config::DnsSettings& dns_settings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether two `dns:` sections would make the same resolver.
bool same_dns_settings(const config::DnsSettings& a, const config::DnsSettings& b);

}  // namespace portcullis::proxy
