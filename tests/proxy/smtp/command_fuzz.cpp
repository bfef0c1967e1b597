// Fuzz target for CommandReader and parse_command: the reader is compared, whole, split at
// an input-derived point and byte by byte, with a line-by-line reference model; every line
// and the raw input go through parse_command, whose results must satisfy the grammar.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "proxy/smtp/command.hpp"

namespace portcullis::smtp::fuzz {
namespace {

struct Event {
  CommandReader::Status status;
  std::string line;
  bool operator==(const Event&) const = default;
};

std::vector<Event> run_reader(std::string_view in, std::size_t max_line, std::size_t piece) {
  CommandReader reader(max_line);
  std::vector<Event> events;
  std::string buf;
  for (std::size_t pos = 0; pos < in.size(); pos += piece) {
    buf.append(in.substr(pos, piece));
    while (!buf.empty()) {
      const auto r = reader.feed(buf);
      FUZZ_CHECK(r.consumed <= buf.size());
      if (r.status == CommandReader::Status::kNeedMore) {
        FUZZ_CHECK(r.consumed == buf.size());
        buf.clear();
        break;
      }
      FUZZ_CHECK(r.consumed > 0);
      events.push_back({r.status, r.status == CommandReader::Status::kLine
                                      ? std::string(reader.line())
                                      : std::string()});
      buf.erase(0, r.consumed);
    }
  }
  return events;
}

std::vector<Event> run_split(std::string_view in, std::size_t max_line, std::size_t at) {
  // Two feeds at `at`, the way a session appends a second read to its buffer.
  CommandReader reader(max_line);
  std::vector<Event> events;
  std::string buf(in.substr(0, at));
  bool second = false;
  while (true) {
    while (!buf.empty()) {
      const auto r = reader.feed(buf);
      FUZZ_CHECK(r.consumed <= buf.size());
      if (r.status == CommandReader::Status::kNeedMore) {
        buf.clear();
        break;
      }
      events.push_back({r.status, r.status == CommandReader::Status::kLine
                                      ? std::string(reader.line())
                                      : std::string()});
      buf.erase(0, r.consumed);
    }
    if (second) break;
    second = true;
    buf.append(in.substr(at));
  }
  return events;
}

// The rules, stated line by line: only CRLF ends a good line; a line ending in bare LF or
// holding a CR that is not part of its final CRLF is a bare-newline error; a good line over
// max_line octets (with CRLF) is too long; an unterminated tail yields nothing.
std::vector<Event> model(std::string_view in, std::size_t max_line) {
  std::vector<Event> events;
  std::size_t start = 0;
  while (true) {
    const std::size_t lf = in.find('\n', start);
    if (lf == std::string_view::npos) break;
    std::string_view line = in.substr(start, lf - start);
    start = lf + 1;
    const bool crlf = !line.empty() && line.back() == '\r';
    if (crlf) line.remove_suffix(1);
    if (!crlf || line.find('\r') != std::string_view::npos) {
      events.push_back({CommandReader::Status::kBareNewline, ""});
    } else if (line.size() + 2 > max_line) {
      events.push_back({CommandReader::Status::kTooLong, ""});
    } else {
      events.push_back({CommandReader::Status::kLine, std::string(line)});
    }
  }
  return events;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

void check_reply(const Reply& r) {
  FUZZ_CHECK(r.lines.size() == 1);
  const std::string wire = r.serialize();
  FUZZ_CHECK(wire.size() >= 2 && wire.find("\r\n") == wire.size() - 2);
  FUZZ_CHECK(wire.find('\n') == wire.size() - 1);
}

void check_parse(std::string_view line) {
  const CommandParse p = parse_command(line);
  if (!p.ok) {
    FUZZ_CHECK(p.error.code == 500 || p.error.code == 501);
    check_reply(p.error);
    return;
  }
  const Command& c = p.command;
  FUZZ_CHECK(c.verb != Verb::kUnknown);
  FUZZ_CHECK(line.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos);
  FUZZ_CHECK(line.substr(0, c.verb_text.size()) == c.verb_text);
  switch (c.verb) {
    case Verb::kHelo:
    case Verb::kEhlo:
      FUZZ_CHECK(!c.argument.empty());
      FUZZ_CHECK(c.argument.find(' ') == std::string::npos);
      break;
    case Verb::kMail:
    case Verb::kRcpt: {
      if (c.path.empty()) {
        FUZZ_CHECK(c.verb == Verb::kMail);
      } else {
        FUZZ_CHECK(valid_mailbox(c.path) || (c.verb == Verb::kRcpt && iequals(c.path, "postmaster")));
      }
      bool non_ascii = false;
      for (char ch : c.path) non_ascii |= static_cast<unsigned char>(ch) >= 0x80;
      FUZZ_CHECK(non_ascii == c.path_non_ascii);
      for (const auto& param : c.params) {
        FUZZ_CHECK(!param.keyword.empty());
        for (char ch : param.keyword) {
          FUZZ_CHECK((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-');
        }
        if (param.value) {
          FUZZ_CHECK(!param.value->empty());
          FUZZ_CHECK(param.value->find_first_of("= ") == std::string::npos);
        }
      }
      break;
    }
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStarttls:
      FUZZ_CHECK(line.find_first_not_of(' ', c.verb_text.size()) == std::string_view::npos);
      break;
    default:
      break;
  }
}

void check_mailbox(std::string_view s) {
  if (valid_mailbox(s)) {
    FUZZ_CHECK(s.find('@') != std::string_view::npos);
    FUZZ_CHECK(s.find_first_of(std::string_view("\0\r\n\t", 4)) == std::string_view::npos);
    // A valid mailbox in a well-formed command parses back to itself.
    for (std::string_view prefix : {"MAIL FROM:<", "RCPT TO:<"}) {
      const std::string line = std::string(prefix) + std::string(s) + ">";
      const CommandParse p = parse_command(line);
      FUZZ_CHECK(p.ok);
      FUZZ_CHECK(p.command.path == s);
    }
  }
  if (valid_domain_or_literal(s)) {
    FUZZ_CHECK(!s.empty());
    FUZZ_CHECK(s.find_first_of(std::string_view("\0\r\n\t @", 6)) == std::string_view::npos);
    if (s.front() != '[') {
      FUZZ_CHECK(s.size() <= 255);
      FUZZ_CHECK(s.find("..") == std::string_view::npos);
      FUZZ_CHECK(s.front() != '.' && s.back() != '.');
      FUZZ_CHECK(valid_mailbox("a@" + std::string(s)));
    }
  }
}

}  // namespace
}  // namespace portcullis::smtp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis::smtp;
  using namespace portcullis::smtp::fuzz;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t small_limit = size ? data[size - 1] % 42 : 0;
  for (std::size_t max_line : {std::size_t{512}, small_limit}) {
    const auto expected = model(in, max_line);
    FUZZ_CHECK(run_reader(in, max_line, in.size() ? in.size() : 1) == expected);
    FUZZ_CHECK(run_split(in, max_line, split_point(in)) == expected);
    if (size <= kByteByByteMax) FUZZ_CHECK(run_reader(in, max_line, 1) == expected);
    for (const auto& e : expected) {
      if (e.status != CommandReader::Status::kLine) continue;
      FUZZ_CHECK(e.line.size() + 2 <= max_line);
      check_parse(e.line);
    }
  }
  // The parser on its own, with whatever the input holds (CR, LF, NUL included).
  check_parse(in);
  check_mailbox(in);
  return 0;
}
