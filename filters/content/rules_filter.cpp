#include "filters/content/rules_filter.hpp"

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "config/yaml_reader.hpp"
#include "filters/api/json_text.hpp"
#include "filters/api/report_sections.hpp"
#include "filters/api/symbol_scores.hpp"
#include "rules/rule_loader.hpp"
#include "rules/rule_set.hpp"

namespace portcullis::filters::content {
namespace {

namespace asio = boost::asio;
using config::detail::Map;
using config::detail::Reader;

constexpr std::size_t kInlineBytes = 64 * 1024;
constexpr std::string_view kDefaultReject = "Message rejected as spam";
constexpr std::string_view kDefaultTempfail = "Message deferred, try again later";

constexpr std::array<SymbolDefault, 7> kMimeSymbols = {{
    {"MIME_TOO_MANY_PARTS", 3},
    {"MIME_TOO_DEEP", 3},
    {"MIME_TOO_LARGE", 1},
    {"MIME_BAD_BOUNDARY", 1},
    {"MIME_BAD_ENCODING", 1},
    {"MIME_UNKNOWN_CHARSET", 0.5},
    {"MIME_TOO_MANY_HEADERS", 2},
}};

std::size_t anomaly_index(mime::Anomaly a) {
  switch (a) {
    case mime::Anomaly::kTooManyParts: return 0;
    case mime::Anomaly::kTooDeep: return 1;
    case mime::Anomaly::kTooLarge: return 2;
    case mime::Anomaly::kBadBoundary: return 3;
    case mime::Anomaly::kBadEncoding: return 4;
    case mime::Anomaly::kUnknownCharset: return 5;
    case mime::Anomaly::kTooManyHeaders: return 6;
  }
  return 4;
}

struct Settings {
  std::shared_ptr<const rules::RuleSet> rules;
  mime::Limits limits;
  SymbolScores<kMimeSymbols.size()> mime_scores{kMimeSymbols};
  BlockingPool* pool = nullptr;
};

struct Outcome {
  std::vector<std::uint8_t> hits;
  std::vector<mime::Anomaly> anomalies;
};

Outcome run_rules(const rules::RuleSet& set, const rules::ScanInput& input) {
  rules::MessageTexts texts(input);
  Outcome out;
  out.hits = set.scan(texts);
  if (set.needs_mime()) out.anomalies = texts.view().anomalies();
  return out;
}

int severity(rules::RuleAction a) {
  switch (a) {
    case rules::RuleAction::kReject: return 3;
    case rules::RuleAction::kTempfail: return 2;
    case rules::RuleAction::kQuarantine: return 1;
    case rules::RuleAction::kNone: return 0;
  }
  return 0;
}

class RulesFilter final : public Filter {
 public:
  explicit RulesFilter(Settings settings) : s_(std::move(settings)) {}
  std::string_view name() const override { return kFilterName; }
  StageMask stages() const override { return stage_bit(Stage::kEndOfMessage); }

  asio::awaitable<Verdict> on_end_of_message(Session& session, Transaction& txn) override {
    rules::ScanInput input;
    input.limits = s_.limits;
    input.received_by_us = received_by_us(session);
    Outcome outcome;
    if (s_.pool == nullptr || txn.message.size() <= kInlineBytes) {
      input.message = txn.message;
      outcome = run_rules(*s_.rules, input);
    } else {
      // The job owns what it reads: a hook cut off at its deadline must not leave a worker
      // reading a transaction that is gone.
      auto message = std::make_shared<const std::string>(txn.message);
      auto result = std::make_shared<Outcome>();
      auto job = [set = s_.rules, message, result, input]() mutable {
        input.message = *message;
        *result = run_rules(*set, input);
      };
      auto run = s_.pool->run(std::move(job));
      co_await std::move(run);
      outcome = std::move(*result);
    }
    co_return decide(session, txn, outcome);
  }

 private:
  // The hop into this gate, as the backend's Received field will describe it.
  static std::string received_by_us(const Session& session) {
    if (session.helo.empty() || session.client_ip_text.empty()) return {};
    return fmt::format("from {} ([{}]) by {} with {}", session.helo, session.client_ip_text,
                       session.local_hostname.empty() ? "localhost" : session.local_hostname,
                       session.esmtp ? "ESMTP" : "SMTP");
  }

  Verdict decide(const Session& session, Transaction& txn, const Outcome& outcome) const {
    const auto& all = s_.rules->rules();
    const rules::Rule* acting = nullptr;
    std::string report;
    for (std::uint32_t i = 0; i < outcome.hits.size(); ++i) {
      if (!outcome.hits[i]) continue;
      const rules::Rule& rule = all[i];
      if (rule.is_subrule()) continue;
      txn.symbols.push_back(Symbol{rule.id, rule.score,
                                   symbol_detail(rule.is_meta() ? "meta" : rule.target.key()),
                                   std::string(kFilterName)});
      if (severity(rule.action) > (acting ? severity(acting->action) : 0)) acting = &rule;
      if (session.report) {
        if (!report.empty()) report += ',';
        report += fmt::format("{{\"id\":{},\"score\":{},\"target\":{},\"description\":{}}}",
                              json_quote(rule.id), rule.score,
                              json_quote(rule.is_meta() ? "meta" : rule.target.key()),
                              json_quote(rule.description));
      }
    }
    for (mime::Anomaly a : outcome.anomalies) {
      s_.mime_scores.add(txn, anomaly_index(a), "", kFilterName);
    }
    if (session.report) {
      ReportSections* sections = txn.results.get<ReportSections>();
      if (sections == nullptr) {
        txn.results.set(ReportSections{});
        sections = txn.results.get<ReportSections>();
      }
      sections->push_back({"rules", "{\"hits\":[" + report + "]}"});
    }
    if (acting == nullptr) return Verdict::proceed();
    switch (acting->action) {
      case rules::RuleAction::kReject:
        return Verdict::reject(554, "5.7.1",
                               acting->reply.empty() ? std::string(kDefaultReject) : acting->reply,
                               acting->id);
      case rules::RuleAction::kTempfail:
        return Verdict::tempfail(
            451, "4.7.1", acting->reply.empty() ? std::string(kDefaultTempfail) : acting->reply,
            acting->id);
      case rules::RuleAction::kQuarantine:
        return Verdict::quarantine(acting->reply.empty() ? "rule " + acting->id : acting->reply,
                                   acting->id);
      case rules::RuleAction::kNone:
        break;
    }
    return Verdict::proceed();
  }

  const Settings s_;
};

class RulesFactory final : public FilterFactory {
 public:
  std::string_view name() const override { return kFilterName; }
  std::vector<std::string_view> keys() const override {
    return {"dir", "cache_dir", "max_parts", "max_depth", "max_decoded_size", "scores"};
  }
  std::shared_ptr<Filter> create(Reader& r, const Map& section,
                                 const FilterContext& context) const override {
    const std::size_t problems_before = r.problem_count();
    Settings s;
    s.pool = context.pool;
    s.mime_scores.read(r, section);
    if (const auto v = section.get("max_parts")) {
      s.limits.max_parts = r.count(*v, 1, 1'000'000).value_or(s.limits.max_parts);
    }
    if (const auto v = section.get("max_depth")) {
      s.limits.max_depth = r.count(*v, 1, 1000).value_or(s.limits.max_depth);
    }
    if (const auto v = section.get("max_decoded_size")) {
      s.limits.max_decoded_bytes =
          r.size(*v, 1024, 4ull << 30).value_or(s.limits.max_decoded_bytes);
    }
    rules::CompileOptions options;
    if (const auto v = section.get("cache_dir")) {
      if (auto text = r.string(*v, "a directory for compiled rule databases")) {
        options.cache_dir = *text;
      }
    }
    const auto dir = section.get("dir");
    std::optional<std::string> path;
    if (!dir) {
      r.missing(section, "dir", "the directory of rule files (*.yaml)");
    } else {
      path = r.string(*dir, "the directory of rule files (*.yaml)");
    }
    if (r.problem_count() != problems_before || !path) return nullptr;
    rules::LoadedRules loaded = rules::load_rule_paths({std::filesystem::path(*path)});
    std::vector<std::string> problems = std::move(loaded.problems);
    std::vector<std::string> warnings = std::move(loaded.warnings);
    if (problems.empty()) {
      s.rules = rules::RuleSet::compile(std::move(loaded.rules), options, problems, warnings);
    }
    // A rule file's own problems carry their file:line; the config points at `dir`.
    for (const auto& p : problems) r.problem(*dir, "rule set refused: " + p);
    if (!s.rules) {
      if (problems.empty()) r.problem(*dir, "rule set refused");
      return nullptr;
    }
    const auto& st = s.rules->stats();
    spdlog::info(
        "rules: {} rules from {} ({} Hyperscan, {} prefiltered, {} PCRE2 only, {} meta) in "
        "{:.0f} ms, {} of {} databases from cache",
        s.rules->rules().size(), *path, st.hyperscan, st.prefiltered, st.pcre_only,
        st.meta_rules, st.compile_ms, st.databases_from_cache, st.databases);
    return std::make_shared<RulesFilter>(std::move(s));
  }
};

}  // namespace

std::shared_ptr<const FilterFactory> make_rules_factory() {
  return std::make_shared<const RulesFactory>();
}

}  // namespace portcullis::filters::content
