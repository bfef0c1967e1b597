// Encoding of filter → MTA milter replies: decisions (continue, accept, reject, tempfail,
// discard, a full SMTP reply), header edits, quarantine, progress, and the OPTNEG reply.
// Untrusted input: the text callers pass (reply text and header values may carry data from
// the message or a remote peer). Reply text is sanitised: control characters (CR, LF, NUL …)
// become spaces and '%' is doubled (Sendmail uses the text as a format string, Postfix
// undoes the doubling), so no caller can inject a line or end a string early. Header names
// and values are validated instead of rewritten (a silently changed header would break
// signatures): NUL, a bare CR, or a line break not followed by SP/HTAB is an error.
// Limits: at most kMaxReplyLines lines of at most kMaxReplyLineText octets (longer text is
// cut) per SMFIR_REPLYCODE. Gaps: recipient, sender and body edits are not encoded (we do not
// request those actions); header text beyond the checks above is sent as given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/milter/protocol.hpp"

namespace portcullis::milter {

inline constexpr std::size_t kMaxReplyLines = 32;        // libmilter's smfi_setmlreply limit
inline constexpr std::size_t kMaxReplyLineText = 400;    // keeps each SMTP line under 512

// An encoded reply packet, or why it could not be built.
struct Encoded {
  std::string packet;  // wire form (length field included) when ok()
  std::string error;   // for a log line when !ok()
  bool ok() const { return error.empty(); }
};

// Replies without data.
std::string encode_continue();  // SMFIR_CONTINUE
std::string encode_accept();    // SMFIR_ACCEPT
std::string encode_reject();    // SMFIR_REJECT (the MTA answers 550 5.7.1 Command rejected)
std::string encode_tempfail();  // SMFIR_TEMPFAIL (451 4.7.1 Service unavailable …)
std::string encode_discard();   // SMFIR_DISCARD (accept, then drop)
std::string encode_progress();  // SMFIR_PROGRESS (keep-alive while the EOM verdict is pending)

// SMFIR_REPLYCODE: "550-5.7.1 first\r\n550 5.7.1 last" (no final CRLF, NUL terminated).
// code must be 400..599; enhanced is empty or "C.S.D" (S and D 1-3 digits) with C equal to
// the code's first digit; lines: 1..kMaxReplyLines, each sanitised and cut to
// kMaxReplyLineText octets. An empty line list gets one empty line.
Encoded encode_reply_code(int code, std::string_view enhanced,
                          const std::vector<std::string>& lines);
Encoded encode_reply_code(int code, std::string_view enhanced, std::string_view text);

// Header edits (SMFIR_ADDHEADER, SMFIR_INSHEADER, SMFIR_CHGHEADER). `value` is the text after
// "Name:" without leading whitespace; when hdr_leadspc is true (SMFIP_HDR_LEADSPC was
// negotiated, so the MTA adds no space itself) one SP is put in front of a non-empty value.
// Folds may be written "\r\n\t" or "\n\t" (any SP/HTAB after the break); they are sent as
// "\n" + the whitespace, as libmilter documents. name: printable ASCII without ':' or space.
Encoded encode_add_header(std::string_view name, std::string_view value, bool hdr_leadspc);
// index 0 puts the header first (Sendmail semantics; Postfix the same).
Encoded encode_insert_header(std::uint32_t index, std::string_view name, std::string_view value,
                             bool hdr_leadspc);
// index counts instances of `name` from 1; an empty value deletes that instance.
Encoded encode_change_header(std::uint32_t index, std::string_view name, std::string_view value,
                             bool hdr_leadspc);

// SMFIR_QUARANTINE: reason sanitised like reply text (no '%' doubling); must be non-empty.
Encoded encode_quarantine(std::string_view reason);

// Optional OPTNEG macro list: the macros the MTA should send at `stage`, space separated
// names, e.g. {kEnvFrom, "i {auth_authen}"} (needs SMFIF_SETSYMLIST).
struct MacroList {
  MacroStage stage = MacroStage::kConnect;
  std::string names;
  bool operator==(const MacroList&) const = default;
};

// The filter's OPTNEG reply: version, actions, protocol, then the macro lists. Macro names
// holding NUL are cut at the NUL.
std::string encode_optneg(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol,
                          const std::vector<MacroList>& macro_lists = {});

}  // namespace portcullis::milter
