#include "filters/api/policy.hpp"

#include "filters/api/auth_results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace portcullis::filters {
namespace {

constexpr std::size_t kMaxReplyText = 400;
constexpr std::size_t kFoldColumn = 78;

// Replies of the score-based refusals: generic, nothing the client wrote, no score.
constexpr std::string_view kSpamRejectText = "Message rejected as spam";
constexpr std::string_view kSpamTempfailText = "Try again later";
// Defaults for verdicts that leave the reply out.
constexpr std::string_view kRejectText = "Rejected by policy";
constexpr std::string_view kTempfailText = "Try again later";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "5.7.1": class.subject.detail, subject and detail 1-3 digits (RFC 3463), class = `cls`.
bool is_enhanced_code(std::string_view text, char cls) {
  if (text.size() < 5 || text[0] != cls || text[1] != '.') return false;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    const std::size_t start = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == start || i - start > 3) return false;
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  return i == text.size();
}

std::string printable(std::string_view text, std::size_t cap) {
  std::string out;
  out.reserve(std::min(text.size(), cap));
  for (char c : text.substr(0, cap)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 ? ' ' : byte >= 0x7f ? '?' : c;
  }
  return out;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char p = prefix[i];
    if (p >= 'A' && p <= 'Z') p = static_cast<char>(p - 'A' + 'a');
    if (c != p) return false;
  }
  return true;
}

// A header field (its first line) that only portcullis may write.
// Where the header field starting at `pos` ends: after its last continuation line. An empty
// line is a "field" of its own (the end of the header section).
std::size_t field_end(std::string_view message, std::size_t pos) {
  std::size_t next = pos;
  do {
    const std::size_t eol = message.find('\n', next);
    next = eol == std::string_view::npos ? message.size() : eol + 1;
    const std::string_view line = message.substr(pos, next - pos);
    if (line == "\r\n" || line == "\n") return next;
  } while (next < message.size() && (message[next] == ' ' || message[next] == '\t'));
  return next;
}

bool is_reserved_field(std::string_view line) {
  return starts_with_ci(line, "X-Spam-") || starts_with_ci(line, "X-Portcullis-");
}

// One field as "Name: value\r\n", folded before a space or after a comma once a line would
// pass kFoldColumn. The name keeps only printable non-colon characters; in the value, CR, LF
// and other controls become spaces and 8-bit bytes '?'.
void append_field(std::string& out, const Header& header) {
  std::string line;
  for (char c : header.name) {
    if (c > 0x20 && c < 0x7f && c != ':') line += c;
  }
  line += ':';
  if (!header.value.empty()) line += ' ';
  for (char c : header.value) {
    const auto byte = static_cast<unsigned char>(c);
    line += byte == '\t' ? c : byte < 0x20 ? ' ' : byte >= 0x7f ? '?' : c;
  }
  std::size_t column = 0;
  std::size_t start = 0;
  while (start < line.size()) {
    // The next piece ends before the next space (after the first character) or after a comma.
    std::size_t end = start + 1;
    while (end < line.size() && line[end] != ' ' && line[end - 1] != ',') ++end;
    const std::string_view piece = std::string_view(line).substr(start, end - start);
    if (column > 0 && column + piece.size() > kFoldColumn) {
      out += "\r\n";
      column = 0;
      if (piece.front() != ' ') {
        out += '\t';
        column = 1;
      }
    }
    out += piece;
    column += piece.size();
    start = end;
  }
  out += "\r\n";
}

std::string tests_list(const std::vector<Symbol>& symbols) {
  std::vector<std::string_view> names;
  for (const Symbol& symbol : symbols) {
    if (symbol.score != 0) names.push_back(symbol.name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.empty()) return "none";
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

}  // namespace

std::string_view action_name(Action action) {
  switch (action) {
    case Action::kAccept:
      return "accept";
    case Action::kAddHeader:
      return "add_header";
    case Action::kQuarantine:
      return "quarantine";
    case Action::kTempfail:
      return "tempfail";
    case Action::kReject:
      return "reject";
  }
  return "accept";
}

double total_score(const std::vector<Symbol>& symbols) {
  double total = 0;
  for (const Symbol& symbol : symbols) total += symbol.score;
  return total;
}

std::string format_score(double score) {
  std::string text = fmt::format("{:.1f}", score);
  if (text == "-0.0") text = "0.0";
  return text;
}

Verdict with_reply_defaults(Verdict verdict) {
  if (!verdict.refuses()) return verdict;
  const bool reject = verdict.kind == Verdict::Kind::kReject;
  const int low = reject ? 500 : 400;
  if (verdict.code < low || verdict.code > low + 99) verdict.code = reject ? 554 : 451;
  if (!is_enhanced_code(verdict.enhanced, reject ? '5' : '4')) {
    verdict.enhanced = reject ? "5.7.1" : "4.7.1";
  }
  verdict.text = printable(verdict.text, kMaxReplyText);
  if (verdict.text.find_first_not_of(' ') == std::string::npos) {
    verdict.text = reject ? kRejectText : kTempfailText;
  }
  return verdict;
}

Decision Policy::decide(const Verdict& hard, const std::vector<Symbol>& symbols) const {
  Decision d;
  d.score = total_score(symbols);

  if (hard.refuses()) {
    const Verdict reply = with_reply_defaults(hard);
    d.action = reply.kind == Verdict::Kind::kReject ? Action::kReject : Action::kTempfail;
    d.code = reply.code;
    d.enhanced = reply.enhanced;
    d.text = reply.text;
    d.reason = hard.symbol.empty() ? std::string(action_name(d.action)) : hard.symbol;
    return d;
  }

  // The highest threshold reached wins; on a tie, the harsher action (listed later).
  const std::array<std::pair<const std::optional<double>*, Action>, 4> rules = {{
      {&thresholds_.add_header, Action::kAddHeader},
      {&thresholds_.quarantine, Action::kQuarantine},
      {&thresholds_.tempfail, Action::kTempfail},
      {&thresholds_.reject, Action::kReject},
  }};
  Action by_score = Action::kAccept;
  double reached = 0;
  for (const auto& [threshold, action] : rules) {
    if (!*threshold || d.score < **threshold) continue;
    if (by_score == Action::kAccept || **threshold >= reached) {
      by_score = action;
      reached = **threshold;
    }
  }
  const bool hard_quarantine = hard.kind == Verdict::Kind::kQuarantine;
  d.action = hard_quarantine ? std::max(by_score, Action::kQuarantine) : by_score;
  if (hard_quarantine && d.action == Action::kQuarantine) {
    d.reason = hard.symbol.empty() ? std::string("quarantine") : hard.symbol;
  } else if (d.action != Action::kAccept) {
    d.reason = "score";
  }

  switch (d.action) {
    case Action::kAccept:
      return d;
    case Action::kReject:
      d.code = 554;
      d.enhanced = "5.7.1";
      d.text = kSpamRejectText;
      return d;
    case Action::kTempfail:
      d.code = 451;
      d.enhanced = "4.7.1";
      d.text = kSpamTempfailText;
      return d;
    case Action::kAddHeader:
    case Action::kQuarantine:
      break;
  }

  // SpamAssassin-style headers; "required" is the lowest threshold that flags a message.
  std::optional<double> required;
  for (const auto* threshold : {&thresholds_.add_header, &thresholds_.quarantine}) {
    if (*threshold && (!required || **threshold < *required)) required = **threshold;
  }
  const std::string score = format_score(d.score);
  const bool spam = required && d.score >= *required;
  std::string status = fmt::format("{}, score={}", spam ? "Yes" : "No", score);
  if (required) status += fmt::format(" required={}", format_score(*required));
  status += fmt::format(" tests={}", tests_list(symbols));
  d.headers.push_back({"X-Spam-Score", score});
  d.headers.push_back({"X-Spam-Status", std::move(status)});
  if (d.action == Action::kQuarantine) {
    std::string why;
    if (hard_quarantine) {
      why = printable(hard.text, kMaxReplyText);
      if (why.find_first_not_of(' ') == std::string::npos) {
        why = hard.symbol.empty() ? "quarantined by a filter" : printable(hard.symbol, 64);
      }
    } else {
      why = fmt::format("score {} >= {}", score, format_score(reached));
    }
    d.headers.push_back({"X-Portcullis-Quarantine", std::move(why)});
  }
  return d;
}

bool removed_on_forward(std::string_view field, std::string_view authserv_id) {
  return is_reserved_field(field) ||
         (!authserv_id.empty() && claims_authserv_id(field, authserv_id));
}

std::string rewrite_headers(std::string_view message, const std::vector<Header>& add,
                            std::string_view authserv_id) {
  std::string added;
  for (const Header& header : add) append_field(added, header);

  std::string out;
  out.reserve(added.size() + message.size());
  out += added;
  // Copy runs of kept fields, skip reserved fields with their continuation lines.
  std::size_t pos = 0;
  std::size_t run_start = 0;
  while (pos < message.size()) {
    const std::size_t end = field_end(message, pos);
    const std::string_view first_line = message.substr(pos, end - pos);
    if (first_line.starts_with("\r\n") || first_line.starts_with("\n")) break;  // end of header
    const std::string_view field = message.substr(pos, end - pos);
    const bool reserved = removed_on_forward(field, authserv_id);
    if (reserved) {
      out.append(message.substr(run_start, pos - run_start));
      run_start = end;
    }
    pos = end;
  }
  out.append(message.substr(run_start));
  return out;
}

}  // namespace portcullis::filters
