#include "filters/dkim/dkim_filter.hpp"

#include <array>
#include <chrono>
#include <string>

#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include "config/yaml_reader.hpp"
#include "filters/api/auth_results.hpp"
#include "filters/api/json_text.hpp"
#include "filters/api/symbol_scores.hpp"
#include "filters/dkim/dkim_signature.hpp"
#include "filters/dkim/dkim_verifier.hpp"
#include "filters/dkim/message_headers.hpp"
#include "filters/dkim/text.hpp"
#include "filters/dns/dns_driver.hpp"
#include "filters/dns/pending.hpp"

namespace portcullis::filters::dkim {
namespace {

namespace asio = boost::asio;
using config::detail::Map;
using config::detail::Reader;
using Code = DkimResult::Code;

enum SymbolIndex : std::size_t {
  kValid, kInvalid, kPolicy, kTemperror, kPermerror, kNone, kBodyLength, kSymbolCount
};
constexpr std::array<SymbolDefault, kSymbolCount> kSymbols = {{
    {"DKIM_VALID", -0.5},
    {"DKIM_INVALID", 2.0},
    {"DKIM_POLICY", 0.5},
    {"DKIM_TEMPERROR", 0.0},
    {"DKIM_PERMERROR", 0.5},
    {"DKIM_NONE", 0.0},
    {"DKIM_BODY_LENGTH", 1.0},
}};
constexpr std::size_t kHeaderBChars = 12;

struct Settings {
  SymbolScores<kSymbolCount> scores{kSymbols};
  unsigned min_rsa_bits = 1024;
  std::string authserv_id;
};

std::optional<SymbolIndex> symbol_of(const DkimResult& r) {
  if (r.key_testing) return std::nullopt;  // testing keys count as unsigned, pass or fail
  switch (r.code) {
    case Code::kPass: return kValid;
    case Code::kFail: return kInvalid;
    case Code::kPolicy: return kPolicy;
    case Code::kTemperror: return kTemperror;
    case Code::kPermerror: return kPermerror;
    case Code::kNeutral:
    case Code::kNone: return std::nullopt;
  }
  return std::nullopt;
}

std::string resinfo_of(const DkimResult& r) {
  std::string out = fmt::format("dkim={}", to_string(r.code));
  if (r.code != Code::kPass && !r.reason.empty()) out.append(" reason=").append(auth_value(r.reason));
  if (r.code == Code::kPass && r.key_testing) out.append(" (key in testing mode)");
  if (!r.domain.empty()) out.append(" header.d=").append(auth_value(r.domain));
  if (!r.selector.empty()) out.append(" header.s=").append(auth_value(r.selector));
  if (!r.algorithm.empty()) out.append(" header.a=").append(auth_value(r.algorithm));
  if (!r.signature_b.empty()) {
    out.append(" header.b=").append(auth_value(std::string_view(r.signature_b).substr(0, kHeaderBChars)));
  }
  return out;
}

std::string json_of(const DkimResult& r) {
  return fmt::format(
      R"({{"domain":{},"selector":{},"algorithm":{},"result":"{}","reason":{},"identity":{},)"
      R"("body_truncated":{},"key_testing":{}}})",
      json_quote(r.domain), json_quote(r.selector), json_quote(r.algorithm), to_string(r.code),
      json_quote(r.reason), json_quote(r.identity), r.body_truncated, r.key_testing);
}

asio::awaitable<bool> hash_on(BlockingPool* pool, std::shared_ptr<Verifier> verifier) {
  if (pool == nullptr) {
    verifier->hash_bodies();
    co_return true;
  }
  std::function<void()> job = [verifier] { verifier->hash_bodies(); };
  auto run = pool->run(std::move(job));
  co_await std::move(run);
  co_return true;
}

class DkimFilter final : public Filter {
 public:
  DkimFilter(Settings settings, dns::Resolver* resolver, BlockingPool* pool)
      : s_(std::move(settings)), resolver_(resolver), pool_(pool) {}

  std::string_view name() const override { return kFilterName; }
  StageMask stages() const override { return stage_bit(Stage::kEndOfMessage); }

  // The signatures are in the header section: ask for their keys while the body arrives.
  void on_headers(Session&, Transaction&, std::string_view headers,
                  const asio::any_io_executor& executor) override {
    if (resolver_ == nullptr) return;
    // Only d= and s= are read here: the verifier parses and judges the signature later.
    std::vector<dns::Question> keys;
    for (const HeaderField& field : split_message(headers).fields) {
      if (!iequals(field.name, "dkim-signature")) continue;
      if (auto name = signature_key_name(field.value)) {
        keys.push_back(dns::Question{std::move(*name), dns::RrType::kTxt});
      }
    }
    dns::prefetch(*resolver_, executor, keys);
  }

  asio::awaitable<Verdict> on_end_of_message(Session& session, Transaction& txn) override {
    VerifyOptions options;
    options.now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    options.min_rsa_bits = s_.min_rsa_bits;
    // Inline, the verifier views txn.message, which outlives this hook. On the pool, the
    // hashing may outlive a hook cut off by its deadline (and the transaction with it): it
    // works on its own copy (one memcpy; the canonical body is still never copied).
    BlockingPool* pool = txn.message.size() > kInlineBodyBytes ? pool_ : nullptr;
    auto owned = pool != nullptr ? std::make_shared<const std::string>(txn.message) : nullptr;
    std::shared_ptr<Verifier> verifier(
        new Verifier(owned ? std::string_view(*owned) : std::string_view(txn.message), options),
        [owned](Verifier* v) { delete v; });
    std::vector<dns::Question> questions = verifier->key_questions();
    // Body hashes (CPU, on the pool for big bodies) and key lookups (network) at the same
    // time; a small body is hashed inline, which costs less than handing it anywhere.
    dns::Pending<bool> hashing;
    if (pool != nullptr) {
      const auto executor = co_await asio::this_coro::executor;
      hashing = dns::Pending<bool>::start(executor, hash_on(pool, verifier));
    } else {
      verifier->hash_bodies();
    }
    std::vector<DkimResult> results;
    if (resolver_ != nullptr) {
      dns::PinnedView keys(*resolver_);
      auto fetch = dns::fetch_all(*resolver_, keys, std::move(questions));
      co_await std::move(fetch);
      if (hashing.started()) {
        auto hashed = hashing.get();
        co_await std::move(hashed);
      }
      results = verifier->verify(keys);
    } else {
      if (hashing.started()) {
        auto hashed = hashing.get();
        co_await std::move(hashed);
      }
      NoKeys none;
      results = verifier->verify(none);  // every key: temperror "key not looked up"
    }
    record(txn, results, session.report);
    txn.results.set(DkimResults{std::move(results)});
    co_return Verdict::proceed();
  }

 private:
  struct NoKeys final : dns::DnsView {
    const dns::Answer* find(std::string_view, dns::RrType) override { return nullptr; }
  };

  void record(Transaction& txn, const std::vector<DkimResult>& results, bool report) const {
    if (results.empty()) {
      s_.scores.add(txn, kNone, "", kFilterName);
      mark_dkim_ran(txn, s_.authserv_id);
      return;
    }
    std::array<std::string, kSymbolCount> domains;
    std::array<bool, kSymbolCount> earned{};
    for (const DkimResult& r : results) {
      add_auth_result(txn, s_.authserv_id,
                      {AuthMethod::kDkim, resinfo_of(r), report ? json_of(r) : std::string()});
      std::vector<SymbolIndex> kinds;
      if (const auto kind = symbol_of(r)) kinds.push_back(*kind);
      if (r.code == Code::kPass && r.body_truncated) kinds.push_back(kBodyLength);
      for (SymbolIndex kind : kinds) {
        earned[kind] = true;
        if (!domains[kind].empty()) domains[kind] += ',';
        domains[kind] += r.domain;
      }
    }
    for (std::size_t i = 0; i < kSymbolCount; ++i) {
      if (earned[i]) s_.scores.add(txn, i, symbol_detail(domains[i]), kFilterName);
    }
  }

  const Settings s_;
  dns::Resolver* resolver_;
  BlockingPool* pool_;
};

class DkimFactory final : public FilterFactory {
 public:
  std::string_view name() const override { return kFilterName; }
  std::vector<std::string_view> keys() const override { return {"scores", "min_rsa_bits"}; }

  std::shared_ptr<Filter> create(Reader& r, const Map& section,
                                 const FilterContext& context) const override {
    Settings s;
    s.authserv_id = context.authserv_id.empty() ? context.hostname : context.authserv_id;
    const std::size_t problems_before = r.problem_count();
    s.scores.read(r, section);
    if (const auto v = section.get("min_rsa_bits")) {
      // RFC 8301 3.2: verifiers must accept 1024 to 4096 bits; below 1024 is never allowed.
      if (const auto n = r.count(*v, 1024, 4096)) s.min_rsa_bits = static_cast<unsigned>(*n);
    }
    if (r.problem_count() != problems_before) return nullptr;
    return std::make_shared<DkimFilter>(std::move(s), context.resolver, context.pool);
  }
};

}  // namespace

std::shared_ptr<const FilterFactory> make_dkim_factory() {
  return std::make_shared<const DkimFactory>();
}

}  // namespace portcullis::filters::dkim
