#include "filters/dkim/dkim_result.hpp"

namespace portcullis::filters::dkim {

std::string_view to_string(DkimResult::Code code) {
  switch (code) {
    case DkimResult::Code::kNone:
      return "none";
    case DkimResult::Code::kPass:
      return "pass";
    case DkimResult::Code::kFail:
      return "fail";
    case DkimResult::Code::kPolicy:
      return "policy";
    case DkimResult::Code::kNeutral:
      return "neutral";
    case DkimResult::Code::kTemperror:
      return "temperror";
    case DkimResult::Code::kPermerror:
      return "permerror";
  }
  return "permerror";
}

}  // namespace portcullis::filters::dkim
