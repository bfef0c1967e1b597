// Runs a pure evaluator (dns_answer.hpp) to its result against a Resolver: evaluate, ask
// the questions it needs — all of one round in parallel — and evaluate again. Answers are
// pinned for the whole evaluation, so a TTL expiring half-way cannot make it loop, and a
// warm cache answers without a single wait. Bounded: max_rounds evaluations (an evaluator
// asking for more is cut off and the caller gets nullopt, to report as a temporary error).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "filters/dns/dns_answer.hpp"
#include "filters/dns/resolver.hpp"

namespace portcullis::dns {

inline constexpr int kMaxEvaluationRounds = 48;

// The answers of one evaluation: those fetched for it, then whatever the cache has.
class PinnedView : public DnsView {
 public:
  explicit PinnedView(Resolver& resolver) : resolver_(resolver) {}
  const Answer* find(std::string_view name, RrType type) override;
  bool has(const Question& question) const;
  void pin(const Question& question, std::shared_ptr<const Answer> answer);
  std::size_t size() const { return answers_.size(); }

 private:
  Resolver& resolver_;
  std::unordered_map<std::string, std::shared_ptr<const Answer>> answers_;
};

// Asks every question the view does not hold yet, in parallel, and pins the answers.
boost::asio::awaitable<void> fetch_all(Resolver& resolver, PinnedView& view,
                                       std::vector<Question> questions);

// Starts lookups whose answers a later evaluation will want, without waiting: their answers
// land in the cache, and a question asked again while still in flight shares the query.
// Questions already cached are skipped.
void prefetch(Resolver& resolver, const boost::asio::any_io_executor& executor,
              const std::vector<Question>& questions);

// `eval` is called as Evaluation<R>(DnsView&). Pass it as a named object: g++ 12 mishandles
// temporaries inside co_await expressions.
template <class R, class Eval>
boost::asio::awaitable<std::optional<R>> evaluate(Resolver& resolver, Eval eval,
                                                  int max_rounds = kMaxEvaluationRounds) {
  PinnedView view(resolver);
  for (int round = 0; round < max_rounds; ++round) {
    Evaluation<R> step = eval(static_cast<DnsView&>(view));
    if (step.result) co_return std::move(*step.result);
    if (step.needs.empty()) co_return std::nullopt;
    auto fetch = fetch_all(resolver, view, std::move(step.needs));
    co_await std::move(fetch);
  }
  co_return std::nullopt;
}

}  // namespace portcullis::dns
