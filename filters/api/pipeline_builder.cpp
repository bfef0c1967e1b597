// build_pipeline: the `filters:` section (kept raw by the config loader) read with the
// loader's own Reader, so its problems look like every other config problem.
#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <stdexcept>

#include "config/config.hpp"
#include "config/raw_section.hpp"
#include "config/yaml_reader.hpp"
#include "filters/api/pipeline.hpp"

namespace portcullis::filters {
namespace {

using config::detail::Map;
using config::detail::Reader;

constexpr std::uint64_t kMinDeadlineMs = 1;
constexpr std::uint64_t kMaxDeadlineMs = 10 * 60'000;

FilterContext make_context(const config::Config& config, BlockingPool* pool,
                           dns::Resolver* resolver) {
  FilterContext context;
  context.hostname = config.hostname;
  context.authserv_id = config.authserv_id;
  context.pool = pool;
  context.resolver = resolver;
  return context;
}

const FilterFactory* find_factory(const FilterRegistry& registry, std::string_view name) {
  for (const auto& factory : registry) {
    if (factory->name() == name) return factory.get();
  }
  return nullptr;
}

// One configured filter, in file order.
struct Configured {
  const Map::Entry* entry;
  const FilterFactory* factory;
};

// Reads one filter's section; returns its entry, or nothing after reporting why.
std::optional<PipelineEntry> build_entry(Reader& reader, const Map::Entry& entry,
                                         const FilterFactory& factory,
                                         const FilterContext& context) {
  std::vector<std::string_view> keys = factory.keys();
  keys.push_back("deadline");
  keys.push_back("on_error");
  const auto section = reader.mapping(entry.value, keys);
  if (!section) return std::nullopt;
  PipelineEntry built;
  const std::size_t problems_before = reader.problem_count();
  if (const auto deadline = section->get("deadline")) {
    if (const auto ms = reader.duration_ms(*deadline, kMinDeadlineMs, kMaxDeadlineMs)) {
      built.deadline = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(*ms));
    }
  }
  if (const auto on_error = section->get("on_error")) {
    if (const auto value = reader.choice<OnError>(
            *on_error, {{"tempfail", OnError::kTempfail}, {"continue", OnError::kContinue}})) {
      built.on_error = *value;
    }
  }
  try {
    built.filter = factory.create(reader, *section, context);
  } catch (const std::exception& e) {
    // Factories report through the reader; one that throws still gets a place in the file.
    reader.problem(entry.value, e.what());
    return std::nullopt;
  }
  if (!built.filter) {
    if (reader.problem_count() == problems_before) {
      reader.problem(entry.value, "the filter could not be built from this section");
    }
    return std::nullopt;
  }
  if (reader.problem_count() != problems_before) return std::nullopt;
  return built;
}

// Each filter's `after` names that are configured must come earlier in the file.
void check_order(Reader& reader, const std::vector<Configured>& configured) {
  for (std::size_t i = 0; i < configured.size(); ++i) {
    for (std::string_view before : configured[i].factory->after()) {
      for (std::size_t j = i + 1; j < configured.size(); ++j) {
        if (configured[j].entry->key != before) continue;
        const Map::Entry& entry = *configured[i].entry;
        reader.problem(
            entry.key_mark, entry.value.path,
            fmt::format("must come after filters.{} (it uses {}'s results)", before, before));
      }
    }
  }
}

}  // namespace

std::shared_ptr<Pipeline> build_pipeline(const config::Config& config,
                                         const FilterRegistry& registry,
                                         std::shared_ptr<Counters> counters,
                                         BlockingPool* pool, dns::Resolver* resolver) {
  std::vector<std::string_view> names;
  for (const auto& factory : registry) {
    if (!factory) throw std::invalid_argument("null filter factory in the registry");
    if (std::find(names.begin(), names.end(), factory->name()) != names.end()) {
      throw std::invalid_argument(
          fmt::format("two filter factories named '{}' in the registry", factory->name()));
    }
    names.push_back(factory->name());
  }
  const Policy policy(Thresholds{config.policy.reject, config.policy.tempfail,
                                 config.policy.quarantine, config.policy.add_header});
  std::vector<PipelineEntry> entries;
  if (config.filters) {
    Reader reader(config.filters->file);
    // Unknown names get "unknown filter; did you mean"; names of filters not built yet
    // (config/not_yet.cpp) get "not supported by this build yet".
    const auto section = reader.mapping(config.filters->value, names, "filter");
    if (section) {
      const FilterContext context = make_context(config, pool, resolver);
      std::vector<Configured> configured;
      for (const Map::Entry& entry : section->entries()) {
        const FilterFactory* factory = find_factory(registry, entry.key);
        if (!factory) continue;  // the mapping admitted only registered names
        configured.push_back({&entry, factory});
        if (auto built = build_entry(reader, entry, *factory, context)) {
          entries.push_back(std::move(*built));
        }
      }
      check_order(reader, configured);
    }
    if (reader.has_problems()) throw config::ConfigError(reader.take_problems());
  }
  return std::make_shared<Pipeline>(std::move(entries), policy, std::move(counters));
}

}  // namespace portcullis::filters
