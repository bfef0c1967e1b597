#include "rules/sa/sa_import.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "rules/sa/perl_regex.hpp"
#include "rules/sa/replace_tags.hpp"

namespace portcullis::rules::sa {
namespace {

constexpr std::size_t kMaxIdBytes = 64;

bool has_word(const std::string& words, std::string_view word) {
  std::size_t i = 0;
  while (i < words.size()) {
    while (i < words.size() && std::isspace(static_cast<unsigned char>(words[i]))) ++i;
    std::size_t j = i;
    while (j < words.size() && !std::isspace(static_cast<unsigned char>(words[j]))) ++j;
    if (std::string_view(words).substr(i, j - i) == word) return true;
    i = j;
  }
  return false;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  if (!(std::isalpha(static_cast<unsigned char>(id[0])) || id[0] == '_')) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Descriptions are one line of text; SA files are mostly ASCII, some Latin-1.
std::string clean_description(const std::string& text) {
  std::string out;
  if (is_valid_utf8(text)) {
    out = text;
  } else {
    for (unsigned char c : text) {
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
  }
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  return out;
}

// tflags multiple (and maxhits=N) make a pattern rule count its matches for metas
// (`__BODY_TEXT_LINE < 2` counts non-empty lines); the tags keep the words too.
void apply_count_flags(Rule& rule) {
  if (rule.is_meta() || rule.exists || rule.negate) return;
  for (const std::string& tag : rule.tags) {
    if (tag == "multiple") rule.multiple = true;
  }
  if (!rule.multiple) return;
  for (const std::string& tag : rule.tags) {
    if (!tag.starts_with("maxhits-")) continue;
    std::uint32_t n = 0;
    for (char c : tag.substr(8)) {
      if (c < '0' || c > '9' || n > 100'000) {
        n = 0;
        break;
      }
      n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (n > 0) rule.max_hits = n;
  }
}

// tflags as tags: words, `=` spelled `-` (maxhits=5 → maxhits-5).
std::vector<std::string> tags_for(const CfSet& set, const std::string& name) {
  std::vector<std::string> tags{"spamassassin"};
  auto it = set.tflags.find(name);
  if (it == set.tflags.end()) return tags;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) {
      std::replace(word.begin(), word.end(), '=', '-');
      bool ok = std::all_of(word.begin(), word.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      });
      if (ok && word != "publish") tags.push_back(word);
      word.clear();
    }
  };
  for (char c : it->second) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',') flush();
    else word += c;
  }
  flush();
  return tags;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// SA's header test: /^([\w.-]+(?:\:|(?:\:[a-z]+){1,2})?)\s*([=!]~)\s*(.+)$/, then
// /\s+\[if-unset:\s+(.+)\]$/ off the pattern. Written out by hand: std::regex recurses per
// character and the text can be long.
bool split_header_test(const std::string& text, std::string* header, bool* negate,
                       std::string* regex, std::optional<std::string>* if_unset) {
  std::size_t i = 0;
  while (i < text.size() && (is_word_char(text[i]) || text[i] == '.' || text[i] == '-')) ++i;
  if (i == 0) return false;
  int mods = 0;
  while (i < text.size() && text[i] == ':') {
    std::size_t j = i + 1;
    while (j < text.size() && text[j] >= 'a' && text[j] <= 'z') ++j;
    if (j == i + 1) {  // a bare trailing ':'
      i = j;
      break;
    }
    if (++mods > 2) return false;
    i = j;
  }
  *header = text.substr(0, i);
  if (!header->empty() && header->back() == ':') header->pop_back();
  while (i < text.size() && is_blank(text[i])) ++i;
  if (i + 1 >= text.size() || (text[i] != '=' && text[i] != '!') || text[i + 1] != '~') return false;
  *negate = text[i] == '!';
  i += 2;
  while (i < text.size() && is_blank(text[i])) ++i;
  if (i >= text.size()) return false;
  std::string rest = text.substr(i);
  for (std::size_t at = rest.find("[if-unset:"); at != std::string::npos; at = rest.find("[if-unset:", at + 1)) {
    std::size_t value = at + 10;
    if (at == 0 || !is_blank(rest[at - 1]) || value >= rest.size() || !is_blank(rest[value]) || rest.back() != ']')
      continue;
    std::size_t start = at;
    while (start > 0 && is_blank(rest[start - 1])) --start;
    while (value < rest.size() && is_blank(rest[value])) ++value;
    if (value >= rest.size() - 1) continue;
    *if_unset = rest.substr(value, rest.size() - 1 - value);
    rest.resize(start);
    break;
  }
  *regex = rest;
  return true;
}

struct Outcome {
  enum Kind { kImported, kInactive, kSkipped } kind = kSkipped;
  std::string reason;
};

struct HeaderSpec {
  Target target;
  std::string error;
  bool inactive = false;
};

HeaderSpec header_target(std::string spec) {
  HeaderSpec out;
  out.target.kind = TargetKind::kHeader;
  // Modifiers after the name: raw/addr/name kept; SA 4's host/domain/ip/revip/first/last not.
  std::string name = spec;
  std::vector<std::string> mods;
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    name = spec.substr(0, colon);
    std::string rest = spec.substr(colon + 1);
    std::size_t i = 0;
    while (i <= rest.size()) {
      std::size_t j = rest.find(':', i);
      if (j == std::string::npos) j = rest.size();
      if (j > i) mods.push_back(rest.substr(i, j - i));
      i = j + 1;
    }
  }
  for (const auto& m : mods) {
    if (m == "raw") out.target.form = HeaderForm::kRaw;
    else if (m == "addr") out.target.form = HeaderForm::kAddr;
    else if (m == "name") out.target.form = HeaderForm::kName;
    else {
      out.error = "header modifier :" + m + " not supported";
      return out;
    }
  }
  if (mods.size() > 1) {
    out.error = "more than one header modifier (" + spec + ")";
    return out;
  }
  if (name == "ALL") {
    out.target.kind = TargetKind::kAllHeaders;
    out.target.form = HeaderForm::kDecoded;
    return out;
  }
  if (name.starts_with("ALL-")) {
    out.error = "pseudo-header " + name + " (trust-path split of the header) not supported";
    return out;
  }
  std::string lname = lower(name);
  if (lname == "envelopefrom") {
    out.error = "pseudo-header EnvelopeFrom (the SMTP envelope sender) not supported";
    return out;
  }
  if (lname == "tocc") {
    out.target.headers = {"to", "cc"};
  } else if (name == "MESSAGEID") {
    out.target.headers = {"x-message-id", "resent-message-id", "x-original-message-id", "message-id"};
  } else {
    out.target.headers = {lname};
  }
  return out;
}

class Importer {
 public:
  Importer(const CfSet& set, const ImportOptions& options) : set_(set), options_(options) {}

  ImportResult run() {
    std::vector<const CfRule*> ordered;
    for (const auto& [name, rule] : set_.rules) ordered.push_back(&rule);
    std::sort(ordered.begin(), ordered.end(),
              [](const CfRule* a, const CfRule* b) { return a->order < b->order; });
    for (const CfRule* rule : ordered) {
      if (rule->kind == "meta") continue;
      Outcome outcome = convert(*rule);
      // With include_disabled, a disabled rule that cannot be converted is still one SA
      // never runs.
      if (outcome.kind == Outcome::kSkipped && sa_score(set_, rule->name, options_.score_set) == 0)
        outcome.kind = Outcome::kInactive;
      outcomes_[rule->name] = std::move(outcome);
    }
    for (const CfRule* rule : ordered) {
      if (rule->kind == "meta") resolve_meta(rule->name, 0);
    }
    ImportResult result;
    result.files = set_.files;
    result.warnings = set_.warnings;
    for (const CfRule* rule : ordered) {
      const Outcome& outcome = outcomes_[rule->name];
      std::string kind = rule->kind;
      if (kind != "meta" && is_eval(*rule)) kind += " eval";
      KindCounts& counts = result.by_kind[kind];
      ++counts.defined;
      if (auto it = converted_.find(rule->name); it != converted_.end()) {
        ++counts.imported;
        apply_count_flags(it->second);
        result.rules.push_back(std::move(it->second));
      } else {
        ++counts.skipped;
        result.skipped.push_back({rule->name, kind, rule->where, outcome.reason,
                                  outcome.kind == Outcome::kInactive});
      }
    }
    return result;
  }

 private:
  static bool is_eval(const CfRule& rule) {
    return rule.text.starts_with("eval:") || rule.text.starts_with("rbleval:");
  }

  Outcome inactive(std::string reason) { return {Outcome::kInactive, std::move(reason)}; }
  Outcome skipped(std::string reason) { return {Outcome::kSkipped, std::move(reason)}; }

  std::string tflags(const std::string& name) const {
    auto it = set_.tflags.find(name);
    return it == set_.tflags.end() ? "" : it->second;
  }

  Outcome convert(const CfRule& rule) {
    const double score = sa_score(set_, rule.name, options_.score_set);
    if (score == 0 && !(options_.include_disabled && is_regex_kind(rule.kind) && !is_eval(rule)))
      return inactive("disabled: score 0 in score set " + std::to_string(options_.score_set) +
                      " (SpamAssassin does not run it)");
    if (!is_regex_kind(rule.kind)) {
      static const std::set<std::string> kNetKinds = {
          "askdns", "urirhsbl", "urirhssub", "uridnsbl", "urinsrhsbl", "urinsrhssub",
          "urifullnsrhsbl", "urifullnsrhssub", "urirhssub_a", "hashbl_bodyre"};
      if (kNetKinds.contains(rule.kind)) return inactive("network test (" + rule.kind + ")");
      return skipped("rule type " + rule.kind + " not supported");
    }
    if (is_eval(rule)) {
      std::string fn = rule.text.substr(rule.text.find(':') + 1);
      std::string fn_name = fn.substr(0, fn.find('('));
      const std::string flags = tflags(rule.name);
      const bool net_set = (options_.score_set & 1) != 0;
      const bool bayes_set = (options_.score_set & 2) != 0;
      if (rule.text.starts_with("rbleval:") || fn_name.starts_with("check_rbl") ||
          fn_name.starts_with("check_dns") || has_word(flags, "net")) {
        if (!net_set) return inactive("network test (eval:" + fn_name + ")");
        return skipped("network test (eval:" + fn_name + ")");
      }
      if (has_word(flags, "learn") && !bayes_set) return inactive("Bayes test (eval:" + fn_name + ")");
      return skipped("eval rule (eval:" + fn_name + ")");
    }
    if (!valid_id(rule.name)) return skipped("rule name not a valid id (at most 64 bytes of [A-Za-z0-9_])");

    Rule out;
    out.id = rule.name;
    out.file = rule.where.file;
    out.line = rule.where.line;
    out.score = rule.name.starts_with("__") ? 0 : score;
    if (auto it = set_.describe.find(rule.name); it != set_.describe.end())
      out.description = clean_description(it->second);
    out.tags = tags_for(set_, rule.name);

    std::string regex_text = rule.text;
    if (rule.kind == "header") {
      // SA: NAME =~ /re/ [if-unset: STR], NAME !~ /re/, exists:NAME
      if (regex_text.starts_with("exists:")) {
        std::string hdr = regex_text.substr(7);
        if (!hdr.empty() && hdr.back() == ':') hdr.pop_back();
        HeaderSpec spec = header_target(hdr);
        if (!spec.error.empty()) return skipped(spec.error);
        out.target = spec.target;
        out.exists = true;
        return finish(std::move(out), score);
      }
      std::string hdr;
      std::optional<std::string> if_unset;
      if (!split_header_test(regex_text, &hdr, &out.negate, &regex_text, &if_unset))
        return skipped("invalid header test");
      HeaderSpec spec = header_target(hdr);
      if (!spec.error.empty()) return skipped(spec.error);
      out.target = spec.target;
      if (out.target.kind == TargetKind::kHeader) {
        // SpamAssassin matches a missing header as the empty string (checked: `=~ /^$/` and
        // `!~ /x/` hit on a message without the field).
        out.if_unset = if_unset.value_or("");
        if (!is_valid_utf8(*out.if_unset)) return skipped("[if-unset] text is not UTF-8");
      }
    } else if (rule.kind == "body") {
      out.target.kind = TargetKind::kBody;
    } else if (rule.kind == "rawbody") {
      out.target.kind = TargetKind::kRawBody;
    } else if (rule.kind == "uri") {
      out.target.kind = TargetKind::kUri;
    } else {
      out.target.kind = TargetKind::kFull;
    }

    std::string error;
    auto regex = parse_perl_regex(regex_text, &error);
    if (!regex) return skipped("regex: " + error);
    out.flags = regex->flags;
    std::string pattern = std::move(regex->pattern);
    if (set_.replace_rules.contains(rule.name) && !replace_tags(set_, pattern))
      return skipped("replace_tags result too large");
    if (pattern.find("%{") != std::string::npos)
      return skipped("capture template %{...} (SpamAssassin 4 capture rules) not supported");
    rewrite_open_lower_bound(pattern);
    if (!escape_non_utf8(pattern, &error)) return skipped("regex: " + error);
    // SA matches body rules against each rendered paragraph line (the Subject first); our
    // body target is those lines joined by "\n", so ^ and $ must anchor per line.
    if (out.target.kind == TargetKind::kBody) out.flags.multiline = true;
    if (std::string e = pcre2_error(pattern, out.flags); !e.empty()) return skipped("PCRE2: " + e);
    out.pattern = std::move(pattern);
    return finish(std::move(out), score);
  }

  Outcome finish(Rule out, double score) {
    std::string name = out.id;
    if (score == 0) {  // only with include_disabled
      out.tags.push_back("sa-disabled");
      converted_[name] = std::move(out);
      return inactive("disabled: score 0 in score set " + std::to_string(options_.score_set) +
                      " (imported with tag sa-disabled)");
    }
    converted_[name] = std::move(out);
    return {Outcome::kImported, ""};
  }

  // Resolves a meta (after its dependencies). A reference to a rule SA never runs here is 0.
  void resolve_meta(const std::string& name, int depth) {
    if (outcomes_.contains(name)) return;
    if (in_progress_.contains(name) || depth > 200) {
      outcomes_[name] = skipped("meta cycle or nesting too deep");
      return;
    }
    const CfRule& rule = set_.rules.at(name);
    const double score = sa_score(set_, name, options_.score_set);
    if (score == 0) {
      outcomes_[name] = inactive("disabled: score 0 in score set " + std::to_string(options_.score_set) +
                                 " (SpamAssassin does not run it)");
      return;
    }
    if (!valid_id(name)) {
      outcomes_[name] = skipped("rule name not a valid id (at most 64 bytes of [A-Za-z0-9_])");
      return;
    }
    in_progress_.insert(name);
    std::string expr;
    std::string problem;
    const std::string& text = rule.text;
    for (std::size_t i = 0; i < text.size() && problem.empty();) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      if (std::isspace(c)) { ++i; continue; }
      if (std::isalpha(c) || c == '_') {
        std::size_t j = i;
        while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
        std::string word = text.substr(i, j - i);
        i = j;
        if (word == "local_tests_only") { expr += "1 "; continue; }
        if (word == "rules_matching") {
          std::size_t close = text.find(')', i);
          std::size_t open = text.find('(', i);
          if (open == std::string::npos || close == std::string::npos || open > close) {
            problem = "bad rules_matching()";
            break;
          }
          std::string glob = text.substr(open + 1, close - open - 1);
          glob.erase(std::remove_if(glob.begin(), glob.end(), [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); }), glob.end());
          i = close + 1;
          std::string expanded;
          for (const auto& [other, unused] : set_.rules) {
            if (other != name && glob_match(glob, other)) {
              std::string term = dependency(other, depth, &problem);
              if (!problem.empty()) break;
              expanded += (expanded.empty() ? "" : " + ") + term;
            }
          }
          expr += "(" + (expanded.empty() ? std::string("0") : expanded) + ") ";
          continue;
        }
        expr += dependency(word, depth, &problem) + " ";
        continue;
      }
      if (std::isdigit(c)) {
        std::size_t j = i;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        if (j < text.size() && text[j] == '.') {
          problem = "non-integer number in meta expression";
          break;
        }
        expr += text.substr(i, j - i) + " ";
        i = j;
        continue;
      }
      static const char* kOps[] = {"||", "&&", "<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "!", "(", ")"};
      bool matched = false;
      for (const char* op : kOps) {
        std::string_view sv(op);
        if (std::string_view(text).substr(i, sv.size()) == sv) {
          expr += std::string(sv) + " ";
          i += sv.size();
          matched = true;
          break;
        }
      }
      if (!matched) problem = std::string("operator '") + text[i] + "' not supported in meta";
    }
    in_progress_.erase(name);
    if (!problem.empty()) {
      outcomes_[name] = skipped(problem);
      return;
    }
    while (!expr.empty() && expr.back() == ' ') expr.pop_back();
    Rule out;
    out.id = name;
    out.meta = expr;
    out.file = rule.where.file;
    out.line = rule.where.line;
    out.score = name.starts_with("__") ? 0 : score;
    if (auto it = set_.describe.find(name); it != set_.describe.end())
      out.description = clean_description(it->second);
    out.tags = tags_for(set_, name);
    converted_[name] = std::move(out);
    outcomes_[name] = {Outcome::kImported, ""};
  }

  // The term a meta uses for a dependency: its id, or "0" when SA never runs it.
  std::string dependency(const std::string& dep, int depth, std::string* problem) {
    auto rule = set_.rules.find(dep);
    if (rule == set_.rules.end()) return "0";  // SA: an undefined rule is 0
    if (rule->second.kind == "meta") resolve_meta(dep, depth + 1);
    const Outcome& outcome = outcomes_[dep];
    switch (outcome.kind) {
      case Outcome::kImported: return dep;
      case Outcome::kInactive: return "0";
      case Outcome::kSkipped: *problem = "depends on " + dep + " (" + outcome.reason + ")"; return "";
    }
    return "";
  }

  static bool glob_match(std::string_view glob, std::string_view name) {
    if (glob.empty()) return name.empty();
    if (glob[0] == '*') {
      for (std::size_t k = 0; k <= name.size(); ++k)
        if (glob_match(glob.substr(1), name.substr(k))) return true;
      return false;
    }
    if (name.empty()) return false;
    if (glob[0] == '?' || glob[0] == name[0]) return glob_match(glob.substr(1), name.substr(1));
    return false;
  }

  const CfSet& set_;
  const ImportOptions& options_;
  std::map<std::string, Outcome> outcomes_;
  std::map<std::string, Rule> converted_;
  std::set<std::string> in_progress_;
};

}  // namespace

bool is_regex_kind(const std::string& kind) {
  return kind == "header" || kind == "body" || kind == "rawbody" || kind == "uri" || kind == "full";
}

double sa_score(const CfSet& set, const std::string& name, int score_set) {
  if (auto it = set.scores.find(name); it != set.scores.end()) return it->second[score_set & 3];
  double score = name.starts_with("T_") ? 0.01 : 1.0;
  if (auto it = set.tflags.find(name); it != set.tflags.end() && has_word(it->second, "nice")) score = -score;
  return score;
}

std::size_t ImportResult::regex_rules() const {
  std::size_t n = 0;
  for (const auto& [kind, counts] : by_kind)
    if (is_regex_kind(kind)) n += counts.defined;
  return n;
}

std::size_t ImportResult::regex_imported() const {
  std::size_t n = 0;
  for (const auto& [kind, counts] : by_kind)
    if (is_regex_kind(kind)) n += counts.imported;
  return n;
}

std::size_t ImportResult::regex_active() const {
  std::size_t n = regex_rules();
  for (const auto& s : skipped)
    if (is_regex_kind(s.kind) && s.inactive_in_sa) --n;
  for (const auto& rule : rules)  // imported anyway with ImportOptions::include_disabled
    if (!rule.is_meta() && std::find(rule.tags.begin(), rule.tags.end(), "sa-disabled") != rule.tags.end()) --n;
  return n;
}

ImportResult import_cf_set(const CfSet& set, const ImportOptions& options) {
  return Importer(set, options).run();
}

ImportResult import_sa(const std::filesystem::path& dir, const ImportOptions& options) {
  ImportOptions local = options;
  CfSet set = read_cf_dir(dir, local.env);
  ImportResult result = import_cf_set(set, local);
  result.source_dir = dir;
  return result;
}

}  // namespace portcullis::rules::sa
