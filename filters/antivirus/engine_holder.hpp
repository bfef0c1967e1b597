// The libclamav engine of one signature directory, kept current: a Scanner that always scans
// with the engine loaded last, and replaces it when the directory's files change (polled every
// `watch`) or when a reload of the configuration (SIGHUP) asks for the same directory again.
// Holders are shared process-wide by directory and settings, so a reload does not keep two
// engines for the same signatures longer than the `reload` mode allows:
//   concurrent — the new engine is loaded while the old one keeps scanning, then swapped in
//                (memory doubles during the load; a failed load keeps the old engine);
//   blocking   — the old engine is dropped first (freed when the scans in flight finish), then
//                the new one loads; meanwhile scans answer an error, i.e. 451 (or AV_FAIL_OPEN
//                with fail_open). A failed load leaves no engine: scans keep failing closed
//                until a load succeeds.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "filters/antivirus/scanner.hpp"

namespace portcullis::filters::antivirus {

enum class ReloadMode { kConcurrent, kBlocking };

class EngineHolder : public Scanner {
 public:
  struct Settings {
    std::string directory;
    Limits limits;
    ReloadMode mode = ReloadMode::kConcurrent;
    std::chrono::milliseconds watch{60'000};  // 0: never poll the directory
  };

  // The holder for these settings: an existing one is reloaded (per mode) and returned,
  // else a new one is loaded. Null with `error` set when the load fails.
  static std::shared_ptr<EngineHolder> acquire(const Settings& settings, std::string& error);

  explicit EngineHolder(Settings settings);
  ~EngineHolder() override;
  EngineHolder(const EngineHolder&) = delete;
  EngineHolder& operator=(const EngineHolder&) = delete;

  boost::asio::awaitable<ScanResult> scan(std::string_view message,
                                          BlockingPool* pool) const override;
  // Loads the directory again per the mode. False with `error` when the load failed.
  bool reload(std::string& error);
  std::size_t reloads() const;

  // Names, sizes and modification times of the directory's regular files: what a change of
  // the signatures changes.
  static std::string fingerprint(const std::string& directory);

 private:
  void watch_loop();
  std::shared_ptr<const Scanner> current() const;

  const Settings settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Scanner> engine_;
  std::string fingerprint_;
  std::size_t reloads_ = 0;
  std::mutex reload_mutex_;  // one load at a time (watcher and configuration reload)
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread watcher_;
};

}  // namespace portcullis::filters::antivirus
