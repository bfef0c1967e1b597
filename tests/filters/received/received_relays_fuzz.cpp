// Fuzz target: any bytes as a list of Received values (split at NUL-free "\n\n") plus
// originating-IP values (after a split point from the input). Invariants: no crash; every
// relay is in exactly one of trusted/untrusted and one of internal/external; trusted
// relays come first and are all internal; the pseudo-headers are the relays' strings
// joined; nothing exceeds the documented caps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "filters/received/received_relays.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis::received;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = portcullis::fuzz::split_point(in);
  std::vector<std::string_view> received, originating;
  auto split = [](std::string_view s, std::vector<std::string_view>& out) {
    while (!s.empty()) {
      const std::size_t p = s.find("\n\n");
      out.push_back(s.substr(0, p));
      if (p == std::string_view::npos) break;
      s.remove_prefix(p + 2);
    }
  };
  split(in.substr(0, cut), received);
  split(in.substr(cut), originating);

  const RelayHeaders r = relay_headers(received, originating);
  FUZZ_CHECK(r.relays.size() <= kMaxReceivedFields + kOriginatingIpHeaders.size());
  FUZZ_CHECK(r.unparseable + r.relays.size() <= received.size() + originating.size());
  std::string trusted, untrusted, internal, external;
  bool seen_untrusted = false;
  for (const Relay& relay : r.relays) {
    const std::string s = relay_string(relay);
    FUZZ_CHECK(s.starts_with("[ ip=") && s.ends_with(" ]"));
    if (relay.trusted) {
      FUZZ_CHECK(!seen_untrusted && relay.internal);
      FUZZ_CHECK(relay.ip_private || !relay.auth.empty());
    } else {
      seen_untrusted = true;
    }
    auto add = [&](std::string& list) { list += (list.empty() ? "" : " ") + s; };
    add(relay.trusted ? trusted : untrusted);
    add(relay.internal ? internal : external);
  }
  FUZZ_CHECK(trusted == r.trusted && untrusted == r.untrusted);
  FUZZ_CHECK(internal == r.internal && external == r.external);

  // one value alone through the single-line entry point agrees with the chain
  if (!received.empty()) {
    Relay relay;
    const LineOutcome o = parse_received_line(received.front(), &relay);
    if (o == LineOutcome::kRelay) FUZZ_CHECK(relay_string(relay).starts_with("[ ip="));
  }
  return 0;
}
