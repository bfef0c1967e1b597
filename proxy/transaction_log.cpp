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

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return 0;
  }
  return n;
}

}  // namespace

std::string json_quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++i;
    } else if (std::size_t n = utf8_length(text, i); n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out += '"';
  return out;
}

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
  return fmt::format(
      "{}{}client=[{}]:{} helo=<{}> from=<{}> to={} size={} action={} score={:.1f} symbols={} "
      "reply=\"{}\" time={}ms",
      o.session.id, o.session.id.empty() ? "" : ": ", o.session.client_ip_text,
      o.session.client_port, o.session.helo, o.transaction.mail_from, rcpts, o.size, filters::action_name(o.decision.action), o.decision.score,
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
      "\"from\":{},\"to\":[{}],\"size\":{},\"action\":\"{}\",\"score\":{},\"symbols\":[{}],"
      "\"reply\":{},\"time_ms\":{}}}",
      json_quote(o.session.id), json_quote(o.session.client_ip_text), o.session.client_port, json_quote(o.session.helo),
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
