// HTML -> the text SpamAssassin 4.0.1 renders for `body` rules (Mail::SpamAssassin::HTML on
// HTML::Parser 3.81), plus the URIs SA takes from tags. Untrusted input: the whole HTML (UTF-8
// after charset conversion). One pass, no DOM, no recursion; output is at most a constant
// factor of the input, URIs are capped at 8192 bytes each (SA's MAX_URI_LENGTH) and
// `max_urls` in number.
// Rendering as SA does it: &nbsp; and <br/> rewritten first; script/style content, comments,
// declarations and processing instructions dropped; entities decoded (HTML 4 names, with or
// without ';', numeric); ASCII whitespace runs become one space; br/div give "\n", li/td/th/
// dt/dd/embed/h1-h6 give " ", p/hr/blockquote/pre/title/xmp/listing/plaintext give "\n\n"
// (start and end tags), trimming the space before them and after them as SA does; title,
// textarea, xmp, iframe, noembed, noframes content is literal text.
// URIs: href of a/area/link (and data-saferedirecturl), src of img/frame/iframe/embed/
// script/bgsound, action of form, background of body/table/tr/td, base href (which also
// becomes the base for relative URIs, SA's target_uri), meta refresh url=.
// Gaps: SA's invisible-text bookkeeping (font colour tricks) is not done; it only changes
// whether one space is trimmed next to invisible text, and `body` sees all text either way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime {

// Appends the rendered text of `html` to `text` and its URIs to `urls`.
void render_html(std::string_view html, std::string& text, std::vector<std::string>& urls,
                 std::size_t max_urls);

// SA's HTML::target_uri: `ref` resolved against `base` (RFC 3986 merge and dot segments, a
// scheme equal to the base's treated as relative, schemeless www./ftp. hosts given http:/ftp:).
std::string resolve_uri(std::string_view base, std::string_view ref);

// HTML::Parser's entity decoding of text and attribute values.
void append_html_decoded(std::string& out, std::string_view in);

}  // namespace portcullis::mime
