// The relay chain and its trust split, as SpamAssassin 4.0.1 infers it when neither
// trusted_networks nor internal_networks is configured (Received.pm,
// parse_received_headers): walking from the newest field down, relays stay trusted and
// internal while their IP is private or they show authentication; the first other relay
// ends both, for good. Values not understood are counted and skipped; a fetchmail/getmail
// marker met while still in the trusted part forgets the relays above it.
// Untrusted input: every value. Limits: kMaxReceivedFields fields, kMaxFieldBytes per
// field, kMaxOriginatingBytes per originating-IP value, at most
// kOriginatingIpHeaders.size() originating-IP values, and a matcher step budget per field.
#include <string>
#include <string_view>
#include <vector>

#include "filters/received/ip_text.hpp"
#include "filters/received/received_line.hpp"
#include "filters/received/received_relays.hpp"

namespace portcullis::received {
namespace {

void append(std::string& list, const std::string& item) {
  if (!list.empty()) list += ' ';
  list += item;
}

}  // namespace

RelayHeaders relay_headers(const std::vector<std::string_view>& received_values,
                           const std::vector<std::string_view>& originating_ip_values) {
  RelayHeaders out;

  // The values to read: the Received fields, then one pseudo line per originating-IP
  // header that holds an address (SpamAssassin's "from X-Originating-IP: <ip>").
  std::vector<std::string> pseudo;
  const std::size_t originating =
      std::min(originating_ip_values.size(), kOriginatingIpHeaders.size());
  for (std::size_t i = 0; i < originating; ++i) {
    const std::string_view v = originating_ip_values[i].substr(0, kMaxOriginatingBytes);
    const std::string_view ip = find_ip_address(v);
    if (!ip.empty()) pseudo.push_back("from X-Originating-IP: " + std::string(ip));
  }
  std::vector<std::string_view> lines;
  const std::size_t kept = std::min(received_values.size(), kMaxReceivedFields);
  out.ignored_fields = received_values.size() - kept;
  lines.assign(received_values.begin(), received_values.begin() + static_cast<std::ptrdiff_t>(kept));
  for (const std::string& p : pseudo) lines.push_back(p);

  bool in_trusted = true;
  bool in_internal = true;
  bool fetch_markers_count = true;  // a fetch marker restarts the chain only from the trusted part
  std::optional<std::string> scanner_envfrom;  // from the qmail-scanner note just above

  for (std::string_view value : lines) {
    std::optional<std::string> envfrom_from_note = std::move(scanner_envfrom);
    scanner_envfrom.reset();

    detail::LineResult line;
    if (value.size() > kMaxFieldBytes) {
      line.outcome = LineOutcome::kUnparseable;
    } else {
      std::size_t budget = detail::kLineStepBudget;
      line = detail::parse_line(value, &budget);
    }
    if (line.scanner_envfrom) scanner_envfrom = std::move(line.scanner_envfrom);

    switch (line.outcome) {
      case LineOutcome::kUnparseable:
        ++out.unparseable;
        continue;
      case LineOutcome::kSkipped:
        continue;
      case LineOutcome::kMailFetch:
        if (fetch_markers_count) out.relays.clear();  // all of them were trusted
        continue;
      case LineOutcome::kRelay:
        break;
    }

    Relay relay = std::move(line.relay);
    if (envfrom_from_note && detail::perl_true(*envfrom_from_note))
      relay.envfrom = *envfrom_from_note;
    if (in_trusted && !relay.ip_private && !detail::perl_true(relay.auth)) {
      in_trusted = false;
      in_internal = false;
    }
    relay.trusted = in_trusted;
    relay.internal = in_internal;
    relay.msa = false;
    fetch_markers_count = in_trusted;
    out.relays.push_back(std::move(relay));
  }

  for (const Relay& relay : out.relays) {
    const std::string s = relay_string(relay);
    append(relay.trusted ? out.trusted : out.untrusted, s);
    append(relay.internal ? out.internal : out.external, s);
  }
  return out;
}

}  // namespace portcullis::received
