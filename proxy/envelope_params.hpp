// Checks the ESMTP parameters of MAIL and RCPT against what we advertised, and builds the
// command line relayed to the backend with only the parameters it can carry. Unknown or
// unadvertised parameters are refused (555 5.5.4) rather than passed through: we must not
// forward an extension the backend never offered. Pure.
#pragma once

#include <optional>
#include <string>

#include "proxy/backend.hpp"
#include "proxy/smtp/command.hpp"
#include "proxy/smtp/reply.hpp"

namespace portcullis::proxy {

struct EnvelopeCheck {
  std::optional<smtp::Reply> error;  // set: refuse the command with this reply
  std::string backend_line;          // set when no error
  bool smtputf8 = false;             // MAIL carried SMTPUTF8
};

// `max_size` is the SIZE we announced.
EnvelopeCheck check_mail(const smtp::Command& mail, const BackendCaps& caps,
                         std::size_t max_size);
// `smtputf8` is whether the transaction's MAIL carried SMTPUTF8.
EnvelopeCheck check_rcpt(const smtp::Command& rcpt, const BackendCaps& caps, bool smtputf8);

}  // namespace portcullis::proxy
