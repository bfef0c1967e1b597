// The context filters see. Session (the connection: client address, HELO, later TLS and
// auth) lives as long as the connection; Transaction (envelope, message, results, headers to
// add) is dropped by RSET and after each message. Untrusted: everything the client sent.
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "config/cidr.hpp"
#include "filters/api/verdict.hpp"

namespace portcullis::filters {

struct Session {
  std::string id;              // the connection's log tag ("s1f"); "" offline (scan)
  config::IpAddress client_ip;
  std::string client_ip_text;  // "192.0.2.7"
  std::uint16_t client_port = 0;
  std::string helo;            // as sent with HELO/EHLO ("" before)
  bool esmtp = false;
  // The authenticated SMTP user ("" none) and the TLS protocol of the client's connection
  // ("" plain text), as the front door knows them: at the milter front door the MTA's
  // {auth_authen} and {tls_version} macros.
  std::string auth_user;
  std::string tls_version;
  std::string local_hostname;  // our own name (config hostname)
  std::vector<config::IpAddress> local_ips;  // addresses of our listeners, for HELO checks
  // Symbols earned by the connection itself (connect, HELO); counted in every transaction.
  std::vector<Symbol> symbols;
  // Pipeline bookkeeping: where the last HELO's symbols start in `symbols`. A new HELO/EHLO
  // (RFC 5321 4.1.4; again after STARTTLS) replaces them instead of counting them twice.
  std::optional<std::size_t> helo_symbols_begin;
  // A quarantine asked for at connect or HELO: holds every message of the session. Set by
  // the pipeline (first one wins).
  std::optional<Verdict> quarantine;
  // Filters build their report sections (`portcullis scan --json`: "auth", …) only when
  // asked: the proxy never prints them.
  bool report = false;
};

struct Header {
  std::string name;
  std::string value;
};

// Results of one filter for later ones, by type: a filter defines its own result struct and
// reads or writes it here (DMARC reads SpfResult and DkimResult), never strings.
class ResultSlots {
 public:
  template <class T>
  void set(T value) {
    slots_[std::type_index(typeid(T))] = std::move(value);
  }
  template <class T>
  const T* get() const {
    auto it = slots_.find(std::type_index(typeid(T)));
    return it == slots_.end() ? nullptr : std::any_cast<T>(&it->second);
  }
  template <class T>
  T* get() {
    auto it = slots_.find(std::type_index(typeid(T)));
    return it == slots_.end() ? nullptr : std::any_cast<T>(&it->second);
  }
  void clear() { slots_.clear(); }

 private:
  std::unordered_map<std::type_index, std::any> slots_;
};

struct Transaction {
  std::string mail_from;                // path without <>; "" for the null sender
  std::vector<std::string> recipients;  // accepted so far
  std::string current_rcpt;             // the one being decided at the rcpt stage
  std::string message;                  // unstuffed, CRLF lines; filled at end of message
  std::vector<Symbol> symbols;
  std::vector<Header> add_headers;      // filters' own headers (Authentication-Results …)
  ResultSlots results;
  // A quarantine asked for at MAIL, RCPT, DATA or end of message; set by the pipeline (first
  // one wins), honoured by Pipeline::decide.
  std::optional<Verdict> quarantine;
};

}  // namespace portcullis::filters
