// A filter of the pipeline: hooks any of the stages, each hook co_returns a Verdict. One
// Filter object is built per configuration snapshot by its factory and shared by every
// session of that snapshot, on every event-loop thread at once: hooks must not mutate the
// filter (keep per-session state in Session/Transaction slots). Expected failures are
// verdicts or symbols; a hook that throws or overruns its deadline is handled by the
// pipeline's on_error policy and never takes the session down.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "filters/api/transaction.hpp"
#include "filters/api/verdict.hpp"

namespace portcullis::filters {

enum class Stage : std::uint8_t { kConnect, kHelo, kMail, kRcpt, kData, kEndOfMessage, kReset };
inline constexpr int kStageCount = 7;
std::string_view stage_name(Stage stage);

// Bit set of the stages a filter hooks; the pipeline calls only those.
using StageMask = std::uint32_t;
constexpr StageMask stage_bit(Stage s) { return StageMask{1} << static_cast<int>(s); }

class Filter {
 public:
  virtual ~Filter() = default;
  virtual std::string_view name() const = 0;
  virtual StageMask stages() const = 0;
  // Called only for the stages in stages(). The default bodies are never reached.
  virtual boost::asio::awaitable<Verdict> on_connect(Session&, Transaction&);
  virtual boost::asio::awaitable<Verdict> on_helo(Session&, Transaction&);
  virtual boost::asio::awaitable<Verdict> on_mail(Session&, Transaction&);
  virtual boost::asio::awaitable<Verdict> on_rcpt(Session&, Transaction&);
  virtual boost::asio::awaitable<Verdict> on_data(Session&, Transaction&);
  virtual boost::asio::awaitable<Verdict> on_end_of_message(Session&, Transaction&);
  // RSET or end of transaction: nothing to decide, only to forget.
  virtual boost::asio::awaitable<void> on_reset(Session&, Transaction&);
  // A hint, not a stage: the message's header section has arrived while the body is still
  // coming (DESIGN.md: lookups start as early as their inputs are known). A filter may start
  // background work on `executor` (the session's loop) — DNS lookups whose answers its
  // end-of-message hook will find ready. `headers` (the header section with its final empty
  // line) is valid during the call only. Must be quick and must not throw; decides nothing.
  virtual void on_headers(Session&, Transaction&, std::string_view headers,
                          const boost::asio::any_io_executor& executor);
};

}  // namespace portcullis::filters
