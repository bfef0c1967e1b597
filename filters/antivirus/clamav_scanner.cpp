// libclamav in process: one compiled engine per configuration snapshot, immutable once
// compiled and shared by every session and thread.
#include <clamav.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>

#include <unistd.h>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "filters/antivirus/scanner.hpp"

namespace portcullis::filters::antivirus {
namespace {

// VmRSS of this process in KiB (0 when unknown): engine memory is reported as the growth
// during the load, an estimate (other threads allocate too), enough for sizing.
long resident_kb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long kb = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb;
}


namespace asio = boost::asio;

// ClamAV's error messages during a load on this thread, for the config problem.
thread_local std::string* load_errors = nullptr;

void on_clamav_message(enum cl_msg severity, const char* fullmsg, const char* msg, void*) {
  std::string_view text = msg != nullptr ? msg : (fullmsg != nullptr ? fullmsg : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (severity >= CL_MSG_ERROR) {
    if (load_errors != nullptr) {
      if (!load_errors->empty()) *load_errors += "; ";
      *load_errors += text;
    }
    spdlog::warn("antivirus: LibClamAV: {}", text);
  } else {
    spdlog::debug("antivirus: LibClamAV: {}", text);
  }
}

cl_error_t init_clamav() {
  static std::once_flag once;
  static cl_error_t result = CL_SUCCESS;
  std::call_once(once, [] {
    cl_set_clcb_msg(on_clamav_message);
    result = cl_init(CL_INIT_DEFAULT);
  });
  return result;
}

class ClamavScanner final : public Scanner {
 public:
  explicit ClamavScanner(std::shared_ptr<cl_engine> engine) : engine_(std::move(engine)) {}

  asio::awaitable<ScanResult> scan(std::string_view message, BlockingPool* pool) const override {
    ScanResult result;
    if (pool == nullptr) {
      result = scan_now(message);
      co_return result;
    }
    std::function<void()> job = [this, message, &result] { result = scan_now(message); };
    auto work = pool->run(std::move(job));
    co_await std::move(work);
    co_return result;
  }

 private:
  ScanResult scan_now(std::string_view message) const noexcept {
    try {
      if (message.empty()) return {};
      cl_fmap_t* map = cl_fmap_open_memory(message.data(), message.size());
      if (map == nullptr) return {ScanResult::Kind::kError, "libclamav: cannot map the message"};
      cl_scan_options options{};
      options.general = CL_SCAN_GENERAL_HEURISTICS;
      options.parse = ~0u;  // mail, archives, documents, executables: unpack everything
      options.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
                          CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
      const char* name = nullptr;
      unsigned long scanned = 0;
      const cl_error_t r =
          cl_scanmap_callback(map, nullptr, &name, &scanned, engine_.get(), &options, nullptr);
      cl_fmap_close(map);
      if (r == CL_CLEAN) return {};
      if (r == CL_VIRUS && name != nullptr && *name != '\0') {
        return {ScanResult::Kind::kFound, std::string(name)};
      }
      if (r == CL_VIRUS) {
        // libclamav 1.4 reports a top-level size limit (max_file_size, max_scan_size) as
        // CL_VIRUS without a name: an incomplete scan, never a clean one.
        return {ScanResult::Kind::kError, "libclamav: scan limit exceeded (alert without a name)"};
      }
      return {ScanResult::Kind::kError, fmt::format("libclamav: {}", cl_strerror(r))};
    } catch (const std::exception& e) {  // bad_alloc
      return {ScanResult::Kind::kError, fmt::format("libclamav: {}", e.what())};
    }
  }

  std::shared_ptr<cl_engine> engine_;
};

bool set_num(cl_engine* engine, cl_engine_field field, long long value, std::string& error) {
  const cl_error_t r = cl_engine_set_num(engine, field, value);
  if (r != CL_SUCCESS) error = fmt::format("cannot set an engine limit: {}", cl_strerror(r));
  return r == CL_SUCCESS;
}

}  // namespace

std::shared_ptr<const Scanner> load_clamav(const std::string& directory, const Limits& limits,
                                           std::string& error) {
  if (const cl_error_t r = init_clamav(); r != CL_SUCCESS) {
    error = fmt::format("cannot initialise libclamav: {}", cl_strerror(r));
    return nullptr;
  }
  const auto started = std::chrono::steady_clock::now();
  const long rss_before_kb = resident_kb();
  std::shared_ptr<cl_engine> engine(cl_engine_new(), [](cl_engine* e) {
    if (e != nullptr) cl_engine_free(e);
  });
  if (engine == nullptr) {
    error = "cannot create a libclamav engine";
    return nullptr;
  }
  std::error_code ec;
  // libclamav's mail parser writes every MIME part to a temporary file and deletes it after
  // the scan. On a disk file system that create/write/unlink per part dominated the cost of
  // scanning (perf: ext4 truncate and block discard); a tmpfs keeps it in memory, bounded by
  // max_scan_size per scan in flight.
  std::string tmp = "/dev/shm";
  if (!std::filesystem::is_directory(tmp, ec) || ::access(tmp.c_str(), W_OK | X_OK) != 0) {
    tmp = std::filesystem::temp_directory_path(ec).string();
  }
  if (ec || !std::filesystem::is_directory(tmp, ec)) {
    error = "no usable temporary directory (TMPDIR) for libclamav";
    return nullptr;
  }
  if (cl_engine_set_str(engine.get(), CL_ENGINE_TMPDIR, tmp.c_str()) != CL_SUCCESS) {
    error = "cannot set the libclamav temporary directory";
    return nullptr;
  }
  if (!set_num(engine.get(), CL_ENGINE_MAX_SCANSIZE, static_cast<long long>(limits.max_scan_size),
               error) ||
      !set_num(engine.get(), CL_ENGINE_MAX_FILESIZE, static_cast<long long>(limits.max_file_size),
               error) ||
      !set_num(engine.get(), CL_ENGINE_MAX_RECURSION, limits.max_recursion, error) ||
      !set_num(engine.get(), CL_ENGINE_MAX_FILES, limits.max_files, error) ||
      !set_num(engine.get(), CL_ENGINE_MAX_SCANTIME, limits.scan_timeout.count(), error)) {
    return nullptr;
  }

  std::string messages;
  load_errors = &messages;
  unsigned int signatures = 0;
  cl_error_t r = cl_load(directory.c_str(), engine.get(), &signatures, CL_DB_STDOPT);
  if (r == CL_SUCCESS) r = cl_engine_compile(engine.get());
  load_errors = nullptr;
  if (r != CL_SUCCESS) {
    error = messages.empty() ? std::string(cl_strerror(r))
                             : fmt::format("{} ({})", messages, cl_strerror(r));
    return nullptr;
  }
  if (signatures == 0) {
    error = "no signatures found";
    return nullptr;
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  const long rss_growth_kb = resident_kb() - rss_before_kb;
  spdlog::info(
      "antivirus: loaded {} ClamAV signatures from {} in {} ms, engine memory about {} MiB "
      "(resident growth during the load) (libclamav {})",
      signatures, directory, elapsed.count(), std::max(0L, rss_growth_kb) / 1024, cl_retver());
  return std::make_shared<const ClamavScanner>(std::move(engine));
}

}  // namespace portcullis::filters::antivirus
