// The pipeline (DESIGN.md): filters in their configured order (with `after` dependencies
// checked at load), each hook run under the filter's deadline; a hook that throws or
// overruns is an error handled by that filter's `on_error` (tempfail by default: 451 4.7.1,
// or continue) and counted — never a crash. Symbols go to the session (connect, helo) or
// the transaction; the first refusal ends the stage. At end of message the policy turns
// symbols and hard verdicts into a Decision. Observers see every transaction's outcome.
// Built once per configuration snapshot; const and shared by all sessions and threads.
// A hook cut off at its deadline is cancelled (terminal cancellation) and awaited until it
// has unwound, so no filter coroutine outlives the call that started it; a filter awaiting
// something that ignores cancellation therefore holds its stage up to that operation's end.
// Cancelling the caller's coroutine (session shutdown) is not a filter error: run, reset and
// decide then throw boost::system::system_error(operation_aborted) like any Asio operation.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "filters/api/counters.hpp"
#include "filters/api/filter.hpp"
#include "filters/api/filter_factory.hpp"
#include "filters/api/policy.hpp"

namespace portcullis::config {
struct Config;
}

namespace portcullis::filters {

enum class OnError { kTempfail, kContinue };

struct PipelineEntry {
  std::shared_ptr<Filter> filter;
  std::chrono::milliseconds deadline{10'000};
  OnError on_error = OnError::kTempfail;
};

// What happened to one transaction, for the observe-only final stage.
struct Outcome {
  const Session& session;
  const Transaction& transaction;
  Decision decision;
  std::string reply;            // what the client was answered, e.g. "250 2.0.0 Ok: queued"
  std::size_t size = 0;         // message bytes as received
  std::chrono::microseconds elapsed{0};
};

class Observer {
 public:
  virtual ~Observer() = default;
  // Must be quick and must not throw: runs on the event loop after the client's reply.
  virtual void observe(const Outcome& outcome) = 0;
};

// What a filter error (exception, deadline) answers when its on_error is tempfail:
// 451 4.7.1, a text that says nothing about which check failed, symbol FILTER_ERROR.
Verdict filter_error_verdict();

class Pipeline {
 public:
  // Null counters get a private set. Every entry needs a filter (std::invalid_argument).
  Pipeline(std::vector<PipelineEntry> entries, Policy policy, std::shared_ptr<Counters> counters);

  // Runs every filter hooking `stage`, in order. Returns the first refusal (reject or
  // tempfail, with with_reply_defaults applied), else at end of message a quarantine if one
  // was asked for at any stage (txn.quarantine, then session.quarantine), else continue.
  // An accept verdict skips the rest of the stage. A quarantine verdict is remembered (first
  // one wins) in session.quarantine at connect/helo, else in txn.quarantine.
  // Symbols a hook pushes to txn.symbols get their `filter` set (when empty) and counted; at
  // connect and helo they are moved to session.symbols (they count for every transaction);
  // a second run of kHelo (a new EHLO) first drops the symbols of the previous one.
  boost::asio::awaitable<Verdict> run(Stage stage, Session& session, Transaction& txn) const;
  // RSET / end of transaction: tells the filters hooking kReset (their errors are counted,
  // never thrown), then clears `txn` (= Transaction{}); the session keeps its symbols.
  boost::asio::awaitable<void> reset(Session& session, Transaction& txn) const;
  // End of message: run kEndOfMessage, then the policy over the hard verdict and session +
  // transaction symbols; counts the action (Counters::message).
  boost::asio::awaitable<Decision> decide(Session& session, Transaction& txn) const;

  // The header section has arrived (Filter::on_headers), to every filter; one that throws
  // anyway is counted as error(filter, "exception") and ignored.
  void headers_seen(Session& session, Transaction& txn, std::string_view headers,
                    const boost::asio::any_io_executor& executor) const;

  // Observers are added while building, before the pipeline is shared.
  void add_observer(std::shared_ptr<Observer> observer);
  // Calls every observer; one that throws anyway is counted as error("observer", "exception").
  void observe(const Outcome& outcome) const;

  const Policy& policy() const { return policy_; }
  Counters& counters() const { return *counters_; }
  std::size_t size() const { return entries_.size(); }
  // In run order, for start-up logs and tests.
  const std::vector<PipelineEntry>& entries() const { return entries_; }

 private:
  std::vector<PipelineEntry> entries_;
  Policy policy_;
  std::shared_ptr<Counters> counters_;
  std::vector<std::shared_ptr<Observer>> observers_;
};

// Builds the pipeline from the config's `filters:` and `policy:` sections with the given
// factories. Every problem (unknown filter, bad section, an `after` dependency ordered
// wrongly) is reported with file:line:col; throws config::ConfigError. The filters run in
// file order. Each section takes the factory's keys plus `deadline` (duration 1ms-10m,
// default 10s) and `on_error` (tempfail|continue, default tempfail). Names listed under
// "filters." in config/not_yet.cpp are refused ("not supported by this build yet"), even when
// a factory of that name is registered; remove the entry when the filter lands. The factories'
// FilterContext: config.hostname, config.authserv_id, the worker pool and the resolver.
std::shared_ptr<Pipeline> build_pipeline(const config::Config& config,
                                          const FilterRegistry& registry,
                                          std::shared_ptr<Counters> counters,
                                          BlockingPool* pool = nullptr,
                                          dns::Resolver* resolver = nullptr);

}  // namespace portcullis::filters
