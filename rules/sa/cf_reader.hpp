// Reads a directory of SpamAssassin .cf files the way Mail::SpamAssassin::Conf::Parser does:
// every *.cf in name order, `#` comments (not after a backslash; `\#` becomes `#`), leading
// and trailing blanks trimmed, `lang XX` lines ignored (we are the C locale), `ifplugin` /
// `if` / `else` / `endif` evaluated against an SaEnvironment (nested; `else` inside a skipped
// block stays skipped), and the rule directives kept with their file:line. A later
// definition of a name replaces the earlier one (SpamAssassin keeps one test per name),
// `score` lines apply in order (relative "(N)" scores add to the previous value).
// Untrusted input: the .cf files (sa-update channels are third-party). Limits: files over
// 16 MiB and lines over 64 KiB are refused with a warning; `include` is not followed.
// Known gaps: `include`, user_prefs-only settings, and plugin directives other than
// ReplaceTags' are ignored.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rules/sa/sa_environment.hpp"

namespace portcullis::rules::sa {

struct SourceLine {
  std::string file;  // base name, e.g. "20_head_tests.cf"
  int line = 0;
};

// One rule directive as written: `header NAME <text>`, `body NAME <text>`, …
struct CfRule {
  std::string name;
  std::string kind;  // header, body, rawbody, uri, full, meta, mimeheader, uri_detail, …
  std::string text;  // everything after the name, trimmed
  SourceLine where;
  std::size_t order = 0;  // position of the (last) definition, for stable output
};

struct CfWarning {
  SourceLine where;
  std::string message;
};

struct CfSet {
  std::map<std::string, CfRule> rules;
  // Four score sets per rule (set 0: no network, no Bayes), only for rules with a score line.
  std::map<std::string, std::array<double, 4>> scores;
  std::map<std::string, std::string> describe;
  std::map<std::string, std::string> tflags;
  std::map<std::string, std::string> replace_tag, replace_pre, replace_post, replace_inter;
  std::set<std::string> replace_rules;
  std::string replace_start = "<";
  std::string replace_end = ">";
  std::vector<std::string> files;  // the .cf files read, in order (base names)
  std::vector<CfWarning> warnings;
  std::size_t definitions = 0;  // rule definitions seen, for CfRule::order
};

// Kinds of rule directive the reader keeps (others are settings and ignored).
bool is_rule_directive(const std::string& key);

// Reads every *.cf of dir. env gains the plugins that `loadplugin` lines load.
CfSet read_cf_dir(const std::filesystem::path& dir, SaEnvironment& env);

// Reads one file's text into set (for tests and for callers with their own file list).
void read_cf_text(const std::string& text, const std::string& file_name, SaEnvironment& env,
                  CfSet& set);

}  // namespace portcullis::rules::sa
