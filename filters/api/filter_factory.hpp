// How a filter enters the pipeline: its factory reads and validates its own section under
// `filters:` once per configuration (problems reported with file:line:col like every other
// config error) and builds the Filter shared by all sessions of that snapshot. Only main
// knows the list of concrete factories (FilterRegistry).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filters/api/blocking_pool.hpp"
#include "filters/api/filter.hpp"

namespace portcullis::config::detail {
class Reader;
class Map;
}  // namespace portcullis::config::detail

namespace portcullis::dns {
class Resolver;
}  // namespace portcullis::dns

namespace portcullis::filters {

// What a factory may need from the rest of the configuration.
struct FilterContext {
  std::string hostname;
  std::string authserv_id;  // RFC 8601 authserv-id of our Authentication-Results
  // The process's worker pool for blocking work; null where none exists (then filters that
  // need one run their work inline, e.g. in unit tests).
  BlockingPool* pool = nullptr;
  // The process's DNS resolver; null where none exists (--check-config): filters that need
  // one must still build, and answer temperror if ever run without it.
  dns::Resolver* resolver = nullptr;
  // Our own addresses are per session (Session::local_ips, wildcards expanded), not here.
};

class FilterFactory {
 public:
  virtual ~FilterFactory() = default;
  virtual std::string_view name() const = 0;  // its key under `filters:`
  // Filters that must run before this one when both are configured (checked at load).
  virtual std::vector<std::string_view> after() const { return {}; }
  // The keys its section may have, besides the common `deadline` and `on_error`.
  virtual std::vector<std::string_view> keys() const = 0;
  // Reads `section` (already checked for unknown keys); on a problem, reports it through
  // `reader` and returns null.
  virtual std::shared_ptr<Filter> create(config::detail::Reader& reader,
                                         const config::detail::Map& section,
                                         const FilterContext& context) const = 0;
};

using FilterRegistry = std::vector<std::shared_ptr<const FilterFactory>>;

}  // namespace portcullis::filters
