#include "filters/dkim/dkim_verifier.hpp"

#include "filters/dkim/key_cache.hpp"

#include <algorithm>
#include <utility>

#include "filters/dkim/canonicalization.hpp"
#include "filters/dkim/crypto.hpp"
#include "filters/dkim/dkim_key.hpp"
#include "filters/dkim/text.hpp"

namespace portcullis::filters::dkim {
namespace {

using Code = DkimResult::Code;

std::string_view hash_name(HashAlgorithm h) { return h == HashAlgorithm::kSha1 ? "sha1" : "sha256"; }

std::string_view domain_of_identity(std::string_view identity) {
  const std::size_t at = identity.rfind('@');
  return at == std::string_view::npos ? identity : identity.substr(at + 1);
}

DkimResult with(DkimResult r, Code code, std::string reason) {
  r.code = code;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

Verifier::Verifier(std::string_view message, VerifyOptions options)
    : message_(message), options_(options), view_(split_message(message)) {
  for (std::size_t i = 0; i < view_.fields.size(); ++i) {
    if (!iequals(view_.fields[i].name, "dkim-signature")) continue;
    Entry entry;
    entry.field = i;
    entry.parsed = parse_signature(view_.fields[i].value);
    const DkimSignature& sig = entry.parsed.signature;
    const DkimResult base = base_result(entry);
    if (entries_.size() >= options_.max_signatures) {
      entry.decided = with(base, Code::kNeutral,
                           "not checked (more than " + std::to_string(options_.max_signatures) +
                               " signatures)");
    } else if (view_.truncated) {
      entry.decided = with(base, Code::kPermerror, "message header exceeds limits");
    } else if (!entry.parsed.ok()) {
      entry.decided = with(base, Code::kPermerror, entry.parsed.error);
    } else if (sig.algorithm == SignatureAlgorithm::kRsaSha1) {
      entry.decided = with(base, Code::kPolicy, "rsa-sha1 not acceptable (RFC 8301)");
    } else if (!sig.from_signed) {
      entry.decided = with(base, Code::kPolicy, "From not signed");
    } else if (sig.expiration && *sig.expiration < options_.now - options_.clock_skew) {
      entry.decided = with(base, Code::kFail, "signature expired");
    } else if (sig.timestamp && *sig.timestamp > options_.now + options_.clock_skew) {
      entry.decided = with(base, Code::kFail, "signature timestamp in the future");
    }
    if (!entry.decided) {
      const BodyHashKey key{sig.body_canon, hash_of(sig.algorithm), sig.body_length};
      auto it = std::find_if(body_hashes_.begin(), body_hashes_.end(),
                             [&](const BodyHash& b) { return b.key == key; });
      entry.body_hash = static_cast<std::size_t>(it - body_hashes_.begin());
      if (it == body_hashes_.end()) body_hashes_.push_back(BodyHash{key, {}, 0});
    }
    entries_.push_back(std::move(entry));
  }
}

DkimResult Verifier::base_result(const Entry& entry) const {
  DkimResult r;
  const ParsedSignature& p = entry.parsed;
  r.domain = p.domain;
  r.selector = p.selector;
  r.algorithm = p.algorithm;
  r.signature_b = p.b;
  r.identity = p.ok() ? p.signature.identity : (p.domain.empty() ? "" : "@" + p.domain);
  return r;
}

std::vector<dns::Question> Verifier::key_questions() const {
  std::vector<dns::Question> out;
  for (const Entry& e : entries_) {
    if (e.decided) continue;
    dns::Question q{e.parsed.signature.key_name(), dns::RrType::kTxt};
    if (std::find(out.begin(), out.end(), q) == out.end()) out.push_back(std::move(q));
  }
  return out;
}

void Verifier::hash_bodies() {
  if (bodies_hashed_) return;
  bodies_hashed_ = true;
  for (BodyHash& b : body_hashes_) {
    Hasher hasher(b.key.hash);
    BodyCanonicalizer canon(b.key.canon, b.key.limit,
                            [&hasher](std::string_view chunk) { hasher.update(chunk); });
    canon.feed(view_.body);
    canon.finish();
    b.digest = hasher.finish();
    b.canonical_length = canon.canonical_length();
  }
}

std::vector<std::uint8_t> Verifier::header_digest(const Entry& entry) const {
  const DkimSignature& sig = entry.parsed.signature;
  const HeaderField& self = view_.fields[entry.field];
  Hasher hasher(hash_of(sig.algorithm));
  std::string buf;
  for (const HeaderField* f : select_headers(view_.fields, sig.headers, &self)) {
    if (f == nullptr) continue;  // over-signed: the null string
    buf.clear();
    canonicalize_header(sig.header_canon, f->raw, buf);
    buf.append("\r\n");
    hasher.update(buf);
  }
  // The signature field itself, b= value deleted, no trailing CRLF (RFC 6376 3.7).
  const auto value_offset = static_cast<std::size_t>(self.value.data() - self.raw.data());
  std::string stripped;
  stripped.reserve(self.raw.size());
  stripped.append(self.raw.substr(0, value_offset + sig.b_value_begin));
  stripped.append(self.raw.substr(value_offset + sig.b_value_end));
  buf.clear();
  canonicalize_header(sig.header_canon, stripped, buf);
  hasher.update(buf);
  return hasher.finish();
}

DkimResult Verifier::check(const Entry& entry, const dns::Answer& answer) const {
  const DkimSignature& sig = entry.parsed.signature;
  const DkimResult base = base_result(entry);
  if (answer.temporary()) return with(base, Code::kTemperror, "key lookup failed (temporary)");
  if (!answer.ok() || answer.txt.empty()) return with(base, Code::kPermerror, "no key for signature");

  std::optional<DkimKey> key;
  std::string first_error;
  for (std::size_t i = 0; i < answer.txt.size() && i < kMaxKeyRecords; ++i) {
    ParsedKey parsed = parse_key(answer.txt[i]);
    if (parsed.ok()) {
      key = std::move(parsed.key);
      break;
    }
    if (first_error.empty()) first_error = parsed.error;
  }
  if (!key) return with(base, Code::kPermerror, first_error);

  if (key->revoked) return with(base, Code::kFail, "key revoked");
  if (key->type != key_type_of(sig.algorithm)) {
    return with(base, Code::kPermerror, "key type k= does not match a=");
  }
  const HashAlgorithm hash = hash_of(sig.algorithm);
  if (!key->allows(hash)) {
    return with(base, Code::kPermerror,
                "key h= does not allow " + std::string(hash_name(hash)));
  }
  if (key->strict && lower(domain_of_identity(sig.identity)) != sig.domain) {
    return with(base, Code::kPermerror, "i= domain must equal d= (key t=s)");
  }
  std::string key_error;
  const std::shared_ptr<const PublicKey> public_key =
      cached_public_key(key->type, key->public_key, key_error);
  if (!public_key) return with(base, Code::kPermerror, key_error);
  if (public_key->type() == KeyType::kRsa &&
      public_key->bits() < static_cast<int>(options_.min_rsa_bits)) {
    return with(base, Code::kPolicy,
                "key too short (" + std::to_string(public_key->bits()) + " bits)");
  }

  DkimResult r = base;
  r.key_testing = key->testing;
  const BodyHash& body = body_hashes_[entry.body_hash];
  if (sig.body_length && *sig.body_length > body.canonical_length) {
    return with(r, Code::kFail, "body shorter than l=");
  }
  r.body_truncated = sig.body_length && *sig.body_length < body.canonical_length;
  if (body.digest != sig.body_hash) return with(r, Code::kFail, "body hash mismatch");
  if (!public_key->verify(hash, header_digest(entry), sig.signature)) {
    return with(r, Code::kFail, "signature did not verify");
  }
  return with(r, Code::kPass, r.body_truncated ? "pass (l= leaves part of the body unsigned)"
                                               : "pass");
}

std::vector<DkimResult> Verifier::run(dns::DnsView& keys, bool unknown_is_error,
                                      std::vector<dns::Question>* needs) {
  std::vector<DkimResult> results;
  results.reserve(entries_.size());
  for (const Entry& e : entries_) {
    if (e.decided) {
      results.push_back(*e.decided);
      continue;
    }
    const std::string name = e.parsed.signature.key_name();
    const dns::Answer* answer = keys.find(name, dns::RrType::kTxt);
    if (answer == nullptr) {
      if (needs != nullptr) {
        dns::Question q{name, dns::RrType::kTxt};
        if (std::find(needs->begin(), needs->end(), q) == needs->end()) {
          needs->push_back(std::move(q));
        }
      }
      if (unknown_is_error) {
        results.push_back(with(base_result(e), Code::kTemperror, "key not looked up"));
      }
      continue;
    }
    if (needs != nullptr && !needs->empty()) continue;  // results are discarded anyway
    hash_bodies();
    results.push_back(check(e, *answer));
  }
  return results;
}

dns::Evaluation<std::vector<DkimResult>> Verifier::evaluate(dns::DnsView& keys) {
  std::vector<dns::Question> needs;
  std::vector<DkimResult> results = run(keys, false, &needs);
  if (!needs.empty()) return dns::Evaluation<std::vector<DkimResult>>::need(std::move(needs));
  return dns::Evaluation<std::vector<DkimResult>>::done(std::move(results));
}

std::vector<DkimResult> Verifier::verify(dns::DnsView& keys) { return run(keys, true, nullptr); }

}  // namespace portcullis::filters::dkim
