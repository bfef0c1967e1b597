#include "filters/dmarc/dmarc_record.hpp"

#include <limits>

#include "filters/dmarc/dmarc_text.hpp"

namespace portcullis::filters::dmarc {
namespace {

constexpr std::string_view kVersion = "DMARC1";

// Where the v=DMARC1 tag ends, or npos when `txt` does not start with it.
std::size_t version_end(std::string_view txt) {
  std::size_t i = 0;
  while (i < txt.size() && is_wsp(txt[i])) ++i;
  if (i >= txt.size() || (txt[i] != 'v' && txt[i] != 'V')) return std::string_view::npos;
  ++i;
  while (i < txt.size() && is_wsp(txt[i])) ++i;
  if (i >= txt.size() || txt[i] != '=') return std::string_view::npos;
  ++i;
  while (i < txt.size() && is_wsp(txt[i])) ++i;
  if (txt.substr(i, kVersion.size()) != kVersion) return std::string_view::npos;
  i += kVersion.size();
  // "v=DMARC10" is another version, not DMARC1.
  if (i < txt.size() && !is_wsp(txt[i]) && txt[i] != ';') return std::string_view::npos;
  return i;
}

std::optional<Policy> parse_policy(std::string_view v) {
  if (iequals(v, "none")) return Policy::kNone;
  if (iequals(v, "quarantine")) return Policy::kQuarantine;
  if (iequals(v, "reject")) return Policy::kReject;
  return std::nullopt;
}

std::optional<Alignment> parse_alignment(std::string_view v) {
  if (iequals(v, "r")) return Alignment::kRelaxed;
  if (iequals(v, "s")) return Alignment::kStrict;
  return std::nullopt;
}

// 1*DIGIT up to `max`; nullopt on anything else or overflow.
std::optional<std::uint64_t> parse_number(std::string_view v, std::uint64_t max) {
  if (v.empty() || v.size() > 20) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v) {
    if (!is_digit(c)) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (max - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

bool uri_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case ',': case '!': case ';': case '<': case '>': case '"': case '{': case '}':
    case '|': case '\\': case '^': case '`':
      return false;
    default:
      return true;
  }
}

// dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (RFC 7489 6.4).
std::optional<ReportUri> parse_uri(std::string_view text, std::size_t max_length) {
  if (text.empty() || text.size() > max_length) return std::nullopt;
  ReportUri out;
  const std::size_t bang = text.find('!');
  std::string_view uri = text.substr(0, bang);
  if (bang != std::string_view::npos) {
    std::string_view size = text.substr(bang + 1);
    std::uint64_t unit = 1;
    if (!size.empty() && !is_digit(size.back())) {
      switch (ascii_lower(size.back())) {
        case 'k': unit = 1ULL << 10; break;
        case 'm': unit = 1ULL << 20; break;
        case 'g': unit = 1ULL << 30; break;
        case 't': unit = 1ULL << 40; break;
        default: return std::nullopt;
      }
      size.remove_suffix(1);
    }
    const auto n = parse_number(size, std::numeric_limits<std::uint64_t>::max() / unit);
    if (!n) return std::nullopt;
    out.max_bytes = *n * unit;
  }
  // scheme ":" something (RFC 3986 3.1)
  const std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= uri.size()) return std::nullopt;
  if (!is_alpha(uri[0])) return std::nullopt;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = uri[i];
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
  }
  for (char c : uri) {
    if (!uri_char(c)) return std::nullopt;
  }
  out.uri = std::string(uri);
  return out;
}

void parse_uri_list(std::string_view value, const RecordLimits& limits,
                    std::vector<ReportUri>& out, std::size_t& dropped) {
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t comma = value.find(',', start);
    const std::string_view item =
        trim(value.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                 : comma - start));
    if (!item.empty()) {
      auto uri = parse_uri(item, limits.max_uri_length);
      if (uri && out.size() < limits.max_uris) {
        out.push_back(std::move(*uri));
      } else {
        ++dropped;
      }
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

// Colon-separated keyword lists (fo=, rf=); false on an empty or malformed element.
template <class Accept>
bool parse_colon_list(std::string_view value, std::vector<std::string>& out, Accept accept) {
  out.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = value.find(':', start);
    const std::string_view item =
        trim(value.substr(start, colon == std::string_view::npos ? std::string_view::npos
                                                                 : colon - start));
    if (item.empty() || !accept(item)) return false;
    out.push_back(ascii_lower(item));
    if (colon == std::string_view::npos) return true;
    start = colon + 1;
  }
}

bool valid_tag_name(std::string_view name) {
  if (name.empty() || !is_alpha(name[0])) return false;
  for (char c : name) {
    if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
  }
  return true;
}

ParsedRecord invalid(std::string reason) {
  ParsedRecord out;
  out.status = ParsedRecord::Status::kInvalid;
  out.reason = std::move(reason);
  return out;
}

std::string bad_value(std::string_view tag, std::string_view value) {
  std::string r = "invalid ";
  r.append(tag).append("= value \"").append(excerpt(value)).append("\"");
  return r;
}

}  // namespace

std::string_view to_string(Policy p) {
  switch (p) {
    case Policy::kNone: return "none";
    case Policy::kQuarantine: return "quarantine";
    case Policy::kReject: return "reject";
  }
  return "none";
}

std::string_view to_string(Alignment a) {
  return a == Alignment::kStrict ? "strict" : "relaxed";
}

bool starts_with_dmarc_version(std::string_view txt) {
  return version_end(txt) != std::string_view::npos;
}

ParsedRecord parse_dmarc_record(std::string_view txt, const RecordLimits& limits) {
  const std::size_t vend = version_end(txt);
  if (vend == std::string_view::npos) return {};
  if (txt.size() > limits.max_length) {
    return invalid("record too long (" + std::to_string(txt.size()) + " bytes, limit " +
                   std::to_string(limits.max_length) + ")");
  }

  std::string_view rest = txt.substr(vend);
  {
    const std::size_t semi = rest.find(';');
    if (!trim(rest.substr(0, semi)).empty()) return invalid("expected ';' after v=DMARC1");
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
  }

  DmarcRecord rec;
  std::optional<Policy> p, sp;
  std::string policy_error;  // first problem with p= or sp=
  bool seen_p = false, seen_sp = false, seen_pct = false, seen_adkim = false, seen_aspf = false;
  bool seen_rua = false, seen_ruf = false, seen_fo = false, seen_rf = false, seen_ri = false;
  std::size_t tags = 1;  // v=

  std::size_t start = 0;
  while (start <= rest.size()) {
    const std::size_t semi = rest.find(';', start);
    const std::string_view spec = trim(
        rest.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start));
    start = semi == std::string_view::npos ? rest.size() + 1 : semi + 1;
    if (spec.empty()) continue;
    if (++tags > limits.max_tags) {
      return invalid("too many tags (limit " + std::to_string(limits.max_tags) + ")");
    }
    const std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos) return invalid("malformed tag \"" + excerpt(spec) + "\"");
    const std::string name = ascii_lower(trim(spec.substr(0, eq)));
    const std::string_view value = trim(spec.substr(eq + 1));
    if (!valid_tag_name(name)) return invalid("malformed tag name \"" + excerpt(name) + "\"");

    auto once = [&](bool& seen) {
      if (seen) return false;
      seen = true;
      return true;
    };
    auto duplicate = [&] { return invalid("duplicate tag " + name + "="); };

    if (name == "v") {
      return invalid("duplicate tag v=");
    } else if (name == "p") {
      if (!once(seen_p)) return duplicate();
      p = parse_policy(value);
      if (!p && policy_error.empty()) policy_error = bad_value(name, value);
    } else if (name == "sp") {
      if (!once(seen_sp)) return duplicate();
      sp = parse_policy(value);
      if (!sp && policy_error.empty()) policy_error = bad_value(name, value);
    } else if (name == "pct") {
      if (!once(seen_pct)) return duplicate();
      const auto n = parse_number(value, 100);
      if (!n) return invalid(bad_value(name, value));
      rec.pct = static_cast<int>(*n);
    } else if (name == "adkim" || name == "aspf") {
      if (!once(name == "adkim" ? seen_adkim : seen_aspf)) return duplicate();
      const auto a = parse_alignment(value);
      if (!a) return invalid(bad_value(name, value));
      (name == "adkim" ? rec.adkim : rec.aspf) = *a;
    } else if (name == "rua" || name == "ruf") {
      if (!once(name == "rua" ? seen_rua : seen_ruf)) return duplicate();
      parse_uri_list(value, limits, name == "rua" ? rec.rua : rec.ruf, rec.dropped_uris);
    } else if (name == "fo") {
      if (!once(seen_fo)) return duplicate();
      const bool ok = parse_colon_list(value, rec.fo, [](std::string_view item) {
        return item.size() == 1 && (item[0] == '0' || item[0] == '1' || item[0] == 'd' ||
                                    item[0] == 's' || item[0] == 'D' || item[0] == 'S');
      });
      if (!ok) return invalid(bad_value(name, value));
    } else if (name == "rf") {
      if (!once(seen_rf)) return duplicate();
      const bool ok = parse_colon_list(value, rec.rf, [](std::string_view item) {
        if (!is_alpha(item[0])) return false;
        for (char c : item) {
          if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') return false;
        }
        return true;
      });
      if (!ok) return invalid(bad_value(name, value));
    } else if (name == "ri") {
      if (!once(seen_ri)) return duplicate();
      const auto n = parse_number(value, std::numeric_limits<std::uint32_t>::max());
      if (!n) return invalid(bad_value(name, value));
      rec.ri = static_cast<std::uint32_t>(*n);
    }
    // Unknown tags are ignored (RFC 7489 6.3).
  }

  if (!seen_p && policy_error.empty()) policy_error = "missing p= tag";
  if (!policy_error.empty()) {
    // RFC 7489 6.6.3 step 6: a usable rua turns an unusable policy into p=none.
    if (rec.rua.empty()) return invalid(policy_error);
    rec.policy = Policy::kNone;
    rec.subdomain_policy = Policy::kNone;
    rec.has_subdomain_policy = false;
    rec.policy_defaulted = true;
    rec.note = policy_error + "; treated as p=none because rua= has a valid URI";
  } else {
    rec.policy = *p;
    rec.has_subdomain_policy = sp.has_value();
    rec.subdomain_policy = sp.value_or(*p);
  }

  ParsedRecord out;
  out.status = ParsedRecord::Status::kValid;
  out.record = std::move(rec);
  return out;
}

}  // namespace portcullis::filters::dmarc
