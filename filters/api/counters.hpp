// In-memory counters per filter outcome, Prometheus style, for the admin endpoint to come:
//   portcullis_filter_results_total{filter="helo",symbol="HELO_BAD_SYNTAX"} 3
//   portcullis_filter_verdicts_total{filter="access",verdict="reject"} 2
//   portcullis_filter_errors_total{filter="dnsbl",kind="timeout"} 1
//   portcullis_messages_total{action="reject"} 7
// Thread-safe; labels are our own names (filter names, UPPER_SNAKE symbols, fixed kinds),
// never client input, so cardinality stays bounded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace portcullis::filters {

class Counters {
 public:
  void symbol(std::string_view filter, std::string_view symbol);
  void verdict(std::string_view filter, std::string_view kind);  // reject|tempfail|accept|quarantine
  void error(std::string_view filter, std::string_view kind);    // exception|timeout
  void message(std::string_view action);

  std::uint64_t symbol_count(std::string_view filter, std::string_view symbol) const;
  std::uint64_t verdict_count(std::string_view filter, std::string_view kind) const;
  std::uint64_t error_count(std::string_view filter, std::string_view kind) const;
  std::uint64_t message_count(std::string_view action) const;
  // Prometheus text exposition format, sorted, with HELP/TYPE lines (every family, even one
  // without samples yet), label values escaped.
  std::string render() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // metric, label1, label2
  void add(std::string_view metric, std::string_view a, std::string_view b);
  std::uint64_t get(std::string_view metric, std::string_view a, std::string_view b) const;
  mutable std::mutex mutex_;
  // Transparent comparison: counting looks up string_views without building strings.
  std::map<Key, std::uint64_t, std::less<>> values_;
};

}  // namespace portcullis::filters
