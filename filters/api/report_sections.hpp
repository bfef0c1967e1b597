// Sections filters add to `portcullis scan --json` ("rules": {...}), kept in the
// transaction's result slots and printed by the scan command after the common fields.
// Filled only when Session::report is set.
#pragma once

#include <string>
#include <vector>

namespace portcullis::filters {

struct ReportSection {
  std::string name;  // the JSON key
  std::string json;  // a JSON value
};
using ReportSections = std::vector<ReportSection>;

}  // namespace portcullis::filters
