#include "filters/dkim/base64.hpp"

#include "filters/dkim/text.hpp"

namespace portcullis::filters::dkim {
namespace {

int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  std::size_t group = 0;  // 6-bit digits in the current quantum
  std::size_t padding = 0;
  for (char c : text) {
    if (is_fws(c)) continue;
    if (c == '=') {
      ++padding;
      if (padding > 2) return std::nullopt;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    const int v = value_of(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++group == 4) {
      out.push_back(static_cast<std::uint8_t>(acc >> 16));
      out.push_back(static_cast<std::uint8_t>(acc >> 8));
      out.push_back(static_cast<std::uint8_t>(acc));
      acc = 0;
      group = 0;
    }
  }
  switch (group) {
    case 0:
      if (padding != 0) return std::nullopt;
      break;
    case 1:
      return std::nullopt;
    case 2:
      if (padding != 0 && padding != 2) return std::nullopt;
      out.push_back(static_cast<std::uint8_t>(acc >> 4));
      break;
    case 3:
      if (padding > 1) return std::nullopt;
      out.push_back(static_cast<std::uint8_t>(acc >> 10));
      out.push_back(static_cast<std::uint8_t>(acc >> 2));
      break;
  }
  return out;
}

}  // namespace portcullis::filters::dkim
