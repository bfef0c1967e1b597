// SMTP client to the MTA behind the gate (Postfix, Exim, smtp-sink). Speaks in lockstep,
// bounded by Limits (reply size, reply and connect timeouts); the data phase uses the
// client's data_timeout for the final reply. identity: none only — XCLIENT and PROXY v2
// come with "the gate, part 3".
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "proxy/backend.hpp"

namespace portcullis::proxy {

class SmtpBackend : public Backend {
 public:
  SmtpBackend(config::Endpoint address, std::string helo_name, smtp::Limits limits);
  std::unique_ptr<BackendConnection> connect(boost::asio::any_io_executor ex) override;
  boost::asio::awaitable<BackendCaps> probe(boost::asio::any_io_executor ex) override;
  std::string describe() const override;

 private:
  config::Endpoint address_;
  std::string helo_name_;
  smtp::Limits limits_;
};

// Parses the lines of an EHLO reply into capabilities (exposed for tests).
BackendCaps parse_ehlo_capabilities(const smtp::Reply& ehlo);

}  // namespace portcullis::proxy
