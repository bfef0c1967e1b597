// A config section kept as written, for a reader that lives above config/: the `filters:`
// section, whose keys only the pipeline builder (filters/api) knows. Holds the YAML node (which
// keeps its document alive) and the file name, so the builder reads it with a detail::Reader
// and reports problems as "file:line:col: filters.X: ..." exactly like the loader.
// Untrusted input: the node is the operator's file, unchecked beyond YAML syntax.
#pragma once

#include <string>

#include "config/yaml_reader.hpp"

namespace portcullis::config {

struct RawSection {
  detail::Value value;  // path "filters", marked where the section's value starts
  std::string file;     // Config::source_file
};

}  // namespace portcullis::config
