// Fuzz target for DataReader and dot_stuff: the reader, under both bare-newline policies and
// a large and a tiny size limit, is fed whole, split at an input-derived point and byte by
// byte, and compared with a byte-at-a-time reference model of the framing rules; a clean
// message must survive dot_stuff and a second read unchanged (what the relay relies on).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "proxy/smtp/data_reader.hpp"

namespace portcullis::smtp::fuzz {
namespace {

struct Outcome {
  bool done = false;
  std::size_t consumed = 0;
  DataError error = DataError::kNone;
  std::string message;  // compared only when done
  std::size_t received = 0;
};

bool same(const Outcome& a, const Outcome& b) {
  return a.done == b.done && a.consumed == b.consumed && a.error == b.error &&
         a.received == b.received && (!a.done || a.message == b.message);
}

Outcome run_reader(std::string_view in, std::size_t max, BareNewline policy,
                   const std::vector<std::size_t>& pieces) {
  DataReader reader(max, policy);
  Outcome out;
  std::size_t pos = 0;
  for (std::size_t len : pieces) {
    const std::string_view piece = in.substr(pos, len);
    pos += len;
    const auto r = reader.feed(piece);
    FUZZ_CHECK(r.consumed <= piece.size());
    out.consumed += r.consumed;
    FUZZ_CHECK(reader.message().size() <= max);
    if (r.status == DataReader::Status::kDone) {
      out.done = true;
      FUZZ_CHECK(reader.feed(in.substr(pos)).consumed == 0);
      break;
    }
    FUZZ_CHECK(r.consumed == piece.size());
  }
  out.error = reader.error();
  out.message = reader.message();
  out.received = reader.received();
  return out;
}

// The framing rules one byte at a time, written independently of the reader: only CRLF
// starts a line; at a line start ".\r\n" ends the data and a single '.' is dropped; a CR not
// followed by LF and a LF not preceded by CR are bare (an error, or CRLF when normalising,
// without starting a line); NUL is an error; the stored message may not exceed `max`.
Outcome model(std::string_view in, std::size_t max, BareNewline policy) {
  Outcome out;
  auto fail = [&](DataError e) {
    if (out.error == DataError::kNone) {
      out.error = e;
      out.message.clear();
    }
  };
  auto emit = [&](std::string_view s) {
    if (out.error != DataError::kNone) return;
    if (out.message.size() + s.size() > max) {
      fail(DataError::kTooBig);
      return;
    }
    out.message.append(s);
  };
  auto bare = [&] {
    if (policy == BareNewline::kNormalize) {
      emit("\r\n");
    } else {
      fail(DataError::kBareNewline);
    }
  };
  const std::size_t n = in.size();
  std::size_t i = 0;
  bool line_start = true;
  while (i < n) {
    if (line_start) {
      line_start = false;
      if (in[i] == '.') {
        // Undecided until the bytes after the dot are known.
        if (i + 1 == n || (in[i + 1] == '\r' && i + 2 == n)) break;
        if (in.substr(i, 3) == ".\r\n") {
          out.done = true;
          out.consumed = i + 3;
          out.received = i;
          return out;
        }
        ++i;  // the stuffing dot
        continue;
      }
    }
    const char c = in[i];
    if (c == '\r') {
      if (i + 1 == n) break;  // undecided: the LF may come next
      if (in[i + 1] == '\n') {
        emit("\r\n");
        i += 2;
        line_start = true;
        continue;
      }
      bare();
    } else if (c == '\n') {
      bare();
    } else if (c == '\0') {
      fail(DataError::kNul);
    } else {
      emit(std::string_view(&in[i], 1));
    }
    ++i;
  }
  out.consumed = n;
  out.received = n;
  return out;
}

void check(std::string_view in, std::size_t max, BareNewline policy) {
  const Outcome expected = model(in, max, policy);
  const std::size_t at = split_point(in);
  FUZZ_CHECK(same(run_reader(in, max, policy, {in.size()}), expected));
  FUZZ_CHECK(same(run_reader(in, max, policy, {at, in.size() - at}), expected));
  if (in.size() <= kByteByByteMax) {
    FUZZ_CHECK(same(run_reader(in, max, policy, std::vector<std::size_t>(in.size(), 1)), expected));
  }
  if (!expected.done) return;
  if (expected.error != DataError::kNone) {
    FUZZ_CHECK(expected.message.empty());
    return;
  }
  // Nothing bare and no NUL reaches the message, under either policy.
  FUZZ_CHECK(crlf_only(expected.message));
  FUZZ_CHECK(expected.message.find('\0') == std::string::npos);
  // Relaying: re-stuffed, the message reads back identically and ends exactly at its end.
  const std::string wire = dot_stuff(expected.message);
  const Outcome relayed = run_reader(wire, max, BareNewline::kReject, {wire.size()});
  FUZZ_CHECK(relayed.done);
  FUZZ_CHECK(relayed.consumed == wire.size());
  FUZZ_CHECK(relayed.error == DataError::kNone);
  FUZZ_CHECK(relayed.message == expected.message);
}

}  // namespace
}  // namespace portcullis::smtp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis::smtp;
  using namespace portcullis::smtp::fuzz;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t tiny = size ? data[size - 1] % 64 : 0;
  for (auto policy : {BareNewline::kReject, BareNewline::kNormalize}) {
    check(in, std::size_t{1} << 20, policy);
    check(in, tiny, policy);
  }
  // dot_stuff on arbitrary bytes: the result always ends the data exactly at its end, and
  // never earlier.
  const std::string wire = dot_stuff(in);
  const Outcome once = run_reader(wire, std::size_t{1} << 20, BareNewline::kNormalize, {wire.size()});
  FUZZ_CHECK(once.done && once.consumed == wire.size());
  return 0;
}
