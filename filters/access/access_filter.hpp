// Access lists (DESIGN.md "Config", filters.access): operator-written allow and deny lists
// for the client address (connect stage), the envelope sender (mail stage) and each
// recipient (rcpt stage). At each stage an allow hit wins over a deny hit and ends the stage
// (Verdict::accept: the other filters of that stage are skipped, the later stages still
// run); a deny hit refuses with the configured reply, a hard verdict (DESIGN.md "The
// pipeline": a listed client is a hard fact). Both add a score-0 symbol whose detail is the
// list entry that matched (config text, never client input).
// Untrusted input: the client address and envelope addresses looked up. Config problems
// (bad network, bad address entry, bad reply) are reported at the entry's file:line:col.
// Limits: lookups cost a few hash lookups whatever the list sizes (NetworkList,
// AddressList); lists are held in memory, rebuilt on reload. Gaps: see address_list.hpp
// (no sub-addressing, quoted local parts as written) and network_list.hpp.
#pragma once

#include <memory>
#include <string_view>

#include "filters/api/filter_factory.hpp"

namespace portcullis::filters::access {

inline constexpr std::string_view kFilterName = "access";

// Symbols (score 0; the verdict carries the decision).
inline constexpr std::string_view kDenyClient = "ACCESS_DENY_CLIENT";
inline constexpr std::string_view kDenySender = "ACCESS_DENY_SENDER";
inline constexpr std::string_view kDenyRecipient = "ACCESS_DENY_RECIPIENT";
inline constexpr std::string_view kAllowClient = "ACCESS_ALLOW_CLIENT";
inline constexpr std::string_view kAllowSender = "ACCESS_ALLOW_SENDER";
inline constexpr std::string_view kAllowRecipient = "ACCESS_ALLOW_RECIPIENT";

// Default replies; `client_reply`, `sender_reply` and `recipient_reply` override them.
inline constexpr std::string_view kDefaultClientReply = "554 5.7.1 Access denied";
inline constexpr std::string_view kDefaultSenderReply =
    "550 5.7.1 Sender address rejected: Access denied";
inline constexpr std::string_view kDefaultRecipientReply =
    "550 5.7.1 Recipient address rejected: Access denied";

// The factory main registers under `filters: { access: ... }`.
std::shared_ptr<const FilterFactory> make_access_factory();

}  // namespace portcullis::filters::access
