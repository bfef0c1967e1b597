// Loads the openspf/pyspf SPF test suites (shared/testdata/spf/*.yml, format in README.md)
// and runs them against the evaluator, eagerly and through the restart protocol.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "filters/spf/spf_result.hpp"
#include "zone_view.hpp"

namespace portcullis::filters::spf::testing {

struct SuiteCase {
  std::string scenario;  // the scenario's description
  std::string name;
  std::string helo;
  std::string host;
  std::string mail_from;
  std::vector<std::string> results;        // acceptable results
  std::optional<std::string> explanation;  // "DEFAULT" = no exp text
  std::shared_ptr<ZoneView> zone;
};

// Throws std::runtime_error (or YAML::Exception) on a file it cannot read.
std::vector<SuiteCase> load_suite(const std::string& path);

struct CaseRun {
  bool passed = false;
  std::string detail;  // what went wrong, or the result
  std::string got;     // the result code's name
};

// Runs one case; lazy = through LazyView and the restart loop.
CaseRun run_case(const SuiteCase& c, bool lazy);

}  // namespace portcullis::filters::spf::testing
