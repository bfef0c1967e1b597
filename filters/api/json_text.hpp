// JSON text for the reports filters contribute (`portcullis scan --json` sections, log lines).
#pragma once

#include <string>
#include <string_view>

namespace portcullis::filters {

// JSON string literal for `text` (quotes included); bytes that are not valid UTF-8 are
// replaced by U+FFFD so the output stays valid JSON.
std::string json_quote(std::string_view text);

}  // namespace portcullis::filters
