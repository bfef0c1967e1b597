#include "filters/api/auth_results.hpp"

#include <algorithm>

namespace portcullis::filters {
namespace {

constexpr std::string_view kHeaderName = "Authentication-Results";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lx = (x >= 'A' && x <= 'Z') ? static_cast<char>(x - 'A' + 'a') : x;
           const auto ly = (y >= 'A' && y <= 'Z') ? static_cast<char>(y - 'A' + 'a') : y;
           return lx == ly;
         });
}

// RFC 2045 tspecials, plus space and controls: what a token may not hold.
bool is_token_char(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b <= 0x20 || b >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

AuthResults& slot_of(Transaction& txn, std::string_view authserv_id) {
  if (txn.results.get<AuthResults>() == nullptr) {
    AuthResults fresh;
    fresh.authserv_id = std::string(authserv_id);
    txn.results.set(std::move(fresh));
  }
  return *txn.results.get<AuthResults>();
}

std::string header_value(const AuthResults& results) {
  std::string value = results.authserv_id;
  std::size_t written = 0;
  for (AuthMethod method : {AuthMethod::kSpf, AuthMethod::kDkim, AuthMethod::kDmarc}) {
    bool any = false;
    for (const AuthEntry& e : results.entries) {
      if (e.method != method) continue;
      value.append("; ").append(e.resinfo);
      any = true;
      ++written;
    }
    if (!any && method == AuthMethod::kDkim && results.dkim_ran) {
      value.append("; dkim=none");
      ++written;
    }
  }
  if (written == 0) value += "; none";
  return value;
}

void rewrite_header(Transaction& txn, const AuthResults& results) {
  std::string value = header_value(results);
  for (Header& h : txn.add_headers) {
    if (h.name == kHeaderName) {
      h.value = std::move(value);
      return;
    }
  }
  txn.add_headers.push_back(Header{std::string(kHeaderName), std::move(value)});
}

}  // namespace

void add_auth_result(Transaction& txn, std::string_view authserv_id, AuthEntry entry) {
  AuthResults& results = slot_of(txn, authserv_id);
  if (entry.method == AuthMethod::kDkim) results.dkim_ran = true;
  results.entries.push_back(std::move(entry));
  rewrite_header(txn, results);
}

void mark_dkim_ran(Transaction& txn, std::string_view authserv_id) {
  AuthResults& results = slot_of(txn, authserv_id);
  results.dkim_ran = true;
  rewrite_header(txn, results);
}

std::string auth_report_json(const Transaction& txn) {
  const AuthResults* results = txn.results.get<AuthResults>();
  if (results == nullptr) return "";
  std::string out = "{";
  const auto add = [&](std::string_view key, std::string_view json) {
    if (out.size() > 1) out += ',';
    out.append("\"").append(key).append("\":").append(json);
  };
  for (const AuthEntry& e : results->entries) {
    if (e.method == AuthMethod::kSpf && !e.json.empty()) add("spf", e.json);
  }
  if (results->dkim_ran) {
    std::string list = "[";
    for (const AuthEntry& e : results->entries) {
      if (e.method != AuthMethod::kDkim || e.json.empty()) continue;
      if (list.size() > 1) list += ',';
      list += e.json;
    }
    list += ']';
    add("dkim", list);
  }
  for (const AuthEntry& e : results->entries) {
    if (e.method == AuthMethod::kDmarc && !e.json.empty()) add("dmarc", e.json);
  }
  out += '}';
  return out;
}

std::string auth_value(std::string_view text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), is_token_char)) {
    return std::string(text);
  }
  std::string out = "\"";
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b >= 0x7f) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

bool claims_authserv_id(std::string_view field, std::string_view authserv_id) {
  const std::size_t colon = field.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  if (!iequals(name, kHeaderName)) return false;
  std::size_t i = colon + 1;
  // Skip CFWS: folding white space and (possibly nested) comments.
  for (int depth = 0; i < field.size(); ++i) {
    const char c = field[i];
    if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      break;
    }
  }
  std::string id;
  if (i < field.size() && field[i] == '"') {
    for (++i; i < field.size() && field[i] != '"'; ++i) {
      if (field[i] == '\\' && i + 1 < field.size()) ++i;
      id += field[i];
    }
  } else {
    while (i < field.size() && is_token_char(field[i])) id += field[i++];
  }
  return !id.empty() && iequals(id, authserv_id);
}

}  // namespace portcullis::filters
