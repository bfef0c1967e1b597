// The milter front door (DESIGN.md; issue "Milter front door"): one MTA connection speaking
// the milter protocol (proxy/milter/), run through the very pipeline the proxy uses. Each
// milter event maps onto a pipeline stage — connect, HELO, MAIL, RCPT, end of headers (the
// DATA stage, and the header-section hint), end of message (the decision) — and verdicts
// become milter replies: a refusal is SMFIR_REPLYCODE with the same code and text a proxy
// client would get; at end of message our headers (Authentication-Results, X-Spam-*) are
// inserted at the top, forged ones (rewrite_headers' rule) deleted, a quarantine is
// SMFIR_QUARANTINE. SMFIC_ABORT resets the transaction; QUIT_NC starts a new connection
// on the same socket.
// Untrusted input: every byte from the MTA (bounded by the packet reader, the message by
// limits.max_message_size). A malformed packet, an unknown command or a failed negotiation
// is logged and closes this connection only.
// Macros: i (queue id: log lines show mN/QUEUEID), j, {client_addr}, {tls_version} and
// {auth_authen} (into the Session), as they arrive per stage. The socket is TCP or unix.
#pragma once

#include <cstdint>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/snapshot.hpp"

namespace portcullis::proxy {

class TimedSocket;

// Runs one milter connection to its end: QUIT, the MTA closing, an error, or the socket
// cancelled (TimedSocket::cancel, the server's drain) — then the MTA applies its
// milter_default_action to what was in flight.
boost::asio::awaitable<void> run_milter_session(std::shared_ptr<TimedSocket> socket,
                                                std::shared_ptr<const Snapshot> snapshot,
                                                std::uint64_t id);

}  // namespace portcullis::proxy
