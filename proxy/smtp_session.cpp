#include "proxy/smtp_session.hpp"

#include <charconv>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "filters/api/pipeline.hpp"
#include "proxy/envelope_params.hpp"
#include "proxy/reply_sanitizer.hpp"
#include "proxy/smtp/command.hpp"
#include "proxy/smtp/data_reader.hpp"
#include "proxy/smtp/header_watch.hpp"
#include "proxy/timed_socket.hpp"

namespace portcullis::proxy {

namespace {

using smtp::make_reply;
using smtp::Reply;
using smtp::Verb;

// Why the command loop ended, for the disconnect log line.
enum class Exit { kQuit, kClientGone, kTimeout, kTooManyErrors, kShutdown, kLost };

const char* exit_name(Exit e) {
  switch (e) {
    case Exit::kQuit: return "quit";
    case Exit::kClientGone: return "client closed";
    case Exit::kTimeout: return "timeout";
    case Exit::kTooManyErrors: return "too many errors";
    case Exit::kShutdown: return "shutdown";
    case Exit::kLost: return "i/o error";
  }
  return "?";
}

// RFC 2920 3.1: these must end a pipelined group; anything after them arrived too early.
bool must_be_last(Verb v) {
  return v == Verb::kEhlo || v == Verb::kHelo || v == Verb::kVrfy || v == Verb::kExpn ||
         v == Verb::kNoop || v == Verb::kQuit;
}

}  // namespace

std::string refusal_for(ConnectionRegistry::Admission admission, const std::string& hostname) {
  if (admission == ConnectionRegistry::Admission::kTooManyFromIp) {
    return make_reply(421, "4.7.0", hostname + " Error: too many connections from your address")
        .serialize();
  }
  return make_reply(421, "4.7.0", hostname + " Error: too many connections").serialize();
}

struct SmtpSession::State {
  std::shared_ptr<TimedSocket> socket;
  std::shared_ptr<const Snapshot> snap;
  const config::Config& cfg;
  const SessionEnvironment& env;
  ConnectionRegistry::Ticket ticket;
  std::uint64_t id;
  std::string client_text;  // "[ip]:port" for logs
  const filters::Pipeline& pipeline;
  filters::Session fs;       // what filters know of the connection
  filters::Transaction txn;  // what filters know of the transaction (RSET drops it)
  bool refused_at_connect = false;  // 554 greeting: only QUIT is served (RFC 5321 3.1)
  std::chrono::steady_clock::time_point txn_started;

  InputBuffer in;
  std::string out;  // replies waiting for the end of the pipelined group
  smtp::CommandReader reader;

  // Session state (survives RSET).
  bool greeted = false;
  bool unauth_pipelining = false;
  std::size_t errors = 0;
  bool reading_command = false;  // parked in a read between commands: safe to drain
  bool drain_requested = false;
  bool force_requested = false;

  // Transaction state (RSET drops it).
  bool in_transaction = false;
  bool backend_lost = false;  // the backend dropped this transaction; only RSET/new MAIL help
  bool smtputf8 = false;
  std::size_t rcpt_attempts = 0;

  std::unique_ptr<BackendConnection> backend;
  std::size_t transactions = 0;

  State(tcp::socket sock, std::shared_ptr<const Snapshot> snapshot,
        const SessionEnvironment& environment, ConnectionRegistry::Ticket t, std::uint64_t n)
      : socket(TimedSocket::make(std::move(sock))),
        snap(std::move(snapshot)),
        cfg(snap->config),
        env(environment),
        ticket(std::move(t)),
        id(n),
        pipeline(*snap->pipeline),
        reader(cfg.limits.max_command_line) {
    fs.id = tag();
    fs.local_hostname = cfg.hostname;
    fs.local_ips = snap->local_ips;
    boost::system::error_code ec;
    auto remote = socket->remote_endpoint(ec);
    if (!ec) {
      auto addr = remote.address();
      if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
        addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
      }
      fs.client_ip_text = addr.to_string();
      fs.client_port = remote.port();
      client_text = "[" + fs.client_ip_text + "]:" + std::to_string(remote.port());
      if (auto parsed = config::IpAddress::parse(fs.client_ip_text)) fs.client_ip = *parsed;
    } else {
      client_text = "[unknown]";
    }
  }

  std::string tag() const { return fmt::format("s{:x}", id); }

  void reply(const Reply& r) {
    out += r.serialize();
    if (r.code >= 400) ++errors;
  }
  void reply(int code, std::string_view enhanced, std::string_view text) {
    reply(make_reply(code, enhanced, text));
  }
  // The backend failed, not the client: does not count towards max_errors.
  void reply_backend_unavailable(std::string_view enhanced, std::string_view text) {
    out += make_reply(451, enhanced, text).serialize();
  }

  // After a 421 or an I/O failure the backend connection is gone, and with it any
  // transaction it held. The client's transaction stays open so it gets a 4xx (and retries)
  // for the rest of it, not a confusing 503.
  void lose_backend(std::string_view why) {
    spdlog::warn("{}: backend {} lost: {}", tag(), snap->backend->describe(), why);
    backend.reset();
    if (in_transaction) backend_lost = true;
  }

  // A backend 421 means it is closing: never pass a 421 on while we keep the client.
  Reply relay_backend_reply(const BackendResult& r, BackendStage stage) {
    Reply relayed = sanitize_backend_reply(r.reply, stage);
    if (r.reply.code == 421) {
      relayed.code = 451;
      lose_backend("it answered 421");
    }
    return relayed;
  }

  boost::asio::awaitable<bool> flush() {
    if (out.empty()) co_return true;
    boost::system::error_code ec = co_await socket->write_all(out, cfg.limits.command_timeout);
    out.clear();
    co_return !ec;
  }

  void reset_transaction() {
    in_transaction = false;
    backend_lost = false;
    smtputf8 = false;
    rcpt_attempts = 0;
    txn = filters::Transaction{};
  }

  // RSET, EHLO, the end of a message or of the session: the backend and the filters forget
  // the transaction.
  boost::asio::awaitable<void> drop_transaction() {
    co_await backend_reset();
    if (in_transaction) co_await pipeline.reset(fs, txn);
    reset_transaction();
  }

  // A filter refused at a stage before the message: its reply, and a log line like
  // Postfix's "NOQUEUE: reject".
  void reply_refusal(const filters::Verdict& v, std::string_view stage) {
    Reply r = make_reply(v.code, v.enhanced, v.text);
    spdlog::info("{}: reject: {} from {}: {} {}; from=<{}> to=<{}> symbol={}", tag(), stage,
                 client_text, r.code, r.lines.empty() ? "" : r.lines[0], txn.mail_from,
                 txn.current_rcpt, v.symbol);
    reply(r);
  }

  // The backend is in a transaction only if MAIL reached it; tell it to forget.
  boost::asio::awaitable<void> backend_reset() {
    if (in_transaction && !backend_lost && backend && backend->usable()) {
      BackendResult r = co_await backend->rset();
      if (!r.ok || r.reply.code != 250) backend.reset();
    }
  }

  // Between transactions now: hand the connection back for the next session.
  boost::asio::awaitable<void> backend_release() {
    if (backend) {
      auto ex = socket->socket().get_executor();
      co_await snap->backend->release(std::move(backend), ex);
    }
  }

  // --- the command loop -------------------------------------------------------------

  boost::asio::awaitable<Exit> command_loop() {
    for (;;) {
      if (env.draining.load() && !in_transaction) {
        reply(421, "4.3.2", cfg.hostname + " Service shutting down");
        co_return Exit::kShutdown;
      }
      // Next complete line, flushing the batched replies before we wait for the client.
      smtp::CommandReader::Result r{smtp::CommandReader::Status::kNeedMore, 0};
      for (;;) {
        if (!in.empty()) {
          r = reader.feed(in.view());
          in.consume(r.consumed);
          if (r.status != smtp::CommandReader::Status::kNeedMore) break;
        }
        if (!co_await flush()) co_return Exit::kLost;
        if (force_requested || (drain_requested && !in_transaction)) {
          reply(421, "4.3.2", cfg.hostname + " Service shutting down");
          co_return Exit::kShutdown;
        }
        reading_command = true;
        boost::system::error_code ec = co_await socket->read_more(in, cfg.limits.command_timeout);
        reading_command = false;
        if (ec == boost::asio::error::timed_out) {
          reply(421, "4.4.2", cfg.hostname + " Error: timeout exceeded");
          co_return Exit::kTimeout;
        }
        if (ec == boost::asio::error::operation_aborted && (drain_requested || force_requested)) {
          if (force_requested || !in_transaction) {
            reply(421, "4.3.2", cfg.hostname + " Service shutting down");
            co_return Exit::kShutdown;
          }
          continue;
        }
        if (ec) co_return ec == boost::asio::error::eof ? Exit::kClientGone : Exit::kLost;
      }
      if (force_requested) {
        reply(421, "4.3.2", cfg.hostname + " Service shutting down");
        co_return Exit::kShutdown;
      }

      std::optional<Exit> exit;
      if (r.status == smtp::CommandReader::Status::kLine) {
        exit = co_await dispatch(reader.line());
      } else {
        reply(smtp::line_error_reply(r.status));
      }
      if (exit) co_return *exit;
      if (errors >= cfg.limits.max_errors) {
        reply(421, "4.7.0", cfg.hostname + " Error: too many errors");
        co_return Exit::kTooManyErrors;
      }
    }
  }

  boost::asio::awaitable<std::optional<Exit>> dispatch(std::string_view line) {
    smtp::CommandParse parsed = smtp::parse_command(line);
    if (!parsed.ok) {
      reply(parsed.error);
      co_return std::nullopt;
    }
    const smtp::Command& cmd = parsed.command;
    if (refused_at_connect) {
      // After a 554 greeting RFC 5321 3.1 wants QUIT answered and everything else 503.
      if (cmd.verb == Verb::kQuit) {
        reply(221, "2.0.0", "Bye");
        co_return Exit::kQuit;
      }
      reply(503, "5.5.1", "Error: no SMTP service for you here");
      co_return std::nullopt;
    }
    // A command that must end its group, with more bytes already behind it, or anything
    // pipelined without PIPELINING negotiated: a client that does not wait for replies.
    if ((must_be_last(cmd.verb) || (greeted && !fs.esmtp)) && !in.empty()) {
      unauth_pipelining = true;
    }
    switch (cmd.verb) {
      case Verb::kHelo:
      case Verb::kEhlo:
        co_await on_helo(cmd);
        break;
      case Verb::kMail:
        co_await on_mail(cmd);
        break;
      case Verb::kRcpt:
        co_await on_rcpt(cmd);
        break;
      case Verb::kData:
        co_return co_await on_data();
      case Verb::kRset:
        co_await drop_transaction();
        reply(250, "2.0.0", "Ok");
        break;
      case Verb::kNoop:
        reply(250, "2.0.0", "Ok");
        break;
      case Verb::kQuit:
        reply(221, "2.0.0", "Bye");
        co_return Exit::kQuit;
      case Verb::kHelp:
        reply(214, "2.0.0",
              "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY; see RFC 5321");
        break;
      case Verb::kVrfy:
        reply(252, "2.0.0", "Cannot VRFY user; send mail and we will try to deliver it");
        break;
      case Verb::kExpn:
      case Verb::kStarttls:
        reply(502, "5.5.1", "Error: command not implemented");
        break;
      case Verb::kAuth:
        reply(503, "5.5.1", "Error: authentication not enabled");
        break;
      case Verb::kBdat:
        co_return co_await on_bdat(cmd);
      case Verb::kUnknown:
        reply(500, "5.5.2", "Error: command not recognized");
        break;
    }
    co_return std::nullopt;
  }

  boost::asio::awaitable<void> on_helo(const smtp::Command& cmd) {
    // EHLO/HELO imply RSET (RFC 5321 4.1.4).
    co_await drop_transaction();
    fs.helo = cmd.argument;
    fs.esmtp = cmd.verb == Verb::kEhlo;
    filters::Verdict verdict = co_await pipeline.run(filters::Stage::kHelo, fs, txn);
    if (verdict.refuses()) {
      greeted = false;
      co_return reply_refusal(verdict, cmd.verb == Verb::kEhlo ? "EHLO" : "HELO");
    }
    greeted = true;
    // RFC 2034: no enhanced code on HELO/EHLO replies.
    if (fs.esmtp) {
      out += snap->ehlo_reply;
    } else {
      reply(make_reply(250, "", cfg.hostname));
    }
  }

  bool refuse_unauth_pipelining() {
    if (!unauth_pipelining) return false;
    reply(554, "5.5.0", "Error: improper use of SMTP command pipelining");
    return true;
  }

  boost::asio::awaitable<void> on_mail(const smtp::Command& cmd) {
    if (!greeted) co_return reply(503, "5.5.1", "Error: send HELO/EHLO first");
    if (in_transaction) co_return reply(503, "5.5.1", "Error: nested MAIL command");
    if (refuse_unauth_pipelining()) co_return;
    EnvelopeCheck check = check_mail(cmd, snap->caps, snap->announced_size);
    if (check.error) co_return reply(*check.error);
    txn_started = std::chrono::steady_clock::now();
    txn.mail_from = cmd.path;
    filters::Verdict verdict = co_await pipeline.run(filters::Stage::kMail, fs, txn);
    if (verdict.refuses()) {
      reply_refusal(verdict, "MAIL");
      co_await pipeline.reset(fs, txn);
      co_return reset_transaction();
    }
    // Only when the filters passed is the backend opened (Postfix's smtpd_proxy habit).
    // A kept connection may have been closed by the MTA while idle (its timeout, a restart):
    // if it fails before answering, that says nothing about this transaction, so retry once
    // on a fresh connection.
    if (!backend) backend = snap->backend->connect(socket->socket().get_executor());
    bool reused = backend->usable();
    BackendResult r;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!backend || !backend->usable()) {
        reused = false;
        if (!backend) backend = snap->backend->connect(socket->socket().get_executor());
        BackendResult opened = co_await backend->open();
        if (!opened.ok || opened.reply.code != 250) {
          spdlog::warn("{}: backend {} unavailable: {}", tag(), snap->backend->describe(),
                       opened.error.empty() ? opened.reply.serialize() : opened.error);
          backend.reset();
          co_await pipeline.reset(fs, txn);
          reset_transaction();
          co_return reply_backend_unavailable(
              "4.4.1", "Error: mail server temporarily unavailable, try again later");
        }
      }
      r = co_await backend->mail(check.backend_line, cmd.path);
      if (r.ok && !(reused && r.reply.code == 421)) break;
      lose_backend(r.ok ? "it answered 421" : r.error);
      if (!reused) {
        co_await pipeline.reset(fs, txn);
        reset_transaction();
        co_return reply_backend_unavailable(
            "4.4.2", "Error: lost connection to the mail server, try again later");
      }
    }
    Reply relayed = relay_backend_reply(r, BackendStage::kMail);
    if (relayed.code / 100 == 2) {
      in_transaction = true;
      smtputf8 = check.smtputf8;
      reply(relayed);
    } else {
      reply(relayed);
      co_await pipeline.reset(fs, txn);
      reset_transaction();
    }
  }

  boost::asio::awaitable<void> on_rcpt(const smtp::Command& cmd) {
    if (!in_transaction) co_return reply(503, "5.5.1", "Error: need MAIL command");
    if (refuse_unauth_pipelining()) co_return;
    if (txn.recipients.size() >= cfg.limits.max_recipients) {
      co_return reply(452, "4.5.3", "Error: too many recipients");
    }
    ++rcpt_attempts;
    if (!snap->relay.may_relay(fs.client_ip, cmd.path)) {
      co_return reply(550, "5.7.1", "Relaying denied");
    }
    EnvelopeCheck check = check_rcpt(cmd, snap->caps, smtputf8);
    if (check.error) co_return reply(*check.error);
    txn.current_rcpt = cmd.path;
    filters::Verdict verdict = co_await pipeline.run(filters::Stage::kRcpt, fs, txn);
    if (verdict.refuses()) co_return reply_refusal(verdict, "RCPT");
    if (backend_lost) {
      co_return reply_backend_unavailable(
          "4.4.2", "Error: lost connection to the mail server, try again later");
    }
    BackendResult r = co_await backend->rcpt(check.backend_line, cmd.path);
    if (!r.ok) {
      lose_backend(r.error);
      co_return reply_backend_unavailable(
          "4.4.2", "Error: lost connection to the mail server, try again later");
    }
    Reply relayed = relay_backend_reply(r, BackendStage::kRcpt);
    if (relayed.code / 100 == 2) txn.recipients.push_back(cmd.path);
    reply(relayed);
  }

  boost::asio::awaitable<std::optional<Exit>> on_data() {
    if (!in_transaction) {
      reply(503, "5.5.1", "Error: need MAIL command");
      co_return std::nullopt;
    }
    if (backend_lost) {
      reply_backend_unavailable("4.4.2",
                                "Error: lost connection to the mail server, try again later");
      co_return std::nullopt;
    }
    if (txn.recipients.empty()) {
      reply(rcpt_attempts ? 554 : 503, "5.5.1",
            rcpt_attempts ? "Error: no valid recipients" : "Error: need RCPT command");
      co_return std::nullopt;
    }
    // Message text before our 354 is a client that does not wait (RFC 2920 3.1): the text
    // would otherwise be taken as the message of a transaction it never saw accepted.
    if (unauth_pipelining || !in.empty()) {
      unauth_pipelining = true;
      reply(554, "5.5.0", "Error: improper use of SMTP command pipelining");
      co_return std::nullopt;
    }
    filters::Verdict verdict = co_await pipeline.run(filters::Stage::kData, fs, txn);
    if (verdict.refuses()) {
      reply_refusal(verdict, "DATA");
      co_return std::nullopt;
    }
    reply(354, "", "End data with <CR><LF>.<CR><LF>");
    if (!co_await flush()) co_return Exit::kLost;

    smtp::DataReader data(cfg.limits.max_message_size, cfg.bare_newline);
    smtp::HeaderWatch headers;
    for (;;) {
      if (!in.empty()) {
        auto r = data.feed(in.view());
        in.consume(r.consumed);
        if (r.status != smtp::DataReader::Status::kDone ||
            data.error() == smtp::DataError::kNone) {
          if (const auto length = headers.feed(data.message())) {
            pipeline.headers_seen(fs, txn, std::string_view(data.message()).substr(0, *length),
                                  socket->socket().get_executor());
          }
        }
        if (r.status == smtp::DataReader::Status::kDone) break;
      }
      boost::system::error_code ec = co_await socket->read_more(in, cfg.limits.data_timeout);
      if (ec == boost::asio::error::timed_out) {
        reply(421, "4.4.2", cfg.hostname + " Error: timeout exceeded");
        co_await backend_reset();
        co_return Exit::kTimeout;
      }
      if (ec == boost::asio::error::operation_aborted && !force_requested) continue;
      if (ec == boost::asio::error::operation_aborted) {
        reply(421, "4.3.2", cfg.hostname + " Service shutting down");
        co_await backend_reset();
        co_return Exit::kShutdown;
      }
      if (ec) {
        co_await backend_reset();
        co_return ec == boost::asio::error::eof ? Exit::kClientGone : Exit::kLost;
      }
    }
    co_await finish_message(data);
    co_return std::nullopt;
  }

  // Why a message was refused before any filter saw it (UPPER_SNAKE like every symbol).
  static const char* data_error_symbol(smtp::DataError e) {
    switch (e) {
      case smtp::DataError::kTooBig: return "SMTP_MESSAGE_TOO_BIG";
      case smtp::DataError::kBareNewline: return "SMTP_BARE_NEWLINE";
      case smtp::DataError::kNul: return "SMTP_NUL_IN_MESSAGE";
      case smtp::DataError::kNone: break;
    }
    return "";
  }

  boost::asio::awaitable<void> finish_message(smtp::DataReader& data) {
    filters::Decision decision;
    Reply final_reply;
    if (data.error() != smtp::DataError::kNone) {
      final_reply = smtp::data_error_reply(data.error());
      decision.action = filters::Action::kReject;
      decision.reason = data_error_symbol(data.error());
    } else {
      txn.message = std::move(data.message());
      decision = co_await pipeline.decide(fs, txn);
    }
    if (decision.action == filters::Action::kReject ||
        decision.action == filters::Action::kTempfail) {
      if (final_reply.code == 0) {
        final_reply = make_reply(decision.code, decision.enhanced, decision.text);
      }
      co_await backend_reset();
    } else {
      final_reply = co_await relay_message(decision);
    }
    ++transactions;
    std::string reply_text = final_reply.serialize();
    while (!reply_text.empty() && (reply_text.back() == '\n' || reply_text.back() == '\r')) {
      reply_text.pop_back();
    }
    filters::Outcome outcome{fs, txn, std::move(decision), std::move(reply_text),
                             data.received(),
                             std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - txn_started)};
    pipeline.observe(outcome);
    // A failure reply (4xx/5xx) on a message is not a protocol error of the client.
    std::size_t saved_errors = errors;
    reply(final_reply);
    errors = saved_errors;
    // The backend finished its transaction with its final reply (or was RSET above).
    co_await pipeline.reset(fs, txn);
    reset_transaction();
  }

  // Accept, add_header, quarantine: DATA to the backend with our headers, forged verdict
  // headers removed; the backend's final reply is the client's.
  boost::asio::awaitable<Reply> relay_message(const filters::Decision& decision) {
    // Always rewritten, even with no filters: a forged X-Portcullis-Quarantine would
    // otherwise reach the MTA's header_checks as if we had said it.
    std::vector<filters::Header> headers = txn.add_headers;
    headers.insert(headers.end(), decision.headers.begin(), decision.headers.end());
    std::string rewritten =
        filters::rewrite_headers(txn.message, headers, cfg.authserv_id);
    BackendResult r = co_await backend->data(rewritten);
    if (!r.ok) {
      // Possibly after the final dot: the backend may have queued it (RFC 1047 duplicate
      // window); we answer 4xx so the message is retried, never lost.
      lose_backend(r.error);
      co_return make_reply(451, "4.4.2",
                           "Error: lost connection to the mail server, try again later");
    }
    if (!r.error.empty()) spdlog::warn("{}: backend: {}", tag(), r.error);
    BackendStage stage = r.reply.code == 354 || r.reply.code < 400 ? BackendStage::kDataEnd
                                                                  : BackendStage::kDataCommand;
    co_return relay_backend_reply(r, stage);
  }

  // CHUNKING is never advertised: refuse BDAT, and swallow its chunk so the bytes are not
  // taken as commands (a BDAT smuggling variant).
  boost::asio::awaitable<std::optional<Exit>> on_bdat(const smtp::Command& cmd) {
    std::string_view arg = cmd.argument;
    std::size_t size = 0;
    auto space = arg.find(' ');
    std::string_view digits = arg.substr(0, space);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      reply(501, "5.5.4", "Syntax: BDAT size [LAST]");
      co_return std::nullopt;
    }
    if (size > cfg.limits.max_message_size) {
      reply(421, "4.7.0", cfg.hostname + " Error: BDAT not supported; closing");
      co_return Exit::kTooManyErrors;
    }
    while (size > 0) {
      if (in.empty()) {
        boost::system::error_code rec = co_await socket->read_more(in, cfg.limits.data_timeout);
        if (rec) co_return rec == boost::asio::error::timed_out ? Exit::kTimeout : Exit::kClientGone;
      }
      std::size_t n = std::min(size, in.view().size());
      in.consume(n);
      size -= n;
    }
    reply(502, "5.5.1", "Error: BDAT not supported (CHUNKING is not offered)");
    co_return std::nullopt;
  }
};

SmtpSession::SmtpSession(tcp::socket socket, std::shared_ptr<const Snapshot> snapshot,
                         const SessionEnvironment& env, ConnectionRegistry::Ticket ticket,
                         std::uint64_t id)
    : s_(std::make_unique<State>(std::move(socket), std::move(snapshot), env,
                                 std::move(ticket), id)) {}

SmtpSession::~SmtpSession() = default;

void SmtpSession::drain() {
  s_->drain_requested = true;
  if (s_->reading_command && !s_->in_transaction) s_->socket->cancel();
}

void SmtpSession::force_close() {
  s_->force_requested = true;
  s_->drain_requested = true;
  s_->socket->cancel();
}

boost::asio::awaitable<void> SmtpSession::run() {
  auto self = shared_from_this();  // alive while the coroutine runs
  State& s = *s_;
  spdlog::info("{}: connect from {}", s.tag(), s.client_text);
  Exit exit = Exit::kLost;
  if (s.env.draining.load()) {
    s.reply(421, "4.3.2", s.cfg.hostname + " Service shutting down");
    exit = Exit::kShutdown;
  } else {
    filters::Verdict verdict = co_await s.pipeline.run(filters::Stage::kConnect, s.fs, s.txn);
    if (verdict.refuses()) {
      s.reply_refusal(verdict, "CONNECT");
      if (verdict.code == 421) {
        exit = Exit::kShutdown;
      } else {
        s.refused_at_connect = true;
        exit = co_await s.command_loop();
      }
    } else {
      // RFC 2034: the greeting carries no enhanced code.
      s.reply(make_reply(220, "", s.cfg.hostname + " ESMTP portcullis"));
      exit = co_await s.command_loop();
    }
  }
  co_await s.flush();
  co_await s.drop_transaction();
  co_await s.backend_release();
  s.socket->close();
  spdlog::info("{}: disconnect from {} ({}) transactions={} errors={}", s.tag(), s.client_text,
               exit_name(exit), s.transactions, s.errors);
}

}  // namespace portcullis::proxy
