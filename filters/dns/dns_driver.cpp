#include "filters/dns/dns_driver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace portcullis::dns {
namespace {

namespace asio = boost::asio;

// One round of parallel questions: the answers land here, the last one wakes the waiter.
struct Round {
  explicit Round(const asio::any_io_executor& executor, std::size_t count)
      : answers(count), remaining(count), wake(executor, asio::steady_timer::time_point::max()) {}
  std::vector<std::shared_ptr<const Answer>> answers;
  std::size_t remaining;
  asio::steady_timer wake;
};

asio::awaitable<void> ask_one(Resolver& resolver, std::shared_ptr<Round> round, std::size_t index,
                              Question question) {
  std::shared_ptr<const Answer> answer;
  try {
    // The argument is built outside the co_await expression (g++ 12).
    auto lookup = resolver.resolve(std::move(question));
    answer = co_await std::move(lookup);
  } catch (...) {
    auto failed = std::make_shared<Answer>();
    failed->status = Answer::Status::kServFail;
    answer = std::move(failed);
  }
  round->answers[index] = std::move(answer);
  if (--round->remaining == 0) round->wake.cancel();
}

asio::awaitable<void> warm(Resolver& resolver, Question question) {
  try {
    auto lookup = resolver.resolve(std::move(question));
    co_await std::move(lookup);
  } catch (...) {
    // A prefetch has nobody to tell; the real lookup will see the problem again.
  }
}

}  // namespace

void prefetch(Resolver& resolver, const asio::any_io_executor& executor,
              const std::vector<Question>& questions) {
  for (const Question& q : questions) {
    if (resolver.cached(q)) continue;
    asio::co_spawn(executor, warm(resolver, q), asio::detached);
  }
}

const Answer* PinnedView::find(std::string_view name, RrType type) {
  const std::string key = question_key(name, type);
  if (const auto it = answers_.find(key); it != answers_.end()) return it->second.get();
  auto answer = resolver_.cached(Question{std::string(name), type});
  if (!answer) return nullptr;
  const Answer* raw = answer.get();
  answers_.emplace(key, std::move(answer));
  return raw;
}

bool PinnedView::has(const Question& question) const {
  return answers_.contains(question_key(question.name, question.type));
}

void PinnedView::pin(const Question& question, std::shared_ptr<const Answer> answer) {
  answers_[question_key(question.name, question.type)] = std::move(answer);
}

asio::awaitable<void> fetch_all(Resolver& resolver, PinnedView& view,
                                std::vector<Question> questions) {
  std::vector<Question> wanted;
  for (Question& q : questions) {
    if (view.has(q)) continue;
    const bool duplicate = std::any_of(wanted.begin(), wanted.end(), [&](const Question& w) {
      return w.type == q.type && normalize_name(w.name) == normalize_name(q.name);
    });
    if (!duplicate) wanted.push_back(std::move(q));
  }
  if (wanted.empty()) co_return;
  if (wanted.size() == 1) {
    auto lookup = resolver.resolve(wanted.front());
    auto answer = co_await std::move(lookup);
    view.pin(wanted.front(), std::move(answer));
    co_return;
  }
  const auto executor = co_await asio::this_coro::executor;
  auto round = std::make_shared<Round>(executor, wanted.size());
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    asio::co_spawn(executor, ask_one(resolver, round, i, wanted[i]), asio::detached);
  }
  while (round->remaining > 0) {
    auto [error] = co_await round->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    // Our own cancel is the wake-up; a cancellation from above ends the wait.
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
      throw boost::system::system_error(asio::error::operation_aborted);
    }
    (void)error;
  }
  for (std::size_t i = 0; i < wanted.size(); ++i) view.pin(wanted[i], round->answers[i]);
}

}  // namespace portcullis::dns
