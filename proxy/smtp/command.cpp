#include "proxy/smtp/command.hpp"

#include <array>
#include <cstring>
#include <utility>

namespace portcullis::smtp {
namespace {

constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxDomain = 255;

char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_upper(a[i]) != ascii_upper(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_non_ascii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing
// above U+10FFFF) starting at s[i], or 0. RFC 6531 allows only well-formed UTF-8 in
// addresses; anything else would reach the backend as garbage it may read differently.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    const unsigned b = byte(k);
    return b >= lo && b <= hi;
  };
  const unsigned lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return cont(1) ? 2 : 0;
  if (lead == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (lead == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (lead == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (lead == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Every byte is accepted by `ascii_ok` or starts a well-formed UTF-8 sequence.
template <typename AsciiOk>
bool all_ascii_ok_or_utf8(std::string_view s, AsciiOk ascii_ok) {
  for (std::size_t i = 0; i < s.size();) {
    if (is_non_ascii(s[i])) {
      const std::size_t n = utf8_sequence(s, i);
      if (n == 0) return false;
      i += n;
    } else {
      if (!ascii_ok(s[i])) return false;
      ++i;
    }
  }
  return true;
}

// RFC 5322 atext as used by RFC 5321 Atom.
bool is_atext(char c) {
  if (is_alnum(c)) return true;
  return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool valid_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  if (s.find("..") != std::string_view::npos) return false;
  return all_ascii_ok_or_utf8(s, [](char c) { return c == '.' || is_atext(c); });
}

// Quoted-string = DQUOTE *QcontentSMTP DQUOTE, with qtextSMTP extended by RFC 6531 UTF-8.
bool valid_quoted_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  const std::string_view body = s.substr(1, s.size() - 2);
  for (std::size_t i = 0; i < body.size();) {
    const char c = body[i];
    if (c == '\\') {
      // quoted-pairSMTP = "\" %d32-126
      if (i + 1 >= body.size() || body[i + 1] < 32 || body[i + 1] > 126) return false;
      i += 2;
    } else if (c == '"') {
      return false;
    } else if (is_non_ascii(c)) {
      const std::size_t n = utf8_sequence(body, i);
      if (n == 0) return false;
      i += n;
    } else if (c >= 32 && c <= 126) {
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabel) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return all_ascii_ok_or_utf8(label, [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > kMaxDomain) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = d.find('.', start);
    const std::string_view label =
        d.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT with value 0-255.
bool valid_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t digits = 0;
    int value = 0;
    while (i < s.size() && is_digit(s[i]) && digits < 4) {
      value = value * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (parts == 4) return i == s.size();
    if (i >= s.size() || s[i] != '.') return false;
    ++i;
  }
}

// Colon-separated 1*4HEXDIG groups; empty text is zero groups. -1 if malformed.
int count_hex_groups(std::string_view s) {
  if (s.empty()) return 0;
  int groups = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = s.find(':', start);
    const std::string_view g =
        s.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
    if (g.empty() || g.size() > 4) return -1;
    for (char c : g) {
      if (!is_hex(c)) return -1;
    }
    ++groups;
    if (colon == std::string_view::npos) return groups;
    start = colon + 1;
  }
}

// RFC 5321 IPv6-addr: IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp, where "::" stands
// for at least two groups.
bool valid_ipv6(std::string_view s) {
  int budget = 8;
  const std::size_t dot = s.find('.');
  if (dot != std::string_view::npos) {
    const std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos || colon > dot) return false;
    if (!valid_ipv4(s.substr(colon + 1))) return false;
    // Keep a "::" that directly precedes the IPv4 part; drop a single separating colon.
    s = (colon > 0 && s[colon - 1] == ':') ? s.substr(0, colon + 1) : s.substr(0, colon);
    budget = 6;
  }
  const std::size_t dc = s.find("::");
  if (dc == std::string_view::npos) return count_hex_groups(s) == budget;
  const int head = count_hex_groups(s.substr(0, dc));
  const int tail = count_hex_groups(s.substr(dc + 2));
  return head >= 0 && tail >= 0 && head + tail <= budget - 2;
}

bool valid_address_literal(std::string_view s) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return false;
  const std::string_view inner = s.substr(1, s.size() - 2);
  if (istarts_with(inner, "IPv6:")) return valid_ipv6(inner.substr(5));
  return valid_ipv4(inner);
}

// Position of the '>' closing a path that starts with '<' at s[0], skipping quoted strings
// (a quoted local-part may contain '>'), or npos.
std::size_t find_path_end(std::string_view s) {
  bool quoted = false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

// A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain.
bool valid_source_route(std::string_view route) {
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = route.find(',', start);
    const std::string_view at_domain = route.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (at_domain.size() < 2 || at_domain[0] != '@' || !valid_domain(at_domain.substr(1))) {
      return false;
    }
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

bool valid_esmtp_keyword(std::string_view k) {
  if (k.empty() || !is_alnum(k[0])) return false;
  for (char c : k) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531 3.3).
bool valid_esmtp_value(std::string_view v) {
  return !v.empty() && all_ascii_ok_or_utf8(v, [](char c) { return c >= 33 && c <= 126 && c != '='; });
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

struct VerbName {
  std::string_view name;
  Verb verb;
};
constexpr std::array<VerbName, 14> kVerbs{{
    {"HELO", Verb::kHelo}, {"EHLO", Verb::kEhlo}, {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt}, {"DATA", Verb::kData}, {"RSET", Verb::kRset},
    {"NOOP", Verb::kNoop}, {"QUIT", Verb::kQuit}, {"HELP", Verb::kHelp},
    {"VRFY", Verb::kVrfy}, {"EXPN", Verb::kExpn}, {"STARTTLS", Verb::kStarttls},
    {"AUTH", Verb::kAuth}, {"BDAT", Verb::kBdat},
}};

Verb lookup_verb(std::string_view text) {
  for (const auto& v : kVerbs) {
    if (iequals(text, v.name)) return v.verb;
  }
  return Verb::kUnknown;
}

CommandParse failure(int code, std::string_view enhanced, std::string_view text) {
  CommandParse out;
  out.error = make_reply(code, enhanced, text);
  return out;
}

// MAIL FROM:<path> [SP params] / RCPT TO:<path> [SP params].
CommandParse parse_path_command(Command cmd, std::string_view rest) {
  const bool mail = cmd.verb == Verb::kMail;
  const std::string_view prefix = mail ? "FROM:" : "TO:";
  const std::string_view syntax = mail ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>";
  if (!istarts_with(rest, prefix)) return failure(501, "5.5.4", syntax);
  rest.remove_prefix(prefix.size());
  // RFC 5321 allows no space here; many clients send one and Postfix accepts it.
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest.front() != '<') return failure(501, "5.5.4", syntax);
  const std::size_t close = find_path_end(rest);
  if (close == std::string_view::npos) return failure(501, "5.5.4", syntax);
  std::string_view path = rest.substr(1, close - 1);
  const std::string_view after = rest.substr(close + 1);
  if (!after.empty() && after.front() != ' ') return failure(501, "5.5.4", syntax);

  auto bad_address = [&] {
    return mail ? failure(501, "5.1.7", "Bad sender address syntax")
                : failure(501, "5.1.3", "Bad recipient address syntax");
  };
  if (path.empty()) {
    if (!mail) return bad_address();  // <> is the null reverse-path only
  } else {
    if (path.front() == '@') {
      // Source routes must be accepted and their route ignored (RFC 5321 4.1.2, C).
      const std::size_t colon = path.find(':');
      if (colon == std::string_view::npos || !valid_source_route(path.substr(0, colon))) {
        return bad_address();
      }
      path.remove_prefix(colon + 1);
    }
    const bool postmaster = !mail && iequals(path, "Postmaster");
    if (!postmaster && !valid_mailbox(path)) return bad_address();
    cmd.path.assign(path);
    for (char c : path) {
      if (is_non_ascii(c)) {
        cmd.path_non_ascii = true;
        break;
      }
    }
  }

  std::size_t i = 0;
  while (i < after.size()) {
    if (after[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t end = after.find(' ', i);
    if (end == std::string_view::npos) end = after.size();
    const std::string_view token = after.substr(i, end - i);
    i = end;
    const std::size_t eq = token.find('=');
    const std::string_view keyword = token.substr(0, eq);
    if (!valid_esmtp_keyword(keyword)) return failure(501, "5.5.4", "Syntax error in parameters");
    EsmtpParam param;
    param.keyword.reserve(keyword.size());
    for (char c : keyword) param.keyword.push_back(ascii_upper(c));
    if (eq != std::string_view::npos) {
      const std::string_view value = token.substr(eq + 1);
      if (!valid_esmtp_value(value)) return failure(501, "5.5.4", "Syntax error in parameters");
      param.value.emplace(value);
    }
    cmd.params.push_back(std::move(param));
  }

  CommandParse out;
  out.ok = true;
  out.command = std::move(cmd);
  return out;
}

}  // namespace

CommandReader::CommandReader(std::size_t max_line) : max_line_(max_line) {
  line_.reserve(max_line_ < 64 ? max_line_ : 64);
}

void CommandReader::append(std::string_view bytes) {
  if (too_long_) return;
  const std::size_t limit = max_line_ >= 2 ? max_line_ - 2 : 0;  // room left for CRLF
  if (line_.size() + bytes.size() > limit) {
    // From here on only the end of the line matters; the excess is never stored.
    too_long_ = true;
    line_.clear();
    return;
  }
  line_.append(bytes);
}

CommandReader::Result CommandReader::finish(std::size_t consumed, bool crlf) {
  Status status = Status::kLine;
  // A bare newline is the smuggling signal, so it wins over length when both apply.
  if (!crlf || bare_cr_) {
    status = Status::kBareNewline;
  } else if (too_long_ || line_.size() + 2 > max_line_) {  // (the latter: max_line_ < 2)
    status = Status::kTooLong;
  }
  too_long_ = false;
  bare_cr_ = false;
  pending_cr_ = false;
  if (status == Status::kLine) {
    ready_ = true;
  } else {
    line_.clear();
  }
  return {status, consumed};
}

CommandReader::Result CommandReader::feed(std::string_view in) {
  if (ready_) {
    line_.clear();
    ready_ = false;
  }
  const char* p = in.data();
  const std::size_t n = in.size();
  std::size_t i = 0;
  if (pending_cr_) {
    if (n == 0) return {Status::kNeedMore, 0};
    pending_cr_ = false;
    if (p[0] == '\n') return finish(1, true);
    bare_cr_ = true;
    append("\r");
  }
  while (i < n) {
    // Commands are short; a simple scan for the two line-ending bytes is enough.
    std::size_t j = i;
    while (j < n && p[j] != '\r' && p[j] != '\n') ++j;
    append(std::string_view(p + i, j - i));
    if (j == n) break;
    if (p[j] == '\n') return finish(j + 1, false);
    if (j + 1 == n) {
      pending_cr_ = true;
      return {Status::kNeedMore, n};
    }
    if (p[j + 1] == '\n') return finish(j + 2, true);
    // CR followed by anything but LF: the line is poisoned but still ends only at its LF,
    // so "A\rB\r\n" can never become two commands.
    bare_cr_ = true;
    append("\r");
    i = j + 1;
  }
  return {Status::kNeedMore, n};
}

Reply line_error_reply(CommandReader::Status status) {
  switch (status) {
    case CommandReader::Status::kTooLong:
      return make_reply(500, "5.5.2", "Error: line too long");
    case CommandReader::Status::kBareNewline:
      return make_reply(500, "5.5.2", "Error: bare <CR> or <LF> received");
    default:
      return make_reply(500, "5.5.2", "Error: bad syntax");
  }
}

bool valid_domain_or_literal(std::string_view text) {
  if (!text.empty() && text.front() == '[') return valid_address_literal(text);
  return valid_domain(text);
}

bool valid_mailbox(std::string_view mailbox) {
  if (mailbox.empty()) return false;
  std::size_t at;
  if (mailbox.front() == '"') {
    // A quoted local-part may contain '@', so find its closing quote first.
    std::size_t i = 1;
    while (i < mailbox.size() && mailbox[i] != '"') i += mailbox[i] == '\\' ? 2 : 1;
    if (i >= mailbox.size()) return false;
    at = i + 1;
    if (at >= mailbox.size() || mailbox[at] != '@') return false;
    if (!valid_quoted_string(mailbox.substr(0, at))) return false;
  } else {
    at = mailbox.find('@');
    if (at == std::string_view::npos || !valid_dot_string(mailbox.substr(0, at))) return false;
  }
  return valid_domain_or_literal(mailbox.substr(at + 1));
}

CommandParse parse_command(std::string_view line) {
  // NUL must never be truncated into a different, valid command or address; CR/LF cannot
  // come from CommandReader but would break the reply and log lines if they did.
  if (line.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos) {
    return failure(501, "5.5.4", "Syntax error: invalid character in command");
  }
  const std::size_t sp = line.find(' ');
  const std::string_view verb_text = line.substr(0, sp);
  const std::string_view rest =
      sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  Command cmd;
  cmd.verb = lookup_verb(verb_text);
  if (cmd.verb == Verb::kUnknown) return failure(500, "5.5.2", "Error: command not recognized");
  cmd.verb_text.assign(verb_text);

  CommandParse out;
  switch (cmd.verb) {
    case Verb::kHelo:
    case Verb::kEhlo: {
      const std::string_view name = trim_spaces(rest);
      const bool printable_token = all_ascii_ok_or_utf8(name, [](char c) { return c > 32 && c < 127; });
      if (name.empty() || !printable_token) {
        return failure(501, "5.5.4",
                       cmd.verb == Verb::kHelo ? "Syntax: HELO hostname" : "Syntax: EHLO hostname");
      }
      cmd.argument.assign(name);
      break;
    }
    case Verb::kMail:
    case Verb::kRcpt:
      cmd.argument.assign(rest);
      return parse_path_command(std::move(cmd), rest);
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStarttls:
      if (!trim_spaces(rest).empty()) {
        std::string text = "Syntax: ";
        for (char c : verb_text) text.push_back(ascii_upper(c));
        return failure(501, "5.5.4", text);
      }
      break;
    case Verb::kAuth:
      if (trim_spaces(rest).empty()) {
        return failure(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
      }
      cmd.argument.assign(rest);
      break;
    default:  // NOOP, HELP, VRFY, EXPN, BDAT: the argument is the session's business
      cmd.argument.assign(rest);
      break;
  }
  out.ok = true;
  out.command = std::move(cmd);
  return out;
}

}  // namespace portcullis::smtp
