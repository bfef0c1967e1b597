#include "config/yaml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "config/config.hpp"
#include "config/not_yet.hpp"
#include "config/syntax.hpp"

namespace portcullis::config::detail {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = kKiB * 1024;
constexpr std::uint64_t kGiB = kMiB * 1024;

bool is_plain_key(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::string join(std::string_view path, std::string_view key) {
  const std::string printable = is_plain_key(key) ? std::string(key) : quoted(key);
  if (path.empty()) return printable;
  return fmt::format("{}.{}", path, printable);
}

int position(int zero_based) { return zero_based < 0 ? 1 : zero_based + 1; }

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0 && bytes % kGiB == 0) return fmt::format("{}GiB", bytes / kGiB);
  if (bytes != 0 && bytes % kMiB == 0) return fmt::format("{}MiB", bytes / kMiB);
  if (bytes != 0 && bytes % kKiB == 0) return fmt::format("{}KiB", bytes / kKiB);
  return fmt::format("{}", bytes);
}

std::string format_duration(std::uint64_t ms) {
  if (ms != 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms != 0 && ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

// "from 1 to 256" / "of at least 1", with each bound printed by `show`.
template <class Show>
std::string range_text(std::uint64_t min, std::uint64_t max, std::uint64_t unbounded, Show show) {
  if (max >= unbounded) return fmt::format("of at least {}", show(min));
  return fmt::format("from {} to {}", show(min), show(max));
}

// Why a number-with-unit did not parse, when it starts like one.
std::string unit_hint(std::string_view text, std::initializer_list<std::string_view> units,
                      std::string_view units_text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return "";
  if (digits > 1 && text[0] == '0') return "; write the number without leading zeros";
  const std::string_view suffix = text.substr(digits);
  if (std::find(units.begin(), units.end(), suffix) != units.end()) return "; too large";
  if (suffix.empty()) return "; a plain number is ambiguous, add ms, s, m or h";
  return std::string(units_text);
}

}  // namespace

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return quoted(node.Scalar());
  }
  return "something else";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<Value> Map::get(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return entry.value;
  }
  return std::nullopt;
}

void Reader::problem(const YAML::Mark& at, std::string_view path, std::string_view message) {
  const int line = position(at.line);
  const int column = position(at.column);
  std::string text = path.empty()
                         ? fmt::format("{}:{}:{}: {}", file_, line, column, message)
                         : fmt::format("{}:{}:{}: {}: {}", file_, line, column, path, message);
  problems_.push_back({line, column, std::move(text)});
}

void Reader::missing(const Map& map, std::string_view key, std::string_view expected) {
  problem(map.mark(), join(map.path(), key), fmt::format("missing; expected {}", expected));
}

void Reader::file_problem(const YAML::Mark& at, std::string_view message) {
  problem(at, "", message);
}

std::vector<std::string> Reader::take_problems() {
  std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::vector<std::string> out;
  out.reserve(problems_.size());
  for (auto& p : problems_) out.push_back(std::move(p.text));
  problems_.clear();
  return out;
}

Value Reader::child(const Value& parent, std::string_view key, const YAML::Node& node,
                    const YAML::Mark& key_mark) {
  // A null value ("key:" and nothing) carries the mark of whatever comes next; point at the key.
  const bool use_key = node.IsNull() || node.Mark().is_null();
  return Value{node, join(parent.path, key), use_key ? key_mark : node.Mark()};
}

Value Reader::element(const Value& parent, std::size_t index, const YAML::Node& node) {
  const bool use_parent = node.IsNull() || node.Mark().is_null();
  return Value{node, fmt::format("{}[{}]", parent.path, index),
               use_parent ? parent.mark : node.Mark()};
}

std::optional<Map> Reader::mapping(const Value& v, std::initializer_list<std::string_view> known) {
  return mapping(v, std::span<const std::string_view>(known.begin(), known.size()));
}

std::optional<Map> Reader::mapping(const Value& v, std::span<const std::string_view> known,
                                   std::string_view noun) {
  Map map;
  map.path_ = v.path;
  map.mark_ = v.mark;
  if (v.node.IsNull()) return map;
  if (!v.node.IsMap()) {
    problem(v, fmt::format("expected a mapping (key: value), got {}", describe(v.node)));
    return std::nullopt;
  }
  const std::string parent_schema = schema_path(v.path);
  std::vector<std::string_view> candidates(known.begin(), known.end());
  for (std::string_view key : not_yet_keys_under(parent_schema)) candidates.push_back(key);

  std::vector<std::pair<std::string, int>> seen;  // key, 1-based line
  for (auto it = v.node.begin(); it != v.node.end(); ++it) {
    // Copies: yaml-cpp's iterator hands out a temporary proxy, a reference would dangle.
    const YAML::Node key_node = it->first;
    const YAML::Node value_node = it->second;
    const YAML::Mark key_mark = key_node.Mark();
    if (!key_node.IsScalar()) {
      problem(key_mark, v.path, fmt::format("expected a plain key, got {}", describe(key_node)));
      continue;
    }
    const std::string key = key_node.Scalar();
    const std::string path = join(v.path, key);
    const auto first =
        std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key; });
    if (first != seen.end()) {
      problem(key_mark, path, fmt::format("duplicate key (first on line {})", first->second));
      continue;
    }
    seen.emplace_back(key, position(key_mark.line));
    if (is_not_yet_supported(schema_path(path), "")) {
      problem(key_mark, path, "not supported by this build yet");
      continue;
    }
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string_view best;
      std::size_t best_distance = 3;
      for (std::string_view candidate : candidates) {
        const std::size_t d = edit_distance(key, candidate);
        if (d < best_distance) {
          best = candidate;
          best_distance = d;
        }
      }
      problem(key_mark, path,
              best.empty() ? fmt::format("unknown {}", noun)
                           : fmt::format("unknown {}; did you mean '{}'?", noun, best));
      continue;
    }
    map.entries_.push_back({key, child(v, key, value_node, key_mark), key_mark});
  }
  return map;
}

std::optional<std::vector<Value>> Reader::sequence(const Value& v, std::string_view expected) {
  if (!v.node.IsSequence()) {
    problem(v, fmt::format("expected {}, got {}{}", expected, describe(v.node),
                           v.node.IsNull() ? " (write [] for an empty list)" : ""));
    return std::nullopt;
  }
  std::vector<Value> out;
  out.reserve(v.node.size());
  std::size_t index = 0;
  for (const YAML::Node& item : v.node) out.push_back(element(v, index++, item));
  return out;
}

std::optional<std::string> Reader::string(const Value& v, std::string_view expected) {
  if (!v.node.IsScalar()) {
    problem(v, fmt::format("expected {}, got {}", expected, describe(v.node)));
    return std::nullopt;
  }
  return v.node.Scalar();
}

bool Reader::refused(const Value& v, std::string_view value_text) {
  if (!is_not_yet_supported(schema_path(v.path), value_text)) return false;
  problem(v, fmt::format("{} is not supported by this build yet", value_text));
  return true;
}

std::optional<bool> Reader::boolean(const Value& v) {
  const auto text = string(v, "true or false");
  if (!text) return std::nullopt;
  std::optional<bool> value;
  if (*text == "true" || *text == "True" || *text == "TRUE") value = true;
  if (*text == "false" || *text == "False" || *text == "FALSE") value = false;
  if (!value) {
    problem(v, fmt::format("expected true or false, got {}", quoted(*text)));
    return std::nullopt;
  }
  if (refused(v, *value ? "true" : "false")) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> Reader::count(const Value& v, std::uint64_t min, std::uint64_t max) {
  const std::string expected = fmt::format(
      "a whole number {}",
      range_text(min, max, UINT64_MAX, [](std::uint64_t n) { return fmt::format("{}", n); }));
  const auto text = string(v, expected);
  if (!text) return std::nullopt;
  const auto number = parse_decimal(*text);
  if (!number || *number < min || *number > max) {
    problem(v, fmt::format("expected {}, got {}", expected, quoted(*text)));
    return std::nullopt;
  }
  return number;
}

std::optional<std::uint64_t> Reader::size(const Value& v, std::uint64_t min, std::uint64_t max) {
  const auto text = string(v, "a size like 50MiB");
  if (!text) return std::nullopt;
  const auto bytes = parse_size(*text);
  if (!bytes) {
    problem(v, fmt::format(
                   "expected a size like 50MiB, got {}{}", quoted(*text),
                   unit_hint(*text, {"", "KiB", "MiB", "GiB"}, "; units are KiB, MiB and GiB")));
    return std::nullopt;
  }
  if (*bytes < min || *bytes > max) {
    problem(v,
            fmt::format("expected a size {}, got {}",
                        range_text(min, max, std::numeric_limits<std::size_t>::max(), format_size),
                        quoted(*text)));
    return std::nullopt;
  }
  return bytes;
}

std::optional<std::uint64_t> Reader::duration_ms(const Value& v, std::uint64_t min,
                                                 std::uint64_t max) {
  const auto text = string(v, "a duration like 30s");
  if (!text) return std::nullopt;
  const auto ms = parse_duration_ms(*text);
  if (!ms) {
    problem(v, fmt::format("expected a duration like 30s, got {}{}", quoted(*text),
                           unit_hint(*text, {"ms", "s", "m", "h"}, "; units are ms, s, m and h")));
    return std::nullopt;
  }
  if (*ms < min || *ms > max) {
    problem(v, fmt::format("expected a duration {}, got {}",
                           range_text(min, max, UINT64_MAX, format_duration), quoted(*text)));
    return std::nullopt;
  }
  return ms;
}

std::optional<double> Reader::score(const Value& v) {
  static constexpr std::string_view kExpected = "a number like 15 or 7.5";
  const auto text = string(v, kExpected);
  if (!text) return std::nullopt;
  const auto value = parse_score(*text);
  if (!value) {
    problem(v, fmt::format("expected {} (from -1000000 to 1000000, at most 6 decimals), got {}",
                           kExpected, quoted(*text)));
    return std::nullopt;
  }
  return value;
}

std::optional<std::size_t> Reader::choice_index(const Value& v,
                                                const std::vector<std::string_view>& names) {
  std::string expected = "one of ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i != 0) expected += i + 1 == names.size() ? " or " : ", ";
    expected += names[i];
  }
  const auto text = string(v, expected);
  if (!text) return std::nullopt;
  const auto it = std::find(names.begin(), names.end(), *text);
  if (it == names.end()) {
    problem(v, fmt::format("expected {}, got {}", expected, quoted(*text)));
    return std::nullopt;
  }
  if (refused(v, *it)) return std::nullopt;
  return static_cast<std::size_t>(it - names.begin());
}

}  // namespace portcullis::config::detail
