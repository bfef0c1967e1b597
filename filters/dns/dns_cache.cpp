#include "filters/dns/dns_cache.hpp"

#include <algorithm>

namespace portcullis::dns {
DnsCache::DnsCache(std::size_t max_entries, Now now)
    : max_per_shard_(max_entries == 0 ? 0 : std::max<std::size_t>(1, max_entries / kShards)),
      now_(std::move(now)),
      shards_(kShards) {}

DnsCache::Shard& DnsCache::shard_of(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

std::shared_ptr<const Answer> DnsCache::find(std::string_view name, RrType type) {
  const std::string key = question_key(name, type);
  Shard& shard = shard_of(key);
  {
    std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(key);
    if (it != shard.entries.end()) {
      if (it->second.expires > now_()) {
        shard.order.splice(shard.order.begin(), shard.order, it->second.position);
        hits_.fetch_add(1, std::memory_order_relaxed);
        return it->second.answer;
      }
      shard.order.erase(it->second.position);
      shard.entries.erase(it);
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void DnsCache::store(std::string_view name, RrType type, std::shared_ptr<const Answer> answer) {
  if (max_per_shard_ == 0 || !answer) return;
  const std::uint32_t ttl = answer->temporary() ? kTemporaryTtlSeconds : answer->ttl;
  if (ttl == 0) return;
  const std::string key = question_key(name, type);
  Shard& shard = shard_of(key);
  const auto expires = now_() + std::chrono::seconds(ttl);
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.entries.find(key); it != shard.entries.end()) {
    it->second.answer = std::move(answer);
    it->second.expires = expires;
    shard.order.splice(shard.order.begin(), shard.order, it->second.position);
    return;
  }
  while (shard.entries.size() >= max_per_shard_ && !shard.order.empty()) {
    shard.entries.erase(shard.order.back());
    shard.order.pop_back();
  }
  shard.order.push_front(key);
  shard.entries.emplace(key, Entry{std::move(answer), expires, shard.order.begin()});
}

std::size_t DnsCache::size() const {
  std::size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace portcullis::dns
