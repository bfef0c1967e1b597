// Decoded public keys, shared by every verification in the process: decoding an RSA key
// (d2i_PUBKEY) costs several times the signature check itself, and a busy sender signs
// every message with the same key. Keyed by the key bytes as published (p=), so a rotated
// key is a new entry; bounded (kMaxEntries, the oldest dropped first); thread-safe.
// Untrusted input: the key bytes (decoded by PublicKey::load, which bounds them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "filters/dkim/crypto.hpp"

namespace portcullis::filters::dkim {

inline constexpr std::size_t kMaxCachedKeys = 4096;

// The decoded key, from the cache or decoded now (and kept); null with `error` set when the
// bytes are not a key of that type (failures are not cached: they are cheap to find again).
std::shared_ptr<const PublicKey> cached_public_key(KeyType type,
                                                   const std::vector<std::uint8_t>& bytes,
                                                   std::string& error);

// Entries held now (for tests).
std::size_t cached_key_count();

}  // namespace portcullis::filters::dkim
