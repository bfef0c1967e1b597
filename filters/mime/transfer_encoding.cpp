#include "filters/mime/transfer_encoding.hpp"

#include <array>
#include <cstdint>

namespace portcullis::mime {

namespace {

constexpr std::array<std::int8_t, 256> make_b64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 26; ++i) {
    t['A' + i] = static_cast<std::int8_t>(i);
    t['a' + i] = static_cast<std::int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<std::int8_t>(52 + i);
  t['+'] = 62;
  t['/'] = 63;
  t['='] = -2;
  t[' '] = t['\t'] = t['\r'] = t['\n'] = t['\f'] = t['\v'] = -3;
  return t;
}
constexpr std::array<std::int8_t, 256> kB64 = make_b64_table();

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Sink {
  std::string& out;
  std::size_t keep;
  std::size_t size = 0;
  void put(char c) {
    if (size < keep) out.push_back(c);
    ++size;
  }
};

}  // namespace

DecodeResult decode_quoted_printable(std::string_view in, std::string& out, std::size_t keep) {
  Sink sink{out, keep};
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = in[i];
    if (c == ' ' || c == '\t') {
      std::size_t j = i;
      while (j < n && (in[j] == ' ' || in[j] == '\t')) ++j;
      const bool at_eol = j < n && (in[j] == '\n' || (in[j] == '\r' && j + 1 < n && in[j + 1] == '\n'));
      if (!at_eol) {
        for (; i < j; ++i) sink.put(in[i]);
      }
      i = j;
      continue;
    }
    if (c == '=') {
      // Soft break, trailing blanks after '=' included (SA strips those first).
      std::size_t j = i + 1;
      while (j < n && (in[j] == ' ' || in[j] == '\t')) ++j;
      if (j < n && in[j] == '\n') {
        i = j + 1;
        continue;
      }
      if (j + 1 < n && in[j] == '\r' && in[j + 1] == '\n') {
        i = j + 2;
        continue;
      }
      if (i + 2 < n && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
        sink.put(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
        i += 3;
        continue;
      }
    }
    sink.put(c);
    ++i;
  }
  return {sink.size, false};
}

DecodeResult decode_base64(std::string_view in, std::string& out, std::size_t keep) {
  // First pass: SA takes MIME::Base64's path only when the whitespace-free text is pure
  // alphabet and a multiple of four long; otherwise its uudecode fallback.
  std::size_t symbols = 0;  // alphabet characters and '='
  bool junk = false;
  for (char ch : in) {
    const std::int8_t v = kB64[static_cast<unsigned char>(ch)];
    if (v >= 0 || v == -2) {
      ++symbols;
    } else if (v == -1) {
      junk = true;
    }
  }
  const bool fast = !junk && symbols % 4 == 0 && symbols >= 2;
  // Trailing '=' run: padding, dropped. Count it so the loop below can stop before it.
  std::size_t trailing_pad = 0;
  for (std::size_t k = in.size(); k-- > 0;) {
    const std::int8_t v = kB64[static_cast<unsigned char>(in[k])];
    if (v == -2) {
      ++trailing_pad;
    } else if (v >= 0) {
      break;
    }
  }
  std::size_t values = symbols - trailing_pad;
  if (!fast && values % 4 == 1) --values;  // unpack cannot use a lone sextet
  if (fast && values % 4 == 1) --values;   // MIME::Base64 ignores it too

  Sink sink{out, keep};
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t used = 0;
  for (std::size_t k = 0; k < in.size() && used < values; ++k) {
    std::int8_t v = kB64[static_cast<unsigned char>(in[k])];
    if (v == -1 || v == -3) continue;
    if (v == -2) v = fast ? 0 : 63;
    ++used;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      sink.put(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return {sink.size, junk};
}

void squash_crlf(std::string& s, std::size_t from) {
  std::size_t w = from;
  for (std::size_t r = from; r < s.size(); ++r) {
    if (s[r] == '\r' && r + 1 < s.size() && s[r + 1] == '\n') continue;
    s[w++] = s[r];
  }
  s.resize(w);
}

}  // namespace portcullis::mime
