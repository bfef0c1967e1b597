#include "proxy/rules_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "config/config.hpp"
#include "filters/api/json_text.hpp"
#include "filters/api/policy.hpp"
#include "rules/rule_loader.hpp"
#include "rules/rule_set.hpp"
#include "rules/sa/rule_yaml_writer.hpp"
#include "rules/sa/sa_import.hpp"

namespace portcullis::proxy {
namespace {

constexpr int kExitErrors = 2;
constexpr std::size_t kSnippetContext = 30;

std::shared_ptr<const rules::RuleSet> load_and_compile(const std::vector<std::string>& paths,
                                                       const std::string& cache_dir,
                                                       std::vector<std::string>& problems,
                                                       std::vector<std::string>& warnings) {
  std::vector<std::filesystem::path> fs_paths(paths.begin(), paths.end());
  rules::LoadedRules loaded = rules::load_rule_paths(fs_paths);
  problems = std::move(loaded.problems);
  warnings = std::move(loaded.warnings);
  if (!problems.empty()) return nullptr;
  rules::CompileOptions options;
  options.cache_dir = cache_dir;
  return rules::RuleSet::compile(std::move(loaded.rules), options, problems, warnings);
}

std::string stats_line(const rules::RuleSet& set) {
  const auto& st = set.stats();
  return fmt::format(
      "{} rules: {} Hyperscan, {} Hyperscan-prefiltered + PCRE2, {} PCRE2 only, {} exists, {} "
      "meta; {} databases ({} KiB), compiled in {:.0f} ms",
      set.rules().size(), st.hyperscan, st.prefiltered, st.pcre_only, st.exists_rules,
      st.meta_rules, st.databases, st.database_bytes / 1024, st.compile_ms);
}

// Printable, one line: what a terminal or a JSON consumer can show.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

std::string read_message(const std::string& file, std::string& error) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = file + ": cannot read";
    return {};
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string raw = bytes.str();
  // As SMTP delivers it: CRLF line ends.
  std::string out;
  out.reserve(raw.size() + raw.size() / 40);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
    out += raw[i];
  }
  return out;
}

}  // namespace

int run_rules_lint(const std::vector<std::string>& paths, const std::string& cache_dir,
                   std::ostream& out, std::ostream& err) {
  std::vector<std::string> problems, warnings;
  auto set = load_and_compile(paths, cache_dir, problems, warnings);
  for (const auto& p : problems) err << "error: " << p << '\n';
  for (const auto& w : warnings) err << "warning: " << w << '\n';
  if (!set) {
    err << problems.size() << " error(s); the rule set would be refused\n";
    return kExitErrors;
  }
  out << stats_line(*set) << '\n';
  return 0;
}

int run_rules_test(const RulesTestOptions& options, std::ostream& out, std::ostream& err) {
  filters::Thresholds thresholds{15.0, std::nullopt, std::nullopt, 5.0};
  if (options.config) {
    try {
      const config::Config cfg = config::load_config_file(*options.config);
      thresholds = {cfg.policy.reject, cfg.policy.tempfail, cfg.policy.quarantine,
                    cfg.policy.add_header};
    } catch (const config::ConfigError& e) {
      for (const auto& p : e.problems()) err << p << '\n';
      return kExitErrors;
    }
  }
  std::vector<std::string> problems, warnings;
  auto set = load_and_compile(options.rules, options.cache_dir, problems, warnings);
  if (!set) {
    for (const auto& p : problems) err << "error: " << p << '\n';
    return kExitErrors;
  }
  const filters::Policy policy(thresholds);
  int status = 0;
  for (const auto& file : options.messages) {
    std::string error;
    const std::string message = read_message(file, error);
    if (!error.empty()) {
      err << error << '\n';
      status = 1;
      continue;
    }
    rules::ScanInput input;
    input.message = message;
    rules::MessageTexts texts(input);
    const auto hits = set->scan(texts);
    std::vector<filters::Symbol> symbols;
    filters::Verdict hard;
    std::string json_hits, text_hits;
    int hard_rank = 0;
    for (std::uint32_t i = 0; i < hits.size(); ++i) {
      if (!hits[i]) continue;
      const rules::Rule& rule = set->rules()[i];
      const std::string target = rule.is_meta() ? "meta" : rule.target.key();
      std::optional<std::size_t> offset, item;
      std::string snippet;
      if (auto loc = set->locate(i, texts)) {
        offset = loc->start;
        item = loc->item;
        const std::size_t from = loc->start > kSnippetContext ? loc->start - kSnippetContext : 0;
        const std::size_t to = std::min(loc->text.size(), loc->end + kSnippetContext);
        snippet = printable(loc->text.substr(from, loc->start - from)) + "[" +
                  printable(loc->text.substr(loc->start, loc->end - loc->start)) + "]" +
                  printable(loc->text.substr(loc->end, to - loc->end));
      }
      if (!rule.is_subrule()) {
        symbols.push_back({rule.id, rule.score, target, "rules"});
        const int rank = rule.action == rules::RuleAction::kReject     ? 3
                         : rule.action == rules::RuleAction::kTempfail ? 2
                         : rule.action == rules::RuleAction::kQuarantine ? 1
                                                                         : 0;
        if (rank > hard_rank) {
          hard_rank = rank;
          hard = rank == 3   ? filters::Verdict::reject(554, "5.7.1", rule.reply, rule.id)
                 : rank == 2 ? filters::Verdict::tempfail(451, "4.7.1", rule.reply, rule.id)
                             : filters::Verdict::quarantine(rule.reply, rule.id);
        }
      }
      if (options.json) {
        if (!json_hits.empty()) json_hits += ',';
        json_hits += fmt::format("{{\"id\":{},\"target\":{},\"score\":{}", filters::json_quote(rule.id),
                                 filters::json_quote(target), rule.score);
        if (offset) json_hits += fmt::format(",\"item\":{},\"offset\":{}", *item, *offset);
        if (!snippet.empty()) json_hits += ",\"snippet\":" + filters::json_quote(snippet);
        if (rule.is_subrule()) json_hits += ",\"subrule\":true";
        json_hits += '}';
      } else if (!rule.is_subrule()) {
        text_hits += fmt::format("  {:<28} {:>7} {:<22}", rule.id, filters::format_score(rule.score),
                                 target);
        if (offset) text_hits += fmt::format(" @{}{}", item && *item ? fmt::format("{}:", *item) : "", *offset);
        if (!snippet.empty()) text_hits += "  " + snippet;
        text_hits += '\n';
      }
    }
    const filters::Decision decision =
        policy.decide(filters::with_reply_defaults(hard), symbols);
    const std::string action(filters::action_name(decision.action));
    if (options.json) {
      out << fmt::format("{{\"file\":{},\"hits\":[{}],\"score\":{},\"action\":\"{}\"}}\n",
                         filters::json_quote(file), json_hits, decision.score, action);
    } else {
      out << fmt::format("{}: {} score={}\n{}", file, action,
                         filters::format_score(decision.score), text_hits);
    }
  }
  return status;
}

int run_rules_import_sa(const std::string& dir, const std::string& output, bool include_disabled,
                        const std::string& cache_dir, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    err << dir << ": not a directory of SpamAssassin .cf files\n";
    return kExitErrors;
  }
  rules::sa::ImportOptions options;
  options.include_disabled = include_disabled;
  rules::sa::ImportResult result = rules::sa::import_sa(dir, options);
  // Compile what was imported, as the gate would, to say where each pattern runs.
  std::vector<std::string> problems, warnings;
  rules::CompileOptions compile_options;
  compile_options.cache_dir = cache_dir;
  auto set = rules::RuleSet::compile(result.rules, compile_options, problems, warnings);
  rules::sa::CompileCounts counts;
  if (set) {
    counts.hyperscan = set->stats().hyperscan;
    counts.pcre2 = set->stats().prefiltered + set->stats().pcre_only;
  } else {
    counts.failed = problems.size();
    for (const auto& p : problems) err << "error: " << p << '\n';
  }
  result.compiled = counts;
  try {
    rules::sa::write_yaml(result, output);
  } catch (const std::exception& e) {
    err << output << ": " << e.what() << '\n';
    return kExitErrors;
  }
  out << rules::sa::format_report(result);
  if (set) out << stats_line(*set) << '\n';
  return set ? 0 : kExitErrors;
}

}  // namespace portcullis::proxy
