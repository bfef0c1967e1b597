// The bounded pool for blocking or CPU-heavy work (file writes now; ClamAV scans, RocksDB
// I/O and rule compiles later). Event-loop threads await it and never block themselves.
#pragma once

#include <cstddef>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "filters/api/blocking_pool.hpp"

namespace portcullis::proxy {

class WorkerPool : public filters::BlockingPool {
 public:
  explicit WorkerPool(std::size_t threads) : pool_(threads) {}
  ~WorkerPool() { pool_.join(); }

  // Runs fn() on a worker thread and resumes the awaiting coroutine on its own executor
  // with the result. fn must not throw.
  template <typename Fn>
  auto call(Fn fn) -> boost::asio::awaitable<decltype(fn())> {
    using T = decltype(fn());
    // A plain completion handler rather than a coroutine on the pool: g++ 12 destroys the
    // captures of coroutine lambdas and parameters wrongly in this position.
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(T)>(
        [this](auto handler, Fn f) {
          boost::asio::post(pool_, [handler = std::move(handler), f = std::move(f)]() mutable {
            T result = f();
            auto ex = boost::asio::get_associated_executor(handler);
            boost::asio::post(ex, [handler = std::move(handler),
                                   result = std::move(result)]() mutable {
              std::move(handler)(std::move(result));
            });
          });
        },
        boost::asio::use_awaitable, std::move(fn));
  }

  boost::asio::awaitable<void> run(std::function<void()> job) override {
    // Named, not a temporary inside co_await (g++ 12 destroys those twice).
    auto task = [job = std::move(job)] {
      job();
      return true;
    };
    auto pending = call(std::move(task));
    co_await std::move(pending);
  }

  void stop() { pool_.stop(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace portcullis::proxy
