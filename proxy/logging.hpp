// Log set-up: spdlog to stderr (systemd style), as text or one JSON object per line.
#pragma once

#include <string>

#include "config/config.hpp"

namespace portcullis::proxy {

void setup_logging(config::LogFormat format, const std::string& level);

}  // namespace portcullis::proxy
