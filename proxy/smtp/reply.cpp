#include "proxy/smtp/reply.hpp"

#include <charconv>
#include <cstring>
#include <utility>

namespace portcullis::smtp {
namespace {

bool is_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

// Text that reaches the wire must never carry a line break: a CR or LF from a filter's reason
// or a backend's text would start a second reply line the client reads as a new reply.
void append_sanitized(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_control(static_cast<unsigned char>(text[i]))) {
      out.append(text.data() + start, i - start);
      out.push_back(' ');
      start = i + 1;
    }
  }
  out.append(text.data() + start, text.size() - start);
}

void append_code(std::string& out, int code) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, code);
  (void)ec;  // an int always fits in 16 chars
  out.append(buf, end);
}

}  // namespace

std::string Reply::serialize() const {
  std::string out;
  std::size_t total = 8;
  for (const auto& line : lines) total += line.size() + 8;
  out.reserve(total);
  if (lines.empty()) {
    append_code(out, code);
    out += "\r\n";
    return out;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    append_code(out, code);
    out.push_back(i + 1 < lines.size() ? '-' : ' ');
    append_sanitized(out, lines[i]);
    out += "\r\n";
  }
  return out;
}

Reply make_reply(int code, std::string_view enhanced, std::string_view text) {
  Reply reply;
  reply.code = code;
  std::string line;
  line.reserve(enhanced.size() + 1 + text.size());
  if (!enhanced.empty()) {
    append_sanitized(line, enhanced);
    if (!text.empty()) line.push_back(' ');
  }
  append_sanitized(line, text);
  reply.lines.push_back(std::move(line));
  return reply;
}

ReplyParser::ReplyParser(const Limits& limits)
    : max_line_(limits.max_reply_line), max_lines_(limits.max_reply_lines) {}

ReplyParser::Result ReplyParser::feed(std::string_view in) {
  if (done_) return {Status::kOk, 0};
  if (failed_) return {Status::kError, 0};
  std::size_t i = 0;
  while (i < in.size()) {
    const void* lf = std::memchr(in.data() + i, '\n', in.size() - i);
    const std::size_t end =
        lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - in.data()) : in.size();
    // The LF still to come counts too: a line may use at most max_line_ octets with its CRLF,
    // and nothing beyond that is ever buffered.
    if (line_.size() + (end - i) + 1 > max_line_) {
      // Report the error at the first octet that does not fit, so the position is the same
      // however the input was split.
      const std::size_t room = line_.size() + 1 < max_line_ ? max_line_ - 1 - line_.size() : 0;
      fail("reply line too long");
      return {Status::kError, i + room};
    }
    line_.append(in.data() + i, end - i);
    if (!lf) break;
    i = end + 1;
    if (!finish_line()) return {Status::kError, i};
    if (done_) return {Status::kOk, i};
  }
  return {Status::kNeedMore, in.size()};
}

bool ReplyParser::finish_line() {
  if (line_.empty() || line_.back() != '\r') return fail("bare LF in reply");
  line_.pop_back();
  if (line_.find('\r') != std::string::npos) return fail("bare CR in reply");
  if (line_.size() < 3 || line_[0] < '2' || line_[0] > '5' || line_[1] < '0' ||
      line_[1] > '9' || line_[2] < '0' || line_[2] > '9') {
    return fail("malformed reply code");
  }
  const int code = (line_[0] - '0') * 100 + (line_[1] - '0') * 10 + (line_[2] - '0');
  if (line_.size() > 3 && line_[3] != ' ' && line_[3] != '-') {
    return fail("malformed reply separator");
  }
  if (!reply_.lines.empty() && code != reply_.code) return fail("multiline code mismatch");
  if (reply_.lines.size() >= max_lines_) return fail("too many reply lines");
  const bool more = line_.size() > 3 && line_[3] == '-';
  reply_.code = code;
  reply_.lines.emplace_back(line_.size() > 4 ? std::string_view(line_).substr(4)
                                             : std::string_view());
  line_.clear();
  if (!more) done_ = true;
  return true;
}

bool ReplyParser::fail(const char* why) {
  failed_ = true;
  error_ = why;
  line_.clear();
  return false;
}

Reply ReplyParser::take() {
  Reply out = std::move(reply_);
  reset();
  return out;
}

void ReplyParser::reset() {
  line_.clear();
  reply_ = Reply{};
  error_.clear();
  done_ = false;
  failed_ = false;
}

}  // namespace portcullis::smtp
