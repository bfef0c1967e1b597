// Test drivers for the incremental SMTP parsers: feed an input whole, byte by byte and in
// random pieces the way a session does (append what arrived, feed the buffer, drop what was
// consumed), and record everything observable so the runs can be compared for equality.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/smtp/command.hpp"
#include "proxy/smtp/data_reader.hpp"
#include "proxy/smtp/reply.hpp"

namespace portcullis::smtp {
// gtest printer, so a failed comparison shows the reply rather than its bytes.
inline void PrintTo(const Reply& reply, std::ostream* os);
}  // namespace portcullis::smtp

namespace portcullis::smtp::test {

using Chunks = std::vector<std::size_t>;

// Whole, byte by byte, and several seeded random splittings of an input of n bytes.
inline std::vector<Chunks> splittings(std::size_t n) {
  std::vector<Chunks> out;
  out.push_back(Chunks{n});
  out.push_back(Chunks(n, 1));
  for (unsigned seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed * 7919u + static_cast<unsigned>(n));
    const std::size_t max_piece = seed % 2 ? 7 : (n / 3 + 1);
    std::uniform_int_distribution<std::size_t> piece(1, max_piece);
    Chunks c;
    for (std::size_t left = n; left > 0;) {
      const std::size_t k = std::min(left, piece(rng));
      c.push_back(k);
      left -= k;
    }
    out.push_back(std::move(c));
  }
  return out;
}

inline std::string describe(const Chunks& c) {
  if (c.size() == 1) return "whole";
  std::string s = "pieces:";
  for (std::size_t i = 0; i < c.size() && i < 40; ++i) s += " " + std::to_string(c[i]);
  if (c.size() > 40) s += " …";
  return s;
}

// Escapes control bytes so failures are readable.
inline std::string visible(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  if (out.size() > 300) out = out.substr(0, 300) + "…(" + std::to_string(s.size()) + " bytes)";
  return out;
}

// Every CR is followed by LF and every LF preceded by CR.
inline bool crlf_only(std::string_view m) {
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\r' && (i + 1 >= m.size() || m[i + 1] != '\n')) return false;
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) return false;
  }
  return true;
}

// ---- CommandReader ----
struct LineEvent {
  CommandReader::Status status;
  std::string line;  // kLine only
  bool operator==(const LineEvent&) const = default;
};
inline std::ostream& operator<<(std::ostream& os, const LineEvent& e) {
  static const char* kNames[] = {"kNeedMore", "kLine", "kTooLong", "kBareNewline"};
  return os << kNames[static_cast<int>(e.status)] << "(" << visible(e.line) << ")";
}
struct CommandRun {
  std::vector<LineEvent> events;
  std::size_t buffered = 0;  // bytes left in the caller's buffer at the end (must be 0)
  bool operator==(const CommandRun&) const = default;
};
inline std::ostream& operator<<(std::ostream& os, const CommandRun& r) {
  os << "{";
  for (const auto& e : r.events) os << e << " ";
  return os << "buffered=" << r.buffered << "}";
}

inline CommandRun run_commands(std::string_view input, const Chunks& chunks,
                               std::size_t max_line = 512) {
  CommandReader reader(max_line);
  CommandRun run;
  std::string buf;
  std::size_t pos = 0;
  for (std::size_t len : chunks) {
    buf.append(input.substr(pos, len));
    pos += len;
    while (!buf.empty()) {
      const auto r = reader.feed(buf);
      EXPECT_LE(r.consumed, buf.size());
      if (r.status == CommandReader::Status::kNeedMore) {
        EXPECT_EQ(r.consumed, buf.size()) << "kNeedMore must consume everything";
        buf.erase(0, r.consumed);
        break;
      }
      if (r.consumed == 0) {
        ADD_FAILURE() << "event without progress";
        return run;
      }
      run.events.push_back({r.status, r.status == CommandReader::Status::kLine
                                          ? std::string(reader.line())
                                          : std::string()});
      buf.erase(0, r.consumed);
    }
  }
  run.buffered = buf.size();
  return run;
}

// ---- DataReader ----
struct DataRun {
  bool done = false;
  std::size_t consumed = 0;
  DataError error = DataError::kNone;
  std::string message;
  std::size_t received = 0;
  bool operator==(const DataRun&) const = default;
};
inline std::ostream& operator<<(std::ostream& os, const DataRun& r) {
  return os << "{done=" << r.done << " consumed=" << r.consumed
            << " error=" << static_cast<int>(r.error) << " received=" << r.received
            << " message=\"" << visible(r.message) << "\"}";
}

inline DataRun run_data(std::string_view input, const Chunks& chunks, std::size_t max_size,
                        BareNewline policy) {
  DataReader reader(max_size, policy);
  DataRun run;
  std::size_t pos = 0;
  for (std::size_t len : chunks) {
    const std::string_view piece = input.substr(pos, len);
    pos += len;
    const auto r = reader.feed(piece);
    EXPECT_LE(r.consumed, piece.size());
    run.consumed += r.consumed;
    if (r.status == DataReader::Status::kDone) {
      run.done = true;
      break;
    }
    EXPECT_EQ(r.consumed, piece.size()) << "kNeedMore must consume everything";
  }
  run.error = reader.error();
  run.message = reader.message();
  run.received = reader.received();
  return run;
}

// ---- ReplyParser ----
struct ReplyRun {
  std::vector<Reply> replies;
  bool error = false;
  std::string error_text;
  std::size_t consumed = 0;  // total bytes used (stops at the error)
  bool operator==(const ReplyRun&) const = default;
};
inline std::ostream& operator<<(std::ostream& os, const ReplyRun& r) {
  os << "{";
  for (const auto& rep : r.replies) os << visible(rep.serialize()) << " | ";
  return os << "error=" << r.error << " (" << r.error_text << ") consumed=" << r.consumed << "}";
}

inline ReplyRun run_replies(std::string_view input, const Chunks& chunks,
                            const Limits& limits = Limits{}) {
  ReplyParser parser(limits);
  ReplyRun run;
  std::string buf;
  std::size_t pos = 0;
  for (std::size_t len : chunks) {
    buf.append(input.substr(pos, len));
    pos += len;
    while (!buf.empty()) {
      const auto r = parser.feed(buf);
      EXPECT_LE(r.consumed, buf.size());
      run.consumed += r.consumed;
      if (r.status == ReplyParser::Status::kError) {
        run.error = true;
        run.error_text = parser.error();
        return run;
      }
      buf.erase(0, r.consumed);
      if (r.status == ReplyParser::Status::kNeedMore) break;
      run.replies.push_back(parser.take());
    }
  }
  return run;
}

// Runs `run(input, chunks)` for every splitting and expects the same result as whole.
template <typename Run>
auto same_for_all_splits(std::string_view input, Run run) {
  const auto whole = run(input, Chunks{input.size()});
  for (const auto& chunks : splittings(input.size())) {
    const auto split = run(input, chunks);
    EXPECT_EQ(split, whole) << "input \"" << visible(input) << "\" fed " << describe(chunks);
  }
  return whole;
}

inline CommandRun commands(std::string_view input, std::size_t max_line = 512) {
  return same_for_all_splits(
      input, [&](std::string_view in, const Chunks& c) { return run_commands(in, c, max_line); });
}
inline DataRun data(std::string_view input, BareNewline policy = BareNewline::kReject,
                    std::size_t max_size = 1 << 20) {
  return same_for_all_splits(input, [&](std::string_view in, const Chunks& c) {
    return run_data(in, c, max_size, policy);
  });
}
inline ReplyRun replies(std::string_view input, const Limits& limits = Limits{}) {
  return same_for_all_splits(
      input, [&](std::string_view in, const Chunks& c) { return run_replies(in, c, limits); });
}

}  // namespace portcullis::smtp::test

inline void portcullis::smtp::PrintTo(const Reply& reply, std::ostream* os) {
  *os << "Reply{" << reply.code << ", \"" << test::visible(reply.serialize()) << "\"}";
}
