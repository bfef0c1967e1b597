#include "filters/dns/dns_message.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::dns {
namespace {

constexpr std::size_t kHeaderBytes = 12;
constexpr int kMaxPointers = 64;
constexpr std::size_t kMaxNameBytes = 255;
constexpr int kMaxCnameLinks = 8;
constexpr std::size_t kMaxRecords = 256;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kTypeSoa = 6;
constexpr std::uint16_t kClassIn = 1;

class Cursor {
 public:
  explicit Cursor(std::span<const std::uint8_t> message) : message_(message) {}

  bool u8(std::uint8_t& out) {
    if (pos_ + 1 > message_.size()) return false;
    out = message_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& out) {
    if (pos_ + 2 > message_.size()) return false;
    out = static_cast<std::uint16_t>((message_[pos_] << 8) | message_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& out) {
    std::uint16_t hi = 0;
    std::uint16_t lo = 0;
    if (!u16(hi) || !u16(lo)) return false;
    out = (std::uint32_t{hi} << 16) | lo;
    return true;
  }
  // A possibly compressed name at the cursor, lowercase and dot-separated, without the
  // trailing dot ("" for the root).
  bool name(std::string& out) { return read_name(pos_, out); }
  // Same at an offset inside rdata; `at` moves past the name.
  bool name_at(std::size_t& at, std::string& out) { return read_name(at, out); }

  std::size_t pos() const { return pos_; }
  void seek(std::size_t pos) { pos_ = pos; }
  std::size_t size() const { return message_.size(); }
  std::uint8_t at(std::size_t i) const { return message_[i]; }

 private:
  bool read_name(std::size_t& cursor, std::string& out) {
    out.clear();
    std::size_t at = cursor;
    std::optional<std::size_t> resume;  // where the cursor goes after the first pointer
    std::size_t wire_bytes = 1;         // the root label
    for (int pointers = 0;;) {
      if (at >= message_.size()) return false;
      const std::uint8_t len = message_[at];
      if ((len & 0xC0) == 0xC0) {
        if (at + 1 >= message_.size() || ++pointers > kMaxPointers) return false;
        const std::size_t target = (static_cast<std::size_t>(len & 0x3F) << 8) | message_[at + 1];
        if (!resume) resume = at + 2;
        if (target >= at) return false;  // only backwards: no loops
        at = target;
        continue;
      }
      if ((len & 0xC0) != 0) return false;  // extended label types are not used
      if (len == 0) {
        at += 1;
        break;
      }
      if (at + 1 + len > message_.size()) return false;
      wire_bytes += 1 + len;
      if (wire_bytes > kMaxNameBytes) return false;
      if (!out.empty()) out += '.';
      for (std::size_t i = 0; i < len; ++i) {
        char c = static_cast<char>(message_[at + 1 + i]);
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        out += c;
      }
      at += 1 + len;
    }
    cursor = resume ? *resume : at;
    return true;
  }

  std::span<const std::uint8_t> message_;
  std::size_t pos_ = 0;
};

struct Record {
  std::string owner;
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::size_t rdata = 0;  // offset in the message
  std::uint16_t rdlength = 0;
};

bool read_record(Cursor& c, Record& r) {
  std::uint16_t rclass = 0;
  if (!c.name(r.owner) || !c.u16(r.type) || !c.u16(rclass) || !c.u32(r.ttl) ||
      !c.u16(r.rdlength)) {
    return false;
  }
  r.rdata = c.pos();
  if (r.rdata + r.rdlength > c.size()) return false;
  c.seek(r.rdata + r.rdlength);
  // A TTL with the top bit set is read as 0 (RFC 2181 8).
  if (r.ttl > 0x7FFFFFFFu) r.ttl = 0;
  if (rclass != kClassIn) r.type = 0;  // ignored below
  return true;
}

Answer broken() {
  Answer a;
  a.status = Answer::Status::kServFail;
  return a;
}

// Adds one record's data to the answer; false if the rdata is malformed.
bool take(Cursor& c, const Record& r, RrType type, Answer& out) {
  switch (type) {
    case RrType::kA: {
      if (r.rdlength != 4) return false;
      config::IpAddress ip;
      ip.is_v4 = true;
      ip.bytes[10] = 0xFF;
      ip.bytes[11] = 0xFF;
      for (int i = 0; i < 4; ++i) ip.bytes[12 + i] = c.at(r.rdata + i);
      out.addresses.push_back(ip);
      return true;
    }
    case RrType::kAaaa: {
      if (r.rdlength != 16) return false;
      config::IpAddress ip;
      for (int i = 0; i < 16; ++i) ip.bytes[i] = c.at(r.rdata + i);
      // An IPv4-mapped AAAA is still an IPv6 answer; is_v4 marks it as the cidr code does.
      ip.is_v4 = std::all_of(ip.bytes.begin(), ip.bytes.begin() + 10, [](auto b) { return b == 0; }) &&
                 ip.bytes[10] == 0xFF && ip.bytes[11] == 0xFF;
      out.addresses.push_back(ip);
      return true;
    }
    case RrType::kTxt: {
      std::string text;
      std::size_t at = r.rdata;
      const std::size_t end = r.rdata + r.rdlength;
      while (at < end) {
        const std::size_t len = c.at(at);
        if (at + 1 + len > end) return false;
        for (std::size_t i = 0; i < len; ++i) text += static_cast<char>(c.at(at + 1 + i));
        at += 1 + len;
      }
      out.txt.push_back(std::move(text));
      return true;
    }
    case RrType::kMx: {
      if (r.rdlength < 3) return false;
      MxHost mx;
      mx.preference = static_cast<std::uint16_t>((c.at(r.rdata) << 8) | c.at(r.rdata + 1));
      std::size_t at = r.rdata + 2;
      if (!c.name_at(at, mx.host) || at != r.rdata + r.rdlength) return false;
      out.mx.push_back(std::move(mx));
      return true;
    }
    case RrType::kPtr: {
      std::string target;
      std::size_t at = r.rdata;
      if (!c.name_at(at, target) || at != r.rdata + r.rdlength) return false;
      out.names.push_back(std::move(target));
      return true;
    }
  }
  return false;
}

}  // namespace

Answer parse_response(std::span<const std::uint8_t> message, std::string_view name, RrType type,
                      std::uint32_t negative_ttl_cap) {
  if (message.size() < kHeaderBytes) return broken();
  Cursor c(message);
  std::uint16_t id = 0, flags = 0, qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  c.u16(id);
  c.u16(flags);
  c.u16(qdcount);
  c.u16(ancount);
  c.u16(nscount);
  c.u16(arcount);
  if ((flags & 0x8000) == 0) return broken();  // not a response
  if (flags & 0x0200) return broken();         // truncated: c-ares retries over TCP first
  const int rcode = flags & 0x000F;
  if (rcode != 0 && rcode != 3) return broken();  // SERVFAIL, REFUSED, FORMERR, …
  if (std::size_t{ancount} + nscount > kMaxRecords) return broken();

  for (int i = 0; i < qdcount; ++i) {
    std::string qname;
    std::uint16_t qtype = 0, qclass = 0;
    if (!c.name(qname) || !c.u16(qtype) || !c.u16(qclass)) return broken();
  }
  std::vector<Record> answers(ancount);
  for (auto& r : answers) {
    if (!read_record(c, r)) return broken();
  }
  std::optional<std::uint32_t> soa_negative;
  for (int i = 0; i < nscount; ++i) {
    Record r;
    if (!read_record(c, r)) return broken();
    if (r.type != kTypeSoa) continue;
    // SOA rdata: mname, rname, serial, refresh, retry, expire, minimum.
    std::size_t at = r.rdata;
    std::string skip;
    if (!c.name_at(at, skip) || !c.name_at(at, skip) || at + 20 != r.rdata + r.rdlength) {
      return broken();
    }
    const std::size_t m = at + 16;
    const std::uint32_t minimum = (std::uint32_t{c.at(m)} << 24) | (std::uint32_t{c.at(m + 1)} << 16) |
                                  (std::uint32_t{c.at(m + 2)} << 8) | c.at(m + 3);
    soa_negative = std::min(r.ttl, minimum);
  }

  // Follow the CNAME chain from the name asked.
  std::string current = normalize_name(name);
  std::uint32_t ttl = 0xFFFFFFFFu;
  for (int links = 0;; ++links) {
    const auto cname = std::find_if(answers.begin(), answers.end(), [&](const Record& r) {
      return r.type == kTypeCname && r.owner == current;
    });
    if (cname == answers.end()) break;
    if (links >= kMaxCnameLinks) return broken();
    std::size_t at = cname->rdata;
    std::string target;
    if (!c.name_at(at, target)) return broken();
    ttl = std::min(ttl, cname->ttl);
    current = std::move(target);
  }

  Answer out;
  for (const Record& r : answers) {
    if (r.type != static_cast<std::uint16_t>(type) || r.owner != current) continue;
    if (!take(c, r, type, out)) return broken();
    ttl = std::min(ttl, r.ttl);
  }
  if (!out.txt.empty() || !out.addresses.empty() || !out.mx.empty() || !out.names.empty()) {
    out.status = Answer::Status::kOk;
    out.ttl = ttl;
    return out;
  }
  out.status = rcode == 3 ? Answer::Status::kNxDomain : Answer::Status::kNoData;
  out.ttl = std::min(soa_negative.value_or(negative_ttl_cap), negative_ttl_cap);
  return out;
}

}  // namespace portcullis::dns
