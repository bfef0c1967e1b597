#include "proxy/snapshot.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <algorithm>

namespace portcullis::proxy {

Snapshot::Snapshot(config::Config cfg, std::shared_ptr<const filters::Pipeline> pipeline_in,
                   std::shared_ptr<Backend> backend_in, BackendCaps caps_in)
    : config(std::move(cfg)),
      relay(config.relay_domains, config.trusted_networks),
      pipeline(std::move(pipeline_in)),
      backend(std::move(backend_in)),
      caps(caps_in),
      announced_size(config.limits.max_message_size),
      local_ips(local_addresses(config)) {
  if (caps.size) announced_size = std::min(announced_size, *caps.size);
  // Advertise only what is enforced end to end: 8BITMIME, SMTPUTF8 and DSN exist only when
  // the backend can carry them (STYLE.md, what to avoid).
  // RFC 2034: no enhanced status code on the EHLO reply.
  smtp::Reply ehlo;
  ehlo.code = 250;
  ehlo.lines = {config.hostname, "PIPELINING", "SIZE " + std::to_string(announced_size),
                "ENHANCEDSTATUSCODES"};
  if (caps.eightbitmime) ehlo.lines.push_back("8BITMIME");
  if (caps.smtputf8) ehlo.lines.push_back("SMTPUTF8");
  if (caps.dsn) ehlo.lines.push_back("DSN");
  ehlo_reply = ehlo.serialize();
}

std::vector<config::IpAddress> local_addresses(const config::Config& config) {
  std::vector<config::IpAddress> out;
  bool wildcard = false;
  for (const auto& l : config.listeners) {
    auto ip = config::IpAddress::parse(l.address.host);
    if (!ip) continue;
    if (l.address.host == "0.0.0.0" || l.address.host == "::") {
      wildcard = true;
    } else if (std::find(out.begin(), out.end(), *ip) == out.end()) {
      out.push_back(*ip);
    }
  }
  if (wildcard) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
      for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        char text[INET6_ADDRSTRLEN] = {};
        if (i->ifa_addr->sa_family == AF_INET) {
          inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text,
                    sizeof text);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
          inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, text,
                    sizeof text);
        } else {
          continue;
        }
        auto ip = config::IpAddress::parse(text);
        if (ip && std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
      }
      freeifaddrs(list);
    }
  }
  return out;
}

}  // namespace portcullis::proxy
