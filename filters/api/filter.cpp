#include "filters/api/filter.hpp"

namespace portcullis::filters {

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::kConnect:
      return "connect";
    case Stage::kHelo:
      return "helo";
    case Stage::kMail:
      return "mail";
    case Stage::kRcpt:
      return "rcpt";
    case Stage::kData:
      return "data";
    case Stage::kEndOfMessage:
      return "end_of_message";
    case Stage::kReset:
      return "reset";
  }
  return "unknown";
}

// The pipeline calls only the hooks of stages(); reaching one of these means a filter
// declared a stage it does not implement. Having no opinion is the harmless answer.
boost::asio::awaitable<Verdict> Filter::on_connect(Session&, Transaction&) { co_return Verdict{}; }
boost::asio::awaitable<Verdict> Filter::on_helo(Session&, Transaction&) { co_return Verdict{}; }
boost::asio::awaitable<Verdict> Filter::on_mail(Session&, Transaction&) { co_return Verdict{}; }
boost::asio::awaitable<Verdict> Filter::on_rcpt(Session&, Transaction&) { co_return Verdict{}; }
boost::asio::awaitable<Verdict> Filter::on_data(Session&, Transaction&) { co_return Verdict{}; }
boost::asio::awaitable<Verdict> Filter::on_end_of_message(Session&, Transaction&) {
  co_return Verdict{};
}
boost::asio::awaitable<void> Filter::on_reset(Session&, Transaction&) { co_return; }
void Filter::on_headers(Session&, Transaction&, std::string_view,
                        const boost::asio::any_io_executor&) {}

}  // namespace portcullis::filters
