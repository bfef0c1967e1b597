// From symbols and hard verdicts to the one action taken on a message (DESIGN.md "Policy").
// The score is the sum of the session's and the transaction's symbol scores. The action
// whose threshold is the highest one reached wins (rspamd's rule), so any ordering of the
// four thresholds is meaningful; an absent threshold never fires. Hard verdicts come first:
// reject > tempfail > quarantine, whatever the score.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/api/transaction.hpp"
#include "filters/api/verdict.hpp"

namespace portcullis::filters {

enum class Action { kAccept, kAddHeader, kQuarantine, kTempfail, kReject };
std::string_view action_name(Action action);  // "accept", "add_header", ... (fixed: JSON, logs)

struct Thresholds {
  std::optional<double> reject;
  std::optional<double> tempfail;
  std::optional<double> quarantine;
  std::optional<double> add_header;
};

struct Decision {
  Action action = Action::kAccept;
  // Reply for reject/tempfail (code, enhanced, text); empty for the others, whose reply is
  // the backend's.
  int code = 0;
  std::string enhanced;
  std::string text;
  double score = 0;
  std::string reason;            // symbol or verdict that decided, for logs
  std::vector<Header> headers;   // ours, to add (X-Spam-*, X-Portcullis-Quarantine)
};

class Policy {
 public:
  explicit Policy(Thresholds thresholds = {}) : thresholds_(thresholds) {}
  // `hard` is the merged end-of-message verdict of the pipeline (continue if none).
  Decision decide(const Verdict& hard, const std::vector<Symbol>& symbols) const;
  const Thresholds& thresholds() const { return thresholds_; }

 private:
  Thresholds thresholds_;
};

double total_score(const std::vector<Symbol>& symbols);

// A reject or tempfail verdict made fit to send: a code of the wrong class or missing gets
// 554 / 451, an enhanced code that is missing or malformed or of the wrong class gets 5.7.1 /
// 4.7.1, an empty text a generic one; the text is made printable ASCII (no CR/LF) and capped
// at 400 bytes. Other verdicts are returned unchanged.
Verdict with_reply_defaults(Verdict verdict);

// Score as written in headers and logs: one decimal ("13.0", "-2.5").
std::string format_score(double score);

// The message as the backend gets it: incoming X-Spam-* and X-Portcullis-* header fields
// (forged verdicts), continuation lines included, removed from the header section (up to the
// first empty line; a message without one is all header), `add` prepended as
// "Name: value\r\n" (CR, LF and other controls in values become spaces; long fields are folded
// at 78 columns where a space or comma allows). With an authserv_id, incoming
// Authentication-Results fields claiming it (forgeries of our own results) are removed too.
// Body untouched, copied once.
std::string rewrite_headers(std::string_view message, const std::vector<Header>& add,
                            std::string_view authserv_id = {});

// Whether rewrite_headers removes this incoming header field ("Name: value", continuation
// lines included): our verdict fields, and Authentication-Results claiming authserv_id.
bool removed_on_forward(std::string_view field, std::string_view authserv_id);

}  // namespace portcullis::filters
