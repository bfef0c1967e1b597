#include "proxy/builtin_filters.hpp"

#include "filters/access/access_filter.hpp"
#include "filters/antivirus/antivirus_filter.hpp"
#include "filters/content/rules_filter.hpp"
#include "filters/dkim/dkim_filter.hpp"
#include "filters/dmarc/dmarc_filter.hpp"
#include "filters/helo/helo_filter.hpp"
#include "filters/spf/spf_filter.hpp"

namespace portcullis::proxy {

filters::FilterRegistry builtin_filters() {
  return {
      filters::access::make_access_factory(),
      filters::helo::make_helo_factory(),
      filters::antivirus::make_antivirus_factory(),
      filters::spf::make_spf_factory(),
      filters::dkim::make_dkim_factory(),
      filters::dmarc::make_dmarc_factory(),
      filters::content::make_rules_factory(),
  };
}

LoadedConfig load_gate_config(const std::string& path,
                              std::shared_ptr<filters::Counters> counters,
                              filters::BlockingPool* pool, dns::Resolver* resolver) {
  const filters::FilterRegistry registry = builtin_filters();
  std::shared_ptr<filters::Pipeline> pipeline;
  // The pipeline is built inside the loader's extra check, so its problems are listed with
  // the rest of the file's, and the pipeline that passed is the one kept.
  auto build = [&](const config::Config& c) -> std::vector<std::string> {
    try {
      pipeline = filters::build_pipeline(c, registry, counters, pool, resolver);
    } catch (const config::ConfigError& e) {
      pipeline.reset();
      return e.problems();
    }
    return {};
  };
  LoadedConfig loaded;
  loaded.config = config::load_config_file(path, build);
  loaded.pipeline = std::move(pipeline);
  return loaded;
}

}  // namespace portcullis::proxy
