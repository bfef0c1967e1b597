// The DKIM filter (RFC 6376, 8301, 8463; DESIGN.md filters.dkim): verifies every
// DKIM-Signature of the message at end of data. The key lookups (all in parallel) and the
// body hashing (on the worker pool for messages over kInlineBodyBytes) run at the same time.
// Results go into the transaction (DkimResults, read by DMARC), symbols, one
// Authentication-Results entry per signature (header.d, header.s, header.a, header.b = the
// first 12 characters of b=) and the scan report. It decides nothing alone.
//   DKIM_VALID -0.5 (at least one pass) · DKIM_INVALID 2.0 (fail) · DKIM_POLICY 0.5
//   (rsa-sha1, key < min_rsa_bits, From not signed) · DKIM_TEMPERROR 0 · DKIM_PERMERROR 0.5
//   · DKIM_NONE 0 (no signature) · DKIM_BODY_LENGTH 1.0 (a pass with l= and unsigned
//   content after it) — one symbol per kind, the signing domains in its detail.
// Keys in testing mode (t=y) are reported but count as unsigned (RFC 6376 3.6.1): no
// DKIM_VALID, and DMARC does not see them.
// Untrusted input: the message and the key records (dkim_verifier.hpp bounds them).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "filters/api/filter_factory.hpp"
#include "filters/dkim/dkim_result.hpp"

namespace portcullis::filters::dkim {

inline constexpr std::string_view kFilterName = "dkim";
inline constexpr std::size_t kInlineBodyBytes = 64 * 1024;

// What the filter leaves in the transaction for DMARC.
struct DkimResults {
  std::vector<DkimResult> signatures;
};

std::shared_ptr<const FilterFactory> make_dkim_factory();

}  // namespace portcullis::filters::dkim
