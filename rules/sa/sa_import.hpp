// `portcullis rules import-sa DIR --output DIR`: SpamAssassin .cf rule files → our rules.
// read_cf_dir (cf_reader.hpp) evaluates the files as SpamAssassin 4.0.1 would on Debian;
// import_sa turns each surviving rule into a portcullis::rules::Rule or a skip with its
// reason: eval rules (code, not patterns), network tests (tflags net, RBL evals, DNS plugin
// rules), Bayes tests, rules SpamAssassin disables in score set 0 (score 0: it runs no rule
// whose score is 0), pseudo-headers we do not build, and patterns PCRE2 rejects.
// Semantics kept (checked against spamassassin 4.0.1 -L):
//  - header rules on a missing header match the empty string (`=~ /^$/` and `!~ /x/` hit),
//    so every header rule gets `if_unset: ""` unless it has `[if-unset: STR]`;
//  - body rules match per paragraph line (Subject first): they get the `multiline` flag;
//    rawbody, full, uri and header rules keep their own flags;
//  - scores are score set 0 (no network, no Bayes), defaults as Conf/Parser.pm fix_tests:
//    1.0, T_ rules 0.01, negated for tflags nice; `__` sub-rules get 0 (our sub-rules are
//    never scored);
//  - metas: a reference to a rule SpamAssassin never runs here (undefined, score 0, net or
//    learn) becomes 0, as SA evaluates it; a meta that needs a skipped rule SA would run is
//    skipped itself.
// Untrusted input: the .cf files. Known gaps: tflags multiple/maxhits only become tags (our
// engine counts one hit per rule); `:raw` of ALL is mapped to header:ALL; MESSAGEID's
// headers match in message order, not SA's fixed header order.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rules/rule.hpp"
#include "rules/sa/cf_reader.hpp"
#include "rules/sa/sa_environment.hpp"

namespace portcullis::rules::sa {

struct SkippedRule {
  std::string id;
  std::string kind;  // the SA directive: header, body, meta, …
  SourceLine where;
  std::string reason;
  // True when SpamAssassin itself never runs the rule in score set 0 (network, Bayes,
  // score 0): such rules are not counted against the import figure.
  bool inactive_in_sa = false;
};

struct KindCounts {
  std::size_t defined = 0;
  std::size_t imported = 0;
  std::size_t skipped = 0;
};

// Filled by the caller after compiling the imported rules (the CLI): how many patterns
// Hyperscan took and how many fell back to PCRE2.
struct CompileCounts {
  std::size_t hyperscan = 0;
  std::size_t pcre2 = 0;
  std::size_t failed = 0;
};

struct ImportResult {
  std::filesystem::path source_dir;
  std::vector<std::string> files;  // the .cf files read, in order
  std::vector<Rule> rules;         // in source order; Rule::file is the .cf base name
  std::vector<SkippedRule> skipped;
  std::map<std::string, KindCounts> by_kind;
  std::vector<CfWarning> warnings;
  std::optional<CompileCounts> compiled;

  // header/body/rawbody/uri/full rules that are not eval: (after if/ifplugin).
  std::size_t regex_rules() const;
  std::size_t regex_imported() const;
  // The same, leaving out the rules SpamAssassin does not run in score set 0.
  std::size_t regex_active() const;
};

struct ImportOptions {
  SaEnvironment env = SaEnvironment::debian_4_0_1();
  int score_set = 0;  // 0..3
  // Import the pattern rules SpamAssassin disables with score 0 too (score 0, tag
  // "sa-disabled"); metas still see them as 0, as SpamAssassin does.
  bool include_disabled = false;
};

ImportResult import_sa(const std::filesystem::path& dir, const ImportOptions& options = {});
// The conversion alone, from an already read set (tests use read_cf_text).
ImportResult import_cf_set(const CfSet& set, const ImportOptions& options = {});

// The SpamAssassin score of a rule in a score set, with SA's defaults for unscored rules.
double sa_score(const CfSet& set, const std::string& name, int score_set);

bool is_regex_kind(const std::string& kind);

}  // namespace portcullis::rules::sa
