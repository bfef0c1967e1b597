// Fuzz target for the tag-list parser and the DKIM-Signature parser: offsets stay inside the
// input, parsed values satisfy the documented syntax and limits, parsing is deterministic.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "filters/dkim/dkim_signature.hpp"
#include "filters/dkim/tag_list.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace portcullis::filters::dkim::fuzz {
namespace {

void check_tags(std::string_view in) {
  const TagList t = parse_tag_list(in);
  if (!t.ok()) return;
  FUZZ_CHECK(t.tags.size() <= kMaxTags);
  for (std::size_t i = 0; i < t.tags.size(); ++i) {
    const Tag& tag = t.tags[i];
    FUZZ_CHECK(!tag.name.empty());
    FUZZ_CHECK(tag.name.find_first_of("=; \t\r\n") == std::string_view::npos);
    FUZZ_CHECK(tag.value.find(';') == std::string_view::npos);
    FUZZ_CHECK(tag.after_equals <= tag.value_end && tag.value_end <= in.size());
    FUZZ_CHECK(in[tag.after_equals - 1] == '=');
    if (!tag.value.empty()) {
      FUZZ_CHECK(in.substr(tag.value_end - tag.value.size(), tag.value.size()) == tag.value);
    }
    for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(t.tags[j].name != tag.name);
    FUZZ_CHECK(t.find(tag.name) == &tag);
  }
}

void check_signature(std::string_view in) {
  const ParsedSignature p = parse_signature(in);
  const ParsedSignature again = parse_signature(in);
  FUZZ_CHECK(p.error == again.error);
  if (!p.ok()) return;
  const DkimSignature& s = p.signature;
  FUZZ_CHECK(in.size() <= kMaxSignatureValue);
  FUZZ_CHECK(is_dkim_domain(s.domain) && is_dkim_domain(s.selector));
  FUZZ_CHECK(s.key_name().size() <= 253);
  FUZZ_CHECK(!s.headers.empty() && s.headers.size() <= kMaxSignedHeaders);
  bool from = false;
  for (const std::string& h : s.headers) from = from || h == "from";
  FUZZ_CHECK(from == s.from_signed);
  FUZZ_CHECK(!s.signature.empty() && !s.body_hash.empty());
  FUZZ_CHECK(s.b_value_begin <= s.b_value_end && s.b_value_end <= in.size());
  FUZZ_CHECK(!s.identity.empty() && s.identity.find('@') != std::string::npos);
  if (s.timestamp && s.expiration) FUZZ_CHECK(*s.expiration >= *s.timestamp);
  FUZZ_CHECK(p.domain == s.domain && p.selector == s.selector);
  FUZZ_CHECK(p.b.find_first_of(" \t\r\n") == std::string::npos);
}

}  // namespace
}  // namespace portcullis::filters::dkim::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  portcullis::filters::dkim::fuzz::check_tags(in);
  portcullis::filters::dkim::fuzz::check_signature(in);
  return 0;
}
