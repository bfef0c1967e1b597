// clamd's INSTREAM protocol over Asio: "zINSTREAM\0", chunks of a 4-byte big-endian length
// and data, a zero-length chunk, then one NUL-terminated reply. One connection per scan.
#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "filters/antivirus/scanner.hpp"

namespace portcullis::filters::antivirus {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kMaxReply = 4096;

ScanResult failed(std::string_view address, std::string_view what, const error_code& ec) {
  return {ScanResult::Kind::kError, fmt::format("clamd {}: {}: {}", address, what, ec.message())};
}

template <class Socket>
asio::awaitable<std::pair<error_code, std::string>> read_reply(Socket& socket) {
  std::string reply;
  auto read = asio::async_read_until(socket, asio::dynamic_buffer(reply, kMaxReply), '\0',
                                     kNoThrow);
  auto [ec, n] = co_await std::move(read);
  if (ec == asio::error::eof && !reply.empty()) ec = {};
  if (!ec) reply.resize(n != 0 ? n : reply.size());
  co_return std::make_pair(ec, std::move(reply));
}

template <class Socket>
asio::awaitable<ScanResult> exchange(Socket& socket, std::string_view message,
                                     std::string_view address) {
  static constexpr char kCommand[] = "zINSTREAM";  // sent with its NUL
  error_code write_error;
  {
    auto write = asio::async_write(socket, asio::buffer(kCommand, sizeof kCommand), kNoThrow);
    auto [ec, n] = co_await std::move(write);
    write_error = ec;
  }
  std::size_t offset = 0;
  while (!write_error) {
    const std::size_t length = std::min(kChunk, message.size() - offset);
    const std::array<unsigned char, 4> header{
        static_cast<unsigned char>(length >> 24), static_cast<unsigned char>(length >> 16),
        static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length)};
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(header), asio::buffer(message.data() + offset, length)};
    auto write = asio::async_write(socket, buffers, kNoThrow);
    auto [ec, n] = co_await std::move(write);
    write_error = ec;
    if (length == 0) break;  // the terminating zero-length chunk was sent
    offset += length;
  }
  // clamd may answer early and close (e.g. "INSTREAM size limit exceeded. ERROR"): a failed
  // write is reported only when no reply can be read.
  auto read = read_reply(socket);
  auto [ec, reply] = co_await std::move(read);
  if (ec || reply.empty()) {
    if (write_error) co_return failed(address, "write", write_error);
    co_return failed(address, "read", ec ? ec : asio::error::eof);
  }
  co_return parse_clamd_reply(reply);
}

asio::awaitable<ScanResult> scan_local(std::string path, std::string_view message,
                                       std::string address) {
  const auto executor = co_await asio::this_coro::executor;
  asio::local::stream_protocol::socket socket(executor);
  const asio::local::stream_protocol::endpoint endpoint(path);
  {
    auto connect = socket.async_connect(endpoint, kNoThrow);
    auto [ec] = co_await std::move(connect);
    if (ec) co_return failed(address, "connect", ec);
  }
  auto work = exchange(socket, message, address);
  ScanResult result = co_await std::move(work);
  co_return result;
}

asio::awaitable<ScanResult> scan_tcp(std::string host, std::string port, std::string_view message,
                                     std::string address) {
  const auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  asio::ip::tcp::socket socket(executor);
  {
    auto resolve = resolver.async_resolve(host, port, kNoThrow);
    auto [ec, endpoints] = co_await std::move(resolve);
    if (ec) co_return failed(address, "resolve", ec);
    auto connect = asio::async_connect(socket, endpoints, kNoThrow);
    auto [cec, endpoint] = co_await std::move(connect);
    if (cec) co_return failed(address, "connect", cec);
  }
  auto work = exchange(socket, message, address);
  ScanResult result = co_await std::move(work);
  co_return result;
}

class ClamdScanner final : public Scanner {
 public:
  ClamdScanner(ClamdAddress address, std::chrono::milliseconds timeout)
      : address_(std::move(address)), timeout_(timeout) {}

  asio::awaitable<ScanResult> scan(std::string_view message, BlockingPool*) const override {
    using namespace asio::experimental::awaitable_operators;
    const auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, timeout_);
    auto work = address_.local ? scan_local(address_.path, message, address_.text)
                               : scan_tcp(address_.host, address_.port, message, address_.text);
    auto wait = timer.async_wait(kNoThrow);
    auto race = std::move(work) || std::move(wait);
    auto outcome = co_await std::move(race);
    if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
    co_return ScanResult{ScanResult::Kind::kError,
                         fmt::format("clamd {}: no answer within scan_timeout ({} ms)",
                                     address_.text, timeout_.count())};
  }

 private:
  const ClamdAddress address_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace

std::shared_ptr<const Scanner> make_clamd_scanner(ClamdAddress address,
                                                  std::chrono::milliseconds timeout) {
  return std::make_shared<const ClamdScanner>(std::move(address), timeout);
}

}  // namespace portcullis::filters::antivirus
