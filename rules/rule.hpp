// One content rule as the security team writes it (docs/rules.md), after loading and
// validation. Rule files are YAML: a top-level sequence of rules. Untrusted: nothing here is
// from the network, but every field comes from a file a person wrote, so the loader checks
// them all (rule_loader.hpp) and reports file:line:col.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::rules {

// What a pattern is matched against (`target:` in the rule file).
enum class TargetKind : std::uint8_t {
  kHeader,          // header:<Name>[|<Name>…][:raw|:addr|:name] — the fields of those names
  kAllHeaders,      // header:ALL[:raw] — every field, one "Name: value" line each
  kSubject,         // subject — decoded Subject
  kFrom,            // from — decoded From
  kBody,            // body — rendered decoded text (MessageView::body_text), valid UTF-8
  kRawBody,         // rawbody — decoded, not rendered (MessageView::raw_body), valid UTF-8
  kUri,             // uri — each URL, one by one
  kAttachmentName,  // attachment.name — each attachment's filename
  kAttachmentType,  // attachment.type — each attachment's declared and sniffed type
  kFull,            // full — the raw message bytes as received
};

// For header:<Name>: which form of each field value is matched.
enum class HeaderForm : std::uint8_t {
  kDecoded,  // header:Subject — RFC 2047 decoded, trimmed
  kRaw,      // header:Subject:raw — as written (unfolded)
  kAddr,     // header:From:addr — every address (local@domain), one per line
  kName,     // header:From:name — every display name (RFC 2047 decoded), one per line
};

// Header targets match one text: every field of the named headers, in message order, each
// value followed by "\n" (SpamAssassin's joining, so `$` works per value as in Perl). Names
// may also be SpamAssassin's computed relay pseudo-headers (X-Spam-Relays-External, …,
// built from the Received fields) when the message has no field of that name.
struct Target {
  TargetKind kind = TargetKind::kBody;
  std::vector<std::string> headers;  // kHeader: the field names, lower case
  HeaderForm form = HeaderForm::kDecoded;
  // Whether the text matched is valid UTF-8 (decoded targets): the utf8 flag is allowed.
  bool decoded() const;
  // The canonical spelling ("header:subject:raw", "body"): one compiled database per distinct
  // spelling.
  std::string key() const;
};

struct PatternFlags {
  bool caseless = false;
  bool multiline = false;
  bool dotall = false;
  bool utf8 = false;
};

enum class RuleAction : std::uint8_t { kNone, kReject, kQuarantine, kTempfail };

struct Rule {
  // Unique across all loaded files: the symbol name, UPPER_SNAKE. Ids starting with "__" are
  // sub-rules (SpamAssassin's convention): evaluated for metas, never reported as symbols.
  std::string id;
  std::string description;
  // A pattern rule has target+pattern; a meta rule has `meta` (then pattern is empty).
  Target target;
  std::string pattern;      // PCRE syntax, without delimiters
  PatternFlags flags;
  // A pattern rule hits when the pattern matches (any URL/attachment for per-item targets);
  // with `negate: true` it hits when it matches none of them (SpamAssassin `!~`).
  bool negate = false;
  // header targets: the text matched when the message has none of the fields (SpamAssassin
  // `[if-unset: ...]`); without it, a rule on a missing field does not hit, negated or not.
  std::optional<std::string> if_unset;
  // header targets: `exists: true` instead of a pattern — hits when any of the fields is
  // present (SpamAssassin `exists:Name`).
  bool exists = false;
  std::string meta;         // expression over other rule ids: && || ! ( ) + - * < <= > >= == !=
  // Pattern rules: `multiple: true` makes the rule's value in metas its number of matches
  // (non-overlapping, over all items of the target) instead of 1, at most `max_hits`
  // (SpamAssassin's tflags multiple / maxhits=N). The symbol is still added once.
  bool multiple = false;
  std::uint32_t max_hits = 1000;
  double score = 0;
  RuleAction action = RuleAction::kNone;
  std::string reply;        // custom reply text for reject/tempfail, the reason for quarantine
  std::vector<std::string> tags;
  // Where it was written, for messages: "rules.d/phish.yaml:12".
  std::string file;
  int line = 0;

  bool is_meta() const { return !meta.empty(); }
  bool is_subrule() const { return id.starts_with("__"); }
};

}  // namespace portcullis::rules
