// Shared by every fuzz target (tests/*/…_fuzz.cpp): an always-on check that aborts, so both
// libFuzzer and the replay runner (fuzz_replay_main.cpp) report it, and a split point
// derived from the input itself, so libFuzzer can steer where an input is cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace portcullis::fuzz {

// A split point in [0, n] derived from the input itself.
inline std::size_t split_point(std::string_view in) {
  if (in.empty()) return 0;
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < in.size() && i < 64; ++i) {
    h = (h ^ static_cast<unsigned char>(in[i])) * 16777619u;
  }
  return h % (in.size() + 1);
}

}  // namespace portcullis::fuzz
