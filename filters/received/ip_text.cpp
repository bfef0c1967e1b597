// SpamAssassin's textual IP grammar, scanned by hand (see ip_text.hpp). The Perl patterns
// are long alternations; what they accept reduces to the usual rules (dotted quads without
// leading zeros; IPv6 with at most one "::"), and because each alternative ends in a
// look-ahead, a match starting at a given byte can end in at most one place per
// alternative, which is what lets the scanners return ends instead of backtracking.
#include "filters/received/ip_text.hpp"

namespace portcullis::received {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_hex_or_colon(char c) { return is_hex(c) || c == ':'; }
bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool starts_with_ci(std::string_view s, std::size_t pos, std::string_view prefix) {
  if (pos > s.size() || s.size() - pos < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[pos + i]) != lower(prefix[i])) return false;
  }
  return true;
}

enum class QuadEnd { kWordBoundary, kNotHexOrColon };

// A dotted quad at text[pos]: four octets 0-255 without leading zeros. Returns its end, or
// 0 if there is none (a quad never ends at 0).
std::size_t quad_end(std::string_view text, std::size_t pos, QuadEnd rule) {
  std::size_t p = pos;
  for (int octet = 0; octet < 4; ++octet) {
    std::size_t len = 0;
    unsigned value = 0;
    while (p + len < text.size() && is_digit(text[p + len]) && len < 4) {
      value = value * 10 + static_cast<unsigned>(text[p + len] - '0');
      ++len;
    }
    if (len == 0 || len > 3 || value > 255 || (len > 1 && text[p] == '0')) return 0;
    p += len;
    if (octet < 3) {
      if (p >= text.size() || text[p] != '.') return 0;
      ++p;
    }
  }
  if (p < text.size()) {
    if (rule == QuadEnd::kWordBoundary && is_word(text[p])) return 0;
    if (rule == QuadEnd::kNotHexOrColon && is_hex_or_colon(text[p])) return 0;
  }
  return p;
}

// Splits hex/colon text around its first "::". Counts the 1-4 digit groups on each side;
// false if any group is empty or too long, or there is a second "::".
struct Groups {
  bool compressed = false;
  std::size_t before = 0, after = 0;
};
bool count_side(std::string_view side, std::size_t* count, bool (*group_ok)(std::string_view)) {
  *count = 0;
  if (side.empty()) return true;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = side.find(':', start);
    const std::string_view group = side.substr(start, colon == std::string_view::npos
                                                          ? std::string_view::npos
                                                          : colon - start);
    if (!group_ok(group)) return false;
    ++*count;
    if (colon == std::string_view::npos) return true;
    start = colon + 1;
  }
}
bool hex_group(std::string_view g) {
  if (g.empty() || g.size() > 4) return false;
  for (char c : g) {
    if (!is_hex(c)) return false;
  }
  return true;
}
bool zero_group(std::string_view g) {
  if (g.empty() || g.size() > 4) return false;
  for (char c : g) {
    if (c != '0') return false;
  }
  return true;
}
bool split_groups(std::string_view s, Groups* g, bool (*group_ok)(std::string_view)) {
  const std::size_t dc = s.find("::");
  if (dc == std::string_view::npos) {
    g->compressed = false;
    return count_side(s, &g->before, group_ok);
  }
  g->compressed = true;
  return count_side(s.substr(0, dc), &g->before, group_ok) &&
         count_side(s.substr(dc + 2), &g->after, group_ok);
}

// The part in front of an embedded dotted quad, including its final ':'.
bool mapped_prefix_ok(std::string_view prefix) {
  if (prefix.empty() || prefix.back() != ':') return false;
  Groups g;
  if (prefix.size() >= 2 && prefix.ends_with("::")) {
    // "h:h::" — the compression is the trailing pair
    if (!split_groups(prefix, &g, hex_group)) return false;
    return g.compressed && g.before + g.after <= 5;
  }
  if (!split_groups(prefix.substr(0, prefix.size() - 1), &g, hex_group)) return false;
  return g.compressed ? g.before + g.after <= 5 : g.before == 6;
}

bool pure_ipv6_ok(std::string_view s) {
  if (s.empty()) return false;
  if (s == "::") return true;
  Groups g;
  if (!split_groups(s, &g, hex_group)) return false;
  return g.compressed ? g.before + g.after <= 7 : g.before == 8;
}

// Zero groups then "ffff:" in front of a dotted quad (IP_PRIVATE and LOCALHOST).
bool zero_mapped_prefix_ok(std::string_view prefix) {
  if (prefix.size() < 5 || !starts_with_ci(prefix, prefix.size() - 5, "ffff:")) return false;
  const std::string_view zeros = prefix.substr(0, prefix.size() - 5);
  if (zeros.empty() || zeros.back() != ':') return false;
  Groups g;
  if (zeros.ends_with("::")) {
    if (!split_groups(zeros, &g, zero_group)) return false;
    return g.compressed && g.before + g.after <= 4;
  }
  if (!split_groups(zeros.substr(0, zeros.size() - 1), &g, zero_group)) return false;
  return g.compressed ? g.before + g.after <= 4 : g.before == 5;
}

// ::1 spelled with zero groups (0{0,3}1 last).
bool loopback_ipv6_ok(std::string_view s) {
  const std::size_t last_colon = s.rfind(':');
  if (last_colon == std::string_view::npos || last_colon == 0) return false;
  const std::string_view last = s.substr(last_colon + 1);
  if (last.empty() || last.size() > 4 || last.back() != '1') return false;
  for (std::size_t i = 0; i + 1 < last.size(); ++i) {
    if (last[i] != '0') return false;
  }
  const std::string_view rest = s.substr(0, last_colon + 1);  // ends with ':'
  Groups g;
  if (rest.ends_with("::")) {
    if (!split_groups(rest, &g, zero_group)) return false;
    return g.compressed && g.before + g.after <= 6;
  }
  if (!split_groups(rest.substr(0, rest.size() - 1), &g, zero_group)) return false;
  return g.compressed ? g.before + g.after <= 6 : g.before == 7;
}

// Where the IPv6 body starts at pos: after "IPv6:", or at pos when the byte before is not
// hex or ':'. npos if neither.
std::size_t ipv6_body(std::string_view text, std::size_t pos) {
  if (starts_with_ci(text, pos, "ipv6:")) return pos + 5;
  if (pos > 0 && is_hex_or_colon(text[pos - 1])) return std::string_view::npos;
  return pos;
}

std::size_t hex_colon_end(std::string_view text, std::size_t b) {
  std::size_t e = b;
  while (e < text.size() && is_hex_or_colon(text[e])) ++e;
  return e;
}

bool ipv4_start_ok(std::string_view text, std::size_t pos) {
  return pos == 0 || (!is_word(text[pos - 1]) && text[pos - 1] != ':');
}

bool private_ipv4_prefix(std::string_view s) {
  auto two_digits_in = [&](std::size_t at, int lo, int hi) {
    if (s.size() < at + 3 || !is_digit(s[at]) || !is_digit(s[at + 1]) || s[at + 2] != '.')
      return false;
    const int v = (s[at] - '0') * 10 + (s[at + 1] - '0');
    return v >= lo && v <= hi;
  };
  if (s.starts_with("10.") || s.starts_with("127.") || s.starts_with("169.254.") ||
      s.starts_with("192.168."))
    return true;
  if (s.starts_with("172.") && two_digits_in(4, 16, 31)) return true;
  if (s.starts_with("100.")) {
    if (two_digits_in(4, 64, 99)) return true;
    if (s.size() >= 8 && s[4] == '1' && is_digit(s[5]) && is_digit(s[6]) && s[7] == '.') {
      const int v = 100 + (s[5] - '0') * 10 + (s[6] - '0');
      return v <= 127;
    }
  }
  return false;
}

}  // namespace

std::size_t ip_address_ends(std::string_view text, std::size_t pos,
                            std::array<std::size_t, 3>& ends) {
  std::size_t n = 0;
  if (pos >= text.size()) return 0;
  if (is_digit(text[pos]) && ipv4_start_ok(text, pos)) {
    if (const std::size_t e = quad_end(text, pos, QuadEnd::kWordBoundary)) {
      ends[n++] = e;
      return n;  // an IPv6 reading cannot start with a dotted quad
    }
  }
  const std::size_t b = ipv6_body(text, pos);
  if (b == std::string_view::npos) return n;
  const std::size_t r = hex_colon_end(text, b);
  if (r == b) return n;
  if (r < text.size() && text[r] == '.') {
    const std::size_t last_colon = text.substr(b, r - b).rfind(':');
    if (last_colon != std::string_view::npos &&
        mapped_prefix_ok(text.substr(b, last_colon + 1))) {
      if (const std::size_t e = quad_end(text, b + last_colon + 1, QuadEnd::kNotHexOrColon))
        ends[n++] = e;
    }
  }
  if (pure_ipv6_ok(text.substr(b, r - b))) ends[n++] = r;
  return n;
}

std::size_t localhost_ends(std::string_view text, std::size_t pos,
                           std::array<std::size_t, 3>& ends) {
  std::size_t n = 0;
  if (pos >= text.size()) return 0;
  if (starts_with_ci(text, pos, "localhost")) {
    if (starts_with_ci(text, pos + 9, ".localdomain")) ends[n++] = pos + 21;
    ends[n++] = pos + 9;
    return n;
  }
  if (text.substr(pos).starts_with("127.0.0.1") && ipv4_start_ok(text, pos)) {
    const std::size_t e = pos + 9;
    if (e == text.size() || !is_word(text[e])) {
      ends[n++] = e;
      return n;
    }
  }
  const std::size_t b = ipv6_body(text, pos);
  if (b == std::string_view::npos) return n;
  const std::size_t r = hex_colon_end(text, b);
  if (r == b) return n;
  if (r < text.size() && text[r] == '.') {
    const std::size_t last_colon = text.substr(b, r - b).rfind(':');
    if (last_colon != std::string_view::npos &&
        zero_mapped_prefix_ok(text.substr(b, last_colon + 1)) &&
        text.substr(b + last_colon + 1).starts_with("127.0.0.1")) {
      const std::size_t e = b + last_colon + 1 + 9;
      if (e == text.size() || !is_hex_or_colon(text[e])) ends[n++] = e;
    }
  }
  if (loopback_ipv6_ok(text.substr(b, r - b))) ends[n++] = r;
  return n;
}

std::string_view find_ip_address(std::string_view text) {
  std::array<std::size_t, 3> ends{};
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (ip_address_ends(text, pos, ends) > 0) return text.substr(pos, ends[0] - pos);
  }
  return {};
}

bool ip_is_private(std::string_view ip) {
  if (private_ipv4_prefix(ip)) return true;
  std::string_view s = ip;
  if (starts_with_ci(s, 0, "ipv6:")) s.remove_prefix(5);
  if (s.size() >= 5 && lower(s[0]) == 'f' && lower(s[1]) == 'e' &&
      (s[2] == '8' || s[2] == '9' || lower(s[2]) == 'a' || lower(s[2]) == 'b') && is_hex(s[3]) &&
      s[4] == ':')
    return true;
  const std::size_t r = hex_colon_end(s, 0);
  if (r < s.size() && s[r] == '.') {
    const std::size_t last_colon = s.substr(0, r).rfind(':');
    if (last_colon != std::string_view::npos &&
        zero_mapped_prefix_ok(s.substr(0, last_colon + 1)) &&
        private_ipv4_prefix(s.substr(last_colon + 1)))
      return true;
  }
  return loopback_ipv6_ok(s.substr(0, r));
}

std::string clean_ip(std::string_view ip) {
  std::string_view s = ip;
  if (starts_with_ci(s, 0, "ipv6:")) s.remove_prefix(5);
  if (!s.empty() && s.front() == '[') s.remove_prefix(1);
  if (!s.empty() && s.back() == ']') s.remove_suffix(1);
  // a zone: the leftmost '%' followed only by [A-Za-z0-9._~-] to the end
  for (std::size_t p = s.find('%'); p != std::string_view::npos; p = s.find('%', p + 1)) {
    bool zone = true;
    for (std::size_t i = p + 1; i < s.size() && zone; ++i) {
      const char c = s[i];
      zone = is_word(c) || c == '.' || c == '~' || c == '-';  // [A-Z0-9._~-], any case
    }
    if (zone) {
      s = s.substr(0, p);
      break;
    }
  }
  // 0*:0*:(0*:)*ffff: in front of \d+.\d+.\d+.\d+
  std::size_t i = 0, colons = 0;
  while (i < s.size() && (s[i] == '0' || s[i] == ':')) {
    if (s[i] == ':') ++colons;
    ++i;
  }
  if (colons >= 2 && i > 0 && s[i - 1] == ':' && starts_with_ci(s, i, "ffff:")) {
    const std::string_view quad = s.substr(i + 5);
    int dots = 0;
    bool ok = !quad.empty();
    bool need_digit = true;
    for (char c : quad) {
      if (is_digit(c)) {
        need_digit = false;
      } else if (c == '.' && !need_digit && dots < 3) {
        ++dots;
        need_digit = true;
      } else {
        ok = false;
        break;
      }
    }
    if (ok && dots == 3 && !need_digit) return std::string(quad);
  }
  return std::string(s);
}

}  // namespace portcullis::received
