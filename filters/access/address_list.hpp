// A set of envelope-address patterns for the access lists:
//   "user@example.org"  that address (local part and domain compared case-insensitively)
//   "@example.org"      any address at exactly that domain
//   "@.example.org"     any address at a subdomain of example.org (not example.org itself)
//   "<>"                the null sender (meaningful in sender lists only)
// A lookup costs one hash lookup for the full address, one for the domain and one per parent
// domain, whatever the list's size.
// Untrusted input: the envelope address looked up (the client's MAIL/RCPT path, as the
// SMTP parser left it: no <>, no source route). The entries are the operator's config text,
// validated here. Matching lower-cases ASCII letters in the whole address and ignores one
// trailing dot on the domain; nothing else is normalised.
// Gaps: quoted local parts are compared as written ("\"a b\"@x" ≠ "a\ b@x"); no address
// literals ("user@[192.0.2.1]") and no UTF-8 in entries (domains as A-labels, "xn--...");
// no sub-addressing ("user+tag@" is a different address); an address without a domain
// ("postmaster") matches no entry.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace portcullis::filters::access {

class AddressList {
 public:
  // `allow_null_sender`: whether "<>" is a valid entry (sender lists).
  explicit AddressList(bool allow_null_sender) : allow_null_sender_(allow_null_sender) {}

  // Adds one entry; on a malformed one returns false and why_not says what was expected.
  bool add(std::string_view entry, std::string& why_not);
  // The entry (as the operator wrote it) matching `address` ("" = the null sender), or null.
  // A full address entry is preferred over a domain entry, a domain over a parent domain.
  const std::string* find(std::string_view address) const;
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using Table = std::unordered_map<std::string, std::string, Hash, std::equal_to<>>;

  bool allow_null_sender_;
  std::optional<std::string> null_sender_;  // the "<>" entry, when listed
  Table addresses_;                         // "user@example.org" → entry
  Table domains_;                           // "example.org" → entry
  Table parent_domains_;                    // "example.org" (from "@.example.org") → entry
  std::size_t size_ = 0;
};

}  // namespace portcullis::filters::access
