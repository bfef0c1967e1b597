// The one list of config keys and values that DESIGN.md defines but this build does not
// implement. The loader refuses each of them by name ("run_as: not supported by this build
// yet") instead of ignoring it: an operator must never believe a security feature is on when
// it is not. When a feature lands, delete its entries here and parse it in config.cpp.
// Entries under "filters." (filters not built yet) are refused by the pipeline builder, which
// reads that section with the same Reader; delete one when its factory joins the registry.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::config::detail {

struct NotYet {
  std::string_view key;    // schema path; "[]" stands for any list index: "listeners[].tls"
  std::string_view value;  // "" = the key itself, whatever its value; else that one value
};

std::span<const NotYet> not_yet_supported();

// True when `value` (canonical text: "starttls", "true") of the key at `schema_path` is
// refused; with value "" asks about the key itself.
bool is_not_yet_supported(std::string_view schema_path, std::string_view value);

// The refused keys (value "") directly under parent_schema_path ("" = top level), so that
// "did you mean" knows them too.
std::vector<std::string_view> not_yet_keys_under(std::string_view parent_schema_path);

// "listeners[3].tls" -> "listeners[].tls".
std::string schema_path(std::string_view path);

}  // namespace portcullis::config::detail
