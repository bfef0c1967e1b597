// A stream socket (TCP, or a unix socket at the milter front door) with a deadline on every
// read and write, used for both sides of the proxy (client sessions and backend
// connections) and for milter connections. Expected failures (EOF, reset, timeout,
// cancellation by a draining server) come back as error codes, never as exceptions.
//
// Memory: while idle a connection holds no read buffer; reads land in a per-thread chunk
// and only the unconsumed rest is kept (InputBuffer), so 10,000 idle sessions stay small.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <boost/system/error_code.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

namespace portcullis::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Bytes received but not yet consumed by a parser.
class InputBuffer {
 public:
  std::string_view view() const { return std::string_view(data_).substr(pos_); }
  bool empty() const { return pos_ == data_.size(); }
  void append(std::string_view bytes);
  void consume(std::size_t n);
  void clear();

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

class TimedSocket : public std::enable_shared_from_this<TimedSocket> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  explicit TimedSocket(tcp::socket socket);
  explicit TimedSocket(asio::local::stream_protocol::socket socket);
  static std::shared_ptr<TimedSocket> make(tcp::socket socket) {
    return std::make_shared<TimedSocket>(std::move(socket));
  }
  static std::shared_ptr<TimedSocket> make(asio::local::stream_protocol::socket socket) {
    return std::make_shared<TimedSocket>(std::move(socket));
  }

  // Connects a fresh socket with a deadline. Returns the error (timed_out on expiry).
  static asio::awaitable<boost::system::error_code> connect(tcp::socket& socket, const tcp::endpoint& to,
                                                  std::chrono::milliseconds timeout);

  // Waits for data and appends what arrived to `in`. Returns eof, timed_out,
  // operation_aborted (cancel()) or another socket error.
  asio::awaitable<boost::system::error_code> read_more(InputBuffer& in, std::chrono::milliseconds timeout);
  asio::awaitable<boost::system::error_code> write_all(std::string_view data,
                                             std::chrono::milliseconds timeout);

  // Wakes a pending read/write with operation_aborted (used by drain and shutdown).
  void cancel();
  void close();
  bool is_open() const { return socket_.is_open(); }
  Socket& socket() { return socket_; }
  // The TCP peer; an error for a unix socket.
  tcp::endpoint remote_endpoint(boost::system::error_code& ec) const;

 private:
  void arm(std::chrono::milliseconds timeout);
  void disarm();

  Socket socket_;
  asio::steady_timer timer_;
  tcp::endpoint remote_;  // TCP only, read at construction
  boost::system::error_code remote_error_;
  unsigned generation_ = 0;
  bool timed_out_ = false;
};

}  // namespace portcullis::proxy
