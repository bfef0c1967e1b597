#include "filters/api/counters.hpp"

#include <array>

namespace portcullis::filters {
namespace {

using View = std::tuple<std::string_view, std::string_view, std::string_view>;

struct Family {
  std::string_view metric;
  std::string_view help;
  std::string_view label1;
  std::string_view label2;  // "" for one label
};

// Sorted by metric name, as render() prints them.
constexpr std::array kFamilies = {
    Family{"portcullis_filter_errors_total",
           "Filter hooks that threw or overran their deadline, by filter and kind.", "filter",
           "kind"},
    Family{"portcullis_filter_results_total", "Symbols added by filters, by filter and symbol.",
           "filter", "symbol"},
    Family{"portcullis_filter_verdicts_total",
           "Hard verdicts (accept, reject, tempfail, quarantine) by filter.", "filter", "verdict"},
    Family{"portcullis_messages_total", "Messages decided by the policy, by action.", "action", ""},
};

constexpr std::string_view kErrors = kFamilies[0].metric;
constexpr std::string_view kResults = kFamilies[1].metric;
constexpr std::string_view kVerdicts = kFamilies[2].metric;
constexpr std::string_view kMessages = kFamilies[3].metric;

// Label values: backslash, double quote and line feed escaped (exposition format).
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

}  // namespace

void Counters::symbol(std::string_view filter, std::string_view symbol) {
  add(kResults, filter, symbol);
}
void Counters::verdict(std::string_view filter, std::string_view kind) {
  add(kVerdicts, filter, kind);
}
void Counters::error(std::string_view filter, std::string_view kind) { add(kErrors, filter, kind); }
void Counters::message(std::string_view action) { add(kMessages, action, ""); }

std::uint64_t Counters::symbol_count(std::string_view filter, std::string_view symbol) const {
  return get(kResults, filter, symbol);
}
std::uint64_t Counters::verdict_count(std::string_view filter, std::string_view kind) const {
  return get(kVerdicts, filter, kind);
}
std::uint64_t Counters::error_count(std::string_view filter, std::string_view kind) const {
  return get(kErrors, filter, kind);
}
std::uint64_t Counters::message_count(std::string_view action) const {
  return get(kMessages, action, "");
}

void Counters::add(std::string_view metric, std::string_view a, std::string_view b) {
  const std::lock_guard lock(mutex_);
  const auto it = values_.find(View{metric, a, b});
  if (it != values_.end()) {
    ++it->second;
    return;
  }
  values_.emplace(Key{std::string(metric), std::string(a), std::string(b)}, 1);
}

std::uint64_t Counters::get(std::string_view metric, std::string_view a, std::string_view b) const {
  const std::lock_guard lock(mutex_);
  const auto it = values_.find(View{metric, a, b});
  return it == values_.end() ? 0 : it->second;
}

std::string Counters::render() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  for (const Family& family : kFamilies) {
    out.append("# HELP ").append(family.metric).append(" ").append(family.help).append("\n");
    out.append("# TYPE ").append(family.metric).append(" counter\n");
    // The map is sorted by (metric, label1, label2): the family's samples are one run.
    for (auto it = values_.lower_bound(View{family.metric, "", ""});
         it != values_.end() && std::get<0>(it->first) == family.metric; ++it) {
      out.append(family.metric).append("{").append(family.label1).append("=\"");
      append_label_value(out, std::get<1>(it->first));
      out.append("\"");
      if (!family.label2.empty()) {
        out.append(",").append(family.label2).append("=\"");
        append_label_value(out, std::get<2>(it->first));
        out.append("\"");
      }
      out.append("} ").append(std::to_string(it->second)).append("\n");
    }
  }
  return out;
}

}  // namespace portcullis::filters
