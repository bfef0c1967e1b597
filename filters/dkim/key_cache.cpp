#include "filters/dkim/key_cache.hpp"

#include <deque>
#include <mutex>
#include <unordered_map>

namespace portcullis::filters::dkim {
namespace {

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const PublicKey>> keys;
  std::deque<std::string> order;  // insertion order, for eviction
};

Cache& cache() {
  static Cache instance;
  return instance;
}

std::string key_of(KeyType type, const std::vector<std::uint8_t>& bytes) {
  std::string key(1, static_cast<char>(type));
  key.append(bytes.begin(), bytes.end());
  return key;
}

}  // namespace

std::shared_ptr<const PublicKey> cached_public_key(KeyType type,
                                                   const std::vector<std::uint8_t>& bytes,
                                                   std::string& error) {
  const std::string key = key_of(type, bytes);
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    if (const auto it = c.keys.find(key); it != c.keys.end()) return it->second;
  }
  std::optional<PublicKey> loaded = PublicKey::load(type, bytes, error);
  if (!loaded) return nullptr;
  auto decoded = std::make_shared<const PublicKey>(std::move(*loaded));
  std::lock_guard lock(c.mutex);
  const auto [it, inserted] = c.keys.emplace(key, decoded);
  if (inserted) {
    c.order.push_back(key);
    while (c.order.size() > kMaxCachedKeys) {
      c.keys.erase(c.order.front());
      c.order.pop_front();
    }
  }
  return it->second;
}

std::size_t cached_key_count() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  return c.keys.size();
}

}  // namespace portcullis::filters::dkim
