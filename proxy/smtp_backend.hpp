// SMTP client to the MTA behind the gate (Postfix, Exim, smtp-sink). Speaks in lockstep,
// bounded by Limits (reply size, reply and connect timeouts); the data phase uses the
// client's data_timeout for the final reply. identity: none only — XCLIENT and PROXY v2
// come with "the gate, part 3".
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "proxy/backend.hpp"

namespace portcullis::proxy {

// Idle connections are kept per event loop and handed to the next session of that loop
// (DESIGN.md step 7 reuses a connection across transactions; this extends it across
// sessions, which halves the TCP work per message for one-message-per-connection clients).
// At most kMaxIdlePerLoop are kept, each for at most kMaxIdle: an idle connection holds a
// process slot in Postfix's smtpd, and the MTA closes idle clients anyway.
class SmtpBackend : public Backend {
 public:
  static constexpr std::size_t kMaxIdlePerLoop = 16;
  static constexpr std::chrono::seconds kMaxIdle{10};

  SmtpBackend(config::Endpoint address, std::string helo_name, smtp::Limits limits);
  ~SmtpBackend() override;
  std::unique_ptr<BackendConnection> connect(boost::asio::any_io_executor ex) override;
  boost::asio::awaitable<void> release(std::unique_ptr<BackendConnection> conn,
                                       boost::asio::any_io_executor ex) override;
  boost::asio::awaitable<BackendCaps> probe(boost::asio::any_io_executor ex) override;
  std::string describe() const override;
  std::size_t idle_connections() const;

 private:
  struct Idle {
    std::unique_ptr<BackendConnection> connection;
    std::chrono::steady_clock::time_point since;
  };
  config::Endpoint address_;
  std::string helo_name_;
  smtp::Limits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<const void*, std::vector<Idle>> idle_;  // by event loop (io_context)
};

// Parses the lines of an EHLO reply into capabilities (exposed for tests).
BackendCaps parse_ehlo_capabilities(const smtp::Reply& ehlo);

}  // namespace portcullis::proxy
