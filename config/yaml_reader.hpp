// Reads a parsed YAML tree into typed values for the config schema, collecting every problem
// as "file:line:col: key.path: message" rather than stopping at the first one.
// Untrusted input: the whole tree (the config file is the operator's, but any value may be
// malformed). Values quoted in messages are escaped and capped (syntax.hpp). Mappings report
// unknown keys (with a "did you mean" at edit distance <= 2), duplicate keys, and the keys
// and values listed in not_yet.hpp. Gaps: YAML merge keys ("<<") are unknown keys; tags are
// ignored (a quoted "10" reads like 10).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::config::detail {

// One value in the tree, with its key path ("limits.max_errors", "listeners[0].tls") and the
// place messages about it point at.
struct Value {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
};

// The entries of one mapping, already checked for unknown and duplicate keys.
class Map {
 public:
  struct Entry {
    std::string key;
    Value value;
    YAML::Mark key_mark;  // where the key itself is written
  };
  std::optional<Value> get(std::string_view key) const;
  // Every entry, in file order (the pipeline's order of filters is the file's).
  const std::vector<Entry>& entries() const { return entries_; }
  // Where a "missing key" message about this mapping points.
  const YAML::Mark& mark() const { return mark_; }
  const std::string& path() const { return path_; }

 private:
  friend class Reader;
  std::vector<Entry> entries_;
  std::string path_;
  YAML::Mark mark_;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void problem(const YAML::Mark& at, std::string_view path, std::string_view message);
  void problem(const Value& v, std::string_view message) { problem(v.mark, v.path, message); }
  // For "key: missing" under a mapping.
  void missing(const Map& map, std::string_view key, std::string_view expected);
  // A problem about the whole file, not one key ("file:line:col: message").
  void file_problem(const YAML::Mark& at, std::string_view message);
  bool has_problems() const { return !problems_.empty(); }
  std::size_t problem_count() const { return problems_.size(); }
  // Every problem, ordered by position in the file.
  std::vector<std::string> take_problems();

  // `known` lists the keys the schema reads; any other key is reported, except the refused
  // keys of not_yet.hpp, which get their own message. A null value ("limits:" with its
  // contents commented out) reads as an empty mapping.
  std::optional<Map> mapping(const Value& v, std::initializer_list<std::string_view> known);
  // Same, for a key list built at run time (the filter names of a registry). `noun` names
  // what a key is in the "unknown key; did you mean" message ("unknown filter; ...").
  std::optional<Map> mapping(const Value& v, std::span<const std::string_view> known,
                             std::string_view noun = "key");
  // A null value is an error here: "trusted_networks:" could mean "none" or "the default".
  std::optional<std::vector<Value>> sequence(const Value& v, std::string_view expected);
  std::optional<std::string> string(const Value& v, std::string_view expected);
  // true|false only (not YAML 1.1's yes/no/on/off). Refuses values listed in not_yet.hpp.
  std::optional<bool> boolean(const Value& v);
  std::optional<std::uint64_t> count(const Value& v, std::uint64_t min, std::uint64_t max);
  std::optional<std::uint64_t> size(const Value& v, std::uint64_t min, std::uint64_t max);
  std::optional<std::uint64_t> duration_ms(const Value& v, std::uint64_t min, std::uint64_t max);
  // A score or threshold like 15 or 7.5 (parse_score in config.hpp).
  std::optional<double> score(const Value& v);
  // One of the given names; refuses values listed in not_yet.hpp.
  template <class E>
  std::optional<E> choice(const Value& v,
                          std::initializer_list<std::pair<std::string_view, E>> options) {
    std::vector<std::string_view> names;
    for (const auto& option : options) names.push_back(option.first);
    const auto index = choice_index(v, names);
    if (!index) return std::nullopt;
    return (options.begin() + *index)->second;
  }

  static Value child(const Value& parent, std::string_view key, const YAML::Node& node,
                     const YAML::Mark& key_mark);
  static Value element(const Value& parent, std::size_t index, const YAML::Node& node);

 private:
  std::optional<std::size_t> choice_index(const Value& v,
                                          const std::vector<std::string_view>& names);
  bool refused(const Value& v, std::string_view value_text);

  struct Problem {
    int line;
    int column;
    std::string text;
  };
  std::string file_;
  std::vector<Problem> problems_;
};

// "what kind of value" for "expected X, got Y": nothing, a list, a mapping, "text".
std::string describe(const YAML::Node& node);

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace portcullis::config::detail
