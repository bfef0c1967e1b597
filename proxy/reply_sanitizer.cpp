#include "proxy/reply_sanitizer.hpp"

#include <cctype>
#include <string>
#include <string_view>

namespace portcullis::proxy {

namespace {

constexpr std::size_t kMaxLineText = 400;
constexpr std::size_t kMaxLines = 10;

bool expected_code(int code, BackendStage stage) {
  if (code >= 400 && code < 600) return true;
  switch (stage) {
    case BackendStage::kDataCommand:
      return code == 354;
    case BackendStage::kRcpt:
      return code == 250 || code == 251 || code == 252;
    case BackendStage::kMail:
    case BackendStage::kDataEnd:
    case BackendStage::kRset:
      return code == 250;
  }
  return false;
}

// "d.d{1,3}.d{1,3}" whose class digit agrees with the reply code.
std::size_t enhanced_code_length(std::string_view text, int code) {
  std::size_t i = 0;
  if (text.empty() || text[0] - '0' != code / 100) return 0;
  i = 1;
  for (int part = 0; part < 2; ++part) {
    if (i >= text.size() || text[i] != '.') return 0;
    ++i;
    std::size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && digits < 3) {
      ++i;
      ++digits;
    }
    if (digits == 0) return 0;
  }
  if (i < text.size() && text[i] != ' ') return 0;
  return i;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxLineText));
  for (char c : text) {
    if (out.size() >= kMaxLineText) break;
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  return out;
}

}  // namespace

smtp::Reply sanitize_backend_reply(const smtp::Reply& reply, BackendStage stage) {
  if (!expected_code(reply.code, stage)) {
    return smtp::make_reply(451, "4.3.0", "Error: unexpected reply from the mail server");
  }
  smtp::Reply out;
  out.code = reply.code;
  std::string default_enhanced = std::to_string(reply.code / 100) + ".0.0";
  std::string enhanced;
  for (std::size_t i = 0; i < reply.lines.size() && i < kMaxLines; ++i) {
    std::string line = printable(reply.lines[i]);
    std::size_t len = enhanced_code_length(line, reply.code);
    if (len > 0) {
      if (enhanced.empty()) enhanced = line.substr(0, len);
      out.lines.push_back(std::move(line));
    } else {
      const std::string& prefix = enhanced.empty() ? default_enhanced : enhanced;
      out.lines.push_back(line.empty() ? prefix : prefix + " " + line);
    }
  }
  if (out.lines.empty()) out.lines.push_back(default_enhanced);
  return out;
}

}  // namespace portcullis::proxy
