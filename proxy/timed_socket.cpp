#include "proxy/timed_socket.hpp"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace portcullis::proxy {

namespace {
constexpr std::size_t kChunk = 64 * 1024;
// Reads land here first so an idle connection owns no buffer of its own.
thread_local std::array<char, kChunk> t_chunk;
}  // namespace

void InputBuffer::append(std::string_view bytes) {
  if (pos_ > 0 && pos_ == data_.size()) {
    data_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > data_.size()) {
    data_.erase(0, pos_);
    pos_ = 0;
  }
  data_.append(bytes);
}

void InputBuffer::consume(std::size_t n) {
  pos_ += n;
  if (pos_ >= data_.size()) clear();
}

void InputBuffer::clear() {
  // Give large buffers back: a session that once received a big pipelined burst should not
  // keep it while idle.
  if (data_.capacity() > 8192) {
    std::string().swap(data_);
  } else {
    data_.clear();
  }
  pos_ = 0;
}

TimedSocket::TimedSocket(tcp::socket socket)
    : socket_(socket.get_executor()), timer_(socket.get_executor()) {
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.set_option(tcp::no_delay(true), ignored);
  remote_ = socket.remote_endpoint(remote_error_);
  socket_ = Socket(std::move(socket));
}

TimedSocket::TimedSocket(asio::local::stream_protocol::socket socket)
    : socket_(socket.get_executor()), timer_(socket.get_executor()) {
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  remote_error_ = asio::error::address_family_not_supported;
  socket_ = Socket(std::move(socket));
}

tcp::endpoint TimedSocket::remote_endpoint(boost::system::error_code& ec) const {
  ec = remote_error_;
  return remote_;
}

void TimedSocket::arm(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  unsigned generation = ++generation_;
  timer_.expires_after(timeout);
  // The handler keeps the object alive: it may already be queued when the I/O completes.
  timer_.async_wait([self = shared_from_this(), generation](const boost::system::error_code& ec) {
    if (ec || generation != self->generation_) return;
    self->timed_out_ = true;
    boost::system::error_code ignored;
    self->socket_.cancel(ignored);
  });
}

void TimedSocket::disarm() {
  ++generation_;
  timer_.cancel();
}

asio::awaitable<boost::system::error_code> TimedSocket::connect(tcp::socket& socket,
                                                      const tcp::endpoint& to,
                                                      std::chrono::milliseconds timeout) {
  asio::steady_timer timer(socket.get_executor());
  bool timed_out = false;
  auto alive = std::make_shared<bool>(true);
  timer.expires_after(timeout);
  timer.async_wait([&socket, &timed_out, alive](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    timed_out = true;
    boost::system::error_code ignored;
    socket.cancel(ignored);
  });
  auto [ec] = co_await socket.async_connect(to, asio::as_tuple(asio::use_awaitable));
  *alive = false;
  timer.cancel();
  if (timed_out) co_return boost::asio::error::timed_out;
  co_return ec;  // the TimedSocket made from it sets non-blocking mode and TCP_NODELAY
}

asio::awaitable<boost::system::error_code> TimedSocket::read_more(InputBuffer& in,
                                                        std::chrono::milliseconds timeout) {
  // Callers come here only when everything already received is consumed, so in lockstep
  // SMTP a read attempted before waiting almost never finds data: wait first.
  arm(timeout);
  auto [wait_ec] =
      co_await socket_.async_wait(Socket::wait_read, asio::as_tuple(asio::use_awaitable));
  disarm();
  if (timed_out_) co_return boost::asio::error::timed_out;
  if (wait_ec) co_return wait_ec;
  boost::system::error_code ec;
  std::size_t n = socket_.read_some(asio::buffer(t_chunk), ec);
  if (ec == asio::error::would_block) co_return boost::system::error_code{};  // spurious wake-up
  if (ec) co_return ec;
  in.append(std::string_view(t_chunk.data(), n));
  co_return boost::system::error_code{};
}

asio::awaitable<boost::system::error_code> TimedSocket::write_all(std::string_view data,
                                                        std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  // Most replies fit the socket buffer: write directly, wait only for the rest.
  std::size_t done = socket_.write_some(asio::buffer(data), ec);
  if (ec == asio::error::would_block) {
    ec = {};
    done = 0;
  }
  if (ec) co_return ec;
  if (done == data.size()) co_return boost::system::error_code{};
  arm(timeout);
  auto [write_ec, n] = co_await asio::async_write(socket_, asio::buffer(data.substr(done)),
                                                  asio::as_tuple(asio::use_awaitable));
  disarm();
  (void)n;
  if (timed_out_) co_return boost::asio::error::timed_out;
  co_return write_ec;
}

void TimedSocket::cancel() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void TimedSocket::close() {
  disarm();
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace portcullis::proxy
