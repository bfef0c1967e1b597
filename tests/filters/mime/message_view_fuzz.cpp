// Fuzz target: any bytes as a whole message, with the default limits and with tiny ones.
// Invariants: no crash; every decoded string is valid UTF-8 (Hyperscan's UTF-8 mode needs
// it); the limits hold (parts, text sizes, URL count); body text starts with the subject line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "filters/mime/message_view.hpp"
#include "filters/mime/utf8.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

void check(std::string_view in, const portcullis::mime::Limits& limits) {
  using portcullis::mime::is_valid_utf8;
  const auto view = portcullis::mime::MessageView::parse(in, limits);
  FUZZ_CHECK(is_valid_utf8(view.body_text()));
  FUZZ_CHECK(is_valid_utf8(view.raw_body()));
  FUZZ_CHECK(is_valid_utf8(view.subject()));
  FUZZ_CHECK(is_valid_utf8(view.from()));
  FUZZ_CHECK(view.body_text().size() <= limits.max_text_bytes);
  FUZZ_CHECK(view.raw_body().size() <= limits.max_text_bytes);
  FUZZ_CHECK(view.part_count() <= limits.max_parts);
  FUZZ_CHECK(view.urls().size() <= limits.max_urls);
  FUZZ_CHECK(view.headers().size() <= limits.max_header_fields);
  // A subject over 2048 bytes is cut into lines like any other (SA's array), so only shorter
  // ones show up unchanged.
  if (limits.max_text_bytes > view.subject().size() + 1 && view.subject().size() <= 2048) {
    FUZZ_CHECK(view.body_text().substr(0, view.subject().size()) == view.subject());
  }
  for (const auto& h : view.headers()) {
    FUZZ_CHECK(is_valid_utf8(h.name) && is_valid_utf8(h.raw) && is_valid_utf8(h.decoded));
  }
  for (const auto& u : view.urls()) FUZZ_CHECK(is_valid_utf8(u));
  for (const auto& a : view.attachments()) {
    FUZZ_CHECK(is_valid_utf8(a.filename) && !a.sniffed_type.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check(in, {});
  portcullis::mime::Limits tiny;
  tiny.max_parts = 3;
  tiny.max_depth = 2;
  tiny.max_decoded_bytes = 64;
  tiny.max_text_bytes = 48;
  tiny.max_header_fields = 4;
  tiny.max_urls = 2;
  tiny.body_part_scan_size = 16;
  tiny.rawbody_part_scan_size = 16;
  check(in, tiny);
  return 0;
}
