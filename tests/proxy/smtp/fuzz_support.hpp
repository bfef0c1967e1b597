// Shared by the SMTP fuzz targets: FUZZ_CHECK and split points (tests/fuzz/fuzz_check.hpp)
// and what feeding SMTP streams needs besides.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tests/fuzz/fuzz_check.hpp"

namespace portcullis::smtp::fuzz {

using portcullis::fuzz::split_point;

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
