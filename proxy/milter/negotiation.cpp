#include "proxy/milter/negotiation.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace portcullis::milter {
namespace {

struct Bit {
  std::uint32_t bit;
  std::string_view name;
};

constexpr Bit kActionBits[] = {
    {smfif::kAddHdrs, "SMFIF_ADDHDRS"},     {smfif::kChgBody, "SMFIF_CHGBODY"},
    {smfif::kAddRcpt, "SMFIF_ADDRCPT"},     {smfif::kDelRcpt, "SMFIF_DELRCPT"},
    {smfif::kChgHdrs, "SMFIF_CHGHDRS"},     {smfif::kQuarantine, "SMFIF_QUARANTINE"},
    {smfif::kChgFrom, "SMFIF_CHGFROM"},     {smfif::kAddRcptPar, "SMFIF_ADDRCPT_PAR"},
    {smfif::kSetSymList, "SMFIF_SETSYMLIST"},
};

constexpr Bit kProtocolBits[] = {
    {smfip::kNoConnect, "SMFIP_NOCONNECT"}, {smfip::kNoHelo, "SMFIP_NOHELO"},
    {smfip::kNoMail, "SMFIP_NOMAIL"},       {smfip::kNoRcpt, "SMFIP_NORCPT"},
    {smfip::kNoBody, "SMFIP_NOBODY"},       {smfip::kNoHdrs, "SMFIP_NOHDRS"},
    {smfip::kNoEoh, "SMFIP_NOEOH"},         {smfip::kNrHdr, "SMFIP_NR_HDR"},
    {smfip::kNoUnknown, "SMFIP_NOUNKNOWN"}, {smfip::kNoData, "SMFIP_NODATA"},
    {smfip::kSkip, "SMFIP_SKIP"},           {smfip::kRcptRej, "SMFIP_RCPT_REJ"},
    {smfip::kNrConn, "SMFIP_NR_CONN"},      {smfip::kNrHelo, "SMFIP_NR_HELO"},
    {smfip::kNrMail, "SMFIP_NR_MAIL"},      {smfip::kNrRcpt, "SMFIP_NR_RCPT"},
    {smfip::kNrData, "SMFIP_NR_DATA"},      {smfip::kNrUnkn, "SMFIP_NR_UNKN"},
    {smfip::kNrEoh, "SMFIP_NR_EOH"},        {smfip::kNrBody, "SMFIP_NR_BODY"},
    {smfip::kHdrLeadspc, "SMFIP_HDR_LEADSPC"},
};

template <std::size_t N>
std::string names(std::uint32_t bits, const Bit (&table)[N]) {
  std::string out;
  for (const auto& b : table) {
    if ((bits & b.bit) == 0) continue;
    if (!out.empty()) out.push_back('|');
    out.append(b.name);
    bits &= ~b.bit;
  }
  if (bits != 0) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", static_cast<unsigned>(bits));
    if (!out.empty()) out.push_back('|');
    out.append(hex);
  }
  if (out.empty()) out = "none";
  return out;
}

template <std::size_t N>
void list_missing(std::uint32_t bits, const Bit (&table)[N], std::vector<std::string>& out) {
  for (const auto& b : table) {
    if (bits & b.bit) out.emplace_back(b.name);
  }
}

}  // namespace

std::string action_names(std::uint32_t actions) { return names(actions, kActionBits); }
std::string protocol_names(std::uint32_t protocol) { return names(protocol, kProtocolBits); }

Negotiation negotiate(const OptionNegotiation& mta, const NegotiationPolicy& policy) {
  Negotiation n;
  if (mta.version < 2) {
    n.error = "MTA speaks milter protocol version " + std::to_string(mta.version) +
              "; at least 2 is needed";
    return n;
  }
  const std::uint32_t lacking_actions = policy.required_actions & ~mta.actions;
  const std::uint32_t lacking_protocol = policy.required_protocol & ~mta.protocol;
  if (lacking_actions != 0 || lacking_protocol != 0) {
    n.error = "MTA (milter protocol version " + std::to_string(mta.version) +
              ") does not offer what portcullis requires:";
    if (lacking_actions != 0) {
      n.error.append(" actions ");
      n.error.append(action_names(lacking_actions));
    }
    if (lacking_protocol != 0) {
      n.error.append(" protocol ");
      n.error.append(protocol_names(lacking_protocol));
    }
    n.error.append(" (offered actions ");
    n.error.append(action_names(mta.actions));
    n.error.append(", protocol ");
    n.error.append(protocol_names(mta.protocol));
    n.error.append(")");
    return n;
  }
  std::uint32_t want_actions = policy.wanted_actions | policy.required_actions;
  if (!policy.macro_lists.empty()) want_actions |= smfif::kSetSymList;
  const std::uint32_t want_protocol = policy.wanted_protocol | policy.required_protocol;
  n.ours.version = std::min(mta.version, kProtocolVersion);
  n.ours.actions = want_actions & mta.actions;
  n.ours.protocol = want_protocol & mta.protocol;
  list_missing(want_actions & ~mta.actions, kActionBits, n.missing);
  list_missing(want_protocol & ~mta.protocol, kProtocolBits, n.missing);
  if (n.ours.actions & smfif::kSetSymList) n.macro_lists = policy.macro_lists;
  n.reply = encode_optneg(n.ours.version, n.ours.actions, n.ours.protocol, n.macro_lists);
  n.ok = true;
  return n;
}

bool Negotiation::mta_sends(char code) const {
  const std::uint32_t p = ours.protocol;
  switch (code) {
    case smfic::kConnect: return (p & smfip::kNoConnect) == 0;
    case smfic::kHelo: return (p & smfip::kNoHelo) == 0;
    case smfic::kMail: return (p & smfip::kNoMail) == 0;
    case smfic::kRcpt: return (p & smfip::kNoRcpt) == 0;
    case smfic::kBody: return (p & smfip::kNoBody) == 0;
    case smfic::kHeader: return (p & smfip::kNoHdrs) == 0;
    case smfic::kEoh: return (p & smfip::kNoEoh) == 0;
    case smfic::kUnknown: return (p & smfip::kNoUnknown) == 0;
    case smfic::kData: return (p & smfip::kNoData) == 0;
    default: return !command_name(code).empty();
  }
}

bool Negotiation::expects_reply(char code) const {
  const std::uint32_t p = ours.protocol;
  switch (code) {
    case smfic::kConnect: return (p & smfip::kNrConn) == 0;
    case smfic::kHelo: return (p & smfip::kNrHelo) == 0;
    case smfic::kMail: return (p & smfip::kNrMail) == 0;
    case smfic::kRcpt: return (p & smfip::kNrRcpt) == 0;
    case smfic::kData: return (p & smfip::kNrData) == 0;
    case smfic::kUnknown: return (p & smfip::kNrUnkn) == 0;
    case smfic::kHeader: return (p & smfip::kNrHdr) == 0;
    case smfic::kEoh: return (p & smfip::kNrEoh) == 0;
    case smfic::kBody: return (p & smfip::kNrBody) == 0;
    case smfic::kBodyEob: return true;
    default: return false;  // MACRO, ABORT, QUIT, QUIT_NC, OPTNEG (see reply), unknown
  }
}

}  // namespace portcullis::milter
