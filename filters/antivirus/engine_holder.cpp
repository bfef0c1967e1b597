#include "filters/antivirus/engine_holder.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace portcullis::filters::antivirus {

namespace {

std::string registry_key(const EngineHolder::Settings& s) {
  return fmt::format("{}\n{} {} {} {} {} {} {}", s.directory, s.limits.max_scan_size,
                     s.limits.max_file_size, s.limits.max_recursion, s.limits.max_files,
                     s.limits.scan_timeout.count(), static_cast<int>(s.mode), s.watch.count());
}

std::mutex g_registry_mutex;
std::map<std::string, std::weak_ptr<EngineHolder>> g_registry;

}  // namespace

std::shared_ptr<EngineHolder> EngineHolder::acquire(const Settings& settings,
                                                   std::string& error) {
  const std::string key = registry_key(settings);
  std::shared_ptr<EngineHolder> holder;
  {
    std::lock_guard lock(g_registry_mutex);
    std::erase_if(g_registry, [](const auto& entry) { return entry.second.expired(); });
    if (auto it = g_registry.find(key); it != g_registry.end()) holder = it->second.lock();
    if (!holder) {
      holder = std::make_shared<EngineHolder>(settings);
      g_registry[key] = holder;
    }
  }
  if (!holder->reload(error)) {
    // A holder that never had an engine is of no use to anyone.
    if (holder->reloads() == 0 && holder->current() == nullptr) {
      std::lock_guard lock(g_registry_mutex);
      g_registry.erase(key);
    }
    return nullptr;
  }
  return holder;
}

EngineHolder::EngineHolder(Settings settings) : settings_(std::move(settings)) {
  if (settings_.watch.count() > 0) watcher_ = std::thread([this] { watch_loop(); });
}

EngineHolder::~EngineHolder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const Scanner> EngineHolder::current() const {
  std::lock_guard lock(mutex_);
  return engine_;
}

std::size_t EngineHolder::reloads() const {
  std::lock_guard lock(mutex_);
  return reloads_;
}

boost::asio::awaitable<ScanResult> EngineHolder::scan(std::string_view message,
                                                      BlockingPool* pool) const {
  // The engine stays alive for this scan even if a reload swaps it out meanwhile.
  std::shared_ptr<const Scanner> engine = current();
  if (!engine) {
    co_return ScanResult{ScanResult::Kind::kError,
                         "no ClamAV engine loaded (signatures are being reloaded)"};
  }
  auto pending = engine->scan(message, pool);
  co_return co_await std::move(pending);
}

bool EngineHolder::reload(std::string& error) {
  std::lock_guard one_at_a_time(reload_mutex_);
  const std::string print = fingerprint(settings_.directory);
  if (settings_.mode == ReloadMode::kBlocking) {
    std::lock_guard lock(mutex_);
    engine_.reset();  // freed as soon as the scans in flight release it
  }
  std::shared_ptr<const Scanner> next = load_clamav(settings_.directory, settings_.limits, error);
  if (!next) {
    spdlog::error("antivirus: reload of {} failed: {}{}", settings_.directory, error,
                  settings_.mode == ReloadMode::kBlocking
                      ? "; no engine loaded, scans fail closed until a load succeeds"
                      : "; the previous engine stays");
    return false;
  }
  std::lock_guard lock(mutex_);
  engine_ = std::move(next);
  fingerprint_ = print;
  ++reloads_;
  return true;
}

std::string EngineHolder::fingerprint(const std::string& directory) {
  std::vector<std::string> entries;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    std::error_code fe;
    if (!entry.is_regular_file(fe)) continue;
    const auto size = entry.file_size(fe);
    const auto mtime = entry.last_write_time(fe).time_since_epoch().count();
    entries.push_back(fmt::format("{}:{}:{}", entry.path().filename().string(), size, mtime));
  }
  std::sort(entries.begin(), entries.end());
  return fmt::format("{}", fmt::join(entries, "\n"));
}

void EngineHolder::watch_loop() {
  std::unique_lock lock(mutex_);
  std::string pending;  // a change seen at the last poll, not yet loaded
  for (;;) {
    if (wake_.wait_for(lock, settings_.watch, [this] { return stopping_; })) return;
    const std::string known = fingerprint_;
    lock.unlock();
    // A database being written (freshclam) changes from one poll to the next; reload only
    // once the directory looked the same at two polls in a row.
    const std::string now = fingerprint(settings_.directory);
    const bool settled = now != known && now == pending;
    pending = now == known ? std::string() : now;
    if (settled) {
      spdlog::info("antivirus: signatures in {} changed; reloading", settings_.directory);
      std::string error;
      reload(error);
    }
    lock.lock();
  }
}

}  // namespace portcullis::filters::antivirus
