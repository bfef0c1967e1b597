#include "filters/dkim/dkim_key.hpp"

#include "filters/dkim/base64.hpp"
#include "filters/dkim/tag_list.hpp"
#include "filters/dkim/text.hpp"

namespace portcullis::filters::dkim {
namespace {

constexpr std::size_t kMaxListItems = 32;

std::vector<std::string> colon_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t pos = 0;
  while (items.size() < kMaxListItems) {
    const std::size_t colon = text.find(':', pos);
    const std::size_t end = colon == std::string_view::npos ? text.size() : colon;
    items.push_back(lower(trim_fws(text.substr(pos, end - pos))));
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  return items;
}

}  // namespace

bool DkimKey::allows(HashAlgorithm hash) const {
  if (hashes.empty()) return true;
  const std::string_view want = hash == HashAlgorithm::kSha1 ? "sha1" : "sha256";
  for (const std::string& h : hashes) {
    if (h == want) return true;
  }
  return false;
}

ParsedKey parse_key(std::string_view record) {
  ParsedKey out;
  if (record.size() > kMaxKeyRecord) {
    out.error = "key record too long";
    return out;
  }
  const TagList tags = parse_tag_list(record);
  if (!tags.ok()) {
    out.error = "malformed key record: " + tags.error;
    return out;
  }
  DkimKey& key = out.key;
  if (const Tag* v = tags.find("v")) {
    if (&tags.tags.front() != v || v->value != "DKIM1") {
      out.error = "key record v= is not DKIM1 (first)";
      return out;
    }
  }
  if (const Tag* k = tags.find("k")) {
    const std::string type = lower(k->value);
    if (type == "rsa") {
      key.type = KeyType::kRsa;
    } else if (type == "ed25519") {
      key.type = KeyType::kEd25519;
    } else {
      out.error = "unknown key type k=" + type.substr(0, 32);
      return out;
    }
  }
  if (const Tag* h = tags.find("h")) {
    key.hashes = colon_list(h->value);
  }
  if (const Tag* s = tags.find("s")) {
    bool email = false;
    for (const std::string& service : colon_list(s->value)) {
      if (service == "email" || service == "*") email = true;
    }
    if (!email) {
      out.error = "key not for email (s=)";
      return out;
    }
  }
  if (const Tag* t = tags.find("t")) {
    for (const std::string& flag : colon_list(t->value)) {
      if (flag == "y") key.testing = true;
      if (flag == "s") key.strict = true;
    }
  }
  const Tag* p = tags.find("p");
  if (p == nullptr) {
    out.error = "key record without p=";
    return out;
  }
  auto bytes = base64_decode(p->value);
  if (!bytes) {
    out.error = "key p= is not valid base64";
    return out;
  }
  key.public_key = std::move(*bytes);
  key.revoked = key.public_key.empty();
  return out;
}

}  // namespace portcullis::filters::dkim
