#include "filters/helo/helo_filter.hpp"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "config/yaml_reader.hpp"
#include "filters/helo/helo_name.hpp"

namespace portcullis::filters::helo {
namespace {

namespace asio = boost::asio;
using config::IpAddress;
using config::detail::Map;
using config::detail::Reader;

constexpr std::size_t kMaxDetail = 64;

enum SymbolIndex : std::size_t {
  kBadSyntaxIx,
  kBareIpIx,
  kNotFqdnIx,
  kForgedOwnIx,
  kIpMismatchIx,
  kSymbolCount
};

constexpr std::array<std::string_view, kSymbolCount> kSymbolNames = {kBadSyntax, kBareIp, kNotFqdn,
                                                                     kForgedOwn, kIpMismatch};

struct Settings {
  std::array<double, kSymbolCount> scores = {kDefaultBadSyntaxScore, kDefaultBareIpScore,
                                             kDefaultNotFqdnScore, kDefaultForgedOwnScore,
                                             kDefaultIpMismatchScore};
  bool reject_forged_own = false;
};

// The HELO as a symbol detail: printable ASCII only, at most kMaxDetail bytes.
std::string short_detail(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxDetail)) out += (c > ' ' && c < 0x7f) ? c : '?';
  if (text.size() > kMaxDetail) out.replace(kMaxDetail - 3, 3, "...");
  return out;
}

bool is_unspecified(const IpAddress& ip) {
  for (std::size_t i = 0; i < ip.bytes.size(); ++i) {
    // :: and 0.0.0.0 (::ffff:0.0.0.0)
    if (ip.bytes[i] != 0 && !(ip.is_v4 && (i == 10 || i == 11))) return false;
  }
  return true;
}

bool is_loopback(const IpAddress& ip) {
  if (ip.is_v4) return ip.bytes[12] == 127;
  for (std::size_t i = 0; i < 15; ++i) {
    if (ip.bytes[i] != 0) return false;
  }
  return ip.bytes[15] == 1;
}

// Listeners bound to 0.0.0.0 or :: put the unspecified address in local_ips; it is nobody's
// address, so it never counts as ours.
bool is_ours(const Session& session, const IpAddress& ip) {
  if (is_unspecified(ip)) return false;
  for (const IpAddress& own : session.local_ips) {
    if (own == ip) return true;
  }
  return false;
}

std::string lower_without_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class HeloFilter final : public Filter {
 public:
  explicit HeloFilter(Settings settings) : s_(settings) {}

  std::string_view name() const override { return kFilterName; }
  StageMask stages() const override { return stage_bit(Stage::kHelo); }

  asio::awaitable<Verdict> on_helo(Session& session, Transaction& txn) override {
    Verdict verdict = check(session, txn);
    co_return verdict;
  }

 private:
  void add(Transaction& txn, SymbolIndex which, std::string_view helo) const {
    txn.symbols.push_back(Symbol{std::string(kSymbolNames[which]), s_.scores[which],
                                 short_detail(helo), std::string(kFilterName)});
  }

  Verdict check(const Session& session, Transaction& txn) const {
    const HeloName name = classify_helo(session.helo);
    const bool client_known = !is_unspecified(session.client_ip);
    // A client that is us (a local submission, our own health check) may call itself us.
    const bool client_is_us = is_loopback(session.client_ip) || is_ours(session, session.client_ip);
    bool forged = false;
    switch (name.kind) {
      case HeloKind::kEmpty:
        return Verdict::proceed();
      case HeloKind::kBadSyntax:
        add(txn, kBadSyntaxIx, session.helo);
        break;
      case HeloKind::kBareIp:
        add(txn, kBareIpIx, session.helo);
        forged = is_ours(session, name.ip);
        break;
      case HeloKind::kDomain:
        if (!name.fqdn()) add(txn, kNotFqdnIx, session.helo);
        forged = !session.local_hostname.empty() &&
                 name.domain == lower_without_dot(session.local_hostname);
        break;
      case HeloKind::kAddressLiteral:
        forged = is_ours(session, name.ip);
        if (client_known && name.ip != session.client_ip) add(txn, kIpMismatchIx, session.helo);
        break;
    }
    if (!forged || !client_known || client_is_us) return Verdict::proceed();
    add(txn, kForgedOwnIx, session.helo);
    if (!s_.reject_forged_own) return Verdict::proceed();
    return Verdict::reject(550, "5.7.1", "Helo command rejected: You are not me",
                           std::string(kForgedOwn));
  }

  const Settings s_;
};

class HeloFactory final : public FilterFactory {
 public:
  std::string_view name() const override { return kFilterName; }
  std::vector<std::string_view> keys() const override { return {"scores", "reject_forged_own"}; }

  std::shared_ptr<Filter> create(Reader& r, const Map& section,
                                 const FilterContext&) const override {
    Settings s;
    const std::size_t problems_before = r.problem_count();
    if (const auto v = section.get("reject_forged_own")) {
      if (const auto value = r.boolean(*v)) s.reject_forged_own = *value;
    }
    if (const auto v = section.get("scores")) {
      // Unknown and duplicate symbol names are reported by mapping() itself.
      if (const auto scores =
              r.mapping(*v, {kBadSyntax, kBareIp, kNotFqdn, kForgedOwn, kIpMismatch})) {
        for (std::size_t i = 0; i < kSymbolCount; ++i) {
          const auto entry = scores->get(kSymbolNames[i]);
          if (!entry) continue;
          if (const auto score = r.score(*entry)) s.scores[i] = *score;
        }
      }
    }
    if (r.problem_count() != problems_before) return nullptr;
    return std::make_shared<HeloFilter>(s);
  }
};

}  // namespace

std::shared_ptr<const FilterFactory> make_helo_factory() {
  return std::make_shared<const HeloFactory>();
}

}  // namespace portcullis::filters::helo
