// In-memory DNS for the SPF tests, the RFC suites and the fuzz target (DESIGN.md: the one
// place a fake resolver is right): ZoneView answers from records added to it, following
// the openspf suite driver's rules (testdata/spf/README.md), and LazyView hides every
// answer until the evaluator has asked for it, to prove the restart protocol.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filters/dns/dns_answer.hpp"

namespace portcullis::filters::spf::testing {

class ZoneView : public dns::DnsView {
 public:
  void add_txt(std::string_view name, std::string text) { node(name).txt.push_back(std::move(text)); }
  // A type-SPF record: answers TXT queries only while the name has no TXT record and no
  // "TXT: NONE" (the suites' auto-magic duplication).
  void add_spf(std::string_view name, std::string text) { node(name).spf.push_back(std::move(text)); }
  void set_txt_none(std::string_view name) { node(name).txt_none = true; }
  void add_address(std::string_view name, const config::IpAddress& ip) {
    (ip.is_v4 ? node(name).a : node(name).aaaa).push_back(ip);
  }
  void add_mx(std::string_view name, std::uint16_t preference, std::string_view host) {
    node(name).mx.push_back({preference, dns::normalize_name(host)});
  }
  void add_ptr(std::string_view name, std::string_view target) {
    node(name).ptr.push_back(dns::normalize_name(target));
  }
  void set_cname(std::string_view name, std::string_view target) {
    node(name).cname = dns::normalize_name(target);
  }
  // Every query for a type without a real record at this name times out.
  void set_timeout(std::string_view name) { node(name).timeout = true; }
  // Every query for a type without a real record at this name fails with SERVFAIL.
  void set_servfail(std::string_view name) { node(name).servfail = true; }

  const dns::Answer* find(std::string_view name, dns::RrType type) override {
    ++queries_;
    const auto key = std::make_pair(dns::normalize_name(name), type);
    auto it = cache_.find(key);
    if (it == cache_.end()) it = cache_.emplace(key, resolve(key.first, type)).first;
    return &it->second;
  }

  std::size_t queries() const { return queries_; }

 private:
  struct Node {
    std::vector<std::string> txt, spf, ptr;
    std::vector<config::IpAddress> a, aaaa;
    std::vector<dns::MxHost> mx;
    std::string cname;
    bool txt_none = false, timeout = false, servfail = false;
  };

  Node& node(std::string_view name) {
    cache_.clear();
    return zone_[dns::normalize_name(name)];
  }

  dns::Answer resolve(std::string name, dns::RrType type) const {
    dns::Answer answer;
    for (int hops = 0;; ++hops) {
      const auto it = zone_.find(name);
      if (it == zone_.end()) {
        answer.status = dns::Answer::Status::kNxDomain;
        return answer;
      }
      const Node& n = it->second;
      if (n.cname.empty()) break;
      if (hops >= 8) {  // a CNAME loop: what a resolver reports as SERVFAIL
        answer.status = dns::Answer::Status::kServFail;
        return answer;
      }
      name = n.cname;
    }
    const Node& n = zone_.at(name);
    switch (type) {
      case dns::RrType::kTxt:
        answer.txt = !n.txt.empty() || n.txt_none ? n.txt : n.spf;
        break;
      case dns::RrType::kA: answer.addresses = n.a; break;
      case dns::RrType::kAaaa: answer.addresses = n.aaaa; break;
      case dns::RrType::kMx: answer.mx = n.mx; break;
      case dns::RrType::kPtr: answer.names = n.ptr; break;
    }
    const bool any = !answer.txt.empty() || !answer.addresses.empty() || !answer.mx.empty() ||
                     !answer.names.empty();
    answer.status = any           ? dns::Answer::Status::kOk
                    : n.timeout   ? dns::Answer::Status::kTimeout
                    : n.servfail  ? dns::Answer::Status::kServFail
                                  : dns::Answer::Status::kNoData;
    answer.ttl = 300;
    return answer;
  }

  std::map<std::string, Node> zone_;
  std::map<std::pair<std::string, dns::RrType>, dns::Answer> cache_;
  std::size_t queries_ = 0;
};

// Knows nothing until released: find() returns null for an answer nobody released and
// remembers that it did, so a test can check the evaluator reported every such miss.
class LazyView : public dns::DnsView {
 public:
  explicit LazyView(dns::DnsView& all) : all_(all) {}

  const dns::Answer* find(std::string_view name, dns::RrType type) override {
    auto key = std::make_pair(dns::normalize_name(name), type);
    if (released_.count(key) == 0) {
      missed_.insert(std::move(key));
      return nullptr;
    }
    return all_.find(name, type);
  }

  // Releases the answers asked for; false when one of them was already released (an
  // evaluator asking for what it was given would loop forever) or when the evaluator
  // missed an answer without asking for it.
  bool release(const std::vector<dns::Question>& needs) {
    bool ok = !needs.empty();
    std::set<std::pair<std::string, dns::RrType>> asked;
    for (const auto& q : needs) {
      auto key = std::make_pair(dns::normalize_name(q.name), q.type);
      ok &= released_.insert(key).second;
      asked.insert(std::move(key));
    }
    for (const auto& m : missed_) ok &= asked.count(m) != 0;
    missed_.clear();
    ++rounds_;
    return ok;
  }

  // After a run that returned a result: it must not have hit a missing answer.
  bool clean() {
    const bool ok = missed_.empty();
    missed_.clear();
    return ok;
  }

  std::size_t rounds() const { return rounds_; }

 private:
  dns::DnsView& all_;
  std::set<std::pair<std::string, dns::RrType>> released_;
  std::set<std::pair<std::string, dns::RrType>> missed_;
  std::size_t rounds_ = 0;
};

// Runs `evaluate(view)` the way the async driver does, releasing what it asks for, until it
// returns a result. Returns nullopt (and sets *error) when the protocol is broken.
template <class Evaluate>
auto drive_lazily(dns::DnsView& all, Evaluate&& evaluate, std::string* error,
                  std::size_t max_rounds = 64) -> decltype(evaluate(all).result) {
  LazyView lazy(all);
  for (std::size_t round = 0; round <= max_rounds; ++round) {
    auto e = evaluate(lazy);
    if (e.result) {
      if (!e.needs.empty() || !lazy.clean()) {
        if (error != nullptr) *error = "result returned with needs or after a silent miss";
        return std::nullopt;
      }
      return e.result;
    }
    if (!lazy.release(e.needs)) {
      if (error != nullptr) *error = "needs empty, repeated, or a miss was not reported";
      return std::nullopt;
    }
  }
  if (error != nullptr) *error = "too many rounds";
  return std::nullopt;
}

}  // namespace portcullis::filters::spf::testing
