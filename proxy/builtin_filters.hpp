// The one place that knows the list of concrete filters (STYLE.md: only main does).
#pragma once

#include "filters/api/filter_factory.hpp"

namespace portcullis::proxy {

filters::FilterRegistry builtin_filters();

}  // namespace portcullis::proxy
