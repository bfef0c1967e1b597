// The one Asio user of filters/api: hooks run under their deadline as a parallel group of the
// hook (its own coroutine) and a timer; the first to finish cancels the other, and the group
// completes only when both have, so a cut-off hook has unwound before the stage goes on.
#include "filters/api/pipeline.hpp"

#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <exception>
#include <stdexcept>
#include <utility>

namespace portcullis::filters {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kErrorException = "exception";
constexpr std::string_view kErrorTimeout = "timeout";

// How one hook call ended: its verdict, or the kind of error ("exception", "timeout").
struct HookRun {
  Verdict verdict;
  std::string_view error;
};

asio::awaitable<Verdict> reset_hook(Filter& filter, Session& session, Transaction& txn) {
  co_await filter.on_reset(session, txn);
  co_return Verdict{};
}

// Not a coroutine: returns the hook's (lazily started) coroutine, or throws if an override
// that is not itself a coroutine throws.
asio::awaitable<Verdict> start_hook(Filter& filter, Stage stage, Session& session,
                                    Transaction& txn) {
  switch (stage) {
    case Stage::kConnect:
      return filter.on_connect(session, txn);
    case Stage::kHelo:
      return filter.on_helo(session, txn);
    case Stage::kMail:
      return filter.on_mail(session, txn);
    case Stage::kRcpt:
      return filter.on_rcpt(session, txn);
    case Stage::kData:
      return filter.on_data(session, txn);
    case Stage::kEndOfMessage:
      return filter.on_end_of_message(session, txn);
    case Stage::kReset:
      return reset_hook(filter, session, txn);
  }
  throw std::logic_error("unknown pipeline stage");
}

[[noreturn]] void throw_aborted() {
  throw boost::system::system_error(asio::error::operation_aborted);
}

asio::awaitable<HookRun> run_hook(asio::awaitable<Verdict> hook,
                                  std::chrono::milliseconds deadline) {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, deadline);
  auto group = asio::experimental::make_parallel_group(
      asio::co_spawn(executor, std::move(hook), asio::deferred), timer.async_wait(asio::deferred));
  // (completion order, hook exception, hook verdict, timer error)
  auto result = co_await group.async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) throw_aborted();
  if (std::get<0>(result)[0] != 0) co_return HookRun{Verdict{}, kErrorTimeout};
  if (std::get<1>(result)) co_return HookRun{Verdict{}, kErrorException};
  co_return HookRun{std::move(std::get<2>(result)), {}};
}

// Starts the hook of `stage` and awaits it under the entry's deadline.
asio::awaitable<HookRun> call_hook(const PipelineEntry& entry, Stage stage, Session& session,
                                   Transaction& txn) {
  asio::awaitable<Verdict> hook;
  try {
    hook = start_hook(*entry.filter, stage, session, txn);
  } catch (...) {
    co_return HookRun{Verdict{}, kErrorException};
  }
  co_return co_await run_hook(std::move(hook), entry.deadline);
}

std::string_view verdict_kind_name(Verdict::Kind kind) {
  switch (kind) {
    case Verdict::Kind::kContinue:
      return "continue";
    case Verdict::Kind::kAccept:
      return "accept";
    case Verdict::Kind::kReject:
      return "reject";
    case Verdict::Kind::kTempfail:
      return "tempfail";
    case Verdict::Kind::kQuarantine:
      return "quarantine";
  }
  return "continue";
}

}  // namespace

Verdict filter_error_verdict() {
  return Verdict::tempfail(451, "4.7.1", "Temporary failure in a policy check, try again later",
                           "FILTER_ERROR");
}

Pipeline::Pipeline(std::vector<PipelineEntry> entries, Policy policy,
                   std::shared_ptr<Counters> counters)
    : entries_(std::move(entries)),
      policy_(policy),
      counters_(counters ? std::move(counters) : std::make_shared<Counters>()) {
  for (const PipelineEntry& entry : entries_) {
    if (!entry.filter) throw std::invalid_argument("pipeline entry without a filter");
  }
}

boost::asio::awaitable<Verdict> Pipeline::run(Stage stage, Session& session,
                                              Transaction& txn) const {
  const StageMask bit = stage_bit(stage);
  const bool session_stage = stage == Stage::kConnect || stage == Stage::kHelo;
  std::optional<Verdict>& quarantine = session_stage ? session.quarantine : txn.quarantine;
  if (stage == Stage::kHelo) {
    if (session.helo_symbols_begin && *session.helo_symbols_begin <= session.symbols.size()) {
      session.symbols.resize(*session.helo_symbols_begin);
    }
    session.helo_symbols_begin = session.symbols.size();
  }
  for (const PipelineEntry& entry : entries_) {
    Filter& filter = *entry.filter;
    if ((filter.stages() & bit) == 0) continue;
    const std::string_view name = filter.name();
    std::size_t first_new = txn.symbols.size();
    HookRun run = co_await call_hook(entry, stage, session, txn);

    // The symbols this hook added (kept even when it then failed: they are facts found).
    first_new = std::min(first_new, txn.symbols.size());
    for (std::size_t i = first_new; i < txn.symbols.size(); ++i) {
      Symbol& symbol = txn.symbols[i];
      if (symbol.filter.empty()) symbol.filter = name;
      counters_->symbol(symbol.filter, symbol.name);
    }
    if (session_stage && first_new < txn.symbols.size()) {
      const auto from = txn.symbols.begin() + static_cast<std::ptrdiff_t>(first_new);
      session.symbols.insert(session.symbols.end(), std::make_move_iterator(from),
                             std::make_move_iterator(txn.symbols.end()));
      txn.symbols.erase(from, txn.symbols.end());
    }

    if (!run.error.empty()) {
      counters_->error(name, run.error);
      if (entry.on_error == OnError::kTempfail) co_return filter_error_verdict();
      continue;
    }
    Verdict& verdict = run.verdict;
    if (verdict.kind == Verdict::Kind::kContinue) continue;
    counters_->verdict(name, verdict_kind_name(verdict.kind));
    if (verdict.refuses()) co_return with_reply_defaults(std::move(verdict));
    if (verdict.kind == Verdict::Kind::kAccept) break;
    if (!quarantine) quarantine = std::move(verdict);  // kQuarantine: the first reason wins
  }
  if (stage == Stage::kEndOfMessage) {
    if (txn.quarantine) co_return *txn.quarantine;
    if (session.quarantine) co_return *session.quarantine;
  }
  co_return Verdict{};
}

boost::asio::awaitable<void> Pipeline::reset(Session& session, Transaction& txn) const {
  const StageMask bit = stage_bit(Stage::kReset);
  for (const PipelineEntry& entry : entries_) {
    if ((entry.filter->stages() & bit) == 0) continue;
    const HookRun run = co_await call_hook(entry, Stage::kReset, session, txn);
    if (!run.error.empty()) counters_->error(entry.filter->name(), run.error);
  }
  txn = Transaction{};
}

boost::asio::awaitable<Decision> Pipeline::decide(Session& session, Transaction& txn) const {
  const Verdict hard = co_await run(Stage::kEndOfMessage, session, txn);
  std::vector<Symbol> symbols;
  symbols.reserve(session.symbols.size() + txn.symbols.size());
  symbols.insert(symbols.end(), session.symbols.begin(), session.symbols.end());
  symbols.insert(symbols.end(), txn.symbols.begin(), txn.symbols.end());
  Decision decision = policy_.decide(hard, symbols);
  counters_->message(action_name(decision.action));
  co_return decision;
}

void Pipeline::headers_seen(Session& session, Transaction& txn, std::string_view headers,
                            const asio::any_io_executor& executor) const {
  for (const PipelineEntry& entry : entries_) {
    try {
      entry.filter->on_headers(session, txn, headers, executor);
    } catch (...) {
      counters_->error(entry.filter->name(), kErrorException);
    }
  }
}

void Pipeline::add_observer(std::shared_ptr<Observer> observer) {
  if (observer) observers_.push_back(std::move(observer));
}

void Pipeline::observe(const Outcome& outcome) const {
  for (const auto& observer : observers_) {
    try {
      observer->observe(outcome);
    } catch (...) {
      counters_->error("observer", kErrorException);
    }
  }
}

}  // namespace portcullis::filters
