// The MTA behind the gate, as the session sees it: one connection that carries transactions
// in lockstep with the client (DESIGN.md proxy steps 4-7). Two implementations: an SMTP
// client to Postfix/Exim/smtp-sink, and the demo maildir store.
//
// Replies returned here are raw (untrusted when they come from an MTA); the session runs
// them through sanitize_backend_reply before a client sees them.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "proxy/smtp/reply.hpp"

namespace portcullis::proxy {

// ESMTP extensions the backend offers; learned by probing its EHLO at start-up and reload.
struct BackendCaps {
  bool reachable = false;
  bool eightbitmime = false;
  bool smtputf8 = false;
  bool dsn = false;
  std::optional<std::size_t> size;  // the backend's SIZE limit, if it announced one
};

struct BackendResult {
  bool ok = false;      // false: I/O failure or protocol error; `reply` is meaningless then
  smtp::Reply reply;
  std::string error;    // why, for logs
};

class BackendConnection {
 public:
  virtual ~BackendConnection() = default;
  // Connect, read the greeting, EHLO. ok=false or a non-2xx greeting/EHLO means unusable.
  virtual boost::asio::awaitable<BackendResult> open() = 0;
  // `line` is the exact command line to send (without CRLF); `address` its parsed path.
  virtual boost::asio::awaitable<BackendResult> mail(const std::string& line,
                                                     const std::string& address) = 0;
  virtual boost::asio::awaitable<BackendResult> rcpt(const std::string& line,
                                                     const std::string& address) = 0;
  // DATA, 354, the dot-stuffed message, and the final reply. `message` is unstuffed.
  virtual boost::asio::awaitable<BackendResult> data(const std::string& message) = 0;
  virtual boost::asio::awaitable<BackendResult> rset() = 0;
  // Polite goodbye; never fails loudly.
  virtual boost::asio::awaitable<void> quit() = 0;
  virtual bool usable() const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // A connection for a session on executor `ex`: an idle one kept from an earlier session
  // of the same event loop (already open: usable() is true; it may still turn out stale),
  // or a new one to open().
  virtual std::unique_ptr<BackendConnection> connect(boost::asio::any_io_executor ex) = 0;
  // The session is done with `conn`, which is between transactions: keep it for another
  // session of the same event loop, or say QUIT and close it.
  virtual boost::asio::awaitable<void> release(std::unique_ptr<BackendConnection> conn,
                                               boost::asio::any_io_executor ex) = 0;
  // Learn the extensions (EHLO) without running a transaction.
  virtual boost::asio::awaitable<BackendCaps> probe(boost::asio::any_io_executor ex) = 0;
  virtual std::string describe() const = 0;
};

}  // namespace portcullis::proxy
