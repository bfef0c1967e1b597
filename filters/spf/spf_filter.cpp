#include "filters/spf/spf_filter.hpp"

#include <array>
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include "config/yaml_reader.hpp"
#include "filters/api/auth_results.hpp"
#include "filters/api/json_text.hpp"
#include "filters/api/symbol_scores.hpp"
#include "filters/dns/dns_driver.hpp"
#include "filters/dns/pending.hpp"
#include "filters/spf/spf_domain.hpp"
#include "filters/spf/spf_evaluator.hpp"

namespace portcullis::filters::spf {
namespace {

namespace asio = boost::asio;
using config::detail::Map;
using config::detail::Reader;
using Code = SpfResult::Code;

enum SymbolIndex : std::size_t { kPass, kFail, kSoftfail, kNeutral, kNone, kTemperror, kPermerror };
constexpr std::array<SymbolDefault, 7> kSymbols = {{
    {"SPF_PASS", -0.5},
    {"SPF_FAIL", 3.0},
    {"SPF_SOFTFAIL", 1.5},
    {"SPF_NEUTRAL", 0.0},
    {"SPF_NONE", 0.5},
    {"SPF_TEMPERROR", 0.0},
    {"SPF_PERMERROR", 1.0},
}};

SymbolIndex symbol_of(Code code) {
  switch (code) {
    case Code::kPass: return kPass;
    case Code::kFail: return kFail;
    case Code::kSoftfail: return kSoftfail;
    case Code::kNeutral: return kNeutral;
    case Code::kNone: return kNone;
    case Code::kTemperror: return kTemperror;
    case Code::kPermerror: return kPermerror;
  }
  return kNone;
}

enum class Action { kSymbol, kReject, kTempfail };

struct Settings {
  SymbolScores<7> scores{kSymbols};
  Action on_fail = Action::kSymbol;
  Action on_softfail = Action::kSymbol;
  Action on_temperror = Action::kSymbol;
  Action on_permerror = Action::kSymbol;
  std::string receiver;
  std::string authserv_id;
  bool refuses() const {
    return on_fail != Action::kSymbol || on_softfail != Action::kSymbol ||
           on_temperror != Action::kSymbol || on_permerror != Action::kSymbol;
  }
};

// The check in flight, kept in the transaction between MAIL and its result.
struct PendingSpf {
  dns::Pending<SpfResult> pending;
};

SpfResult temperror(std::string reason) {
  SpfResult r;
  r.code = Code::kTemperror;
  r.identity = "mailfrom";
  r.reason = std::move(reason);
  return r;
}

asio::awaitable<SpfResult> run_check(dns::Resolver* resolver, SpfRequest request) {
  if (resolver == nullptr) co_return temperror("no resolver");
  const auto eval = [request](dns::DnsView& view) { return check_mail_from(request, view); };
  auto evaluation = dns::evaluate<SpfResult>(*resolver, eval);
  std::optional<SpfResult> result = co_await std::move(evaluation);
  if (!result) co_return temperror("DNS lookups did not converge");
  co_return std::move(*result);
}

std::string report_json(const SpfResult& r) {
  std::string out = fmt::format(R"({{"result":"{}","identity":{},"domain":{},"reason":{})",
                                to_string(r.code), json_quote(r.identity), json_quote(r.domain),
                                json_quote(r.reason));
  if (!r.explanation.empty()) out += fmt::format(R"(,"explanation":{})", json_quote(r.explanation));
  out += '}';
  return out;
}

class SpfFilter final : public Filter {
 public:
  SpfFilter(Settings settings, dns::Resolver* resolver)
      : s_(std::move(settings)), resolver_(resolver) {}

  std::string_view name() const override { return kFilterName; }
  StageMask stages() const override {
    StageMask mask =
        stage_bit(Stage::kConnect) | stage_bit(Stage::kMail) | stage_bit(Stage::kEndOfMessage);
    if (s_.refuses()) mask |= stage_bit(Stage::kRcpt);
    return mask;
  }

  // The client's PTR name, wanted by `ptr` mechanisms and %{p} macros: asked at connect so
  // the answer waits in the cache.
  asio::awaitable<Verdict> on_connect(Session& session, Transaction&) override {
    if (resolver_ != nullptr) {
      const auto executor = co_await asio::this_coro::executor;
      dns::prefetch(*resolver_, executor, {dns::Question{reverse_name(session.client_ip), dns::RrType::kPtr}});
    }
    co_return Verdict::proceed();
  }

  asio::awaitable<Verdict> on_mail(Session& session, Transaction& txn) override {
    const auto executor = co_await asio::this_coro::executor;
    auto check = run_check(resolver_, request_of(session, txn));
    txn.results.set(PendingSpf{dns::Pending<SpfResult>::start(executor, std::move(check))});
    co_return Verdict::proceed();
  }

  asio::awaitable<Verdict> on_rcpt(Session& session, Transaction& txn) override {
    auto wait = result_of(session, txn);
    const SpfResult result = co_await std::move(wait);
    co_return verdict_for(result);
  }

  asio::awaitable<Verdict> on_end_of_message(Session& session, Transaction& txn) override {
    auto wait = result_of(session, txn);
    co_await std::move(wait);
    co_return Verdict::proceed();
  }

 private:
  SpfRequest request_of(const Session& session, const Transaction& txn) const {
    SpfRequest request;
    request.client_ip = session.client_ip;
    request.helo = session.helo;
    request.mail_from = txn.mail_from;
    request.receiver = s_.receiver;
    request.timestamp = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    return request;
  }

  // The result for this transaction: the check started at MAIL, or — when an earlier
  // filter's accept skipped our MAIL hook (an allow-listed sender) — one started now. Once
  // known it is recorded once (symbol, Authentication-Results, the SpfResult for DMARC), so
  // a refusal at RCPT carries its symbol too, and every later stage reads the same result.
  asio::awaitable<SpfResult> result_of(const Session& session, Transaction& txn) const {
    if (const SpfResult* known = txn.results.get<SpfResult>()) co_return *known;
    SpfResult result;
    if (const PendingSpf* pending = txn.results.get<PendingSpf>()) {
      auto get = pending->pending.get();
      result = co_await std::move(get);
    } else {
      auto check = run_check(resolver_, request_of(session, txn));
      result = co_await std::move(check);
    }
    record(session, txn, result);
    co_return result;
  }

  void record(const Session& session, Transaction& txn, const SpfResult& result) const {
    txn.results.set(result);
    s_.scores.add(txn, symbol_of(result.code), symbol_detail(result.domain), kFilterName);
    std::string resinfo = fmt::format("spf={}", to_string(result.code));
    if (result.code != Code::kPass && !result.reason.empty()) {
      resinfo.append(" reason=").append(auth_value(result.reason));
    }
    if (!txn.mail_from.empty()) {
      resinfo.append(" smtp.mailfrom=").append(auth_value(result.domain.empty() ? txn.mail_from
                                                                                : result.domain));
    } else if (!session.helo.empty()) {
      resinfo.append(" smtp.helo=").append(auth_value(session.helo));
    }
    add_auth_result(txn, s_.authserv_id, {AuthMethod::kSpf, std::move(resinfo),
                                          session.report ? report_json(result) : std::string()});
  }

  Verdict verdict_for(const SpfResult& r) const {
    const std::string symbol(kSymbols[symbol_of(r.code)].name);
    const std::string domain = symbol_detail(r.domain);
    switch (r.code) {
      case Code::kFail:
        if (s_.on_fail == Action::kReject) {
          const std::string why = r.explanation.empty()
                                      ? fmt::format("SPF validation failed for {}", domain)
                                      : fmt::format("SPF validation failed for {}: {}", domain,
                                                    r.explanation);
          return Verdict::reject(550, "5.7.23", why, symbol);
        }
        break;
      case Code::kSoftfail:
        if (s_.on_softfail == Action::kReject) {
          return Verdict::reject(550, "5.7.23",
                                 fmt::format("SPF validation failed (softfail) for {}", domain),
                                 symbol);
        }
        break;
      case Code::kTemperror:
        if (s_.on_temperror == Action::kTempfail) {
          return Verdict::tempfail(451, "4.7.24",
                                   fmt::format("SPF temporary error for {}, try again later",
                                               domain.empty() ? "the sender" : domain),
                                   symbol);
        }
        break;
      case Code::kPermerror:
        if (s_.on_permerror == Action::kReject) {
          return Verdict::reject(550, "5.7.24",
                                 fmt::format("SPF record of {} is invalid", domain), symbol);
        }
        break;
      default:
        break;
    }
    return Verdict::proceed();
  }

  const Settings s_;
  dns::Resolver* resolver_;
};

class SpfFactory final : public FilterFactory {
 public:
  std::string_view name() const override { return kFilterName; }
  std::vector<std::string_view> keys() const override {
    return {"scores", "fail", "softfail", "temperror", "permerror"};
  }

  std::shared_ptr<Filter> create(Reader& r, const Map& section,
                                 const FilterContext& context) const override {
    Settings s;
    s.receiver = context.hostname.empty() ? "unknown" : context.hostname;
    s.authserv_id = context.authserv_id.empty() ? context.hostname : context.authserv_id;
    const std::size_t problems_before = r.problem_count();
    s.scores.read(r, section);
    const auto action = [&](std::string_view key, Action& field, bool tempfail) {
      const auto v = section.get(key);
      if (!v) return;
      std::optional<Action> value =
          tempfail ? r.choice<Action>(*v, {{"symbol", Action::kSymbol}, {"tempfail", Action::kTempfail}})
                   : r.choice<Action>(*v, {{"symbol", Action::kSymbol}, {"reject", Action::kReject}});
      if (value) field = *value;
    };
    action("fail", s.on_fail, false);
    action("softfail", s.on_softfail, false);
    action("temperror", s.on_temperror, true);
    action("permerror", s.on_permerror, false);
    if (r.problem_count() != problems_before) return nullptr;
    return std::make_shared<SpfFilter>(std::move(s), context.resolver);
  }
};

}  // namespace

std::shared_ptr<const FilterFactory> make_spf_factory() {
  return std::make_shared<const SpfFactory>();
}

}  // namespace portcullis::filters::spf
