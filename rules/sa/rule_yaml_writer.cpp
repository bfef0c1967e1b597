#include "rules/sa/rule_yaml_writer.hpp"

#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "rules/sa/perl_regex.hpp"

namespace portcullis::rules::sa {
namespace {

std::string format_number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "0";
  return std::string(buf, end);
}

std::string target_spelling(const Target& t) {
  if (t.kind != TargetKind::kHeader) return t.key();
  // The loader lower-cases names; keep SpamAssassin's spelling for people reading the file.
  return t.key();
}

std::string flags_list(const PatternFlags& f) {
  std::vector<std::string> names;
  if (f.caseless) names.push_back("caseless");
  if (f.multiline) names.push_back("multiline");
  if (f.dotall) names.push_back("dotall");
  if (f.utf8) names.push_back("utf8");
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "]";
}

// Words like `multiple` or `maxhits-5` need no quotes; anything else is quoted.
std::string plain_or_quoted(const std::string& word) {
  bool plain = !word.empty() && std::isalpha(static_cast<unsigned char>(word[0])) &&
               word != "true" && word != "false" && word != "null" && word != "yes" && word != "no";
  for (char c : word)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') plain = false;
  return plain ? word : yaml_quote(word);
}

void check_utf8(const std::string& text, const Rule& rule, const char* field) {
  if (!is_valid_utf8(text))
    throw std::invalid_argument("rule " + rule.id + ": " + field + " is not UTF-8");
}

}  // namespace

std::string yaml_quote(std::string_view text) {
  bool needs_double = false;
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\t') || c == 0x7F) needs_double = true;
  // A tab at either end of a single-quoted scalar would be trimmed as white space; NEL,
  // LS, PS and BOM are line breaks or markers to YAML 1.1 readers.
  if (!text.empty() && (text.front() == '\t' || text.back() == '\t')) needs_double = true;
  for (std::string_view special : {"\xC2\x85", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xEF\xBB\xBF"})
    if (text.find(special) != std::string_view::npos) needs_double = true;
  std::string out;
  out.reserve(text.size() + 2);
  if (!needs_double) {
    out.push_back('\'');
    for (char c : text) {
      if (c == '\'') out.push_back('\'');
      out.push_back(c);
    }
    out.push_back('\'');
    return out;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr std::pair<std::string_view, std::string_view> kUnicode[] = {
      {"\xC2\x85", "\\u0085"}, {"\xE2\x80\xA8", "\\u2028"}, {"\xE2\x80\xA9", "\\u2029"},
      {"\xEF\xBB\xBF", "\\ufeff"}};
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const char ch = text[i];
    const auto c = static_cast<unsigned char>(ch);
    bool done = false;
    for (const auto& [bytes, escape] : kUnicode) {
      if (text.substr(i, bytes.size()) == bytes) {
        out.append(escape);
        i += bytes.size();
        done = true;
        break;
      }
    }
    if (done) continue;
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (ch == '\t') {
      out.append("\\t");
    } else if (c < 0x20 || c == 0x7F) {
      out.append("\\x");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

std::string write_rules_yaml(const std::vector<Rule>& rules, std::string_view header_comment) {
  std::ostringstream out;
  std::istringstream comment{std::string(header_comment)};
  for (std::string line; std::getline(comment, line);) out << "# " << line << "\n";
  if (rules.empty()) {
    out << "[]\n";
    return out.str();
  }
  for (const Rule& rule : rules) {
    check_utf8(rule.description, rule, "description");
    check_utf8(rule.pattern, rule, "pattern");
    check_utf8(rule.meta, rule, "meta");
    if (rule.if_unset) check_utf8(*rule.if_unset, rule, "if_unset");
    out << "\n";
    if (!rule.file.empty()) out << "# " << rule.file << ":" << rule.line << "\n";
    out << "- id: " << rule.id << "\n";
    if (!rule.description.empty()) out << "  description: " << yaml_quote(rule.description) << "\n";
    if (rule.is_meta()) {
      out << "  meta: " << yaml_quote(rule.meta) << "\n";
    } else {
      out << "  target: " << yaml_quote(target_spelling(rule.target)) << "\n";
      if (rule.exists) {
        out << "  exists: true\n";
      } else {
        out << "  pattern: " << yaml_quote(rule.pattern) << "\n";
        const PatternFlags& f = rule.flags;
        if (f.caseless || f.multiline || f.dotall || f.utf8) out << "  flags: " << flags_list(f) << "\n";
        if (rule.negate) out << "  negate: true\n";
        if (rule.multiple) out << "  multiple: true\n";
        if (rule.multiple && rule.max_hits != Rule{}.max_hits) {
          out << "  max_hits: " << rule.max_hits << "\n";
        }
      }
      if (rule.if_unset) out << "  if_unset: " << yaml_quote(*rule.if_unset) << "\n";
    }
    out << "  score: " << format_number(rule.score) << "\n";
    switch (rule.action) {
      case RuleAction::kNone: break;
      case RuleAction::kReject: out << "  action: reject\n"; break;
      case RuleAction::kQuarantine: out << "  action: quarantine\n"; break;
      case RuleAction::kTempfail: out << "  action: tempfail\n"; break;
    }
    if (!rule.reply.empty()) out << "  reply: " << yaml_quote(rule.reply) << "\n";
    if (!rule.tags.empty()) {
      out << "  tags: [";
      for (std::size_t i = 0; i < rule.tags.size(); ++i) out << (i ? ", " : "") << plain_or_quoted(rule.tags[i]);
      out << "]\n";
    }
  }
  return out.str();
}

void write_yaml(const ImportResult& result, const std::filesystem::path& out_dir) {
  std::filesystem::create_directories(out_dir);
  std::map<std::string, std::vector<Rule>> by_file;
  for (const auto& f : result.files) by_file[f];
  for (const Rule& rule : result.rules) by_file[rule.file].push_back(rule);
  for (const auto& [cf, rules] : by_file) {
    std::filesystem::path name(cf);
    name.replace_extension(".yaml");
    std::string source = result.source_dir.empty() ? cf : (result.source_dir / cf).string();
    std::string comment =
        "Converted from SpamAssassin rules by `portcullis rules import-sa`.\n"
        "Source: " + source + "\n"
        "Generated: do not edit; re-run the import instead.";
    std::string text = write_rules_yaml(rules, comment);
    std::filesystem::path path = out_dir / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
      throw std::filesystem::filesystem_error("cannot write", path,
                                              std::make_error_code(std::errc::io_error));
  }
}

std::string format_report(const ImportResult& result, bool list_every_skip) {
  std::ostringstream out;
  out << "SpamAssassin import from " << (result.source_dir.empty() ? "(text)" : result.source_dir.string())
      << ": " << result.files.size() << " .cf files\n";
  out << "\nrules by kind (defined / imported / skipped):\n";
  for (const auto& [kind, c] : result.by_kind)
    out << "  " << kind << ": " << c.defined << " / " << c.imported << " / " << c.skipped << "\n";
  const std::size_t total = result.regex_rules(), imported = result.regex_imported(),
                    active = result.regex_active();
  auto pct = [](std::size_t a, std::size_t b) {
    std::ostringstream s;
    s.precision(1);
    s << std::fixed << (b == 0 ? 100.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b)) << "%";
    return s.str();
  };
  out << "\nregex rules (header/body/rawbody/uri/full, not eval): " << imported << " of " << total
      << " imported (" << pct(imported, total) << "); " << imported << " of the " << active
      << " SpamAssassin runs without network and Bayes (" << pct(imported, active) << ")\n";
  if (result.compiled) {
    out << "compiled: " << result.compiled->hyperscan << " patterns to Hyperscan, "
        << result.compiled->pcre2 << " to PCRE2";
    if (result.compiled->failed) out << ", " << result.compiled->failed << " failed";
    out << "\n";
  }
  std::map<std::string, std::size_t> reasons;
  for (const auto& s : result.skipped) {
    std::string reason = s.reason;
    // Group by the reason's head: "eval rule (eval:check_x)" → "eval rule".
    if (auto paren = reason.find(" ("); paren != std::string::npos && !reason.starts_with("depends on"))
      reason.resize(paren);
    if (reason.starts_with("depends on")) reason = "meta depends on a skipped rule";
    if (reason.starts_with("PCRE2:")) reason = "PCRE2 rejects the pattern";
    ++reasons[reason];
  }
  out << "\nskipped: " << result.skipped.size() << "\n";
  for (const auto& [reason, n] : reasons) out << "  " << n << "  " << reason << "\n";
  if (!result.warnings.empty()) {
    out << "\nwarnings: " << result.warnings.size() << "\n";
    for (const auto& w : result.warnings) out << "  " << w.where.file << ":" << w.where.line << ": " << w.message << "\n";
  }
  if (list_every_skip) {
    out << "\nskipped rules:\n";
    for (const auto& s : result.skipped)
      out << "  " << s.where.file << ":" << s.where.line << ": " << s.id << " (" << s.kind << "): " << s.reason << "\n";
  }
  return out.str();
}

}  // namespace portcullis::rules::sa
