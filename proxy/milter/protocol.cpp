#include "proxy/milter/protocol.hpp"

namespace portcullis::milter {

std::string_view command_name(char code) {
  switch (code) {
    case smfic::kAbort: return "SMFIC_ABORT";
    case smfic::kBody: return "SMFIC_BODY";
    case smfic::kConnect: return "SMFIC_CONNECT";
    case smfic::kMacro: return "SMFIC_MACRO";
    case smfic::kBodyEob: return "SMFIC_BODYEOB";
    case smfic::kHelo: return "SMFIC_HELO";
    case smfic::kQuitNc: return "SMFIC_QUIT_NC";
    case smfic::kHeader: return "SMFIC_HEADER";
    case smfic::kMail: return "SMFIC_MAIL";
    case smfic::kEoh: return "SMFIC_EOH";
    case smfic::kOptneg: return "SMFIC_OPTNEG";
    case smfic::kQuit: return "SMFIC_QUIT";
    case smfic::kRcpt: return "SMFIC_RCPT";
    case smfic::kData: return "SMFIC_DATA";
    case smfic::kUnknown: return "SMFIC_UNKNOWN";
    default: return {};
  }
}

std::string_view reply_name(char code) {
  switch (code) {
    case smfir::kAddRcpt: return "SMFIR_ADDRCPT";
    case smfir::kDelRcpt: return "SMFIR_DELRCPT";
    case smfir::kAddRcptPar: return "SMFIR_ADDRCPT_PAR";
    case smfir::kShutdown: return "SMFIR_SHUTDOWN";
    case smfir::kAccept: return "SMFIR_ACCEPT";
    case smfir::kReplBody: return "SMFIR_REPLBODY";
    case smfir::kContinue: return "SMFIR_CONTINUE";
    case smfir::kDiscard: return "SMFIR_DISCARD";
    case smfir::kChgFrom: return "SMFIR_CHGFROM";
    case smfir::kConnFail: return "SMFIR_CONN_FAIL";
    case smfir::kAddHeader: return "SMFIR_ADDHEADER";
    case smfir::kInsHeader: return "SMFIR_INSHEADER";
    case smfir::kSetSymList: return "SMFIR_SETSYMLIST";
    case smfir::kChgHeader: return "SMFIR_CHGHEADER";
    case smfir::kProgress: return "SMFIR_PROGRESS";
    case smfir::kQuarantine: return "SMFIR_QUARANTINE";
    case smfir::kReject: return "SMFIR_REJECT";
    case smfir::kSkip: return "SMFIR_SKIP";
    case smfir::kTempfail: return "SMFIR_TEMPFAIL";
    case smfir::kReplyCode: return "SMFIR_REPLYCODE";
    case smfic::kOptneg: return "SMFIC_OPTNEG";
    default: return {};
  }
}

}  // namespace portcullis::milter
