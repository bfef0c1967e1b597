#include "filters/api/symbol_scores.hpp"

#include <vector>

#include "config/yaml_reader.hpp"

namespace portcullis::filters {

void read_symbol_scores(config::detail::Reader& reader, const config::detail::Map& section,
                        const SymbolDefault* table, double* scores, std::size_t count) {
  const auto v = section.get("scores");
  if (!v) return;
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < count; ++i) names.push_back(table[i].name);
  const auto map = reader.mapping(*v, names, "symbol");
  if (!map) return;
  for (std::size_t i = 0; i < count; ++i) {
    if (const auto entry = map->get(table[i].name)) {
      if (const auto score = reader.score(*entry)) scores[i] = *score;
    }
  }
}

std::string symbol_detail(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (char c : text.substr(0, kMax)) out += (c >= ' ' && c < 0x7f) ? c : '?';
  if (text.size() > kMax) out.replace(kMax - 3, 3, "...");
  return out;
}

}  // namespace portcullis::filters
