// A scripted filter for the pipeline's own tests: per stage it logs its call, adds symbols,
// optionally awaits a timer (logging when that wait is cancelled), throws, or answers a
// verdict. Shared with the builder tests through FakeFactory.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "filters/api/filter.hpp"

namespace portcullis::filters::testing {

using Log = std::vector<std::string>;

struct Script {
  Script& answer(Verdict v) {
    verdict = std::move(v);
    return *this;
  }
  Script& adds(std::vector<Symbol> s) {
    symbols = std::move(s);
    return *this;
  }
  Script& waits(std::chrono::milliseconds d) {
    wait = d;
    return *this;
  }
  Script& throws() {
    throw_in_body = true;
    return *this;
  }
  Script& throws_at_call() {
    throw_at_call = true;
    return *this;
  }

  Verdict verdict;
  std::vector<Symbol> symbols;
  std::chrono::milliseconds wait{0};  // awaits a timer this long before answering
  bool throw_in_body = false;         // throws from inside the hook's coroutine
  bool throw_at_call = false;         // throws before even making a coroutine
};

class FakeFilter : public Filter {
 public:
  FakeFilter(std::string name, std::shared_ptr<Log> log)
      : name_(std::move(name)), log_(std::move(log)) {}

  FakeFilter& on(Stage stage, Script script = {}) {
    scripts_[stage] = std::move(script);
    mask_ |= stage_bit(stage);
    return *this;
  }

  std::string_view name() const override { return name_; }
  StageMask stages() const override { return mask_; }
  boost::asio::awaitable<Verdict> on_connect(Session& s, Transaction& t) override {
    return act(Stage::kConnect, s, t);
  }
  boost::asio::awaitable<Verdict> on_helo(Session& s, Transaction& t) override {
    return act(Stage::kHelo, s, t);
  }
  boost::asio::awaitable<Verdict> on_mail(Session& s, Transaction& t) override {
    return act(Stage::kMail, s, t);
  }
  boost::asio::awaitable<Verdict> on_rcpt(Session& s, Transaction& t) override {
    return act(Stage::kRcpt, s, t);
  }
  boost::asio::awaitable<Verdict> on_data(Session& s, Transaction& t) override {
    return act(Stage::kData, s, t);
  }
  boost::asio::awaitable<Verdict> on_end_of_message(Session& s, Transaction& t) override {
    return act(Stage::kEndOfMessage, s, t);
  }
  // Logs "<name>:headers:<the section>"; throws if told to with throws_on_headers().
  void on_headers(Session&, Transaction&, std::string_view headers,
                  const boost::asio::any_io_executor&) override {
    log_->push_back(name_ + ":headers:" + std::string(headers));
    if (throw_on_headers_) throw std::runtime_error("filter bug");
  }
  FakeFilter& throws_on_headers() {
    throw_on_headers_ = true;
    return *this;
  }

  boost::asio::awaitable<void> on_reset(Session& s, Transaction& t) override {
    if (script(Stage::kReset).throw_at_call) throw std::runtime_error("no coroutine");
    return reset_body(s, t);
  }

 private:
  const Script& script(Stage stage) const {
    static const Script kNone;
    const auto it = scripts_.find(stage);
    return it == scripts_.end() ? kNone : it->second;
  }

  boost::asio::awaitable<Verdict> act(Stage stage, Session& s, Transaction& t) const {
    if (script(stage).throw_at_call) throw std::runtime_error("no coroutine");
    return body(stage, s, t);
  }

  boost::asio::awaitable<Verdict> body(Stage stage, Session&, Transaction& t) const {
    const Script& s = script(stage);
    log_->push_back(name_ + ":" + std::string(stage_name(stage)));
    for (const Symbol& symbol : s.symbols) t.symbols.push_back(symbol);
    co_await wait(s.wait);
    if (s.throw_in_body) throw std::runtime_error("filter bug");
    co_return s.verdict;
  }

  boost::asio::awaitable<void> reset_body(Session&, Transaction& t) const {
    const Script& s = script(Stage::kReset);
    log_->push_back(name_ + ":reset:" + (t.mail_from.empty() ? "-" : t.mail_from));
    co_await wait(s.wait);
    if (s.throw_in_body) throw std::runtime_error("filter bug");
  }

  boost::asio::awaitable<void> wait(std::chrono::milliseconds duration) const {
    if (duration.count() == 0) co_return;
    const auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer(executor, duration);
    try {
      co_await timer.async_wait(boost::asio::use_awaitable);
    } catch (const boost::system::system_error&) {
      log_->push_back(name_ + ":cancelled");
      throw;
    }
    log_->push_back(name_ + ":waited");
  }

  std::string name_;
  std::shared_ptr<Log> log_;
  bool throw_on_headers_ = false;
  std::map<Stage, Script> scripts_;
  StageMask mask_ = 0;
};

}  // namespace portcullis::filters::testing
