// Rendering one relay the way SpamAssassin's make_relay_as_string does, then setting
// intl= and msa= the way parse_received_headers does afterwards (it rewrites the first
// " intl=<digit> " and the first " msa=<digit> " of the string, and the first " msa=…" can
// sit inside an auth= text such as "Postfix (x msa=5 y)").
// Untrusted input: the relay's fields (already bounded by the value they came from).
// Limits: the output is the sum of the field lengths plus a constant.
#include <string>

#include "filters/received/received_relays.hpp"

namespace portcullis::received {
namespace {

// The first " <key>=<digit> " in s gets <digit> replaced by value.
void set_first_flag(std::string& s, std::string_view key, bool value) {
  const std::string needle = " " + std::string(key) + "=";
  for (std::size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) {
    const std::size_t d = p + needle.size();
    if (d + 1 < s.size() && s[d] >= '0' && s[d] <= '9' && s[d + 1] == ' ') {
      s[d] = value ? '1' : '0';
      return;
    }
  }
}

}  // namespace

std::string relay_string(const Relay& relay) {
  // Perl renders a false envfrom ("" or "0") as empty.
  const std::string_view envfrom = relay.envfrom == "0" ? std::string_view() : relay.envfrom;
  std::string s;
  s.reserve(80 + relay.ip.size() + relay.rdns.size() + relay.helo.size() + relay.by.size() +
            relay.ident.size() + envfrom.size() + relay.id.size() + relay.auth.size());
  s += "[ ip=";
  s += relay.ip;
  s += " rdns=";
  s += relay.rdns;
  s += " helo=";
  s += relay.helo;
  s += " by=";
  s += relay.by;
  s += " ident=";
  s += relay.ident;
  s += " envfrom=";
  s += envfrom;
  s += " intl=0 id=";
  s += relay.id;
  s += " auth=";
  s += relay.auth;
  s += " msa=0 ]";
  set_first_flag(s, "intl", relay.internal);
  set_first_flag(s, "msa", relay.msa);
  return s;
}

}  // namespace portcullis::received
