#include "proxy/smtp_backend.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/smtp/data_reader.hpp"
#include "proxy/timed_socket.hpp"

namespace portcullis::proxy {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

class SmtpBackendConnection : public BackendConnection {
 public:
  SmtpBackendConnection(boost::asio::any_io_executor ex, const config::Endpoint& address,
                        const std::string& helo_name, const smtp::Limits& limits)
      : ex_(std::move(ex)),
        address_(address),
        helo_name_(helo_name),
        limits_(limits),
        parser_(limits) {}

  ~SmtpBackendConnection() override {
    if (socket_) socket_->close();
  }

  boost::asio::awaitable<BackendResult> open() override {
    boost::system::error_code addr_ec;
    auto ip = boost::asio::ip::make_address(address_.host, addr_ec);
    if (addr_ec) co_return fail("backend address is not numeric: " + address_.host);
    tcp::socket raw(ex_);
    boost::system::error_code ec = co_await TimedSocket::connect(raw, tcp::endpoint(ip, address_.port),
                                                       limits_.backend_connect_timeout);
    if (ec) co_return fail("connect to " + describe_address() + ": " + ec.message());
    socket_ = TimedSocket::make(std::move(raw));
    BackendResult greeting = co_await read_reply(limits_.backend_reply_timeout);
    if (!greeting.ok) co_return greeting;
    if (greeting.reply.code != 220) {
      broken_ = true;
      greeting.ok = false;
      greeting.error = "backend greeting: " + greeting.reply.serialize();
      co_return greeting;
    }
    std::string ehlo_line = "EHLO " + helo_name_;
    BackendResult ehlo = co_await command(ehlo_line);
    if (!ehlo.ok) co_return ehlo;
    if (ehlo.reply.code != 250) {
      broken_ = true;
      ehlo.ok = false;
      ehlo.error = "backend EHLO: " + ehlo.reply.serialize();
      co_return ehlo;
    }
    caps_ = parse_ehlo_capabilities(ehlo.reply);
    open_ = true;
    co_return ehlo;
  }

  boost::asio::awaitable<BackendResult> mail(const std::string& line,
                                             const std::string&) override {
    co_return co_await command(line);
  }
  boost::asio::awaitable<BackendResult> rcpt(const std::string& line,
                                             const std::string&) override {
    co_return co_await command(line);
  }
  boost::asio::awaitable<BackendResult> rset() override { co_return co_await command("RSET"); }

  boost::asio::awaitable<BackendResult> data(const std::string& message) override {
    BackendResult go = co_await command("DATA");
    if (!go.ok || go.reply.code != 354) co_return go;
    std::string wire = smtp::dot_stuff(message);
    boost::system::error_code ec = co_await socket_->write_all(wire, limits_.data_timeout);
    if (ec) co_return fail("sending message: " + ec.message());
    co_return co_await read_reply(limits_.data_timeout);
  }

  boost::asio::awaitable<void> quit() override {
    if (socket_ && open_ && !broken_) {
      // Best effort, short deadline: the transaction is over either way.
      boost::system::error_code ec = co_await socket_->write_all("QUIT\r\n", std::chrono::seconds(5));
      if (!ec) co_await read_reply(std::chrono::seconds(5));
    }
    if (socket_) socket_->close();
    open_ = false;
  }

  bool usable() const override { return open_ && !broken_; }

 private:
  std::string describe_address() const {
    return address_.host + ":" + std::to_string(address_.port);
  }

  BackendResult fail(std::string why) {
    broken_ = true;
    BackendResult r;
    r.ok = false;
    r.error = std::move(why);
    return r;
  }

  boost::asio::awaitable<BackendResult> command(std::string_view text) {
    std::string line(text);
    line += "\r\n";
    boost::system::error_code ec = co_await socket_->write_all(line, limits_.backend_reply_timeout);
    if (ec) co_return fail("write to backend: " + ec.message());
    co_return co_await read_reply(limits_.backend_reply_timeout);
  }

  boost::asio::awaitable<BackendResult> read_reply(std::chrono::milliseconds timeout) {
    for (;;) {
      if (!in_.empty()) {
        auto r = parser_.feed(in_.view());
        in_.consume(r.consumed);
        if (r.status == smtp::ReplyParser::Status::kOk) {
          BackendResult ok;
          ok.ok = true;
          ok.reply = parser_.take();
          co_return ok;
        }
        if (r.status == smtp::ReplyParser::Status::kError) {
          co_return fail("bad reply from backend: " + parser_.error());
        }
      }
      boost::system::error_code ec = co_await socket_->read_more(in_, timeout);
      if (ec) co_return fail("read from backend: " + ec.message());
    }
  }

  boost::asio::any_io_executor ex_;
  config::Endpoint address_;
  std::string helo_name_;
  smtp::Limits limits_;
  std::shared_ptr<TimedSocket> socket_;
  InputBuffer in_;
  smtp::ReplyParser parser_;
  BackendCaps caps_;
  bool open_ = false;
  bool broken_ = false;
};

}  // namespace

BackendCaps parse_ehlo_capabilities(const smtp::Reply& ehlo) {
  BackendCaps caps;
  caps.reachable = true;
  // The first line is the greeting name; the rest are keywords with parameters.
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::string_view line = ehlo.lines[i];
    std::string keyword = upper(line.substr(0, line.find(' ')));
    if (keyword == "8BITMIME") caps.eightbitmime = true;
    if (keyword == "SMTPUTF8") caps.smtputf8 = true;
    if (keyword == "DSN") caps.dsn = true;
    if (keyword == "SIZE") {
      auto space = line.find(' ');
      if (space != std::string_view::npos) {
        std::size_t value = 0;
        std::string_view digits = line.substr(space + 1);
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec == std::errc() && value > 0) caps.size = value;
      }
    }
  }
  return caps;
}

SmtpBackend::SmtpBackend(config::Endpoint address, std::string helo_name, smtp::Limits limits)
    : address_(std::move(address)), helo_name_(std::move(helo_name)), limits_(limits) {}

namespace {
const void* loop_key(const boost::asio::any_io_executor& ex) {
  return &boost::asio::query(ex, boost::asio::execution::context);
}
}  // namespace

SmtpBackend::~SmtpBackend() = default;

std::unique_ptr<BackendConnection> SmtpBackend::connect(boost::asio::any_io_executor ex) {
  std::unique_ptr<BackendConnection> stale;  // closed outside the lock
  {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[loop_key(ex)];
    auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      Idle entry = std::move(idle.back());
      idle.pop_back();
      if (now - entry.since < kMaxIdle && entry.connection->usable()) {
        return std::move(entry.connection);
      }
      stale = std::move(entry.connection);
    }
  }
  return std::make_unique<SmtpBackendConnection>(std::move(ex), address_, helo_name_, limits_);
}

boost::asio::awaitable<void> SmtpBackend::release(std::unique_ptr<BackendConnection> conn,
                                                  boost::asio::any_io_executor ex) {
  if (conn && conn->usable()) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[loop_key(ex)];
    auto now = std::chrono::steady_clock::now();
    // The oldest are the likeliest to have been closed by the MTA: drop them first.
    std::erase_if(idle, [&](const Idle& e) { return now - e.since >= kMaxIdle; });
    if (idle.size() < kMaxIdlePerLoop) {
      idle.push_back({std::move(conn), now});
      co_return;
    }
  }
  if (conn) co_await conn->quit();
}

std::size_t SmtpBackend::idle_connections() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

boost::asio::awaitable<BackendCaps> SmtpBackend::probe(boost::asio::any_io_executor ex) {
  SmtpBackendConnection conn(ex, address_, helo_name_, limits_);
  BackendResult ehlo = co_await conn.open();
  BackendCaps caps;
  if (ehlo.ok) caps = parse_ehlo_capabilities(ehlo.reply);
  co_await conn.quit();
  co_return caps;
}

std::string SmtpBackend::describe() const {
  return "smtp:" + address_.host + ":" + std::to_string(address_.port);
}

}  // namespace portcullis::proxy
