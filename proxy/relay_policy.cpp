#include "proxy/relay_policy.hpp"

#include <algorithm>
#include <cctype>

namespace portcullis::proxy {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

RelayPolicy::RelayPolicy(std::vector<std::string> relay_domains,
                         std::vector<config::Cidr> trusted)
    : trusted_(std::move(trusted)) {
  for (auto& d : relay_domains) domains_.push_back(lower(d));
}

bool RelayPolicy::trusted_client(const config::IpAddress& ip) const {
  return std::any_of(trusted_.begin(), trusted_.end(),
                     [&](const config::Cidr& net) { return net.contains(ip); });
}

bool RelayPolicy::local_recipient(std::string_view recipient) const {
  auto at = recipient.rfind('@');
  if (at == std::string_view::npos) return lower(recipient) == "postmaster";
  std::string domain = lower(recipient.substr(at + 1));
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  for (const auto& entry : domains_) {
    if (entry.empty()) continue;
    if (entry[0] == '.') {
      // ".example.org" matches any subdomain, not example.org itself.
      if (domain.size() > entry.size() &&
          domain.compare(domain.size() - entry.size(), entry.size(), entry) == 0) {
        return true;
      }
    } else if (domain == entry) {
      return true;
    }
  }
  return false;
}

}  // namespace portcullis::proxy
