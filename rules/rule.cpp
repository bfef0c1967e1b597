#include "rules/rule.hpp"

namespace portcullis::rules {

bool Target::decoded() const {
  switch (kind) {
    case TargetKind::kHeader:
    case TargetKind::kAllHeaders:
      return form != HeaderForm::kRaw;
    case TargetKind::kFull:
      return false;
    default:
      return true;
  }
}

std::string Target::key() const {
  switch (kind) {
    case TargetKind::kHeader: {
      std::string key = "header:";
      for (std::size_t i = 0; i < headers.size(); ++i) {
        if (i > 0) key += '|';
        key += headers[i];
      }
      switch (form) {
        case HeaderForm::kDecoded: break;
        case HeaderForm::kRaw: key += ":raw"; break;
        case HeaderForm::kAddr: key += ":addr"; break;
        case HeaderForm::kName: key += ":name"; break;
      }
      return key;
    }
    case TargetKind::kAllHeaders:
      return form == HeaderForm::kRaw ? "header:ALL:raw" : "header:ALL";
    case TargetKind::kSubject: return "subject";
    case TargetKind::kFrom: return "from";
    case TargetKind::kBody: return "body";
    case TargetKind::kRawBody: return "rawbody";
    case TargetKind::kUri: return "uri";
    case TargetKind::kAttachmentName: return "attachment.name";
    case TargetKind::kAttachmentType: return "attachment.type";
    case TargetKind::kFull: return "full";
  }
  return "body";
}

}  // namespace portcullis::rules
