// A compiled rule set (DESIGN.md: immutable shared state of a configuration snapshot): every
// pattern rule grouped by target, each group one Hyperscan database; patterns Hyperscan
// cannot take (back-references, look-behind, …) are kept for PCRE2-JIT, prefiltered by
// Hyperscan where its prefilter mode accepts an approximation, so no valid rule is dropped.
// Metas are evaluated after the patterns in dependency order. Built once (seconds for
// thousands of rules, cached on disk), then scanned by any number of threads at once.
// Untrusted input: the messages scanned. Limits: those of MessageView (MIME bombs) and
// PCRE2's match limit per fallback pattern.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "rules/message_texts.hpp"
#include "rules/rule.hpp"

namespace portcullis::rules {

struct CompileOptions {
  std::filesystem::path cache_dir;  // empty: no disk cache
  bool prefilter = true;            // Hyperscan prefilter for PCRE2-only patterns
};

// How a pattern rule is matched, for `import-sa` and `lint` reports.
enum class Engine : std::uint8_t { kHyperscan, kPrefiltered, kPcre, kNone };

struct CompileStats {
  std::size_t pattern_rules = 0;
  std::size_t meta_rules = 0;
  std::size_t exists_rules = 0;
  std::size_t hyperscan = 0;    // matched by Hyperscan alone
  std::size_t prefiltered = 0;  // Hyperscan prefilter, confirmed by PCRE2
  std::size_t pcre_only = 0;    // PCRE2 on every scan of the target
  std::size_t databases = 0;
  std::size_t databases_from_cache = 0;
  std::size_t database_bytes = 0;
  double compile_ms = 0;
};

struct RuleHit {
  std::uint32_t rule;  // index into RuleSet::rules()
};

class RuleSet {
 public:
  // Compiles validated rules (rule_loader.hpp). Regexes PCRE2 refuses are problems
  // ("file:line: ID.pattern: bad regex: …"); warnings are lint findings (a pattern that
  // matches the empty string, one only PCRE2 can run). nullptr when there are problems.
  static std::shared_ptr<const RuleSet> compile(std::vector<Rule> rules,
                                                const CompileOptions& options,
                                                std::vector<std::string>& problems,
                                                std::vector<std::string>& warnings);

  const std::vector<Rule>& rules() const { return rules_; }
  const CompileStats& stats() const { return stats_; }
  Engine engine(std::uint32_t rule) const { return engine_[rule]; }
  // Whether any rule needs the MIME view (else a scan never parses the message).
  bool needs_mime() const { return needs_mime_; }

  // Per rule: 1 if it hit, else 0 (sub-rules and metas included).
  std::vector<std::uint8_t> scan(MessageTexts& texts) const;
  // Where a pattern rule's first match is (for `rules test`): the item of the target and the
  // PCRE2 offsets in it. nullopt for metas, exists rules, negated rules and misses.
  struct Location {
    std::size_t item = 0;
    std::size_t start = 0;
    std::size_t end = 0;
    std::string_view text;  // the item's text (valid while `texts` lives)
  };
  std::optional<Location> locate(std::uint32_t rule, MessageTexts& texts) const;

  ~RuleSet();

 private:
  struct Group;
  struct Impl;
  RuleSet() = default;
  std::vector<Rule> rules_;
  std::vector<Engine> engine_;
  CompileStats stats_;
  bool needs_mime_ = false;
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::rules
