#include "filters/dmarc/from_domain.hpp"

#include <optional>
#include <vector>

#include "filters/dmarc/dmarc_text.hpp"

namespace portcullis::filters::dmarc {
namespace {

constexpr std::size_t kMaxDomain = 253;
constexpr std::size_t kMaxLabel = 63;

struct Token {
  enum class Kind : std::uint8_t { kAtom, kQuoted, kLiteral, kSpecial };
  Kind kind = Kind::kAtom;
  std::string_view text;  // kSpecial: the one character
  bool special(char c) const { return kind == Kind::kSpecial && text.size() == 1 && text[0] == c; }
};

FromDomain fail(FromDomain::Status status, std::string reason) {
  FromDomain out;
  out.status = status;
  out.reason = std::move(reason);
  return out;
}

bool is_special(char c) {
  switch (c) {
    case '(': case ')': case '<': case '>': case '[': case ']': case ':': case ';':
    case '@': case '\\': case ',': case '"':
      return true;
    default:
      return false;
  }
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

// RFC 5322 3.2 lexical tokens of the unfolded value; comments and whitespace are dropped.
// '.' is kept inside atoms (dot-atom), so "a.b" is one token and "a . b" three.
std::optional<std::string> tokenize(std::string_view v, std::vector<Token>& out) {
  std::size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (is_wsp(c)) {
      ++i;
    } else if (is_control(c)) {
      return "control character in From";
    } else if (c == '(') {
      std::size_t depth = 0;
      for (; i < v.size(); ++i) {
        if (v[i] == '\\') {
          ++i;
        } else if (v[i] == '(') {
          ++depth;
        } else if (v[i] == ')') {
          if (--depth == 0) break;
        }
      }
      if (i >= v.size()) return "unterminated comment in From";
      ++i;
    } else if (c == '"') {
      const std::size_t start = i++;
      for (; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\') ++i;
      }
      if (i >= v.size()) return "unterminated quoted string in From";
      ++i;
      out.push_back({Token::Kind::kQuoted, v.substr(start, i - start)});
    } else if (c == '[') {
      const std::size_t start = i++;
      for (; i < v.size() && v[i] != ']'; ++i) {
        if (v[i] == '[' || v[i] == '\\') return "malformed domain literal in From";
      }
      if (i >= v.size()) return "unterminated domain literal in From";
      ++i;
      out.push_back({Token::Kind::kLiteral, v.substr(start, i - start)});
    } else if (c == ')' || c == ']' || c == '\\') {
      return std::string("unexpected '") + c + "' in From";
    } else if (is_special(c)) {
      out.push_back({Token::Kind::kSpecial, v.substr(i, 1)});
      ++i;
    } else {
      const std::size_t start = i;
      while (i < v.size() && !is_special(v[i]) && !is_wsp(v[i]) && !is_control(v[i])) ++i;
      out.push_back({Token::Kind::kAtom, v.substr(start, i - start)});
    }
  }
  return std::nullopt;
}

using Span = std::vector<Token>;

// Words (atoms and quoted strings) glued by dots: "a.b", "a . b", "\"x y\".z". Two words with
// no dot between them are not one dot-atom or local-part.
bool dotted_words(const Span& words, bool allow_quoted) {
  if (words.empty()) return false;
  for (std::size_t k = 0; k < words.size(); ++k) {
    const Token& t = words[k];
    if (t.kind == Token::Kind::kQuoted ? !allow_quoted : t.kind != Token::Kind::kAtom) return false;
    if (k == 0) continue;
    const Token& prev = words[k - 1];
    const bool joined = (prev.kind == Token::Kind::kAtom && prev.text.back() == '.') ||
                        (t.kind == Token::Kind::kAtom && t.text.front() == '.');
    if (!joined) return false;
  }
  return true;
}

std::string join(const Span& tokens) {
  std::string out;
  for (const Token& t : tokens) out.append(t.text);
  return out;
}

FromDomain check_domain(const Span& domain_tokens, std::string address) {
  if (domain_tokens.empty()) {
    FromDomain r = fail(FromDomain::Status::kNoDomain, "From address has no domain");
    r.address = std::move(address);
    return r;
  }
  auto bad = [&](std::string reason) {
    FromDomain r = fail(FromDomain::Status::kBadDomain, std::move(reason));
    r.address = address;
    return r;
  };
  if (domain_tokens.size() == 1 && domain_tokens[0].kind == Token::Kind::kLiteral) {
    return bad("From domain is an address literal");
  }
  if (!dotted_words(domain_tokens, false)) {
    FromDomain r = fail(FromDomain::Status::kSyntax, "malformed From domain");
    r.address = std::move(address);
    return r;
  }
  std::string domain = ascii_lower(join(domain_tokens));
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  for (char c : domain) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return bad("internationalised From domain \"" + excerpt(domain) + "\" is not supported");
    }
  }
  if (domain.empty() || domain.size() > kMaxDomain) return bad("From domain is not a DNS name");
  std::size_t label = 0;
  bool numeric = true;
  for (std::size_t k = 0; k <= domain.size(); ++k) {
    if (k == domain.size() || domain[k] == '.') {
      if (label == 0) return bad("From domain \"" + excerpt(domain) + "\" has an empty label");
      if (k == domain.size()) break;
      label = 0;
      numeric = true;
      continue;
    }
    const char c = domain[k];
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') {
      return bad("From domain \"" + excerpt(domain) + "\" is not a DNS name");
    }
    if (!is_digit(c)) numeric = false;
    if (++label > kMaxLabel) return bad("From domain has a label over 63 bytes");
  }
  if (numeric) return bad("From domain \"" + excerpt(domain) + "\" is an IP address, not a name");
  FromDomain out;
  out.status = FromDomain::Status::kOk;
  out.domain = std::move(domain);
  out.address = std::move(address);
  return out;
}

// One mailbox: [display-name] "<" [route ":"] addr-spec ">" / addr-spec.
FromDomain parse_mailbox(const Span& tokens) {
  std::size_t lt = tokens.size();
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    if (tokens[k].special('<')) {
      lt = k;
      break;
    }
  }
  Span spec;
  if (lt < tokens.size()) {
    // Display name: words only (obs-phrase allows '.', kept inside atoms).
    for (std::size_t k = 0; k < lt; ++k) {
      if (tokens[k].kind != Token::Kind::kAtom && tokens[k].kind != Token::Kind::kQuoted) {
        return fail(FromDomain::Status::kSyntax,
                    "unexpected '" + excerpt(tokens[k].text) + "' in From display name");
      }
    }
    std::size_t gt = tokens.size();
    for (std::size_t k = lt + 1; k < tokens.size(); ++k) {
      if (tokens[k].special('<')) return fail(FromDomain::Status::kSyntax, "nested '<' in From");
      if (tokens[k].special('>')) {
        gt = k;
        break;
      }
    }
    if (gt == tokens.size()) return fail(FromDomain::Status::kSyntax, "missing '>' in From");
    if (gt + 1 != tokens.size()) {
      return fail(FromDomain::Status::kSyntax, "text after '>' in From");
    }
    std::size_t begin = lt + 1;
    // obs-route: "<@relay1,@relay2:user@example.com>"
    for (std::size_t k = lt + 1; k < gt; ++k) {
      if (tokens[k].special(':')) begin = k + 1;
    }
    spec.assign(tokens.begin() + static_cast<std::ptrdiff_t>(begin),
                tokens.begin() + static_cast<std::ptrdiff_t>(gt));
    if (spec.empty()) return fail(FromDomain::Status::kNoDomain, "From address is empty (<>)");
  } else {
    spec = tokens;
  }

  std::size_t at = spec.size();
  for (std::size_t k = 0; k < spec.size(); ++k) {
    const Token& t = spec[k];
    if (t.kind == Token::Kind::kSpecial && !t.special('@')) {
      return fail(FromDomain::Status::kSyntax, "unexpected '" + excerpt(t.text) + "' in From address");
    }
    if (t.special('@')) {
      if (at != spec.size()) return fail(FromDomain::Status::kSyntax, "more than one '@' in From address");
      at = k;
    }
  }
  const Span local(spec.begin(), spec.begin() + static_cast<std::ptrdiff_t>(at));
  const std::string address = excerpt(join(spec));
  if (at == spec.size()) {
    FromDomain r = fail(FromDomain::Status::kNoDomain, "From address \"" + address + "\" has no domain");
    r.address = address;
    return r;
  }
  if (!dotted_words(local, true)) {
    FromDomain r = fail(FromDomain::Status::kSyntax,
                        local.empty() ? "From address has an empty local part"
                                      : "malformed From local part (display name without <>?)");
    r.address = address;
    return r;
  }
  const Span domain(spec.begin() + static_cast<std::ptrdiff_t>(at) + 1, spec.end());
  return check_domain(domain, address);
}

FromDomain parse_from_value(std::string_view value) {
  std::vector<Token> tokens;
  if (auto err = tokenize(value, tokens)) return fail(FromDomain::Status::kSyntax, std::move(*err));

  // Mailboxes are separated by top-level commas; a top-level ':' or ';' means a group.
  std::vector<Span> mailboxes;
  Span current;
  bool in_angle = false;
  for (const Token& t : tokens) {
    if (t.special('<')) {
      if (in_angle) return fail(FromDomain::Status::kSyntax, "nested '<' in From");
      in_angle = true;
    } else if (t.special('>')) {
      if (!in_angle) return fail(FromDomain::Status::kSyntax, "unexpected '>' in From");
      in_angle = false;
    } else if (!in_angle && (t.special(':') || t.special(';'))) {
      return fail(FromDomain::Status::kGroup, "From is a group, not a single author");
    } else if (!in_angle && t.special(',')) {
      if (!current.empty()) mailboxes.push_back(std::move(current));
      current.clear();
      continue;
    }
    current.push_back(t);
  }
  if (in_angle) return fail(FromDomain::Status::kSyntax, "missing '>' in From");
  if (!current.empty()) mailboxes.push_back(std::move(current));
  if (mailboxes.empty()) return fail(FromDomain::Status::kNoMailbox, "From has no address");
  if (mailboxes.size() > 1) {
    return fail(FromDomain::Status::kMultipleMailboxes,
                "From has " + std::to_string(mailboxes.size()) + " addresses");
  }
  return parse_mailbox(mailboxes.front());
}

}  // namespace

FromDomain extract_from_domain(std::string_view message, const FromLimits& limits) {
  std::size_t from_fields = 0;
  bool in_from = false;   // the current field is a From field
  bool too_long = false;  // the first From value is over the limit
  std::string value;      // the first From field, unfolded
  std::size_t pos = 0;
  while (pos < message.size()) {
    if (pos > limits.max_header_block) {
      return fail(FromDomain::Status::kTooLong, "header block longer than " +
                                                    std::to_string(limits.max_header_block) +
                                                    " bytes");
    }
    const std::size_t lf = message.find('\n', pos);
    const std::size_t next = lf == std::string_view::npos ? message.size() : lf + 1;
    std::string_view line = message.substr(pos, (lf == std::string_view::npos ? message.size() : lf) - pos);
    pos = next;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header block

    if (is_wsp(line.front())) {
      // Folded continuation of the current field (RFC 5322 2.2.3: unfolding drops the CRLF).
      if (in_from && from_fields == 1 && !too_long) {
        if (value.size() + line.size() > limits.max_from_length) {
          too_long = true;
        } else {
          value.append(line);
        }
      }
      continue;
    }
    in_from = false;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // not a header field; ignored
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);  // obs-optional
    if (!iequals(name, "from")) continue;
    in_from = true;
    if (++from_fields > 1) continue;
    const std::string_view rest = line.substr(colon + 1);
    if (rest.size() > limits.max_from_length) {
      too_long = true;
    } else {
      value.assign(rest);
    }
  }

  if (from_fields == 0) return fail(FromDomain::Status::kNoFrom, "no From header");
  if (from_fields > 1) {
    return fail(FromDomain::Status::kMultipleFrom,
                std::to_string(from_fields) + " From headers (exactly one required)");
  }
  if (too_long) {
    return fail(FromDomain::Status::kTooLong,
                "From header longer than " + std::to_string(limits.max_from_length) + " bytes");
  }
  return parse_from_value(value);
}

}  // namespace portcullis::filters::dmarc
