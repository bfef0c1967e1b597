#include "proxy/milter_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/this_coro.hpp>

#include "filters/api/pipeline.hpp"
#include "filters/api/policy.hpp"
#include "proxy/milter/command.hpp"
#include "proxy/milter/negotiation.hpp"
#include "proxy/milter/packet_reader.hpp"
#include "proxy/milter/reply.hpp"
#include "proxy/timed_socket.hpp"

namespace portcullis::proxy {
namespace {

namespace asio = boost::asio;
using filters::Stage;
using filters::Verdict;

// The client address as MTAs write it in CONNECT: "192.0.2.7", "2001:db8::7", Sendmail's
// "IPv6:2001:db8::7", or "[192.0.2.7]".
std::string client_address(std::string_view address) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  if (address.size() > 5 && (address.substr(0, 5) == "IPv6:" || address.substr(0, 5) == "ipv6:")) {
    address.remove_prefix(5);
  }
  return std::string(address);
}

std::string unbracket(std::string_view address) {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    address = address.substr(1, address.size() - 2);
  }
  return std::string(address);
}

class MilterSession {
 public:
  MilterSession(std::shared_ptr<TimedSocket> socket, std::shared_ptr<const Snapshot> snapshot,
                std::uint64_t id)
      : socket_(std::move(socket)),
        snap_(std::move(snapshot)),
        pipeline_(*snap_->pipeline),
        id_(id) {}

  asio::awaitable<void> run() {
    for (;;) {
      auto next = next_packet();
      std::optional<milter::Packet> packet = co_await std::move(next);
      if (!packet) break;
      const milter::Decoded decoded = milter::decode_command(*packet);
      if (!decoded.ok()) {
        spdlog::warn("{}: milter: {}; closing", tag(), decoded.message);
        break;
      }
      if (const char* wrong = out_of_order(decoded.command)) {
        spdlog::warn("{}: milter: {} (impossible sequence); closing", tag(), wrong);
        break;
      }
      auto handle = handle_command(decoded.command);
      if (!co_await std::move(handle)) break;
    }
    if (in_transaction_) {
      auto reset = pipeline_.reset(session_, txn_);
      co_await std::move(reset);
    }
    socket_->close();
  }

 private:
  std::string tag() const { return fmt::format("m{:x}", id_); }

  // What we ask of the MTA: besides the defaults, no reply (SMFIP_NR_*) for a body chunk
  // (we decide at end of message) nor for the stages no filter of this snapshot hooks —
  // every round trip saved is one the MTA does not wait for.
  milter::NegotiationPolicy policy() const {
    filters::StageMask hooked = 0;
    for (const auto& entry : pipeline_.entries()) hooked |= entry.filter->stages();
    milter::NegotiationPolicy p;
    p.wanted_protocol |= milter::smfip::kNrBody;
    const auto unhooked = [&](Stage s, std::uint32_t flag) {
      if ((hooked & filters::stage_bit(s)) == 0) p.wanted_protocol |= flag;
    };
    unhooked(Stage::kConnect, milter::smfip::kNrConn);
    unhooked(Stage::kHelo, milter::smfip::kNrHelo);
    unhooked(Stage::kMail, milter::smfip::kNrMail);
    unhooked(Stage::kRcpt, milter::smfip::kNrRcpt);
    unhooked(Stage::kData, milter::smfip::kNrEoh);
    return p;
  }

  // Why `command` cannot come now, or null. The order is the protocol's: negotiation, then
  // per connection CONNECT, HELO, then per transaction MAIL, RCPT…, headers, body, end of
  // message; ABORT, QUIT and QUIT_NC may come at any time after negotiation.
  const char* out_of_order(const milter::Command& command) const {
    const char code = milter::command_code(command);
    if (code == milter::smfic::kOptneg) return negotiated_ ? "a second option negotiation" : nullptr;
    if (!negotiated_) return "a command before option negotiation";
    switch (code) {
      case milter::smfic::kMacro:
      case milter::smfic::kAbort:
      case milter::smfic::kQuit:
      case milter::smfic::kQuitNc:
        return nullptr;
      case milter::smfic::kConnect:
        return connected_ ? "a second CONNECT without QUIT_NC" : nullptr;
      default:
        break;
    }
    if (!connected_) return "a command before CONNECT";
    switch (code) {
      case milter::smfic::kHelo:
      case milter::smfic::kMail:
      case milter::smfic::kUnknown:
        return nullptr;
      default:
        return in_transaction_ ? nullptr : "a message command before MAIL";
    }
  }

  asio::awaitable<std::optional<milter::Packet>> next_packet() {
    for (;;) {
      if (!in_.empty()) {
        const auto r = reader_.feed(in_.view());
        in_.consume(r.consumed);
        if (r.status == milter::PacketReader::Status::kPacket) co_return reader_.take();
        if (r.status == milter::PacketReader::Status::kError) {
          spdlog::warn("{}: milter: {}; closing", tag(), reader_.error());
          co_return std::nullopt;
        }
      }
      const boost::system::error_code ec =
          co_await socket_->read_more(in_, snap_->config.limits.data_timeout);
      if (ec) {
        if (ec != asio::error::eof) spdlog::info("{}: milter connection: {}", tag(), ec.message());
        co_return std::nullopt;
      }
    }
  }

  asio::awaitable<bool> send(std::string bytes) {
    const boost::system::error_code ec =
        co_await socket_->write_all(bytes, snap_->config.limits.command_timeout);
    co_return !ec;
  }

  // The reply to a stage's verdict, when the MTA expects one for `code`.
  asio::awaitable<bool> answer(char code, const Verdict& verdict) {
    if (!negotiation_.expects_reply(code)) co_return true;
    std::string bytes = milter::encode_continue();
    if (verdict.refuses()) {
      const milter::Encoded r =
          milter::encode_reply_code(verdict.code, verdict.enhanced, verdict.text);
      bytes = r.ok() ? r.packet
                     : (verdict.kind == Verdict::Kind::kTempfail ? milter::encode_tempfail()
                                                                 : milter::encode_reject());
    }
    auto write = send(std::move(bytes));
    co_return co_await std::move(write);
  }

  asio::awaitable<Verdict> stage(Stage s) {
    auto run = pipeline_.run(s, session_, txn_);
    co_return co_await std::move(run);
  }

  asio::awaitable<bool> handle_command(const milter::Command& command) {
    if (const auto* o = std::get_if<milter::OptionNegotiation>(&command)) {
      negotiation_ = milter::negotiate(*o, policy());
      negotiated_ = true;
      if (!negotiation_.ok) {
        spdlog::error("{}: milter negotiation failed: {}", tag(), negotiation_.error);
        co_return false;
      }
      auto write = send(negotiation_.reply);
      co_return co_await std::move(write);
    }
    if (const auto* m = std::get_if<milter::Macros>(&command)) {
      take_macros(*m);
      co_return true;  // macros are never answered
    }
    if (const auto* c = std::get_if<milter::Connect>(&command)) {
      connected_ = true;
      session_ = filters::Session{};
      session_.id = tag();
      // An MTA that could not tell the family (SMFIA_UNKNOWN) still names the client in
      // {client_addr}.
      const std::string address =
          client_address(c->address.empty() ? client_addr_macro_ : c->address);
      session_.auth_user = auth_user_;
      session_.tls_version = tls_version_;
      if (auto ip = config::IpAddress::parse(address)) session_.client_ip = *ip;
      session_.client_ip_text = address;
      session_.client_port = c->port;
      // The client talks to the MTA: its own name ("j") is what a forged HELO would claim.
      session_.local_hostname = mta_hostname_.empty() ? snap_->config.hostname : mta_hostname_;
      session_.local_ips = snap_->local_ips;
      auto verdict = stage(Stage::kConnect);
      const Verdict v = co_await std::move(verdict);
      auto reply = answer(milter::smfic::kConnect, v);
      co_return co_await std::move(reply);
    }
    if (const auto* h = std::get_if<milter::Helo>(&command)) {
      session_.helo = h->name;
      session_.esmtp = true;
      auto verdict = stage(Stage::kHelo);
      const Verdict v = co_await std::move(verdict);
      auto reply = answer(milter::smfic::kHelo, v);
      co_return co_await std::move(reply);
    }
    if (const auto* m = std::get_if<milter::Mail>(&command)) {
      if (in_transaction_) {
        auto reset = pipeline_.reset(session_, txn_);
        co_await std::move(reset);
      }
      start_transaction();
      session_.id = queue_id_.empty() ? tag() : tag() + "/" + queue_id_;
      txn_.mail_from = unbracket(m->sender);
      auto verdict = stage(Stage::kMail);
      const Verdict v = co_await std::move(verdict);
      auto reply = answer(milter::smfic::kMail, v);
      co_return co_await std::move(reply);
    }
    if (const auto* r = std::get_if<milter::Rcpt>(&command)) {
      txn_.current_rcpt = unbracket(r->recipient);
      auto verdict = stage(Stage::kRcpt);
      const Verdict v = co_await std::move(verdict);
      if (!v.refuses()) txn_.recipients.push_back(txn_.current_rcpt);
      auto reply = answer(milter::smfic::kRcpt, v);
      co_return co_await std::move(reply);
    }
    if (const auto* h = std::get_if<milter::Header>(&command)) {
      add_header(*h);
      if (!negotiation_.expects_reply(milter::smfic::kHeader)) co_return true;
      auto write = send(milter::encode_continue());
      co_return co_await std::move(write);
    }
    if (std::holds_alternative<milter::EndOfHeaders>(command)) {
      txn_.message += "\r\n";
      headers_done_ = true;
      const auto executor = co_await asio::this_coro::executor;
      pipeline_.headers_seen(session_, txn_, txn_.message, executor);
      auto verdict = stage(Stage::kData);
      const Verdict v = co_await std::move(verdict);
      auto reply = answer(milter::smfic::kEoh, v);
      co_return co_await std::move(reply);
    }
    if (const auto* b = std::get_if<milter::BodyChunk>(&command)) {
      append_body(b->data);
      if (!negotiation_.expects_reply(milter::smfic::kBody)) co_return true;
      auto write = send(milter::encode_continue());
      co_return co_await std::move(write);
    }
    if (const auto* e = std::get_if<milter::EndOfMessage>(&command)) {
      append_body(e->data);
      auto finish = end_of_message();
      co_return co_await std::move(finish);
    }
    if (std::holds_alternative<milter::Abort>(command)) {
      if (in_transaction_) {
        auto reset = pipeline_.reset(session_, txn_);
        co_await std::move(reset);
        in_transaction_ = false;
      }
      co_return true;
    }
    if (std::holds_alternative<milter::QuitNewConnection>(command)) {
      if (in_transaction_) {
        auto reset = pipeline_.reset(session_, txn_);
        co_await std::move(reset);
        in_transaction_ = false;
      }
      session_ = filters::Session{};
      connected_ = false;
      co_return true;
    }
    if (std::holds_alternative<milter::Quit>(command)) co_return false;
    // DATA and unknown SMTP commands (when the MTA sends them anyway): nothing to decide.
    const char code = milter::command_code(command);
    if (!negotiation_.expects_reply(code)) co_return true;
    auto write = send(milter::encode_continue());
    co_return co_await std::move(write);
  }

  void start_transaction() {
    txn_ = filters::Transaction{};
    in_transaction_ = true;
    headers_done_ = false;
    too_big_ = false;
    header_names_.clear();
    started_ = std::chrono::steady_clock::now();
  }

  void add_header(const milter::Header& h) {
    // With SMFIP_HDR_LEADSPC the value keeps the space after the colon, as it was sent.
    std::string field = h.name;
    field += ':';
    if (!negotiation_.hdr_leadspc()) field += ' ';
    field += h.value;
    field += "\r\n";
    header_names_.push_back({h.name, field});
    if (txn_.message.size() + field.size() > snap_->config.limits.max_message_size) {
      too_big_ = true;
      return;
    }
    txn_.message += field;
  }

  void append_body(std::string_view chunk) {
    if (txn_.message.size() + chunk.size() > snap_->config.limits.max_message_size) {
      too_big_ = true;
      return;
    }
    txn_.message.append(chunk);
  }

  // The 1-based position of each field among those of its name, as SMFIR_CHGHDRS counts.
  std::vector<std::pair<std::string, std::uint32_t>> forged_fields() const {
    std::vector<std::pair<std::string, std::uint32_t>> out;
    std::map<std::string, std::uint32_t> seen;
    for (const auto& [name, field] : header_names_) {
      std::string key = name;
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::uint32_t index = ++seen[key];
      if (filters::removed_on_forward(field, snap_->config.authserv_id)) {
        out.emplace_back(name, index);
      }
    }
    return out;
  }

  asio::awaitable<bool> end_of_message() {
    filters::Decision decision;
    if (too_big_) {
      decision.action = filters::Action::kReject;
      decision.code = 552;
      decision.enhanced = "5.3.4";
      decision.text = "Message size exceeds fixed limit";
      decision.reason = "SMTP_MESSAGE_TOO_BIG";
    } else {
      if (!headers_done_) txn_.message.insert(0, "\r\n");  // no EOH seen: no headers
      auto decide = pipeline_.decide(session_, txn_);
      decision = co_await std::move(decide);
    }
    std::string replies;
    std::string final_reply;
    if (decision.action == filters::Action::kReject ||
        decision.action == filters::Action::kTempfail) {
      const milter::Encoded r =
          milter::encode_reply_code(decision.code, decision.enhanced, decision.text);
      replies = r.ok() ? r.packet
                       : (decision.action == filters::Action::kTempfail ? milter::encode_tempfail()
                                                                        : milter::encode_reject());
      final_reply = fmt::format("{} {} {}", decision.code, decision.enhanced, decision.text);
    } else {
      const bool leadspc = negotiation_.hdr_leadspc();
      for (const auto& [name, index] : forged_fields()) {
        const milter::Encoded r = milter::encode_change_header(index, name, "", leadspc);
        if (r.ok()) replies += r.packet;
      }
      std::vector<filters::Header> ours = txn_.add_headers;
      ours.insert(ours.end(), decision.headers.begin(), decision.headers.end());
      // Inserted at the top one by one: the last inserted ends up first.
      for (auto it = ours.rbegin(); it != ours.rend(); ++it) {
        const milter::Encoded r = milter::encode_insert_header(0, it->name, it->value, leadspc);
        if (r.ok()) {
          replies += r.packet;
        } else {
          spdlog::warn("{}: header {} not added: {}", tag(), it->name, r.error);
        }
      }
      if (decision.action == filters::Action::kQuarantine) {
        std::string why = decision.reason.empty() ? std::string("portcullis") : decision.reason;
        for (const filters::Header& h : decision.headers) {
          if (h.name == "X-Portcullis-Quarantine") why = h.value;
        }
        const milter::Encoded q = milter::encode_quarantine(why);
        if (q.ok()) replies += q.packet;
      }
      replies += milter::encode_continue();
      final_reply = "250 2.0.0 Ok (the MTA's own reply follows)";
    }
    filters::Outcome outcome{session_, txn_, std::move(decision), std::move(final_reply),
                             txn_.message.size(),
                             std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - started_)};
    pipeline_.observe(outcome);
    auto reset = pipeline_.reset(session_, txn_);
    co_await std::move(reset);
    in_transaction_ = false;
    auto write = send(std::move(replies));
    co_return co_await std::move(write);
  }

  std::shared_ptr<TimedSocket> socket_;
  std::shared_ptr<const Snapshot> snap_;
  const filters::Pipeline& pipeline_;
  std::uint64_t id_;
  InputBuffer in_;
  milter::PacketReader reader_;
  milter::Negotiation negotiation_;
  filters::Session session_;
  filters::Transaction txn_;
  // Macros as they arrive, per stage (Postfix: j and {client_addr} with CONNECT,
  // {tls_version} with HELO, i and {auth_authen} with MAIL): kept here because CONNECT
  // starts a fresh Session, and copied into the session as they come.
  void take_macros(const milter::Macros& m) {
    // Postfix's queue id ("i") ties our log lines to its own.
    if (auto id = m.find("i"); id && macro_ok(*id, 32, true)) queue_id_ = std::string(*id);
    if (auto j = m.find("j"); j && macro_ok(*j, 255, false)) mta_hostname_ = std::string(*j);
    if (auto a = m.find("client_addr"); a && macro_ok(*a, 64, false)) {
      client_addr_macro_ = std::string(*a);
    }
    if (auto u = m.find("auth_authen"); u && macro_ok(*u, 255, false)) {
      auth_user_ = std::string(*u);
      session_.auth_user = auth_user_;
    }
    if (auto t = m.find("tls_version"); t && macro_ok(*t, 32, false)) {
      tls_version_ = std::string(*t);
      session_.tls_version = tls_version_;
    }
  }
  // Printable, bounded values only: they reach logs and filters.
  static bool macro_ok(std::string_view v, std::size_t max, bool alnum_only) {
    if (v.size() > max) return false;
    return std::all_of(v.begin(), v.end(), [&](char c) {
      const auto u = static_cast<unsigned char>(c);
      return alnum_only ? std::isalnum(u) != 0 : (u > 32 && u < 127);
    });
  }

  std::string queue_id_;  // the MTA's, from the "i" macro (printable, bounded)
  std::string mta_hostname_;      // "j": the MTA's own name (the session's local name)
  std::string client_addr_macro_;
  std::string auth_user_;
  std::string tls_version_;
  bool negotiated_ = false;
  bool connected_ = false;
  bool in_transaction_ = false;
  bool headers_done_ = false;
  bool too_big_ = false;
  std::vector<std::pair<std::string, std::string>> header_names_;  // name, whole field
  std::chrono::steady_clock::time_point started_{};
};

}  // namespace

asio::awaitable<void> run_milter_session(std::shared_ptr<TimedSocket> socket,
                                         std::shared_ptr<const Snapshot> snapshot,
                                         std::uint64_t id) {
  MilterSession session(std::move(socket), std::move(snapshot), id);
  try {
    auto run = session.run();
    co_await std::move(run);
  } catch (const std::exception& e) {
    spdlog::error("m{:x}: milter session failed: {}", id, e.what());
  }
}

}  // namespace portcullis::proxy
