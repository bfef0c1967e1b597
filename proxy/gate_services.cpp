#include "proxy/gate_services.hpp"

#include <algorithm>
#include <thread>

#include "filters/dns/cares_resolver.hpp"
#include "proxy/worker_pool.hpp"

namespace portcullis::proxy {

struct GateServices::Impl {
  explicit Impl(const config::Config& config)
      : workers(std::max(2u, std::thread::hardware_concurrency())), resolver(config.dns) {}
  WorkerPool workers;
  dns::CaresResolver resolver;
};

GateServices::GateServices(const config::Config& config)
    : impl_(std::make_unique<Impl>(config)) {}
GateServices::~GateServices() = default;

WorkerPool& GateServices::workers() { return impl_->workers; }
filters::BlockingPool* GateServices::pool() { return &impl_->workers; }
dns::Resolver* GateServices::resolver() { return &impl_->resolver; }
const config::DnsSettings& GateServices::dns_settings() const {
  return impl_->resolver.settings();
}

bool same_dns_settings(const config::DnsSettings& a, const config::DnsSettings& b) {
  const auto same_servers = std::equal(
      a.servers.begin(), a.servers.end(), b.servers.begin(), b.servers.end(),
      [](const config::Endpoint& x, const config::Endpoint& y) {
        return x.host == y.host && x.port == y.port;
      });
  return same_servers && a.timeout == b.timeout && a.attempts == b.attempts &&
         a.cache_entries == b.cache_entries && a.max_ttl == b.max_ttl &&
         a.negative_ttl == b.negative_ttl;
}

}  // namespace portcullis::proxy
