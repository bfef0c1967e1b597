#include "filters/mime/utf8.hpp"

#include <cstdint>

namespace portcullis::mime {

namespace {
inline unsigned char byte_at(std::string_view s, std::size_t i) {
  return static_cast<unsigned char>(s[i]);
}
inline bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }
}  // namespace

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const unsigned char c = byte_at(s, i);
  if (c < 0x80) return 1;
  const std::size_t left = s.size() - i;
  if (c >= 0xC2 && c <= 0xDF) {
    return left >= 2 && is_cont(byte_at(s, i + 1)) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char c1 = byte_at(s, i + 1);
    if (!is_cont(c1) || !is_cont(byte_at(s, i + 2))) return 0;
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char c1 = byte_at(s, i + 1);
    if (!is_cont(c1) || !is_cont(byte_at(s, i + 2)) || !is_cont(byte_at(s, i + 3))) return 0;
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t word;
      __builtin_memcpy(&word, s.data() + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void append_code_point(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = kReplacementChar;
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    append_code_point(out, kReplacementChar);
  }
}

void append_utf8_repaired(std::string& out, std::string_view in) {
  std::size_t i = 0;
  std::size_t run = 0;  // start of the pending valid run
  while (i < in.size()) {
    if (byte_at(in, i) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(in, i);
    if (len != 0) {
      i += len;
      continue;
    }
    out.append(in.substr(run, i - run));
    append_code_point(out, kReplacementChar);
    // Skip the maximal subpart: a lead byte and the continuation bytes it allowed.
    const bool lead = byte_at(in, i) >= 0xC2 && byte_at(in, i) <= 0xF4;
    ++i;
    for (int k = 0; lead && k < 3 && i < in.size() && is_cont(byte_at(in, i)); ++k) ++i;
    run = i;
  }
  out.append(in.substr(run));
}

char32_t decode_code_point(std::string_view s, std::size_t i, std::size_t len) {
  const unsigned char c = byte_at(s, i);
  switch (len) {
    case 1:
      return c;
    case 2:
      return (char32_t(c & 0x1F) << 6) | (byte_at(s, i + 1) & 0x3F);
    case 3:
      return (char32_t(c & 0x0F) << 12) | (char32_t(byte_at(s, i + 1) & 0x3F) << 6) |
             (byte_at(s, i + 2) & 0x3F);
    default:
      return (char32_t(c & 0x07) << 18) | (char32_t(byte_at(s, i + 1) & 0x3F) << 12) |
             (char32_t(byte_at(s, i + 2) & 0x3F) << 6) | (byte_at(s, i + 3) & 0x3F);
  }
}

bool is_unicode_space(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::size_t utf8_prefix_bytes(std::string_view s, std::size_t chars) {
  std::size_t i = 0;
  while (chars > 0 && i < s.size()) {
    const std::size_t len = utf8_sequence_length(s, i);
    i += len == 0 ? 1 : len;
    --chars;
  }
  return i;
}

std::size_t utf8_floor(std::string_view s, std::size_t limit) {
  if (limit >= s.size()) return s.size();
  std::size_t n = limit;
  // Step back over continuation bytes to the start of the sequence that crosses `limit`.
  while (n > 0 && is_cont(byte_at(s, n))) --n;
  return n;
}

}  // namespace portcullis::mime
