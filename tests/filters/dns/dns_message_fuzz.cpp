// Fuzz target: any bytes as a DNS response, read for each record type. Invariants: no
// crash; an ok answer has records; a non-ok answer has none.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "filters/dns/dns_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using portcullis::dns::Answer;
  using portcullis::dns::RrType;
  for (RrType type : {RrType::kA, RrType::kAaaa, RrType::kTxt, RrType::kMx, RrType::kPtr}) {
    const Answer a = portcullis::dns::parse_response(std::span(data, size), "x.example", type, 300);
    const bool any = !a.txt.empty() || !a.addresses.empty() || !a.mx.empty() || !a.names.empty();
    if (a.ok() != any) std::abort();
    if (!a.ok() && a.ttl > 300) std::abort();
  }
  return 0;
}
