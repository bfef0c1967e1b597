// A DnsView over a fixed map of TXT answers, for the DKIM tests and fuzz targets (the one
// place DESIGN.md allows a fake resolver). Unlisted names are NXDOMAIN, or unknown (null)
// when `unknown_is_null` is set, to exercise the "needs more lookups" path.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "filters/dns/dns_answer.hpp"

namespace portcullis::filters::dkim::testing {

class MapDnsView : public dns::DnsView {
 public:
  explicit MapDnsView(bool unknown_is_null = false) : unknown_is_null_(unknown_is_null) {
    nxdomain_.status = dns::Answer::Status::kNxDomain;
  }

  void add_txt(std::string_view name, std::vector<std::string> records) {
    dns::Answer a;
    a.status = dns::Answer::Status::kOk;
    a.txt = std::move(records);
    answers_[dns::normalize_name(name)] = std::move(a);
  }
  void add_status(std::string_view name, dns::Answer::Status status) {
    dns::Answer a;
    a.status = status;
    answers_[dns::normalize_name(name)] = std::move(a);
  }

  const dns::Answer* find(std::string_view name, dns::RrType type) override {
    ++lookups_;
    if (type != dns::RrType::kTxt) return unknown_is_null_ ? nullptr : &nxdomain_;
    auto it = answers_.find(dns::normalize_name(name));
    if (it != answers_.end()) return &it->second;
    return unknown_is_null_ ? nullptr : &nxdomain_;
  }

  std::size_t lookups() const { return lookups_; }

 private:
  bool unknown_is_null_;
  dns::Answer nxdomain_;
  std::map<std::string, dns::Answer> answers_;
  std::size_t lookups_ = 0;
};

}  // namespace portcullis::filters::dkim::testing
