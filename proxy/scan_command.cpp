#include "proxy/scan_command.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include "filters/api/auth_results.hpp"
#include "filters/api/pipeline.hpp"
#include "filters/api/report_sections.hpp"
#include "proxy/snapshot.hpp"
#include "proxy/transaction_log.hpp"

namespace portcullis::proxy {

namespace {

struct ScanResult {
  filters::Action action = filters::Action::kAccept;
  std::string reply;
  std::string stage;  // where it was decided: connect|helo|mail|rcpt|data|end_of_message
  double score = 0;
  std::vector<filters::Symbol> symbols;
  std::string auth_json;  // the "auth" section (auth_results.hpp), "" when no auth filter ran
  filters::ReportSections sections;  // other filters' sections ("rules")
};

void take_sections(ScanResult& r, const filters::Transaction& t) {
  if (const auto* sections = t.results.get<filters::ReportSections>()) r.sections = *sections;
}

std::string reply_text(int code, const std::string& enhanced, const std::string& text) {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  if (!text.empty()) out += " " + text;
  return out;
}

ScanResult refused(const filters::Verdict& v, std::string stage, const filters::Session& s,
                   const filters::Transaction& t) {
  ScanResult r;
  r.action = v.kind == filters::Verdict::Kind::kTempfail ? filters::Action::kTempfail
                                                         : filters::Action::kReject;
  r.reply = reply_text(v.code, v.enhanced, v.text);
  r.stage = std::move(stage);
  r.symbols = s.symbols;
  r.symbols.insert(r.symbols.end(), t.symbols.begin(), t.symbols.end());
  r.score = filters::total_score(r.symbols);
  r.auth_json = filters::auth_report_json(t);
  take_sections(r, t);
  return r;
}

// One message through every stage, as a proxy session would run them.
boost::asio::awaitable<ScanResult> scan_one(const filters::Pipeline& pipeline,
                                            filters::Session session, const ScanOptions& opt,
                                            std::string message) {
  using filters::Stage;
  filters::Transaction txn;
  filters::Verdict v = co_await pipeline.run(Stage::kConnect, session, txn);
  if (v.refuses()) co_return refused(v, "connect", session, txn);
  if (opt.helo) {
    session.helo = *opt.helo;
    session.esmtp = true;
    v = co_await pipeline.run(Stage::kHelo, session, txn);
    if (v.refuses()) co_return refused(v, "helo", session, txn);
  }
  txn.mail_from = opt.mail_from;
  v = co_await pipeline.run(Stage::kMail, session, txn);
  if (v.refuses()) co_return refused(v, "mail", session, txn);
  filters::Verdict last_refusal;
  for (const auto& rcpt : opt.recipients) {
    txn.current_rcpt = rcpt;
    v = co_await pipeline.run(Stage::kRcpt, session, txn);
    // A refused recipient is dropped, as in the proxy.
    if (v.refuses()) {
      last_refusal = v;
    } else {
      txn.recipients.push_back(rcpt);
    }
  }
  // Every recipient refused: nothing would be delivered (the proxy's DATA gets 554 5.5.1).
  if (!opt.recipients.empty() && txn.recipients.empty()) {
    co_return refused(last_refusal, "rcpt", session, txn);
  }
  v = co_await pipeline.run(Stage::kData, session, txn);
  if (v.refuses()) co_return refused(v, "data", session, txn);
  txn.message = std::move(message);
  filters::Decision d = co_await pipeline.decide(session, txn);
  ScanResult r;
  r.action = d.action;
  r.stage = "end_of_message";
  r.score = d.score;
  r.symbols = session.symbols;
  r.symbols.insert(r.symbols.end(), txn.symbols.begin(), txn.symbols.end());
  if (d.action == filters::Action::kReject || d.action == filters::Action::kTempfail) {
    r.reply = reply_text(d.code, d.enhanced, d.text);
  } else {
    // The backend's own 250 text is unknown offline (DESIGN.md).
    r.reply = "250 2.0.0 Ok";
  }
  r.auth_json = filters::auth_report_json(txn);
  take_sections(r, txn);
  co_return r;
}

std::string json_result(const std::string& file, const ScanResult& r) {
  std::string symbols;
  for (const auto& s : r.symbols) {
    if (!symbols.empty()) symbols += ',';
    symbols += fmt::format("{{\"name\":{},\"score\":{},\"detail\":{}}}", json_quote(s.name),
                           s.score, json_quote(s.detail));
  }
  std::string auth = r.auth_json.empty() ? "" : ",\"auth\":" + r.auth_json;
  for (const auto& section : r.sections) {
    auth.append(",").append(json_quote(section.name)).append(":").append(section.json);
  }
  return fmt::format(
      "{{\"file\":{},\"action\":\"{}\",\"reply\":{},\"score\":{},\"symbols\":[{}],"
      "\"stage\":\"{}\"{}}}",
      json_quote(file), filters::action_name(r.action), json_quote(r.reply), r.score, symbols,
      r.stage, auth);
}

std::string text_result(const std::string& file, const ScanResult& r) {
  std::string symbols;
  for (const auto& s : r.symbols) {
    if (!symbols.empty()) symbols += ',';
    symbols += fmt::format("{}({:.1f})", s.name, s.score);
  }
  return fmt::format("{}: {} score={:.1f} symbols={} reply=\"{}\" stage={}", file,
                     filters::action_name(r.action), r.score, symbols.empty() ? "-" : symbols,
                     r.reply, r.stage);
}

}  // namespace

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

int run_scan(const config::Config& config, const filters::Pipeline& pipeline,
             const ScanOptions& options, std::ostream& out, std::ostream& err) {
  filters::Session session;
  session.client_ip_text = options.client_ip;
  session.report = options.json;
  if (auto ip = config::IpAddress::parse(options.client_ip)) session.client_ip = *ip;
  session.local_hostname = config.hostname;
  session.local_ips = local_addresses(config);

  int status = 0;
  boost::asio::io_context ctx;
  for (const auto& file : options.files) {
    std::error_code type_error;
    std::ifstream in;
    if (std::filesystem::is_regular_file(file, type_error)) in.open(file, std::ios::binary);
    if (!in.is_open()) {
      err << file << ": cannot read\n";
      status = 1;
      continue;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    std::string raw = buffer.str();
    if (raw.size() > config.limits.max_message_size) {
      err << file << ": larger than limits.max_message_size (" << raw.size() << " bytes)\n";
      status = 1;
      continue;
    }
    std::string message = to_crlf(raw);
    auto future = boost::asio::co_spawn(ctx, scan_one(pipeline, session, options,
                                                      std::move(message)),
                                        boost::asio::use_future);
    ctx.restart();
    ctx.run();
    ScanResult result = future.get();
    out << (options.json ? json_result(file, result) : text_result(file, result)) << '\n';
  }
  out.flush();
  return status;
}

}  // namespace portcullis::proxy
