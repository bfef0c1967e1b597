// Shared by the SPF, DKIM and DMARC filter tests: a real DNS server (dnsmasq) with the
// records a test publishes, the c-ares resolver pointed at it, and filters built through
// their factories with that resolver.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "filters/api/auth_results.hpp"
#include "filters/dns/cares_resolver.hpp"
#include "tests/filters/dns/dnsmasq_server.hpp"
#include "tests/filters/filter_harness.hpp"

namespace portcullis::filters::test {

// Runs hooks one after another on one io_context that outlives the transactions: work a
// hook starts in the background (SPF at MAIL) belongs to it, as to a session's loop.
// Declare it before the transactions it serves.
class HookRunner {
 public:
  Verdict operator()(const std::shared_ptr<Filter>& filter, Stage stage, Session& session,
                     Transaction& txn) {
    auto future = boost::asio::co_spawn(io_, call_hook(filter, stage, &session, &txn),
                                        boost::asio::use_future);
    io_.restart();
    io_.run();
    return future.get();
  }

 private:
  boost::asio::io_context io_;
};

inline config::DnsSettings dns_settings(std::uint16_t port, int timeout_ms = 1000) {
  config::DnsSettings s;
  s.servers.push_back(config::Endpoint{"127.0.0.1", port});
  s.timeout = std::chrono::milliseconds(timeout_ms);
  s.attempts = 1;
  return s;
}

inline FilterContext auth_context(dns::Resolver* resolver, BlockingPool* pool = nullptr) {
  FilterContext context;
  context.hostname = "mx.portcullis.test";
  context.authserv_id = "mx.portcullis.test";
  context.resolver = resolver;
  context.pool = pool;
  return context;
}

inline std::string ar_value(const Transaction& txn) {
  for (const Header& h : txn.add_headers) {
    if (h.name == "Authentication-Results") return h.value;
  }
  return "";
}

inline const Symbol* find_symbol(const Transaction& txn, std::string_view name) {
  for (const Symbol& s : txn.symbols) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

inline Session client(const std::string& ip, const std::string& helo) {
  Session s;
  s.client_ip = *config::IpAddress::parse(ip);
  s.client_ip_text = ip;
  s.helo = helo;
  s.report = true;  // the tests read the scan report too
  return s;
}

}  // namespace portcullis::filters::test
