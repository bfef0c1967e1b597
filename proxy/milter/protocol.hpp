// Milter protocol version 6 (Sendmail 8.14 libmilter, Postfix milter8): the wire constants.
// Untrusted input: none here; these are the numbers the codec (packet_reader, command,
// reply, negotiation) checks untrusted packets against. Values follow Sendmail's
// libmilter/mfdef.h and mfapi.h and Postfix src/milter/milter8.c.
// Limits: libmilter refuses packets with more than 65535 data bytes; MTAs send body chunks
// of at most kMaxBodyChunk bytes. Gaps: replies we never send (recipient and body edits,
// SMFIR_SKIP, SMFIR_CHGFROM …) are listed for logs only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portcullis::milter {

inline constexpr std::uint32_t kProtocolVersion = 6;
inline constexpr std::size_t kMaxBodyChunk = 65535;  // MILTER_CHUNK_SIZE

// MTA → filter commands (SMFIC_*).
namespace smfic {
inline constexpr char kAbort = 'A';
inline constexpr char kBody = 'B';
inline constexpr char kConnect = 'C';
inline constexpr char kMacro = 'D';
inline constexpr char kBodyEob = 'E';
inline constexpr char kHelo = 'H';
inline constexpr char kQuitNc = 'K';
inline constexpr char kHeader = 'L';
inline constexpr char kMail = 'M';
inline constexpr char kEoh = 'N';
inline constexpr char kOptneg = 'O';
inline constexpr char kQuit = 'Q';
inline constexpr char kRcpt = 'R';
inline constexpr char kData = 'T';
inline constexpr char kUnknown = 'U';
}  // namespace smfic

// Filter → MTA replies (SMFIR_*). The OPTNEG reply reuses smfic::kOptneg.
namespace smfir {
inline constexpr char kAddRcpt = '+';
inline constexpr char kDelRcpt = '-';
inline constexpr char kAddRcptPar = '2';
inline constexpr char kShutdown = '4';
inline constexpr char kAccept = 'a';
inline constexpr char kReplBody = 'b';
inline constexpr char kContinue = 'c';
inline constexpr char kDiscard = 'd';
inline constexpr char kChgFrom = 'e';
inline constexpr char kConnFail = 'f';
inline constexpr char kAddHeader = 'h';
inline constexpr char kInsHeader = 'i';
inline constexpr char kSetSymList = 'l';
inline constexpr char kChgHeader = 'm';
inline constexpr char kProgress = 'p';
inline constexpr char kQuarantine = 'q';
inline constexpr char kReject = 'r';
inline constexpr char kSkip = 's';
inline constexpr char kTempfail = 't';
inline constexpr char kReplyCode = 'y';
}  // namespace smfir

// Actions the filter may request at OPTNEG (SMFIF_*).
namespace smfif {
inline constexpr std::uint32_t kAddHdrs = 0x001;
inline constexpr std::uint32_t kChgBody = 0x002;
inline constexpr std::uint32_t kAddRcpt = 0x004;
inline constexpr std::uint32_t kDelRcpt = 0x008;
inline constexpr std::uint32_t kChgHdrs = 0x010;
inline constexpr std::uint32_t kQuarantine = 0x020;
inline constexpr std::uint32_t kChgFrom = 0x040;
inline constexpr std::uint32_t kAddRcptPar = 0x080;
inline constexpr std::uint32_t kSetSymList = 0x100;
}  // namespace smfif

// Protocol flags (SMFIP_*): the MTA offers them, the filter sets the ones it wants.
namespace smfip {
inline constexpr std::uint32_t kNoConnect = 0x000001;
inline constexpr std::uint32_t kNoHelo = 0x000002;
inline constexpr std::uint32_t kNoMail = 0x000004;
inline constexpr std::uint32_t kNoRcpt = 0x000008;
inline constexpr std::uint32_t kNoBody = 0x000010;
inline constexpr std::uint32_t kNoHdrs = 0x000020;
inline constexpr std::uint32_t kNoEoh = 0x000040;
inline constexpr std::uint32_t kNrHdr = 0x000080;  // no reply per header (SMFIP_NOHREPL)
inline constexpr std::uint32_t kNoUnknown = 0x000100;
inline constexpr std::uint32_t kNoData = 0x000200;
inline constexpr std::uint32_t kSkip = 0x000400;
inline constexpr std::uint32_t kRcptRej = 0x000800;
inline constexpr std::uint32_t kNrConn = 0x001000;
inline constexpr std::uint32_t kNrHelo = 0x002000;
inline constexpr std::uint32_t kNrMail = 0x004000;
inline constexpr std::uint32_t kNrRcpt = 0x008000;
inline constexpr std::uint32_t kNrData = 0x010000;
inline constexpr std::uint32_t kNrUnkn = 0x020000;
inline constexpr std::uint32_t kNrEoh = 0x040000;
inline constexpr std::uint32_t kNrBody = 0x080000;
inline constexpr std::uint32_t kHdrLeadspc = 0x100000;
inline constexpr std::uint32_t kAll = 0x1FFFFF;  // SMFI_CURR_PROT
}  // namespace smfip

// Address families in SMFIC_CONNECT (SMFIA_*).
enum class Family : char { kUnknown = 'U', kUnix = 'L', kInet = '4', kInet6 = '6' };

// Macro stages for the optional macro name lists of the OPTNEG reply (SMFIM_*).
enum class MacroStage : std::uint32_t {
  kConnect = 0, kHelo = 1, kEnvFrom = 2, kEnvRcpt = 3, kData = 4, kEom = 5, kEoh = 6,
};

// "SMFIC_CONNECT" for 'C'; empty for a code that is no command.
std::string_view command_name(char code);
// "SMFIR_ACCEPT" for 'a' ('O' gives "SMFIC_OPTNEG"); empty for a code that is no reply.
std::string_view reply_name(char code);

}  // namespace portcullis::milter
