#include "filters/spf/spf_result.hpp"

#include <array>
#include <utility>

namespace portcullis::filters::spf {
namespace {

using Code = SpfResult::Code;

constexpr std::array<std::pair<Code, std::string_view>, 7> kNames = {{
    {Code::kNone, "none"},
    {Code::kNeutral, "neutral"},
    {Code::kPass, "pass"},
    {Code::kFail, "fail"},
    {Code::kSoftfail, "softfail"},
    {Code::kTemperror, "temperror"},
    {Code::kPermerror, "permerror"},
}};

}  // namespace

std::string_view to_string(Code code) {
  for (const auto& [c, name] : kNames) {
    if (c == code) return name;
  }
  return "permerror";
}

bool parse_code(std::string_view text, Code* out) {
  for (const auto& [c, name] : kNames) {
    if (name == text) {
      if (out != nullptr) *out = c;
      return true;
    }
  }
  return false;
}

}  // namespace portcullis::filters::spf
