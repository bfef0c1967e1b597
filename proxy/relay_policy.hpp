// Relay control (DESIGN.md step 4): a recipient outside relay_domains is accepted only from
// trusted_networks (authenticated clients join with part 3). Pure; built once per config
// snapshot.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"

namespace portcullis::proxy {

class RelayPolicy {
 public:
  RelayPolicy(std::vector<std::string> relay_domains, std::vector<config::Cidr> trusted);
  bool trusted_client(const config::IpAddress& ip) const;
  // Domain part of `recipient` is one of ours (exact, or below an entry written ".domain").
  // The bare "Postmaster" mailbox is always ours (RFC 5321 4.5.1).
  bool local_recipient(std::string_view recipient) const;
  bool may_relay(const config::IpAddress& client, std::string_view recipient) const {
    return trusted_client(client) || local_recipient(recipient);
  }

 private:
  std::vector<std::string> domains_;
  std::vector<config::Cidr> trusted_;
};

}  // namespace portcullis::proxy
