// The asynchronous resolver the authentication filters use (the c-ares implementation is
// cares_resolver.hpp). Answers are shared, immutable values; DNS failures are answers too
// (kTimeout, kServFail), never exceptions. resolve() completes on the caller's executor
// and honours cancellation (a filter's deadline), leaving the query to finish for the cache.
#pragma once

#include <cstdint>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "filters/dns/dns_answer.hpp"

namespace portcullis::dns {

struct ResolverStats {
  std::uint64_t queries = 0;     // sent to a server (after cache and in-flight sharing)
  std::uint64_t timeouts = 0;
  std::uint64_t failures = 0;    // SERVFAIL, REFUSED, malformed
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // A fresh cached answer, or null; never waits.
  virtual std::shared_ptr<const Answer> cached(const Question& question) = 0;
  virtual boost::asio::awaitable<std::shared_ptr<const Answer>> resolve(Question question) = 0;
  virtual ResolverStats stats() const = 0;
};

}  // namespace portcullis::dns
