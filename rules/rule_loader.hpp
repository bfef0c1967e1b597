// Reads rule files (docs/rules.md) into validated Rules: every field checked, every problem
// reported as "file:line:col: <rule id>.<key>: reason" (not only the first), ids unique across
// files, metas resolved with cycles refused. Patterns are checked by the compiler
// (rule_compiler.hpp), which reports through the same file:line. Untrusted input: the files
// (a person's work, so every value may be wrong). Limits: 64 MiB per file, 100,000 rules.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "rules/rule.hpp"

namespace portcullis::rules {

struct LoadedRules {
  std::vector<Rule> rules;             // file order, files in name order
  std::vector<std::string> problems;   // errors: the set must not be used
  std::vector<std::string> warnings;   // lint findings that do not stop loading
  std::vector<std::string> files;      // the files read
};

// Each path is a rule file or a directory whose *.yaml files (not recursive) are read in
// name order. A path that does not exist or a directory without rule files is a problem.
LoadedRules load_rule_paths(const std::vector<std::filesystem::path>& paths);

// One file's text (for tests): `name` is the file name used in messages.
void load_rule_text(const std::string& text, const std::string& name, LoadedRules& into);

// After all files: duplicate ids, meta references and cycles (appends to problems). Called by
// load_rule_paths; separate so load_rule_text users can call it too.
void check_rule_set(LoadedRules& loaded);

// Parses a `target:` value; nullopt and `error` set when it is not one of docs/rules.md's.
std::optional<Target> parse_target(std::string_view text, std::string& error);

}  // namespace portcullis::rules
