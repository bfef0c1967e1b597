#include "filters/antivirus/antivirus_filter.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "config/yaml_reader.hpp"
#include "filters/antivirus/engine_holder.hpp"
#include "filters/antivirus/scanner.hpp"

namespace portcullis::filters::antivirus {
namespace {

namespace asio = boost::asio;
using config::detail::Map;
using config::detail::Reader;
using config::detail::Value;

constexpr std::size_t kMaxDetail = 120;

enum class Engine { kLibclamav, kClamd };
enum class OnVirus { kReject, kQuarantine, kTag };

// Names come from signature databases and reasons from us or the scanner: still keep them
// short and printable (they go to replies, logs and metrics details).
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxDetail)) out += (c >= ' ' && c < 0x7f) ? c : '?';
  if (text.size() > kMaxDetail) out.replace(kMaxDetail - 3, 3, "...");
  return out;
}

struct Settings {
  std::shared_ptr<const Scanner> scanner;
  BlockingPool* pool = nullptr;
  bool fail_open = false;
  OnVirus on_virus = OnVirus::kReject;
  double virus_score = 20;
  double encrypted_score = 5;
};

class AntivirusFilter final : public Filter {
 public:
  explicit AntivirusFilter(Settings settings) : s_(std::move(settings)) {}

  std::string_view name() const override { return kFilterName; }
  StageMask stages() const override { return stage_bit(Stage::kEndOfMessage); }

  asio::awaitable<Verdict> on_end_of_message(Session& session, Transaction& txn) override {
    auto scan = s_.scanner->scan(txn.message, s_.pool);
    const ScanResult result = co_await std::move(scan);
    Verdict verdict = decide(session, txn, result);
    co_return verdict;
  }

 private:
  void add(Transaction& txn, std::string_view symbol, double score, std::string detail) const {
    txn.symbols.push_back(
        Symbol{std::string(symbol), score, std::move(detail), std::string(kFilterName)});
  }

  Verdict failure(const Session& session, Transaction& txn, std::string_view reason) const {
    const std::string detail = printable(reason);
    spdlog::warn("{} antivirus: message not scanned: {}{}", session.id, detail,
                 s_.fail_open ? " (fail_open: let through)" : "");
    if (s_.fail_open) {
      add(txn, kFailOpen, 0, detail);
      return Verdict::proceed();
    }
    add(txn, kError, 0, detail);
    return Verdict::tempfail(451, "4.7.1", std::string(kErrorText), std::string(kError));
  }

  Verdict decide(const Session& session, Transaction& txn, const ScanResult& result) const {
    switch (result.kind) {
      case ScanResult::Kind::kClean:
        return Verdict::proceed();
      case ScanResult::Kind::kError:
        return failure(session, txn, result.text);
      case ScanResult::Kind::kFound:
        break;
    }
    const std::string name = printable(strip_unofficial(result.text));
    switch (classify(name)) {
      case Finding::kLimit:
        return failure(session, txn, name);
      case Finding::kEncrypted:
        add(txn, kEncrypted, s_.encrypted_score, name);
        return Verdict::proceed();
      case Finding::kHeuristic:
        add(txn, kHeuristic, s_.encrypted_score, name);
        return Verdict::proceed();
      case Finding::kVirus:
        break;
    }
    spdlog::info("{} antivirus: virus {} found", session.id, name);
    switch (s_.on_virus) {
      case OnVirus::kTag:
        add(txn, kInfected, s_.virus_score, name);
        return Verdict::proceed();
      case OnVirus::kQuarantine:
        add(txn, kInfected, 0, name);
        return Verdict::quarantine(fmt::format("virus {} found", name), std::string(kInfected));
      case OnVirus::kReject:
        break;
    }
    add(txn, kInfected, 0, name);
    return Verdict::reject(554, "5.7.1", fmt::format("Message rejected: virus {} found", name),
                           std::string(kInfected));
  }

  const Settings s_;
};

// A key that belongs to the other engine.
void refuse_for(Reader& r, const Map& section, std::string_view key, std::string_view engine,
                std::string_view hint) {
  if (const auto v = section.get(key)) {
    r.problem(*v, fmt::format("only used with engine: {}{}", engine, hint));
  }
}

class AntivirusFactory final : public FilterFactory {
 public:
  std::string_view name() const override { return kFilterName; }

  std::vector<std::string_view> keys() const override {
    return {"engine",          "database",      "clamd",         "fail_open",
            "on_virus",        "virus_score",   "encrypted_score", "max_scan_size",
            "max_file_size",   "max_recursion", "max_files",     "scan_timeout",
            "reload",          "watch"};
  }

  std::shared_ptr<Filter> create(Reader& r, const Map& section,
                                 const FilterContext& context) const override {
    const std::size_t problems_before = r.problem_count();
    Settings s;
    s.pool = context.pool;
    std::optional<Engine> chosen = Engine::kLibclamav;
    if (const auto v = section.get("engine")) {
      chosen = r.choice<Engine>(*v, {{"libclamav", Engine::kLibclamav}, {"clamd", Engine::kClamd}});
    }
    // An unknown engine: its other keys cannot be checked.
    if (!chosen) return nullptr;
    const Engine engine = *chosen;
    if (const auto v = section.get("fail_open")) s.fail_open = r.boolean(*v).value_or(false);
    if (const auto v = section.get("on_virus")) {
      s.on_virus = r.choice<OnVirus>(*v, {{"reject", OnVirus::kReject},
                                          {"quarantine", OnVirus::kQuarantine},
                                          {"tag", OnVirus::kTag}})
                       .value_or(s.on_virus);
    }
    if (const auto v = section.get("virus_score")) s.virus_score = r.score(*v).value_or(0);
    if (const auto v = section.get("encrypted_score")) s.encrypted_score = r.score(*v).value_or(0);

    Limits limits;
    if (const auto v = section.get("max_scan_size")) {
      limits.max_scan_size = r.size(*v, 1024, 4ull << 30).value_or(0);
    }
    if (const auto v = section.get("max_file_size")) {
      limits.max_file_size = r.size(*v, 1024, 4ull << 30).value_or(0);
    }
    if (const auto v = section.get("max_recursion")) {
      limits.max_recursion = static_cast<std::uint32_t>(r.count(*v, 1, 64).value_or(0));
    }
    if (const auto v = section.get("max_files")) {
      limits.max_files = static_cast<std::uint32_t>(r.count(*v, 1, 1'000'000).value_or(0));
    }
    if (const auto v = section.get("scan_timeout")) {
      limits.scan_timeout = std::chrono::milliseconds(r.duration_ms(*v, 100, 3'600'000).value_or(0));
    }

    ReloadMode reload_mode = ReloadMode::kConcurrent;
    std::chrono::milliseconds watch{60'000};
    if (const auto v = section.get("reload")) {
      reload_mode = r.choice<ReloadMode>(*v, {{"concurrent", ReloadMode::kConcurrent},
                                              {"blocking", ReloadMode::kBlocking}})
                        .value_or(reload_mode);
    }
    if (const auto v = section.get("watch")) {
      watch = std::chrono::milliseconds(r.duration_ms(*v, 0, 86'400'000).value_or(0));
    }

    std::optional<Value> database = section.get("database");
    std::optional<std::string> directory;
    std::optional<ClamdAddress> clamd;
    if (engine == Engine::kLibclamav) {
      refuse_for(r, section, "clamd", "clamd", "");
      if (!database) {
        r.missing(section, "database", "a ClamAV signature directory (engine: libclamav)");
      } else if ((directory = r.string(*database, "a ClamAV signature directory"))) {
        std::error_code ec;
        if (!std::filesystem::is_directory(*directory, ec)) {
          r.problem(*database, fmt::format("{} is not a directory", *directory));
          directory.reset();
        }
      }
    } else {
      refuse_for(r, section, "database", "libclamav", "; clamd reads its own DatabaseDirectory");
      for (std::string_view key : {"max_scan_size", "max_file_size", "max_recursion", "max_files",
                                   "reload", "watch"}) {
        refuse_for(r, section, key, "libclamav", "; set clamd's limits in clamd.conf");
      }
      if (const auto v = section.get("clamd")) {
        if (const auto text = r.string(*v, "unix:/path/to/clamd.ctl or host:port")) {
          std::string why_not;
          clamd = parse_clamd_address(*text, why_not);
          if (!clamd) r.problem(*v, fmt::format("{}, got \"{}\"", why_not, printable(*text)));
        }
      } else {
        r.missing(section, "clamd", "unix:/path/to/clamd.ctl or host:port (engine: clamd)");
      }
    }
    if (r.problem_count() != problems_before) return nullptr;

    if (engine == Engine::kLibclamav) {
      std::string error;
      s.scanner = EngineHolder::acquire({*directory, limits, reload_mode, watch}, error);
      if (s.scanner == nullptr) {
        r.problem(*database, fmt::format("cannot load ClamAV signatures from {}: {}", *directory,
                                         printable(error)));
        return nullptr;
      }
    } else {
      s.scanner = make_clamd_scanner(std::move(*clamd), limits.scan_timeout);
    }
    return std::make_shared<AntivirusFilter>(std::move(s));
  }
};

}  // namespace

std::shared_ptr<const FilterFactory> make_antivirus_factory() {
  return std::make_shared<const AntivirusFactory>();
}

}  // namespace portcullis::filters::antivirus
