// The Organizational Domain of a DNS name (RFC 7489 3.2): the public suffix plus one label,
// from the Public Suffix List through libpsl. One OrgDomain is loaded at start-up (from a
// file, or the distribution's latest list) and shared: lookups are const and safe to run
// from several threads at once (libpsl only reads its context; lowercasing allocates per call).
// Untrusted input: the names asked about (From domains, DKIM d=, SPF domains): any bytes.
// Names are lowercased (psl_str_to_utf8lower) and must be dot-separated non-empty labels,
// at most 253 bytes, one trailing dot allowed; anything else has no organizational domain.
// Choices: both PSL sections count (ICANN and private, e.g. foo.github.io is its own
// organization), as in OpenDMARC; a name under a TLD missing from the list (*.test) follows
// the PSL's implicit "*" rule: one label under the TLD (mail.nodmarc.test -> nodmarc.test);
// a name that is itself a public suffix ("co.uk") is its own organizational domain.
// Gaps: U-labels are lowercased but not converted to A-labels (the PSL lookup of a UTF-8 name
// works, DNS queries for it would not); the list is whatever file was loaded (Debian's is
// from 2023); no reload in place (build a new OrgDomain and swap the snapshot).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct psl_ctx_st;

namespace portcullis::filters::dmarc {

class OrgDomain {
 public:
  // Loads a list in the publicsuffix.org text format. Throws std::runtime_error when the file
  // cannot be read or holds no rule (a start-up configuration failure).
  static OrgDomain from_file(const std::string& path);
  // The newest of the distribution file (/usr/share/publicsuffix) and the data built into
  // libpsl. Throws std::runtime_error when neither is available.
  static OrgDomain latest();
  // The data built into libpsl (may be older than latest()).
  static OrgDomain builtin();

  // Lowercase organizational domain of `domain`, or nullopt when `domain` is not a usable
  // DNS name (empty, empty label, too long, control characters, invalid UTF-8).
  std::optional<std::string> organizational_domain(std::string_view domain) const;
  // Lowercase, trailing dot dropped, syntax checked as above; nullopt when unusable.
  static std::optional<std::string> normalize(std::string_view domain);
  // Number of rules in the loaded list (for start-up logs and tests).
  int rule_count() const;

  OrgDomain(OrgDomain&&) noexcept = default;
  OrgDomain& operator=(OrgDomain&&) noexcept = default;

 private:
  struct Free {
    bool owned = true;
    void operator()(psl_ctx_st* ctx) const;
  };
  explicit OrgDomain(std::unique_ptr<psl_ctx_st, Free> ctx) : ctx_(std::move(ctx)) {}
  std::unique_ptr<psl_ctx_st, Free> ctx_;
};

}  // namespace portcullis::filters::dmarc
