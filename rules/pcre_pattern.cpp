#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules/pcre_pattern.hpp"

#include <pcre2.h>

namespace portcullis::rules {
namespace {

constexpr std::uint32_t kMatchLimit = 1'000'000;
constexpr std::uint32_t kDepthLimit = 10'000;

struct MatchData {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_match_context* context = [] {
    pcre2_match_context* c = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(c, kMatchLimit);
    pcre2_set_depth_limit(c, kDepthLimit);
    return c;
  }();
  ~MatchData() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
  }
};

MatchData& thread_match_data() {
  thread_local MatchData md;
  return md;
}

}  // namespace

struct PcrePattern::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

std::optional<PcrePattern> PcrePattern::compile(const std::string& pattern,
                                                const PatternFlags& flags, bool jit,
                                                std::string& error) {
  std::uint32_t options = 0;
  if (flags.caseless) options |= PCRE2_CASELESS;
  if (flags.multiline) options |= PCRE2_MULTILINE;
  if (flags.dotall) options |= PCRE2_DOTALL;
  if (flags.utf8) options |= PCRE2_UTF | PCRE2_UCP;  // checked per match: bad UTF-8 never matches
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* compiled = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()),
                                       pattern.size(), options, &code, &offset, nullptr);
  if (compiled == nullptr) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(code, buffer, sizeof buffer);
    error = std::string(reinterpret_cast<const char*>(buffer)) + " at offset " +
            std::to_string(offset);
    return std::nullopt;
  }
  PcrePattern p;
  p.code_ = std::make_shared<Code>();
  p.code_->code = compiled;
  if (jit) p.jit_ = pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE) == 0;
  return p;
}

std::optional<PcrePattern::Match> PcrePattern::find(std::string_view text) const {
  MatchData& md = thread_match_data();
  const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                             0, 0, md.data, md.context);
  if (rc < 0) return std::nullopt;  // no match, or a limit hit: bounded, taken as no match
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.data);
  return Match{ov[0], ov[1]};
}

std::uint32_t PcrePattern::count(std::string_view text, std::uint32_t limit) const {
  MatchData& md = thread_match_data();
  std::uint32_t n = 0;
  std::size_t start = 0;
  while (n < limit && start <= text.size()) {
    const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()),
                               text.size(), start, 0, md.data, md.context);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.data);
    ++n;
    // An empty match moves one byte on, as Perl's //g does.
    start = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
  }
  return n;
}

bool PcrePattern::matches_empty() const {
  std::uint32_t min_length = 1;
  pcre2_pattern_info(code_->code, PCRE2_INFO_MINLENGTH, &min_length);
  return min_length == 0;
}

}  // namespace portcullis::rules
