#include "filters/mime/body_render.hpp"

#include "filters/mime/utf8.hpp"

namespace portcullis::mime {

namespace {

// Cuts `text` after the first `c` at or after `from` if that lies within 1 KiB of it.
bool cut_at(std::string& text, std::size_t from, char c) {
  const std::size_t idx = text.find(c, from);
  if (idx == std::string::npos || idx - from > 1024) return false;
  text.resize(idx + 1);
  return true;
}

}  // namespace

void truncate_rendered_part(std::string& text, std::size_t scan_chars) {
  if (scan_chars == 0 || text.size() <= scan_chars) return;  // bytes >= chars
  const std::size_t at = utf8_prefix_bytes(text, scan_chars);
  if (at >= text.size()) return;
  if (cut_at(text, at, '\n') || cut_at(text, at, ' ')) return;
  text.resize(at);
}

void truncate_raw_part(std::string& text, std::size_t scan_bytes) {
  if (scan_bytes == 0 || text.size() <= scan_bytes) return;
  if (cut_at(text, scan_bytes, '\n') || cut_at(text, scan_bytes, '>') ||
      cut_at(text, scan_bytes, ' ')) {
    return;
  }
  text.resize(utf8_floor(text, scan_bytes));
}

void append_collapsed(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size());
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    // Plain characters: copy.
    if (c >= 0x21 && c < 0x7F) {
      const std::size_t start = i;
      while (i < n) {
        const auto d = static_cast<unsigned char>(s[i]);
        if (d < 0x21 || d >= 0x7F) break;
        ++i;
      }
      out.append(s.substr(start, i - start));
      continue;
    }
    std::size_t len = 1;
    char32_t cp = c;
    if (c >= 0x80) {
      len = utf8_sequence_length(s, i);
      if (len == 0) len = 1;  // cannot happen on valid input; treat as a character
      cp = decode_code_point(s, i, len);
    }
    if (c == 0) {
      out.push_back('\n');
      i += 1;
      continue;
    }
    if (!is_unicode_space(cp)) {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    // A whitespace run: where are its first and last newline?
    const std::size_t run_start = i;
    std::size_t first_nl = std::string_view::npos;
    std::size_t last_nl = 0;
    std::size_t newlines = 0;
    while (i < n) {
      const auto d = static_cast<unsigned char>(s[i]);
      std::size_t l = 1;
      char32_t p = d;
      if (d >= 0x80) {
        l = utf8_sequence_length(s, i);
        if (l == 0) break;
        p = decode_code_point(s, i, l);
      }
      if (!is_unicode_space(p)) break;
      if (d == '\n') {
        if (first_nl == std::string_view::npos) first_nl = i;
        last_nl = i;
        ++newlines;
      }
      i += l;
    }
    if (newlines >= 2) {
      if (first_nl > run_start) out.push_back(' ');
      out.push_back('\n');
      if (last_nl + 1 < i) out.push_back(' ');
    } else {
      out.push_back(' ');
    }
  }
}

void append_short_lines(std::string& out, std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl + 1 - pos);
    pos += line.size();
    while (line.size() > kMaxBodyLineLength) {
      // rindex($line, ' ', 2048) + 1, or 2048 when there is no space.
      std::size_t cut = 0;
      const std::size_t sp = line.rfind(' ', kMaxBodyLineLength);
      if (sp != std::string_view::npos) {
        cut = sp + 1;
      } else {
        cut = utf8_floor(line, kMaxBodyLineLength);
        if (cut == 0) cut = kMaxBodyLineLength;
      }
      out.append(line.substr(0, cut));
      out.push_back('\n');
      line.remove_prefix(cut);
    }
    out.append(line);
  }
}

}  // namespace portcullis::mime
