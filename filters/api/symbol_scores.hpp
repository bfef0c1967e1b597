// A filter's symbol table: its UPPER_SNAKE names with default scores, the `scores:` key of
// its section that overrides them ({SPF_FAIL: 4, SPF_PASS: -1}), and adding a symbol to a
// transaction. Shared by the filters that earn several symbols.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "filters/api/transaction.hpp"

namespace portcullis::config::detail {
class Reader;
class Map;
}  // namespace portcullis::config::detail

namespace portcullis::filters {

struct SymbolDefault {
  std::string_view name;
  double score;
};

template <std::size_t N>
class SymbolScores {
 public:
  explicit constexpr SymbolScores(const std::array<SymbolDefault, N>& table) : table_(table) {
    for (std::size_t i = 0; i < N; ++i) scores_[i] = table[i].score;
  }
  // Reads `scores:` if the section has it; problems go to the reader.
  void read(config::detail::Reader& reader, const config::detail::Map& section);
  double score(std::size_t index) const { return scores_[index]; }
  std::string_view name(std::size_t index) const { return table_[index].name; }
  void add(Transaction& txn, std::size_t index, std::string detail,
           std::string_view filter) const {
    txn.symbols.push_back(Symbol{std::string(table_[index].name), scores_[index],
                                 std::move(detail), std::string(filter)});
  }

 private:
  std::array<SymbolDefault, N> table_;
  std::array<double, N> scores_{};
};

// The non-template part of SymbolScores::read.
void read_symbol_scores(config::detail::Reader& reader, const config::detail::Map& section,
                        const SymbolDefault* table, double* scores, std::size_t count);

template <std::size_t N>
void SymbolScores<N>::read(config::detail::Reader& reader, const config::detail::Map& section) {
  read_symbol_scores(reader, section, table_.data(), scores_.data(), N);
}

// A detail for symbols and logs: printable ASCII only ('?' for others), at most 64 bytes.
std::string symbol_detail(std::string_view text);

}  // namespace portcullis::filters
