// The answers of every lookup, shared by all event loops and evaluations: positive and
// negative answers are kept for their TTL (cut to max_ttl / negative_ttl by the caller),
// temporary failures (timeout, SERVFAIL) for a few seconds only, so a dead server is not
// hammered by every session but recovers quickly. Bounded: at most max_entries answers, the
// least recently used going first. Thread-safe (sharded locks; a lookup holds one shard).
// Gaps: no prefetch of popular names before they expire.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "filters/dns/dns_answer.hpp"

namespace portcullis::dns {

class DnsCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;
  static constexpr std::uint32_t kTemporaryTtlSeconds = 5;

  explicit DnsCache(std::size_t max_entries, Now now = Clock::now);

  // A fresh answer, or null. Counts a hit or a miss.
  std::shared_ptr<const Answer> find(std::string_view name, RrType type);
  // Keeps `answer` for answer->ttl seconds (temporary failures: kTemporaryTtlSeconds).
  void store(std::string_view name, RrType type, std::shared_ptr<const Answer> answer);

  std::size_t size() const;
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Entry;
  struct Shard {
    mutable std::mutex mutex;
    std::list<std::string> order;  // most recently used first
    std::unordered_map<std::string, Entry> entries;
  };
  struct Entry {
    std::shared_ptr<const Answer> answer;
    Clock::time_point expires;
    std::list<std::string>::iterator position;
  };
  static constexpr std::size_t kShards = 16;

  Shard& shard_of(const std::string& key);

  std::size_t max_per_shard_;
  Now now_;
  std::vector<Shard> shards_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace portcullis::dns
