#include "proxy/smtp/data_reader.hpp"

#include <algorithm>
#include <cstring>

namespace portcullis::smtp {
namespace {

// Keeps a buffer this large between messages; a bigger one (after a large message) is
// released so that thousands of idle sessions do not each hold their largest message.
constexpr std::size_t kKeepCapacity = 64 * 1024;

// Next position of one byte value in [from, n), memoised: the hot loop asks for the next
// CR, LF and NUL again and again, and each memchr must scan every byte at most once per
// feed, or a long line would be rescanned for every line break before it.
class NextByte {
 public:
  NextByte(const char* p, std::size_t n, char c) : p_(p), n_(n), c_(c) {}
  std::size_t from(std::size_t i) {
    if (pos_ < i || !valid_) {
      const void* hit = i < n_ ? std::memchr(p_ + i, c_, n_ - i) : nullptr;
      pos_ = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - p_) : n_;
      valid_ = true;
    }
    return pos_;
  }

 private:
  const char* p_;
  std::size_t n_;
  char c_;
  std::size_t pos_ = 0;
  bool valid_ = false;
};

}  // namespace

Reply data_error_reply(DataError error) {
  switch (error) {
    case DataError::kTooBig:
      return make_reply(552, "5.3.4", "Error: message too large");
    case DataError::kBareNewline:
      return make_reply(550, "5.5.2", "Error: bare <CR> or <LF> in message");
    case DataError::kNul:
      return make_reply(550, "5.6.0", "Error: NUL character in message");
    case DataError::kNone:
      break;
  }
  return make_reply(250, "2.0.0", "Ok");
}

DataReader::DataReader(std::size_t max_message_size, BareNewline policy)
    : max_size_(max_message_size), policy_(policy) {}

void DataReader::reset() {
  if (message_.capacity() > kKeepCapacity) {
    std::string().swap(message_);
  } else {
    message_.clear();
  }
  error_ = DataError::kNone;
  received_ = 0;
  state_ = State::kLineStart;
}

void DataReader::fail(DataError error) {
  if (error_ != DataError::kNone) return;  // the first error is the one reported
  error_ = error;
  std::string().swap(message_);
}

void DataReader::store(const char* bytes, std::size_t n) {
  if (error_ != DataError::kNone || n == 0) return;
  if (n > max_size_ - std::min(max_size_, message_.size())) {
    fail(DataError::kTooBig);
    return;
  }
  message_.append(bytes, n);
}

void DataReader::bare_newline() {
  if (policy_ == BareNewline::kNormalize) {
    store("\r\n", 2);
  } else {
    fail(DataError::kBareNewline);
  }
}

DataReader::Result DataReader::feed(std::string_view in) {
  if (state_ == State::kDone) return {Status::kDone, 0};
  const char* p = in.data();
  const std::size_t n = in.size();
  NextByte next_cr(p, n, '\r');
  NextByte next_lf(p, n, '\n');
  NextByte next_nul(p, n, '\0');
  std::size_t i = 0;
  std::size_t run = 0;  // in[run, i) is content still to be stored verbatim
  while (i < n) {
    switch (state_) {
      case State::kLineStart:
        if (p[i] == '.') {
          store(p + run, i - run);  // the stuffing dot itself is dropped
          ++i;
          run = i;
          state_ = State::kDot;
        } else {
          state_ = State::kMid;
        }
        break;
      case State::kDot:
        if (p[i] == '\r') {
          ++i;
          run = i;  // CR held back: it is either part of the terminator or a bare CR
          state_ = State::kDotCr;
        } else {
          state_ = State::kMid;
        }
        break;
      case State::kDotCr:
        if (p[i] == '\n') {
          ++i;
          state_ = State::kDone;
          received_ += i;
          received_ -= 3;  // ".\r\n" is the terminator, not message
          return {Status::kDone, i};
        }
        bare_newline();
        state_ = State::kMid;
        break;
      case State::kCr:
        if (p[i] == '\n') {
          store("\r\n", 2);
          ++i;
          run = i;
          state_ = State::kLineStart;
        } else {
          bare_newline();
          state_ = State::kMid;
        }
        break;
      case State::kMid: {
        const std::size_t j =
            std::min({next_cr.from(i), next_lf.from(i),
                      error_ == DataError::kNone ? next_nul.from(i) : n});
        if (j == n) {
          i = n;
          break;
        }
        if (p[j] == '\r') {
          if (j + 1 < n && p[j + 1] == '\n') {
            // The common case: CRLF stays in the verbatim run, no copy yet.
            i = j + 2;
            state_ = State::kLineStart;
          } else if (j + 1 == n) {
            store(p + run, j - run);
            i = n;
            run = n;
            state_ = State::kCr;
          } else {
            store(p + run, j - run);
            bare_newline();
            i = j + 1;
            run = i;
          }
        } else if (p[j] == '\n') {
          // A bare LF; when normalised it becomes CRLF but does not start a line, so a
          // following "." is content and "\n.\n" can never end the message.
          store(p + run, j - run);
          bare_newline();
          i = j + 1;
          run = i;
        } else {
          store(p + run, j - run);
          fail(DataError::kNul);
          i = j + 1;
          run = i;
        }
        break;
      }
      case State::kDone:
        return {Status::kDone, 0};  // unreachable: handled before the loop
    }
  }
  store(p + run, n - run);
  received_ += n;
  return {Status::kNeedMore, n};
}

std::string dot_stuff(std::string_view message) {
  if (message.empty()) return ".\r\n";  // (memchr must not see a null pointer)
  const char* p = message.data();
  const std::size_t n = message.size();
  // A dot needs doubling at the start and after any line break. After CRLF that is the rule;
  // after a bare CR or LF (which the reader never produces) it keeps a peer that takes them
  // for line ends from finding an early terminator.
  auto needs_stuffing = [&](std::size_t dot) {
    return dot == 0 || p[dot - 1] == '\n' || p[dot - 1] == '\r';
  };
  auto next_dot = [&](std::size_t from) -> std::size_t {
    const void* hit = from < n ? std::memchr(p + from, '.', n - from) : nullptr;
    return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - p) : n;
  };
  // Count first so the copy is one allocation: messages are up to tens of MB.
  std::size_t extra = 0;
  for (std::size_t d = next_dot(0); d < n; d = next_dot(d + 1)) extra += needs_stuffing(d);
  std::string out;
  out.reserve(n + extra + 5);
  std::size_t run = 0;
  for (std::size_t d = next_dot(0); d < n && extra > 0; d = next_dot(d + 1)) {
    if (!needs_stuffing(d)) continue;
    out.append(p + run, d - run);
    out.push_back('.');
    run = d;  // the original dot starts the next run
    --extra;
  }
  out.append(p + run, n - run);
  if (!(n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n')) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace portcullis::smtp
