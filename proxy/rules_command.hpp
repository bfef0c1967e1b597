// `portcullis rules lint|test|import-sa` (DESIGN.md "Command line"): the security team's
// tools over the same loader and engine the gate runs.
//   lint PATH…            load and compile; every error with file:line and the reason, then
//                         warnings (empty matches, PCRE2-only patterns); exit 2 on errors.
//   test --rules PATH… [--config FILE] [--json] MESSAGE…
//                         which rules hit each message, on which target, where (PCRE2 on
//                         the rules that hit), a snippet, the score and the action (the
//                         config's policy thresholds, else reject at 15 and add_header at 5).
//   import-sa DIR --output DIR [--include-disabled]
//                         SpamAssassin .cf files to our YAML, with counts of what went to
//                         Hyperscan, to PCRE2, and what was skipped and why.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::proxy {

struct RulesTestOptions {
  std::vector<std::string> rules;     // files or directories
  std::optional<std::string> config;  // for policy thresholds
  bool json = false;
  std::vector<std::string> messages;
  std::string cache_dir;
};

int run_rules_lint(const std::vector<std::string>& paths, const std::string& cache_dir,
                   std::ostream& out, std::ostream& err);
int run_rules_test(const RulesTestOptions& options, std::ostream& out, std::ostream& err);
// include_disabled: also the rules SpamAssassin never runs (score 0), kept at score 0.
// cache_dir: where the compile that counts the engines keeps its databases ("" none), so a
// later `rules test`/gate start on the output loads them instead of compiling again.
int run_rules_import_sa(const std::string& dir, const std::string& output, bool include_disabled,
                        const std::string& cache_dir, std::ostream& out, std::ostream& err);

}  // namespace portcullis::proxy
