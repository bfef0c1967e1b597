#include "filters/spf/spf_domain.hpp"

#include "filters/dns/dns_answer.hpp"
#include "filters/spf/spf_macro.hpp"

namespace portcullis::filters::spf {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

std::string_view drop_trailing_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

// Every label 1..63 octets.
bool labels_ok(std::string_view s) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::size_t len = (dot == std::string_view::npos ? s.size() : dot) - start;
    if (len == 0 || len > kMaxLabelLength) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

bool is_checkable_domain(std::string_view domain) {
  domain = drop_trailing_dot(domain);
  if (domain.empty() || domain.size() > kMaxDomainLength) return false;
  if (domain.front() == '[') return false;
  if (domain.find('.') == std::string_view::npos) return false;
  for (char c : domain) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == '@') return false;
  }
  return labels_ok(domain);
}

bool is_toplabel(std::string_view label) {
  if (label.empty()) return false;
  bool alpha = false;
  bool dash = false;
  for (char c : label) {
    if (c == '-') {
      dash = true;
    } else if (!is_alnum(c)) {
      return false;
    }
    alpha |= is_alpha(c);
  }
  if (label.front() == '-' || label.back() == '-') return false;
  return alpha || dash;
}

bool check_domain_spec(std::string_view spec, std::string* error) {
  if (spec.empty()) {
    if (error != nullptr) *error = "empty domain-spec";
    return false;
  }
  bool ends_with_macro = false;
  if (!check_macro_string(spec, MacroMode::kDomainSpec, error, &ends_with_macro)) return false;
  if (ends_with_macro) return true;
  const std::string_view body = drop_trailing_dot(spec);
  const std::size_t dot = body.rfind('.');
  const std::string_view top = dot == std::string_view::npos ? body : body.substr(dot + 1);
  if (dot == std::string_view::npos || !is_toplabel(top)) {
    if (error != nullptr) {
      *error = "domain-spec does not end in a valid top label";
    }
    return false;
  }
  return true;
}

std::optional<std::string> to_query_name(std::string_view expanded) {
  std::string_view s = drop_trailing_dot(expanded);
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return std::nullopt;
  }
  while (s.size() > kMaxDomainLength) {
    const std::size_t dot = s.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    s.remove_prefix(dot + 1);
  }
  if (s.empty() || !labels_ok(s)) return std::nullopt;
  return dns::normalize_name(s);
}

std::string reverse_name(const config::IpAddress& ip) {
  std::string out;
  if (ip.is_v4) {
    for (std::size_t i = 16; i-- > 12;) {
      out.append(std::to_string(ip.bytes[i]));
      out.push_back('.');
    }
    out.append("in-addr.arpa");
    return out;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 16; i-- > 0;) {
    out.push_back(kHex[ip.bytes[i] & 15]);
    out.push_back('.');
    out.push_back(kHex[ip.bytes[i] >> 4]);
    out.push_back('.');
  }
  out.append("ip6.arpa");
  return out;
}

bool is_same_or_subdomain(std::string_view name, std::string_view domain) {
  const std::string n = dns::normalize_name(name);
  const std::string d = dns::normalize_name(domain);
  if (d.empty()) return false;
  if (n == d) return true;
  return n.size() > d.size() && n.compare(n.size() - d.size(), d.size(), d) == 0 &&
         n[n.size() - d.size() - 1] == '.';
}

}  // namespace portcullis::filters::spf
