// The little GMime glue the MIME view needs, kept out of every public header so glib never
// leaks to users of message_view.hpp: one-time library init, and RFC 2231/2047 decoding of
// Content-Type / Content-Disposition parameters (filename, name).
// Untrusted input: the header values. GMime bounds its own work by the value's length.
// Gaps: GMime's fallback charsets for undeclared 8-bit parameter values (UTF-8, then
// ISO-8859-1) are used as they are.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::mime {

// g_mime_init() exactly once per process (std::call_once); cheap after the first call.
void ensure_gmime_initialized();

// The value of parameter `name` (e.g. "filename", "name") of a Content-Disposition or
// Content-Type value (unfolded, without the field name), RFC 2231 continuations and charset
// and RFC 2047 words decoded, as UTF-8 (repaired). "" when absent.
std::string disposition_parameter(std::string_view value, const char* name);
std::string content_type_parameter(std::string_view value, const char* name);

}  // namespace portcullis::mime
