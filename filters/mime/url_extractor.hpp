// URLs in plain (rendered) text, after SpamAssassin 4.0.1's PerMsgStatus::_tbirdurire and
// _process_text_uri_list: http://, https://, ftp://, www\d{0,2}. and ftp. prefixes (given
// http:// / ftp://), mailto: and bare user@host.tld addresses (given mailto:), delimited as
// Thunderbird does (><"`}]{[| whitespace ESC NBSP end a URL; a ')' without '(' ends it;
// trailing .,;:!?'-~@#^&*()_+= dropped). Untrusted input: the text (valid UTF-8).
// Limits: candidates are at most 2048 bytes (251 for each half of an address); at most
// `max_urls` results; one linear pass.
// Gaps: schemeless host names (example.com/path) are not taken (SA needs its TLD list for
// them); SA's canonicalised variants (percent-decoding, redirector targets) are not added;
// the host TLD check of addresses is "has a dot and ends in 2+ letters", not SA's TLD list.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime {

void extract_text_urls(std::string_view text, std::vector<std::string>& urls,
                       std::size_t max_urls);

}  // namespace portcullis::mime
