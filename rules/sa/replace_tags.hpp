// SpamAssassin's ReplaceTags plugin (replace_tag / replace_pre / replace_post /
// replace_inter / replace_rules): `<A>`-style tags in the listed rules' patterns are replaced
// by the tag's text before the pattern is used, following the plugin's algorithm
// (Plugin/ReplaceTags.pm finish_parsing_end: modifier tags `<pre X>`, `<post X>`,
// `<inter X>` first, then up to six passes while replacements contain tags).
// Untrusted input: tag definitions and patterns from .cf files. Limits: six passes and a
// 1 MiB result, as a runaway definition could otherwise grow without bound.
#pragma once

#include <string>

#include "rules/sa/cf_reader.hpp"

namespace portcullis::rules::sa {

// Returns the pattern with tags replaced (unchanged when it has none). False when the result
// would exceed the size limit.
bool replace_tags(const CfSet& set, std::string& pattern);

}  // namespace portcullis::rules::sa
