#include "filters/access/access_filter.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "config/yaml_reader.hpp"
#include "filters/access/address_list.hpp"
#include "filters/access/network_list.hpp"
#include "filters/access/reply_text.hpp"

namespace portcullis::filters::access {
namespace {

namespace asio = boost::asio;
using config::detail::Map;
using config::detail::Reader;
using config::detail::Value;

constexpr std::size_t kMaxDetail = 64;

// Symbol details are list entries (validated config text); still keep them short and
// printable whatever changes upstream.
std::string short_detail(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxDetail)) out += (c > ' ' && c < 0x7f) ? c : '?';
  if (text.size() > kMaxDetail) out.replace(kMaxDetail - 3, 3, "...");
  return out;
}

struct Settings {
  NetworkList allow_clients;
  NetworkList deny_clients;
  AddressList allow_senders{true};
  AddressList deny_senders{true};
  AddressList allow_recipients{false};
  AddressList deny_recipients{false};
  ReplyText client_reply;
  ReplyText sender_reply;
  ReplyText recipient_reply;
};

class AccessFilter final : public Filter {
 public:
  explicit AccessFilter(Settings settings) : s_(std::move(settings)) {}

  std::string_view name() const override { return kFilterName; }

  StageMask stages() const override {
    StageMask mask = 0;
    if (!s_.allow_clients.empty() || !s_.deny_clients.empty()) mask |= stage_bit(Stage::kConnect);
    if (!s_.allow_senders.empty() || !s_.deny_senders.empty()) mask |= stage_bit(Stage::kMail);
    if (!s_.allow_recipients.empty() || !s_.deny_recipients.empty()) {
      mask |= stage_bit(Stage::kRcpt);
    }
    return mask;
  }

  asio::awaitable<Verdict> on_connect(Session& session, Transaction& txn) override {
    Verdict verdict = check_client(session, txn);
    co_return verdict;
  }
  asio::awaitable<Verdict> on_mail(Session& session, Transaction& txn) override {
    Verdict verdict = check_sender(session, txn);
    co_return verdict;
  }
  asio::awaitable<Verdict> on_rcpt(Session& session, Transaction& txn) override {
    Verdict verdict = check_recipient(session, txn);
    co_return verdict;
  }

 private:
  static Verdict allow(Transaction& txn, std::string_view symbol, const std::string& entry) {
    txn.symbols.push_back(
        Symbol{std::string(symbol), 0.0, short_detail(entry), std::string(kFilterName)});
    return Verdict::accept(std::string(symbol));
  }

  static Verdict deny(Transaction& txn, std::string_view symbol, const std::string& entry,
                      const ReplyText& reply) {
    txn.symbols.push_back(
        Symbol{std::string(symbol), 0.0, short_detail(entry), std::string(kFilterName)});
    if (reply.code / 100 == 4) {
      return Verdict::tempfail(reply.code, reply.enhanced, reply.text, std::string(symbol));
    }
    return Verdict::reject(reply.code, reply.enhanced, reply.text, std::string(symbol));
  }

  Verdict check_client(Session& session, Transaction& txn) const {
    if (const std::string* hit = s_.allow_clients.find(session.client_ip)) {
      return allow(txn, kAllowClient, *hit);
    }
    if (const std::string* hit = s_.deny_clients.find(session.client_ip)) {
      return deny(txn, kDenyClient, *hit, s_.client_reply);
    }
    return Verdict::proceed();
  }

  Verdict check_sender(Session&, Transaction& txn) const {
    if (const std::string* hit = s_.allow_senders.find(txn.mail_from)) {
      return allow(txn, kAllowSender, *hit);
    }
    if (const std::string* hit = s_.deny_senders.find(txn.mail_from)) {
      return deny(txn, kDenySender, *hit, s_.sender_reply);
    }
    return Verdict::proceed();
  }

  Verdict check_recipient(Session&, Transaction& txn) const {
    if (const std::string* hit = s_.allow_recipients.find(txn.current_rcpt)) {
      return allow(txn, kAllowRecipient, *hit);
    }
    if (const std::string* hit = s_.deny_recipients.find(txn.current_rcpt)) {
      return deny(txn, kDenyRecipient, *hit, s_.recipient_reply);
    }
    return Verdict::proceed();
  }

  const Settings s_;
};

// Each reader reports its problems through the reader; create() counts them.
void read_networks(Reader& r, const Map& section, std::string_view key, NetworkList& out) {
  const auto v = section.get(key);
  if (!v) return;
  const auto items = r.sequence(*v, "a list of networks like [192.0.2.0/24, \"2001:db8::/32\"]");
  if (!items) return;
  for (const Value& item : *items) {
    const auto text = r.string(item, "a network like 192.0.2.0/24");
    std::string why_not;
    if (text && !out.add(*text, why_not)) r.problem(item, why_not);
  }
}

void read_addresses(Reader& r, const Map& section, std::string_view key, AddressList& out) {
  const auto v = section.get(key);
  if (!v) return;
  const auto items =
      r.sequence(*v, "a list of addresses like [user@example.org, \"@example.org\"]");
  if (!items) return;
  for (const Value& item : *items) {
    const auto text = r.string(item, "an address like user@example.org or \"@example.org\"");
    std::string why_not;
    if (text && !out.add(*text, why_not)) r.problem(item, why_not);
  }
}

void read_reply(Reader& r, const Map& section, std::string_view key, std::string_view fallback,
                ReplyText& out) {
  std::string why_not;
  const auto v = section.get(key);
  if (!v) {
    auto parsed = parse_reply_text(fallback, why_not);
    if (!parsed) throw std::logic_error("bad default reply: " + why_not);  // a bug, not config
    out = std::move(*parsed);
    return;
  }
  const auto text = r.string(*v, "a reply like \"554 5.7.1 Access denied\"");
  if (!text) return;
  auto parsed = parse_reply_text(*text, why_not);
  if (!parsed) {
    r.problem(*v, why_not);
    return;
  }
  out = std::move(*parsed);
}

class AccessFactory final : public FilterFactory {
 public:
  std::string_view name() const override { return kFilterName; }

  std::vector<std::string_view> keys() const override {
    return {"allow_clients", "deny_clients",     "allow_senders",
            "deny_senders",  "allow_recipients", "deny_recipients",
            "client_reply",  "sender_reply",     "recipient_reply"};
  }

  std::shared_ptr<Filter> create(Reader& r, const Map& section,
                                 const FilterContext&) const override {
    Settings s;
    const std::size_t problems_before = r.problem_count();
    // Every key is read, so every problem is reported at once.
    read_networks(r, section, "allow_clients", s.allow_clients);
    read_networks(r, section, "deny_clients", s.deny_clients);
    read_addresses(r, section, "allow_senders", s.allow_senders);
    read_addresses(r, section, "deny_senders", s.deny_senders);
    read_addresses(r, section, "allow_recipients", s.allow_recipients);
    read_addresses(r, section, "deny_recipients", s.deny_recipients);
    read_reply(r, section, "client_reply", kDefaultClientReply, s.client_reply);
    read_reply(r, section, "sender_reply", kDefaultSenderReply, s.sender_reply);
    read_reply(r, section, "recipient_reply", kDefaultRecipientReply, s.recipient_reply);
    if (r.problem_count() != problems_before) return nullptr;
    return std::make_shared<AccessFilter>(std::move(s));
  }
};

}  // namespace

std::shared_ptr<const FilterFactory> make_access_factory() {
  return std::make_shared<const AccessFactory>();
}

}  // namespace portcullis::filters::access
