#include "filters/access/address_list.hpp"

#include "config/syntax.hpp"

namespace portcullis::filters::access {
namespace {

// RFC 5321 caps a local part at 64 octets and a path at 256.
constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxAddress = 254;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Printable ASCII without space and without the characters that would make the entry
// ambiguous in a list (<, >) or in this syntax (@ is the separator).
bool valid_local_part(std::string_view local) {
  if (local.empty() || local.size() > kMaxLocalPart) return false;
  for (char c : local) {
    if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '@') return false;
  }
  return true;
}

const char* kExpected =
    "expected an address like user@example.org, a domain like \"@example.org\", "
    "subdomains like \"@.example.org\"";

}  // namespace

bool AddressList::add(std::string_view entry, std::string& why_not) {
  const std::string expected =
      std::string(kExpected) + (allow_null_sender_ ? " or the null sender \"<>\"" : "");
  auto fail = [&](std::string_view detail) {
    why_not = expected + ", got " + config::detail::quoted(entry);
    if (!detail.empty()) why_not += std::string("; ") + std::string(detail);
    return false;
  };
  if (entry == "<>") {
    if (!allow_null_sender_) return fail("the null sender is never a recipient");
    if (!null_sender_) ++size_;
    null_sender_ = std::string(entry);
    return true;
  }
  if (entry.size() > kMaxAddress) return fail("too long");
  const std::size_t at = entry.rfind('@');
  if (at == std::string_view::npos) return fail("");
  if (entry.front() == '<' || entry.back() == '>') return fail("write addresses without <>");
  const std::string_view local = entry.substr(0, at);
  std::string_view domain = entry.substr(at + 1);
  const bool subdomains = local.empty() && domain.starts_with('.');
  if (subdomains) domain.remove_prefix(1);
  if (domain.ends_with('.')) domain.remove_suffix(1);
  if (!config::detail::is_host_name(domain)) {
    return fail("the domain is not a valid host name");
  }
  if (!local.empty() && !valid_local_part(local)) {
    return fail("the local part must be 1-64 printable characters without spaces");
  }

  Table& table = local.empty() ? (subdomains ? parent_domains_ : domains_) : addresses_;
  const std::string key = local.empty() ? lower(domain) : lower(local) + "@" + lower(domain);
  if (table.emplace(key, std::string(entry)).second) ++size_;
  return true;
}

const std::string* AddressList::find(std::string_view address) const {
  if (address.empty()) return null_sender_ ? &*null_sender_ : nullptr;
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return nullptr;

  std::string normal = lower(address);
  if (normal.ends_with('.')) normal.pop_back();
  if (!addresses_.empty()) {
    const auto it = addresses_.find(std::string_view(normal));
    if (it != addresses_.end()) return &it->second;
  }
  std::string_view domain = std::string_view(normal).substr(at + 1);
  if (domain.empty()) return nullptr;
  if (!domains_.empty()) {
    const auto it = domains_.find(domain);
    if (it != domains_.end()) return &it->second;
  }
  if (!parent_domains_.empty()) {
    // Closest parent first: a.b.example.org tries b.example.org, example.org, org.
    for (std::size_t dot = domain.find('.'); dot != std::string_view::npos;
         dot = domain.find('.', dot + 1)) {
      const auto it = parent_domains_.find(domain.substr(dot + 1));
      if (it != parent_domains_.end()) return &it->second;
    }
  }
  return nullptr;
}

}  // namespace portcullis::filters::access
