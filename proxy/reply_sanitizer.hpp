// Backend replies are relayed to the client only after this filter (Postfix smtpd_proxy
// habit): printable ASCII only, each line and the line count capped, an enhanced status code
// on every line (we advertise ENHANCEDSTATUSCODES), and a code the stage does not expect
// (2xx/3xx where no success is possible, 1xx, a 354 outside DATA) replaced by a generic 451.
// Pure: no I/O.
#pragma once

#include "proxy/smtp/reply.hpp"

namespace portcullis::proxy {

enum class BackendStage { kMail, kRcpt, kDataCommand, kDataEnd, kRset };

smtp::Reply sanitize_backend_reply(const smtp::Reply& reply, BackendStage stage);

}  // namespace portcullis::proxy
