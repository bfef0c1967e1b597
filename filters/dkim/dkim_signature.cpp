#include "filters/dkim/dkim_signature.hpp"

#include <limits>

#include "filters/dkim/base64.hpp"
#include "filters/dkim/tag_list.hpp"
#include "filters/dkim/text.hpp"

namespace portcullis::filters::dkim {
namespace {

constexpr std::size_t kMaxDnsName = 253;
constexpr std::size_t kMaxLabel = 63;
// RFC 6376 allows 76 digits for l= and 12 for t=/x=; we keep what fits an int64.
constexpr std::size_t kMaxTimeDigits = 18;

std::optional<std::uint64_t> parse_decimal(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// l= may be longer than 64 bits can hold: any such value covers every body we accept.
std::optional<std::uint64_t> parse_length(std::string_view text) {
  if (text.empty() || text.size() > 76) return std::nullopt;
  std::uint64_t v = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    v = (v > (kMax - d) / 10) ? kMax : v * 10 + d;
  }
  return v;
}

bool valid_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == ':') return false;  // RFC 5322 ftext
  }
  return true;
}

// Splits a colon-separated list, trimming FWS around each element.
std::vector<std::string_view> split_colon(std::string_view text, std::size_t max_items,
                                          bool& too_many) {
  std::vector<std::string_view> items;
  too_many = false;
  std::size_t pos = 0;
  while (true) {
    const std::size_t colon = text.find(':', pos);
    const std::size_t end = colon == std::string_view::npos ? text.size() : colon;
    if (items.size() >= max_items) {
      too_many = true;
      return items;
    }
    items.push_back(trim_fws(text.substr(pos, end - pos)));
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  return items;
}

std::string_view domain_of_identity(std::string_view identity) {
  const std::size_t at = identity.rfind('@');
  return at == std::string_view::npos ? std::string_view() : identity.substr(at + 1);
}

}  // namespace

HashAlgorithm hash_of(SignatureAlgorithm a) {
  return a == SignatureAlgorithm::kRsaSha1 ? HashAlgorithm::kSha1 : HashAlgorithm::kSha256;
}

KeyType key_type_of(SignatureAlgorithm a) {
  return a == SignatureAlgorithm::kEd25519Sha256 ? KeyType::kEd25519 : KeyType::kRsa;
}

std::string DkimSignature::key_name() const {
  std::string name = selector;
  name.append("._domainkey.");
  name.append(domain);
  return name;
}

bool is_dkim_domain(std::string_view name) {
  if (name.empty() || name.size() > kMaxDnsName) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? name.size() : dot;
    const std::string_view label = name.substr(start, end - start);
    if (label.empty() || label.size() > kMaxLabel || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

ParsedSignature parse_signature(std::string_view value) {
  ParsedSignature out;
  if (value.size() > kMaxSignatureValue) {
    out.error = "signature header too long";
    return out;
  }
  const TagList tags = parse_tag_list(value);
  // Best-effort reporting fields first, so even a broken signature can be named.
  auto raw = [&](std::string_view name) -> std::optional<std::string_view> {
    const Tag* t = tags.find(name);
    if (t == nullptr) return std::nullopt;
    return t->value;
  };
  if (auto d = raw("d")) out.domain = lower(*d);
  if (auto s = raw("s")) out.selector = lower(*s);
  if (auto a = raw("a")) out.algorithm = lower(*a);
  if (auto b = raw("b")) out.b = strip_fws(*b);
  if (!tags.ok()) {
    out.error = "malformed tag list: " + tags.error;
    return out;
  }
  DkimSignature& sig = out.signature;

  for (const char* required : {"v", "a", "b", "bh", "d", "h", "s"}) {
    if (tags.find(required) == nullptr) {
      out.error = std::string("missing ") + required + "= tag";
      return out;
    }
  }
  if (*raw("v") != "1") {
    out.error = "unsupported version v=" + std::string(*raw("v"));
    return out;
  }

  const std::string algorithm = out.algorithm;
  if (algorithm == "rsa-sha256") {
    sig.algorithm = SignatureAlgorithm::kRsaSha256;
  } else if (algorithm == "rsa-sha1") {
    sig.algorithm = SignatureAlgorithm::kRsaSha1;
  } else if (algorithm == "ed25519-sha256") {
    sig.algorithm = SignatureAlgorithm::kEd25519Sha256;
  } else {
    out.error = "unsupported algorithm a=" + algorithm.substr(0, 32);
    return out;
  }

  if (auto c = raw("c")) {
    const std::string canon = lower(*c);
    const std::size_t slash = canon.find('/');
    const std::string head = canon.substr(0, slash);
    const std::string body = slash == std::string::npos ? "simple" : canon.substr(slash + 1);
    auto parse_canon = [](const std::string& s) -> std::optional<Canonicalization> {
      if (s == "simple") return Canonicalization::kSimple;
      if (s == "relaxed") return Canonicalization::kRelaxed;
      return std::nullopt;
    };
    const auto h = parse_canon(head);
    const auto b = parse_canon(body);
    if (!h || !b) {
      out.error = "unsupported canonicalization c=" + canon.substr(0, 32);
      return out;
    }
    sig.header_canon = *h;
    sig.body_canon = *b;
  }

  if (auto q = raw("q")) {
    bool too_many = false;
    bool dns_txt = false;
    for (std::string_view method : split_colon(*q, 16, too_many)) {
      if (method == "dns/txt") dns_txt = true;
    }
    if (!dns_txt) {
      out.error = "unsupported query method q=";
      return out;
    }
  }

  sig.domain = out.domain;
  if (!is_dkim_domain(sig.domain)) {
    out.error = "invalid d= domain";
    return out;
  }
  sig.selector = out.selector;
  if (!is_dkim_domain(sig.selector) ||
      sig.selector.size() + sig.domain.size() + 12 > kMaxDnsName) {
    out.error = "invalid s= selector";
    return out;
  }

  {
    bool too_many = false;
    const auto names = split_colon(*raw("h"), kMaxSignedHeaders, too_many);
    if (too_many) {
      out.error = "too many h= entries";
      return out;
    }
    for (std::string_view name : names) {
      if (!valid_field_name(name)) {
        out.error = "invalid header name in h=";
        return out;
      }
      sig.headers.push_back(lower(name));
      if (sig.headers.back() == "from") sig.from_signed = true;
    }
  }

  if (auto i = raw("i")) {
    const std::string_view identity = trim_fws(*i);
    if (identity.find('@') == std::string_view::npos) {
      out.error = "i= is not an identity (no '@')";
      return out;
    }
    const std::string idomain = lower(domain_of_identity(identity));
    const bool same = idomain == sig.domain;
    const bool sub = idomain.size() > sig.domain.size() &&
                     idomain.compare(idomain.size() - sig.domain.size(), std::string::npos,
                                     sig.domain) == 0 &&
                     idomain[idomain.size() - sig.domain.size() - 1] == '.';
    if (!same && !sub) {
      out.error = "i= domain is not d= or a subdomain of it";
      return out;
    }
    sig.identity = std::string(identity);
  } else {
    sig.identity = "@" + sig.domain;
  }

  if (auto l = raw("l")) {
    sig.body_length = parse_length(*l);
    if (!sig.body_length) {
      out.error = "invalid l= body length";
      return out;
    }
  }
  if (auto t = raw("t")) {
    const auto v = parse_decimal(*t, kMaxTimeDigits);
    if (!v) {
      out.error = "invalid t= timestamp";
      return out;
    }
    sig.timestamp = static_cast<std::int64_t>(*v);
  }
  if (auto x = raw("x")) {
    const auto v = parse_decimal(*x, kMaxTimeDigits);
    if (!v) {
      out.error = "invalid x= expiration";
      return out;
    }
    sig.expiration = static_cast<std::int64_t>(*v);
  }
  if (sig.timestamp && sig.expiration && *sig.expiration < *sig.timestamp) {
    out.error = "x= expiration before t= timestamp";
    return out;
  }

  auto bh = base64_decode(*raw("bh"));
  if (!bh || bh->empty()) {
    out.error = "invalid bh= base64";
    return out;
  }
  sig.body_hash = std::move(*bh);
  auto b = base64_decode(*raw("b"));
  if (!b || b->empty()) {
    out.error = "invalid b= base64";
    return out;
  }
  sig.signature = std::move(*b);
  const Tag* btag = tags.find("b");
  sig.b_value_begin = btag->after_equals;
  sig.b_value_end = btag->value_end;
  return out;
}

std::optional<std::string> signature_key_name(std::string_view value) {
  const TagList tags = parse_tag_list(value);
  if (!tags.ok()) return std::nullopt;
  const Tag* d = tags.find("d");
  const Tag* s = tags.find("s");
  if (d == nullptr || s == nullptr) return std::nullopt;
  const std::string domain = lower(d->value);
  const std::string selector = lower(s->value);
  if (!is_dkim_domain(domain) || !is_dkim_domain(selector)) return std::nullopt;
  std::string name = selector;
  name.append("._domainkey.").append(domain);
  return name;
}

}  // namespace portcullis::filters::dkim
