#include "filters/access/network_list.hpp"

#include <algorithm>

#include "config/syntax.hpp"

namespace portcullis::filters::access {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

Bytes masked(Bytes bytes, int prefix) {
  for (int i = 0; i < 16; ++i) {
    const int keep = prefix - i * 8;
    if (keep >= 8) continue;
    bytes[static_cast<std::size_t>(i)] &=
        keep <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - keep));
  }
  return bytes;
}

}  // namespace

std::size_t NetworkList::BytesHash::operator()(const Bytes& b) const noexcept {
  // FNV-1a: the keys are our own config entries, so no flooding concern on insertion, and
  // a lookup key is masked before hashing.
  std::uint64_t h = 1469598103934665603ULL;
  for (std::uint8_t byte : b) {
    h ^= byte;
    h *= 1099511628211ULL;
  }
  return static_cast<std::size_t>(h);
}

bool NetworkList::add(std::string_view text, std::string& why_not) {
  const auto cidr = config::Cidr::parse(text, &why_not);
  if (!cidr) return false;
  // Cidr keeps its network private; its canonical text is "a.b.c.d/p" (IPv4, prefix in the
  // 32-bit space) or "ipv6/p" (128-bit space), which we read back.
  std::string canonical = cidr->to_string();
  const std::size_t slash = canonical.rfind('/');
  const std::string_view address_text = std::string_view(canonical).substr(0, slash);
  const auto address = config::IpAddress::parse(address_text);
  const auto prefix_number =
      config::detail::parse_decimal(std::string_view(canonical).substr(slash + 1));
  if (slash == std::string::npos || !address || !prefix_number) {
    why_not = "internal error: cannot read back network " + config::detail::quoted(canonical);
    return false;
  }
  const bool written_v4 = address_text.find(':') == std::string_view::npos;
  const int prefix = static_cast<int>(*prefix_number) + (written_v4 ? 96 : 0);

  auto bucket = std::find_if(buckets_.begin(), buckets_.end(),
                             [&](const Bucket& b) { return b.prefix == prefix; });
  if (bucket == buckets_.end()) {
    Bucket fresh;
    fresh.prefix = prefix;
    const auto at = std::find_if(buckets_.begin(), buckets_.end(),
                                 [&](const Bucket& b) { return b.prefix < prefix; });
    bucket = buckets_.insert(at, std::move(fresh));
  }
  if (bucket->networks.emplace(masked(address->bytes, prefix), std::move(canonical)).second) {
    ++size_;
  }
  return true;
}

const std::string* NetworkList::find(const config::IpAddress& ip) const {
  for (const Bucket& bucket : buckets_) {
    const auto it = bucket.networks.find(masked(ip.bytes, bucket.prefix));
    if (it != bucket.networks.end()) return &it->second;
  }
  return nullptr;
}

}  // namespace portcullis::filters::access
