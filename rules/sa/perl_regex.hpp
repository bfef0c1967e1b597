// Perl regex literals as SpamAssassin rules write them (`/re/i`, `m{re}`, `m!re!s`, `qr(re)`)
// turned into our pattern + flags, following Mail::SpamAssassin::Util::compile_regexp:
// delimiters are stripped textually (an escaped delimiter stays escaped, which PCRE reads as
// the same literal), modifiers i/m/s become flags, x becomes an inline `(?x)` (Hyperscan 5.4
// and PCRE2 10.42 both accept it, checked with hs_expression_info and pcre2_compile), and
// a/u/l/d/p/o/g/c/n are dropped (they change nothing for byte matching).
// Untrusted input: the regex text from .cf files. Nothing is executed: Perl code blocks
// `(?{…})` are refused. Every pattern we emit compiles with PCRE2 (the loader's fallback), so
// one bad rule never makes the whole converted set fail to load.
// Known gaps: Perl semantics PCRE2 accepts but reads differently are not detected except
// `{,n}` (Perl 5.34+: {0,n}; PCRE2 10.42: literal), which we rewrite.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rules/rule.hpp"

namespace portcullis::rules::sa {

struct PerlRegex {
  std::string pattern;  // PCRE syntax, no delimiters, "(?x)" prefix for /x
  PatternFlags flags;
};

// Parses a delimited Perl regex literal; on failure returns nullopt and sets *error.
std::optional<PerlRegex> parse_perl_regex(std::string_view literal, std::string* error);

// Rewrites bytes that are not valid UTF-8 as `\xHH` escapes (the same byte for PCRE without
// UTF), so the pattern can be stored in a YAML file. False (and *error) where that cannot be
// done (inside \Q…\E).
bool escape_non_utf8(std::string& pattern, std::string* error);

// Perl 5.34+ reads `x{,n}` as `x{0,n}`; PCRE2 10.42 reads it as literal text.
void rewrite_open_lower_bound(std::string& pattern);

// Compiles with PCRE2 (no UTF, the flags' options); returns the error text or "".
std::string pcre2_error(const std::string& pattern, const PatternFlags& flags);

bool is_valid_utf8(std::string_view s);

}  // namespace portcullis::rules::sa
