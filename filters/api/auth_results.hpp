// The results of sender authentication (SPF, DKIM, DMARC) as the mail world reads them: one
// Authentication-Results header (RFC 8601) per forwarded message under our authserv-id, kept
// in the transaction and rewritten as each method adds its result, and the "auth" section of
// `portcullis scan --json`. Incoming Authentication-Results claiming our authserv-id are
// forgeries and are removed before forwarding (rewrite_headers, policy.hpp).
// Untrusted input: the values filters put in resinfo come from the message and DNS; they are
// written as RFC 2045 values (token or quoted-string) through auth_value().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "filters/api/transaction.hpp"

namespace portcullis::filters {

enum class AuthMethod : std::uint8_t { kSpf, kDkim, kDmarc };

struct AuthEntry {
  AuthMethod method = AuthMethod::kSpf;
  // One RFC 8601 resinfo without the separating ';': "spf=pass smtp.mailfrom=example.org".
  std::string resinfo;
  // Its report for `scan --json`: a JSON object (spf, dmarc: the method's object; dkim: one
  // per signature, reported as an array); empty when the session asked for no report
  // (Session::report), and then left out.
  std::string json;
};

// All entries so far, in the order methods ran (DKIM: one per signature).
struct AuthResults {
  std::string authserv_id;
  std::vector<AuthEntry> entries;
  bool dkim_ran = false;  // DKIM ran and found no signature: reported as "dkim": []
};

// Adds `entry` (or, for DKIM with no signature, call mark_dkim_ran) and rewrites the
// transaction's one Authentication-Results header, methods in the order spf, dkim, dmarc.
void add_auth_result(Transaction& txn, std::string_view authserv_id, AuthEntry entry);
void mark_dkim_ran(Transaction& txn, std::string_view authserv_id);

// {"spf": {...}, "dkim": [...], "dmarc": {...}} with the methods that ran; "" if none did.
std::string auth_report_json(const Transaction& txn);

// RFC 2045 value: `text` as a token when it is one, else a quoted-string (controls and
// 8-bit bytes dropped, so the header stays ASCII).
std::string auth_value(std::string_view text);

// Whether a whole header field (name, colon, value, continuation lines) is an
// Authentication-Results field whose authserv-id is `authserv_id` (case-insensitive).
bool claims_authserv_id(std::string_view field, std::string_view authserv_id);

}  // namespace portcullis::filters
