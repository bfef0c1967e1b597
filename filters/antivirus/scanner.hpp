// The two ways the antivirus filter reaches ClamAV, behind one interface: libclamav in
// process (a compiled engine shared by every session and thread) or a clamd daemon over its
// INSTREAM protocol. A scanner never throws for a scan problem: it answers kError with a
// reason (printable, ours or ClamAV's text, never message content).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "filters/api/blocking_pool.hpp"

namespace portcullis::filters::antivirus {

struct ScanResult {
  enum class Kind { kClean, kFound, kError };
  Kind kind = Kind::kClean;
  std::string text;  // kFound: the signature name as reported; kError: the reason
};

// What a reported name means (after strip_unofficial).
enum class Finding {
  kVirus,      // a signature hit
  kEncrypted,  // Heuristics.Encrypted.* (an encrypted archive or document)
  kLimit,      // Heuristics.Limits.Exceeded.*: a scan limit was hit, the scan is incomplete
  kHeuristic,  // any other Heuristics.* alert
};
Finding classify(std::string_view name);
// "Name.UNOFFICIAL" (a signature from an unsigned database) → "Name".
std::string_view strip_unofficial(std::string_view name);

class Scanner {
 public:
  virtual ~Scanner() = default;
  // `message` must stay valid until the returned awaitable completes. libclamav runs on
  // `pool` when non-null (inline otherwise); clamd ignores it (asynchronous I/O).
  virtual boost::asio::awaitable<ScanResult> scan(std::string_view message,
                                                  BlockingPool* pool) const = 0;
};

// libclamav engine limits (CL_ENGINE_MAX_*).
struct Limits {
  std::uint64_t max_scan_size = 100ull << 20;
  std::uint64_t max_file_size = 25ull << 20;
  std::uint32_t max_recursion = 16;
  std::uint32_t max_files = 10'000;
  std::chrono::milliseconds scan_timeout{60'000};
};

// Loads and compiles every signature file in `directory` (cl_load, CL_DB_STDOPT). On
// failure returns null and sets `error` to ClamAV's text. Logs load time and count at info.
std::shared_ptr<const Scanner> load_clamav(const std::string& directory, const Limits& limits,
                                           std::string& error);

struct ClamdAddress {
  bool local = false;  // unix:/path
  std::string path;
  std::string host;    // host:port (IPv6 as [::1]:3310)
  std::string port;
  std::string text;    // as configured, for messages
};
// "unix:/absolute/path" or "host:port"; null with `why_not` set otherwise.
std::optional<ClamdAddress> parse_clamd_address(std::string_view text, std::string& why_not);
// One connection per scan; the whole exchange (connect included) must end within `timeout`.
std::shared_ptr<const Scanner> make_clamd_scanner(ClamdAddress address,
                                                  std::chrono::milliseconds timeout);
// clamd's reply to INSTREAM ("stream: OK", "stream: Name FOUND", "... ERROR"), with or
// without the trailing NUL/newline.
ScanResult parse_clamd_reply(std::string_view reply);

}  // namespace portcullis::filters::antivirus
