// Fuzz target for ReplyParser and reply formatting: a stream of backend replies is parsed
// whole, split at an input-derived point and byte by byte, and compared with a line-by-line
// reference model; every parsed reply must serialize and parse back to itself; make_reply
// must never emit more than one line whatever text it is given.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "proxy/smtp/reply.hpp"

namespace portcullis::smtp::fuzz {
namespace {

struct Outcome {
  std::vector<Reply> replies;
  std::string error;  // empty: no error
  std::size_t consumed = 0;
  bool operator==(const Outcome&) const = default;
};

// Feeds `in` in the given pieces the way a backend client does.
Outcome run_parser(std::string_view in, const Limits& limits, const std::vector<std::size_t>& pieces) {
  ReplyParser parser(limits);
  Outcome out;
  std::string buf;
  std::size_t pos = 0;
  for (std::size_t len : pieces) {
    buf.append(in.substr(pos, len));
    pos += len;
    while (!buf.empty()) {
      const auto r = parser.feed(buf);
      FUZZ_CHECK(r.consumed <= buf.size());
      out.consumed += r.consumed;
      if (r.status == ReplyParser::Status::kError) {
        out.error = parser.error();
        FUZZ_CHECK(!out.error.empty());
        return out;
      }
      if (r.status == ReplyParser::Status::kNeedMore) {
        FUZZ_CHECK(r.consumed == buf.size());
        buf.clear();
        break;
      }
      buf.erase(0, r.consumed);
      out.replies.push_back(parser.take());
    }
  }
  return out;
}

// The rules, line by line; on an error `consumed` is where the parser must report it.
Outcome model(std::string_view in, const Limits& limits) {
  Outcome out;
  Reply current;
  std::size_t start = 0;
  while (start < in.size()) {
    const std::size_t lf = in.find('\n', start);
    const std::size_t body = (lf == std::string_view::npos ? in.size() : lf) - start;
    if (body + 1 > limits.max_reply_line) {
      out.error = "reply line too long";
      // Stopped at the first octet that does not fit.
      out.consumed = start + (limits.max_reply_line > 0 ? limits.max_reply_line - 1 : 0);
      return out;
    }
    if (lf == std::string_view::npos) break;
    std::string_view line = in.substr(start, lf - start);
    start = lf + 1;
    out.consumed = start;  // where any error found in this line is reported
    if (line.empty() || line.back() != '\r') {
      out.error = "bare LF in reply";
      return out;
    }
    line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) {
      out.error = "bare CR in reply";
      return out;
    }
    if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
        line[2] < '0' || line[2] > '9') {
      out.error = "malformed reply code";
      return out;
    }
    const int code = std::stoi(std::string(line.substr(0, 3)));
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') {
      out.error = "malformed reply separator";
      return out;
    }
    if (!current.lines.empty() && code != current.code) {
      out.error = "multiline code mismatch";
      return out;
    }
    if (current.lines.size() >= limits.max_reply_lines) {
      out.error = "too many reply lines";
      return out;
    }
    current.code = code;
    current.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
    if (!(line.size() > 3 && line[3] == '-')) {
      out.replies.push_back(std::move(current));
      current = Reply{};
    }
  }
  out.consumed = in.size();
  return out;
}

bool same(const Outcome& a, const Outcome& b) { return a == b; }

void check_reply(const Reply& r, const Limits& limits) {
  FUZZ_CHECK(r.code >= 200 && r.code <= 599);
  FUZZ_CHECK(!r.lines.empty() && r.lines.size() <= limits.max_reply_lines);
  for (const auto& line : r.lines) {
    FUZZ_CHECK(line.size() + 6 <= limits.max_reply_line);
    FUZZ_CHECK(line.find_first_of("\r\n") == std::string::npos);
  }
  // Serialising filters control characters; parsing that back gives the same wire form.
  const std::string wire = r.serialize();
  Limits roomy = limits;
  roomy.max_reply_line = limits.max_reply_line + 1;  // "250\r\n" becomes "250 \r\n"
  const Outcome back = run_parser(wire, roomy, {wire.size()});
  FUZZ_CHECK(back.error.empty());
  FUZZ_CHECK(back.replies.size() == 1);
  FUZZ_CHECK(back.consumed == wire.size());
  FUZZ_CHECK(back.replies[0].serialize() == wire);
}

}  // namespace
}  // namespace portcullis::smtp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis::smtp;
  using namespace portcullis::smtp::fuzz;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  Limits small;
  small.max_reply_line = 8 + (size ? data[size - 1] % 56 : 0);
  small.max_reply_lines = 1 + (size > 1 ? data[size - 2] % 6 : 0);
  for (const Limits& limits : {Limits{}, small}) {
    const Outcome expected = model(in, limits);
    const std::size_t at = split_point(in);
    FUZZ_CHECK(same(run_parser(in, limits, {in.size()}), expected));
    FUZZ_CHECK(same(run_parser(in, limits, {at, in.size() - at}), expected));
    if (size <= kByteByByteMax) {
      FUZZ_CHECK(same(run_parser(in, limits, std::vector<std::size_t>(in.size(), 1)), expected));
    }
    for (const Reply& r : expected.replies) check_reply(r, limits);
  }

  // Our own replies: any text, always exactly one line.
  const std::size_t cut = split_point(in) % 8;
  const Reply own = make_reply(550, in.substr(0, cut), in.substr(cut));
  const std::string wire = own.serialize();
  FUZZ_CHECK(wire.find('\n') == wire.size() - 1);
  FUZZ_CHECK(wire.find('\r') == wire.size() - 2);
  Limits roomy;
  roomy.max_reply_line = wire.size();
  const Outcome back = run_parser(wire, roomy, {wire.size()});
  FUZZ_CHECK(back.error.empty() && back.replies.size() == 1);
  return 0;
}
