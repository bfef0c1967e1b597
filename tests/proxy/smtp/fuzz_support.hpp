// Shared by the fuzz targets: an always-on check (abort, so both libFuzzer and the replay
// runner report it) and input-derived split points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                             \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

namespace portcullis::smtp::fuzz {

// A split point in [0, n] derived from the input itself, so libFuzzer can steer it.
inline std::size_t split_point(std::string_view in) {
  if (in.empty()) return 0;
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < in.size() && i < 64; ++i) {
    h = (h ^ static_cast<unsigned char>(in[i])) * 16777619u;
  }
  return h % (in.size() + 1);
}

// Larger inputs are still fed whole and split; byte by byte only up to this size, to keep
// each run fast.
constexpr std::size_t kByteByByteMax = 8192;

inline bool crlf_only(std::string_view m) {
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\r' && (i + 1 >= m.size() || m[i + 1] != '\n')) return false;
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) return false;
  }
  return true;
}

}  // namespace portcullis::smtp::fuzz
