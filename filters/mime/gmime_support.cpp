#include "filters/mime/gmime_support.hpp"

#include <gmime/gmime.h>

#include <mutex>

#include "filters/mime/utf8.hpp"

namespace portcullis::mime {

namespace {
std::string repaired(const char* s) {
  std::string out;
  if (s != nullptr) append_utf8_repaired(out, s);
  return out;
}
}  // namespace

void ensure_gmime_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string disposition_parameter(std::string_view value, const char* name) {
  ensure_gmime_initialized();
  const std::string text(value);
  GMimeContentDisposition* disposition = g_mime_content_disposition_parse(nullptr, text.c_str());
  if (disposition == nullptr) return {};
  std::string result = repaired(g_mime_content_disposition_get_parameter(disposition, name));
  g_object_unref(disposition);
  return result;
}

std::string content_type_parameter(std::string_view value, const char* name) {
  ensure_gmime_initialized();
  const std::string text(value);
  GMimeContentType* type = g_mime_content_type_parse(nullptr, text.c_str());
  if (type == nullptr) return {};
  std::string result = repaired(g_mime_content_type_get_parameter(type, name));
  g_object_unref(type);
  return result;
}

}  // namespace portcullis::mime
