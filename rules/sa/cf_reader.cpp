#include "rules/sa/cf_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>

namespace portcullis::rules::sa {
namespace {

constexpr std::uintmax_t kMaxFileBytes = 16u << 20;
constexpr std::size_t kMaxLineBytes = 64u << 10;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

// Splits off the first whitespace-separated word.
std::pair<std::string, std::string> split_word(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && !is_space(s[i])) ++i;
  std::string word(s.substr(0, i));
  while (i < s.size() && is_space(s[i])) ++i;
  return {word, std::string(s.substr(i))};
}

// Comment removal as SpamAssassin: from the first `#` not preceded by a backslash; then every
// `\#` becomes `#`.
std::string strip_comment(std::string_view line) {
  if (line.find('#') == std::string_view::npos) return std::string(line);
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || line[i - 1] != '\\')) break;
    out += line[i];
  }
  std::string unescaped;
  unescaped.reserve(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\\' && i + 1 < out.size() && out[i + 1] == '#') continue;
    unescaped += out[i];
  }
  return unescaped;
}

bool parse_score_value(std::string token, double* value, bool* relative) {
  if (token.size() >= 2 && token.front() == '(' && token.back() == ')') {
    token = token.substr(1, token.size() - 2);
    *relative = true;
  }
  // SpamAssassin accepts /^-?\d+(?:\.\d+)?$/ only.
  std::size_t i = token.starts_with('-') ? 1 : 0;
  std::size_t digits = 0;
  while (i < token.size() && std::isdigit(static_cast<unsigned char>(token[i]))) ++i, ++digits;
  if (digits == 0) return false;
  if (i < token.size()) {
    if (token[i] != '.') return false;
    std::size_t frac = 0;
    ++i;
    while (i < token.size() && std::isdigit(static_cast<unsigned char>(token[i]))) ++i, ++frac;
    if (frac == 0 || i != token.size()) return false;
  }
  auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), *value);
  return ec == std::errc() && p == token.data() + token.size();
}

struct IfFrame {
  bool skip_before;  // skip_parsing when the block opened
  int line;
};

}  // namespace

bool is_rule_directive(const std::string& key) {
  static const std::set<std::string> kKinds = {
      "header", "body", "rawbody", "uri", "full", "meta", "mimeheader", "uri_detail",
      "askdns", "urirhsbl", "urirhssub", "uridnsbl", "urinsrhsbl", "urinsrhssub",
      "urifullnsrhsbl", "urifullnsrhssub", "urirhssub_a", "hashbl_bodyre"};
  return kKinds.contains(key);
}

void read_cf_text(const std::string& text, const std::string& file_name, SaEnvironment& env,
                  CfSet& set) {
  std::vector<IfFrame> if_stack;
  bool skip = false;
  int line_no = 0;
  std::size_t pos = 0;
  auto warn = [&](std::string msg) { set.warnings.push_back({{file_name, line_no}, std::move(msg)}); };

  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view raw(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (raw.size() > kMaxLineBytes) {
      warn("line longer than 64 KiB ignored");
      continue;
    }
    std::string line = trim(strip_comment(raw));
    if (line.empty()) continue;
    if (line.starts_with("lang")) {
      auto [lang_kw, rest] = split_word(line);
      if (lang_kw == "lang") {
        auto [tag, after] = split_word(rest);
        // We are the C locale, which SpamAssassin treats as en_US.
        std::string lower;
        for (char c : tag) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!std::string_view("en_us").starts_with(lower) || after.empty()) continue;
        line = after;
      }
    }
    auto [key, value] = split_word(line);
    for (auto& c : key) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

    if (key == "endif") {
      if (if_stack.empty()) { warn("endif without if"); continue; }
      skip = if_stack.back().skip_before;
      if_stack.pop_back();
      continue;
    }
    if (key == "ifplugin" || key == "if") {
      if (value.empty()) { warn("missing condition"); }
      if_stack.push_back({skip, line_no});
      if (!skip) {
        std::string error;
        std::string expr = key == "ifplugin" ? "plugin(" + value + ")" : value;
        bool ok = env.eval_condition(expr, &error);
        if (!error.empty()) warn("condition '" + value + "': " + error);
        if (!ok) skip = true;
      }
      continue;
    }
    if (key == "else") {
      if (if_stack.empty()) { warn("else without if"); continue; }
      bool outer_skipped = std::any_of(if_stack.begin(), if_stack.end(),
                                       [](const IfFrame& f) { return f.skip_before; });
      skip = outer_skipped ? true : !skip;
      continue;
    }
    if (skip) continue;

    if (key == "loadplugin" || key == "tryplugin") {
      auto [plugin, path] = split_word(value);
      if (!plugin.empty()) env.load_plugin(plugin);
      continue;
    }
    if (is_rule_directive(key)) {
      auto [name, rest] = split_word(value);
      if (name.empty() || rest.empty()) { warn(key + ": missing name or value"); continue; }
      CfRule& rule = set.rules[name];
      rule.name = name;
      rule.kind = key;
      rule.text = rest;
      rule.where = {file_name, line_no};
      rule.order = ++set.definitions;
      continue;
    }
    if (key == "score") {
      std::istringstream words(value);
      std::string name;
      words >> name;
      std::vector<std::string> tokens{std::istream_iterator<std::string>(words), {}};
      if (name.empty() || (tokens.size() != 1 && tokens.size() != 4)) {
        warn("score: requires a rule name and 1 or 4 scores");
        continue;
      }
      std::array<double, 4> values{};
      bool relative = false, ok = true;
      for (std::size_t i = 0; i < tokens.size() && ok; ++i) ok = parse_score_value(tokens[i], &values[i], &relative);
      if (!ok) { warn("score: non-numeric score"); continue; }
      if (tokens.size() == 1) values = {values[0], values[0], values[0], values[0]};
      auto it = set.scores.find(name);
      if (relative) {
        if (it == set.scores.end()) { warn("score: relative score without previous setting"); continue; }
        for (int i = 0; i < 4; ++i) it->second[i] += values[i];
      } else {
        set.scores[name] = values;
      }
      continue;
    }
    if (key == "describe" || key == "tflags") {
      auto [name, rest] = split_word(value);
      if (name.empty()) { warn(key + ": missing name"); continue; }
      (key == "describe" ? set.describe : set.tflags)[name] = rest;
      continue;
    }
    if (key == "replace_tag" || key == "replace_pre" || key == "replace_post" || key == "replace_inter") {
      auto [name, rest] = split_word(value);
      auto& table = key == "replace_tag" ? set.replace_tag
                    : key == "replace_pre" ? set.replace_pre
                    : key == "replace_post" ? set.replace_post : set.replace_inter;
      table[name] = rest;
      continue;
    }
    if (key == "replace_rules") {
      std::istringstream words(value);
      for (std::string name; words >> name;) set.replace_rules.insert(name);
      continue;
    }
    if (key == "replace_start" || key == "replace_end") {
      (key == "replace_start" ? set.replace_start : set.replace_end) = value;
      continue;
    }
    // Every other setting (welcomelists, util_rb_tld, report templates, …) means nothing
    // for content rules.
  }
  for (const auto& frame : if_stack) {
    set.warnings.push_back({{file_name, frame.line}, "unclosed if/ifplugin"});
  }
}

CfSet read_cf_dir(const std::filesystem::path& dir, SaEnvironment& env) {
  CfSet set;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".cf" && entry.is_regular_file(ec)) files.push_back(entry.path());
  }
  // Built by name: g++ 12 -O3 sees a false maybe-uninitialized in the braced temporary.
  auto warn = [&set](std::string file, std::string message) {
    CfWarning w;
    w.where.file = std::move(file);
    w.where.line = 0;
    w.message = std::move(message);
    set.warnings.push_back(std::move(w));
  };
  if (ec) warn(dir.string(), "cannot read directory: " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    const std::string base = path.filename().string();
    std::error_code size_ec;
    if (std::filesystem::file_size(path, size_ec) > kMaxFileBytes || size_ec) {
      warn(base, "file larger than 16 MiB or unreadable, ignored");
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    set.files.push_back(base);
    read_cf_text(text, base, env, set);
  }
  return set;
}

}  // namespace portcullis::rules::sa
