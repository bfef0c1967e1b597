// What a filter hook answers (DESIGN.md "The pipeline"), and the symbols filters add.
// Filters mostly add symbols with scores and let the Policy decide; a hard verdict is for
// hard facts only (a blocklisted client, a virus, a DMARC p=reject failure when configured).
#pragma once

#include <string>

namespace portcullis::filters {

struct Verdict {
  enum class Kind {
    kContinue,    // no opinion; run the next filter
    kAccept,      // skip the rest of this stage (an allow-list hit)
    kReject,      // refuse now with code/enhanced/text (5xx)
    kTempfail,    // refuse now, try later (4xx)
    kQuarantine,  // deliver, but held for review (end of message only)
  };
  Kind kind = Kind::kContinue;
  int code = 0;          // reject/tempfail: the SMTP reply code (5xx / 4xx)
  std::string enhanced;  // "5.7.1"
  std::string text;      // reply text; also the quarantine reason
  std::string symbol;    // the symbol that caused it, for logs and metrics

  static Verdict proceed() { return {}; }
  static Verdict accept(std::string symbol = {}) {
    return {Kind::kAccept, 0, {}, {}, std::move(symbol)};
  }
  static Verdict reject(int code, std::string enhanced, std::string text, std::string symbol) {
    return {Kind::kReject, code, std::move(enhanced), std::move(text), std::move(symbol)};
  }
  static Verdict tempfail(int code, std::string enhanced, std::string text, std::string symbol) {
    return {Kind::kTempfail, code, std::move(enhanced), std::move(text), std::move(symbol)};
  }
  static Verdict quarantine(std::string reason, std::string symbol) {
    return {Kind::kQuarantine, 0, {}, std::move(reason), std::move(symbol)};
  }
  bool refuses() const { return kind == Kind::kReject || kind == Kind::kTempfail; }
};

// UPPER_SNAKE name shared by log line, JSON output and metric labels (HELO_BAD_SYNTAX).
struct Symbol {
  std::string name;
  double score = 0;
  std::string detail;  // short, printable; never credentials or message content
  std::string filter;  // which filter added it (for counters)
};

}  // namespace portcullis::filters
