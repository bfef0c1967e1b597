// Writes rules in our YAML rule format (docs/rules.md) and the import report.
// Quoting round-trips every byte of valid UTF-8 text: YAML single-quoted scalars (only `'`
// needs doubling, backslashes are literal), and double-quoted scalars with \xHH / \t escapes
// for text holding control bytes, which single quotes cannot carry. Text that is not valid
// UTF-8 cannot be a YAML scalar at all: the importer escapes such pattern bytes first
// (perl_regex.hpp escape_non_utf8) and write_rules_yaml refuses what is left.
// Untrusted input: rule text from .cf files; nothing is interpreted here.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule.hpp"
#include "rules/sa/sa_import.hpp"

namespace portcullis::rules::sa {

// A YAML scalar holding exactly `text` (which must be valid UTF-8).
std::string yaml_quote(std::string_view text);

// One YAML document: a sequence of the rules, after `header_comment` (each line prefixed
// "# "). Throws std::invalid_argument on text that is not UTF-8.
std::string write_rules_yaml(const std::vector<Rule>& rules, std::string_view header_comment);

// One .yaml per .cf file read (same base name, `20_head_tests.cf` → `20_head_tests.yaml`),
// holding the rules whose final definition is in it; out_dir is created. Throws
// std::filesystem::filesystem_error on I/O errors.
void write_yaml(const ImportResult& result, const std::filesystem::path& out_dir);

// The human report: counts per kind, the regex-rule load figure, skip reasons (grouped,
// then every skipped rule with file:line), and result.compiled when the caller set it.
std::string format_report(const ImportResult& result, bool list_every_skip = true);

}  // namespace portcullis::rules::sa
