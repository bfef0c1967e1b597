// Antivirus (DESIGN.md filters.antivirus, docs/filters.md#antivirus): scans the whole message
// at end of message with ClamAV, either libclamav in process (`engine: libclamav`, a compiled
// engine shared by every session, the scan on the blocking pool) or a clamd daemon
// (`engine: clamd`, INSTREAM over a unix or TCP socket, asynchronous). Attachments, archives
// and nested MIME parts are unpacked by ClamAV.
// A virus is a hard fact: reject (default), quarantine or only tag with a score. Encrypted
// archives/documents and other heuristic alerts are scored, not refused. A scan that could
// not finish (scanner down, timeout, a ClamAV limit hit) is never taken as clean: tempfail
// 451 4.7.1 by default, or with `fail_open: true` the symbol AV_FAIL_OPEN and the message goes
// on. Untrusted input: the message; ClamAV's parsers run on it (keep libclamav updated).
// Reload: a new configuration loads a new engine before the old one is freed, so memory
// briefly doubles.
#pragma once

#include <memory>
#include <string_view>

#include "filters/api/filter_factory.hpp"

namespace portcullis::filters::antivirus {

inline constexpr std::string_view kFilterName = "antivirus";

inline constexpr std::string_view kInfected = "AV_INFECTED";    // detail: the virus name
inline constexpr std::string_view kEncrypted = "AV_ENCRYPTED";  // detail: Heuristics.Encrypted.*
inline constexpr std::string_view kHeuristic = "AV_HEURISTIC";  // detail: Heuristics.*
inline constexpr std::string_view kFailOpen = "AV_FAIL_OPEN";   // detail: why the scan failed
inline constexpr std::string_view kError = "AV_ERROR";          // detail: why the scan failed

inline constexpr std::string_view kErrorText =
    "Error: message could not be scanned for viruses, try again later";

// The factory main registers under `filters: { antivirus: ... }`.
std::shared_ptr<const FilterFactory> make_antivirus_factory();

}  // namespace portcullis::filters::antivirus
