// One pattern compiled with PCRE2: the authority on whether a rule's regex is valid, the
// matcher for patterns Hyperscan cannot take (JIT-compiled), and the way `rules test` finds
// where a hit starts (the Hyperscan set never computes start of match). Thread-safe after
// construction: match data is per thread. Untrusted input: the subject text (any bytes;
// with utf8 the caller guarantees valid UTF-8). Limits: a match limit and depth limit per
// call, so a catastrophic pattern costs bounded time (counted as no match).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rules/rule.hpp"

namespace portcullis::rules {

class PcrePattern {
 public:
  // nullopt with `error` ("missing ) at offset 7") when PCRE2 refuses the pattern.
  static std::optional<PcrePattern> compile(const std::string& pattern, const PatternFlags& flags,
                                            bool jit, std::string& error);

  struct Match {
    std::size_t start = 0;
    std::size_t end = 0;
  };
  // The first match in `text`, if any.
  std::optional<Match> find(std::string_view text) const;
  bool matches(std::string_view text) const { return find(text).has_value(); }
  // Non-overlapping matches in `text`, counted up to `limit`.
  std::uint32_t count(std::string_view text, std::uint32_t limit) const;
  // Whether the pattern can match the empty string (a lint warning).
  bool matches_empty() const;
  bool jit() const { return jit_; }

 private:
  struct Code;
  std::shared_ptr<Code> code_;
  bool jit_ = false;
};

}  // namespace portcullis::rules
