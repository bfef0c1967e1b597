// The resolver of the authentication filters: c-ares, driven by its own Asio event loop on
// one thread (c-ares channels are single-threaded), behind the shared DnsCache. resolve()
// looks in the cache on the caller's thread, so a warm lookup never leaves the session's
// loop; a miss hops to the DNS thread, where identical questions in flight share one query,
// and the answer comes back on the caller's executor. Per-query timeout and attempts come
// from `dns:`; timeouts and SERVFAIL are answers (kTimeout, kServFail), never exceptions.
// Untrusted input: the answers (dns_message.hpp parses them) and the names asked (built
// from client data: names that cannot exist — empty or over-long labels, NUL — are
// answered kNxDomain without a query).
// Limits: at most max_in_flight distinct questions at once; beyond it a question is
// answered kServFail at once (temperror for the filters) instead of queueing without bound.
// Gaps: servers are read once (a reload with other `dns:` settings needs a restart; the
// gate says so); no DNSSEC validation; no DNS cookies.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "filters/dns/resolver.hpp"

namespace portcullis::dns {

class CaresResolver : public Resolver {
 public:
  static constexpr std::size_t kMaxInFlight = 4096;

  // Starts the DNS thread. Throws std::runtime_error if c-ares refuses the settings.
  explicit CaresResolver(const config::DnsSettings& settings);
  ~CaresResolver() override;
  CaresResolver(const CaresResolver&) = delete;
  CaresResolver& operator=(const CaresResolver&) = delete;

  std::shared_ptr<const Answer> cached(const Question& question) override;
  boost::asio::awaitable<std::shared_ptr<const Answer>> resolve(Question question) override;
  ResolverStats stats() const override;
  const config::DnsSettings& settings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::dns
