#include "filters/dns/pending.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace portcullis::dns {

namespace asio = boost::asio;

struct Completion::Impl {
  explicit Impl(const asio::any_io_executor& executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
  bool done = false;
};

Completion::Completion(const asio::any_io_executor& executor)
    : impl_(std::make_unique<Impl>(executor)) {}
Completion::~Completion() = default;

void Completion::notify() {
  impl_->done = true;
  impl_->timer.cancel();
}

bool Completion::done() const { return impl_->done; }

asio::awaitable<void> Completion::wait() {
  while (!impl_->done) {
    co_await impl_->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
      throw boost::system::system_error(asio::error::operation_aborted);
    }
  }
}

void spawn_detached(const asio::any_io_executor& executor, asio::awaitable<void> work) {
  asio::co_spawn(executor, std::move(work), asio::detached);
}

}  // namespace portcullis::dns
