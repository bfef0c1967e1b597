#include "proxy/snapshot.hpp"

#include <algorithm>

namespace portcullis::proxy {

Snapshot::Snapshot(config::Config cfg, std::shared_ptr<Backend> backend_in, BackendCaps caps_in)
    : config(std::move(cfg)),
      relay(config.relay_domains, config.trusted_networks),
      backend(std::move(backend_in)),
      caps(caps_in),
      announced_size(config.limits.max_message_size) {
  if (caps.size) announced_size = std::min(announced_size, *caps.size);
  // Advertise only what is enforced end to end: 8BITMIME, SMTPUTF8 and DSN exist only when
  // the backend can carry them (STYLE.md, what to avoid).
  ehlo_lines = "PIPELINING\nSIZE " + std::to_string(announced_size) + "\nENHANCEDSTATUSCODES";
  if (caps.eightbitmime) ehlo_lines += "\n8BITMIME";
  if (caps.smtputf8) ehlo_lines += "\nSMTPUTF8";
  if (caps.dsn) ehlo_lines += "\nDSN";
}

}  // namespace portcullis::proxy
