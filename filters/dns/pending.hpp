// Work started now and awaited later (DESIGN.md: SPF lookups start at MAIL FROM and are
// awaited when the result is needed). Pending<R>::start runs the coroutine in the
// background on the session's executor; get() waits for it (cancellable: the waiter's
// deadline applies, the work itself runs on, bounded by the resolver's timeouts) and
// rethrows what it threw. Copies share the one result, so a Pending can sit in the
// transaction's result slots. Single executor: start and get run on the session's loop.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace portcullis::dns {

// A one-shot event on one executor.
class Completion {
 public:
  explicit Completion(const boost::asio::any_io_executor& executor);
  ~Completion();
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;
  void notify();
  bool done() const;
  boost::asio::awaitable<void> wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

void spawn_detached(const boost::asio::any_io_executor& executor,
                    boost::asio::awaitable<void> work);

template <class R>
class Pending {
 public:
  Pending() = default;
  static Pending start(const boost::asio::any_io_executor& executor,
                       boost::asio::awaitable<R> work) {
    Pending p;
    p.state_ = std::make_shared<State>(executor);
    spawn_detached(executor, fill(p.state_, std::move(work)));
    return p;
  }
  bool started() const { return state_ != nullptr; }
  bool ready() const { return state_ && state_->done.done(); }
  boost::asio::awaitable<R> get() const {
    std::shared_ptr<State> state = state_;
    if (!state->done.done()) co_await state->done.wait();
    if (state->error) std::rethrow_exception(state->error);
    co_return *state->value;
  }

 private:
  struct State {
    explicit State(const boost::asio::any_io_executor& executor) : done(executor) {}
    std::optional<R> value;
    std::exception_ptr error;
    Completion done;
  };
  static boost::asio::awaitable<void> fill(std::shared_ptr<State> state,
                                           boost::asio::awaitable<R> work) {
    try {
      R result = co_await std::move(work);
      state->value.emplace(std::move(result));
    } catch (...) {
      state->error = std::current_exception();
    }
    state->done.notify();
  }
  std::shared_ptr<State> state_;
};

}  // namespace portcullis::dns
