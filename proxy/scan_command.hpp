// `portcullis scan` (DESIGN.md command line, fixed grammar and JSON fields): the pipeline
// offline over saved messages, so a verdict can be reproduced. It runs the same stages as
// a proxy session would (connect, helo if --helo, mail, rcpt per --rcpt, data, end of
// message) with the same filters and policy; nothing is delivered.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "filters/api/pipeline.hpp"

namespace portcullis::proxy {

struct ScanOptions {
  std::string client_ip = "127.0.0.1";
  std::optional<std::string> helo;
  std::string mail_from;                // "" = the null sender
  std::vector<std::string> recipients;
  bool json = false;
  std::vector<std::string> files;
};

// Scans every file and prints one result per file to `out` (one JSON object per line with
// --json). Problems with a file (unreadable, too big) go to `err` with the file name.
// Returns the exit code: 0 when every message was scanned, 1 when some could not be read.
int run_scan(const config::Config& config, const filters::Pipeline& pipeline,
             const ScanOptions& options, std::ostream& out, std::ostream& err);

// Message bytes as SMTP would deliver them to the filters: LF line ends become CRLF
// (saved .eml files usually have LF), CRLF stays.
std::string to_crlf(std::string_view text);

}  // namespace portcullis::proxy
