// parse_size and parse_duration_ms (declared in config.hpp): the unit grammar of DESIGN.md.
// Sizes: a whole number of bytes, or one followed by KiB, MiB or GiB (binary; "MB" and "50 MiB"
// are refused rather than guessed). Durations: a whole number followed by ms, s, m or h; a
// plain number is refused (seconds or milliseconds?). Results that overflow 64 bits are refused.
// Scores: an optional '-', a whole number and an optional fraction of up to 6 digits.
#include <charconv>
#include <cstddef>
#include <cstdint>

#include "config/config.hpp"
#include "config/syntax.hpp"

namespace portcullis::config {
namespace {

struct Unit {
  std::string_view suffix;
  std::uint64_t factor;
};

std::optional<std::uint64_t> parse_with_units(std::string_view text,
                                              std::initializer_list<Unit> units) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const auto number = detail::parse_decimal(text.substr(0, digits));
  if (!number) return std::nullopt;
  const std::string_view suffix = text.substr(digits);
  for (const Unit& unit : units) {
    if (unit.suffix != suffix) continue;
    if (*number > UINT64_MAX / unit.factor) return std::nullopt;
    return *number * unit.factor;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  return parse_with_units(text,
                          {{"", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}});
}

std::optional<std::uint64_t> parse_duration_ms(std::string_view text) {
  return parse_with_units(text, {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}});
}

std::optional<double> parse_score(std::string_view text) {
  constexpr double kMaxScore = 1'000'000;
  std::string_view rest = text;
  if (rest.starts_with('-')) rest.remove_prefix(1);
  const std::size_t dot = rest.find('.');
  const std::string_view whole = rest.substr(0, dot);
  if (!detail::parse_decimal(whole)) return std::nullopt;
  if (dot != std::string_view::npos) {
    const std::string_view fraction = rest.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 6) return std::nullopt;
    for (char c : fraction) {
      if (c < '0' || c > '9') return std::nullopt;
    }
  }
  // The grammar is checked above; from_chars only converts (it would also take "1e3", "inf").
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value > kMaxScore || value < -kMaxScore) return std::nullopt;
  if (value == 0) value = 0;  // "-0" reads as 0, not -0
  return value;
}

}  // namespace portcullis::config
