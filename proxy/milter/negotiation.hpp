// Option negotiation (SMFIC_OPTNEG): from what the MTA offers, compute the filter's reply and
// whether the MTA can do what portcullis requires. Also tells the session which commands get
// a reply under the negotiated flags (answering a no-reply command desynchronises the MTA).
// Untrusted input: the MTA's OPTNEG values. We never set an action or protocol flag the MTA
// did not offer (Postfix drops a filter whose actions exceed its offer). Limits: none needed.
// Gaps: a very old MTA that sends 0 for actions or protocol is taken literally (libmilter
// would assume the version 1 sets) and so fails the required-actions check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/milter/command.hpp"
#include "proxy/milter/protocol.hpp"
#include "proxy/milter/reply.hpp"

namespace portcullis::milter {

struct NegotiationPolicy {
  // Negotiation fails unless the MTA offers all of these.
  std::uint32_t required_actions = smfif::kAddHdrs | smfif::kQuarantine;
  std::uint32_t required_protocol = smfip::kHdrLeadspc;
  // Requested when offered; the ones missing are reported for a warning.
  std::uint32_t wanted_actions = smfif::kAddHdrs | smfif::kChgHdrs | smfif::kQuarantine;
  // No unknown SMTP commands, no DATA event, no reply per header; header values keep their
  // leading space (DKIM c=simple needs the header exactly as received).
  std::uint32_t wanted_protocol =
      smfip::kNoUnknown | smfip::kNoData | smfip::kNrHdr | smfip::kHdrLeadspc;
  // Sent only when the MTA offers SMFIF_SETSYMLIST (then that action is requested too).
  std::vector<MacroList> macro_lists;
};

struct Negotiation {
  bool ok = false;
  std::string error;  // when !ok: what the MTA lacks, for a log line; close the connection
  std::vector<std::string> missing;  // wanted but not offered (SMFIF_/SMFIP_ names)
  OptionNegotiation ours;            // what we answer
  std::vector<MacroList> macro_lists;  // what we answer after the three words
  std::string reply;                 // the encoded OPTNEG reply (empty when !ok)

  bool hdr_leadspc() const { return (ours.protocol & smfip::kHdrLeadspc) != 0; }
  // Whether the MTA will send command `code` at all under the negotiated flags (a macro
  // packet for a skipped command may still arrive; Postfix sends those).
  bool mta_sends(char code) const;
  // Whether the MTA waits for a reply to `code`. Never for SMFIC_MACRO, ABORT, QUIT,
  // QUIT_NC; not for those the negotiated SMFIP_NR_* flags silence; SMFIC_OPTNEG is
  // answered by `reply`; SMFIC_BODYEOB always.
  bool expects_reply(char code) const;
};

// version: min(MTA's, 6); refused below 2. actions = wanted & offered (+ SETSYMLIST for macro
// lists); protocol = wanted & offered. Fails when a required action or flag is not offered.
Negotiation negotiate(const OptionNegotiation& mta, const NegotiationPolicy& policy = {});

// "SMFIF_ADDHDRS|SMFIF_QUARANTINE" / "SMFIP_NOUNKNOWN|…" for logs; unknown bits as 0x….
std::string action_names(std::uint32_t actions);
std::string protocol_names(std::uint32_t protocol);

}  // namespace portcullis::milter
