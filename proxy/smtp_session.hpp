// One client SMTP session in proxy mode (DESIGN.md "Proxy mode: one SMTP session", steps
// 1-2 and 4-7 without TLS/AUTH/identity yet). A coroutine on its event-loop thread; the
// client is untrusted: every read has a deadline, every line and message is bounded by
// Limits, and the client sees 250 for a message only after the backend said 250.
//
// Replies are batched per RFC 2920: they are written when no further complete command is
// waiting in the input, so a pipelined group gets its replies in one write.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "config/cidr.hpp"
#include "proxy/connection_registry.hpp"
#include "proxy/snapshot.hpp"

namespace portcullis::proxy {

// What the server tells its sessions.
struct SessionEnvironment {
  std::atomic<bool> draining{false};
};

class SmtpSession : public std::enable_shared_from_this<SmtpSession> {
 public:
  SmtpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<const Snapshot> snapshot,
              const SessionEnvironment& env, ConnectionRegistry::Ticket ticket,
              std::uint64_t id);
  ~SmtpSession();

  boost::asio::awaitable<void> run();

  // Called on the session's own thread by the server.
  // drain: the server stops; leave at the next point between transactions.
  void drain();
  // force_close: grace period over; say 421 and leave now.
  void force_close();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Greeting refusal for connections over a limit, written before closing (no session).
std::string refusal_for(ConnectionRegistry::Admission admission, const std::string& hostname);

}  // namespace portcullis::proxy
