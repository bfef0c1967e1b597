#include "proxy/builtin_filters.hpp"

#include "filters/access/access_filter.hpp"
#include "filters/helo/helo_filter.hpp"

namespace portcullis::proxy {

filters::FilterRegistry builtin_filters() {
  return {
      filters::access::make_access_factory(),
      filters::helo::make_helo_factory(),
  };
}

}  // namespace portcullis::proxy
