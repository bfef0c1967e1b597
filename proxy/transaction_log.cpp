#include "proxy/transaction_log.hpp"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace portcullis::proxy {

namespace {

std::vector<const filters::Symbol*> all_symbols(const filters::Outcome& o) {
  std::vector<const filters::Symbol*> out;
  for (const auto& s : o.session.symbols) out.push_back(&s);
  for (const auto& s : o.transaction.symbols) out.push_back(&s);
  return out;
}

}  // namespace

std::string TransactionLog::text_line(const filters::Outcome& o) const {
  std::string rcpts;
  for (const auto& r : o.transaction.recipients) {
    if (!rcpts.empty()) rcpts += ',';
    rcpts += '<' + r + '>';
  }
  std::string symbols;
  for (const auto* s : all_symbols(o)) {
    if (!symbols.empty()) symbols += ',';
    symbols += fmt::format("{}({:.1f})", s->name, s->score);
  }
  // TLS and the authenticated user only when there are some (Postfix's style).
  std::string identity;
  if (!o.session.tls_version.empty()) identity += " tls=" + o.session.tls_version;
  if (!o.session.auth_user.empty()) identity += " auth=<" + o.session.auth_user + ">";
  return fmt::format(
      "{}{}client=[{}]:{} helo=<{}>{} from=<{}> to={} size={} action={} score={:.1f} symbols={} "
      "reply=\"{}\" time={}ms",
      o.session.id, o.session.id.empty() ? "" : ": ", o.session.client_ip_text,
      o.session.client_port, o.session.helo, identity, o.transaction.mail_from, rcpts, o.size,
      filters::action_name(o.decision.action), o.decision.score,
      symbols.empty() ? "-" : symbols, o.reply,
      std::chrono::duration_cast<std::chrono::milliseconds>(o.elapsed).count());
}

std::string TransactionLog::json_line(const filters::Outcome& o) const {
  std::string rcpts;
  for (const auto& r : o.transaction.recipients) {
    if (!rcpts.empty()) rcpts += ',';
    rcpts += json_quote(r);
  }
  std::string symbols;
  for (const auto* s : all_symbols(o)) {
    if (!symbols.empty()) symbols += ',';
    symbols += fmt::format("{{\"name\":{},\"score\":{},\"detail\":{}}}", json_quote(s->name),
                           s->score, json_quote(s->detail));
  }
  return fmt::format(
      "{{\"event\":\"transaction\",\"session\":{},\"client_ip\":{},\"client_port\":{},\"helo\":{},"
      "\"tls\":{},\"auth\":{},\"from\":{},\"to\":[{}],\"size\":{},\"action\":\"{}\",\"score\":{},\"symbols\":[{}],"
      "\"reply\":{},\"time_ms\":{}}}",
      json_quote(o.session.id), json_quote(o.session.client_ip_text), o.session.client_port, json_quote(o.session.helo),
      json_quote(o.session.tls_version), json_quote(o.session.auth_user),
      json_quote(o.transaction.mail_from), rcpts, o.size,
      filters::action_name(o.decision.action), o.decision.score, symbols, json_quote(o.reply),
      std::chrono::duration_cast<std::chrono::milliseconds>(o.elapsed).count());
}

void TransactionLog::observe(const filters::Outcome& o) {
  if (!spdlog::should_log(spdlog::level::info)) return;  // don't build a line nobody reads
  // With format json the logger prints the message as the "msg" string; the transaction is
  // also given whole as an object so log shippers need not parse text.
  if (format_ == config::LogFormat::kJson) {
    spdlog::info("{}", json_line(o));
  } else {
    spdlog::info("{}", text_line(o));
  }
}

}  // namespace portcullis::proxy
