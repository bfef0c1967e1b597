#include "rules/rule_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "config/yaml_reader.hpp"
#include "rules/meta_expr.hpp"

namespace portcullis::rules {
namespace {

using config::detail::Map;
using config::detail::Reader;
using config::detail::Value;

constexpr std::uintmax_t kMaxFileBytes = 64u << 20;
constexpr std::size_t kMaxRules = 100'000;
constexpr std::size_t kMaxIdLength = 64;

constexpr std::string_view kRuleKeys[] = {
    "id",     "description", "target", "pattern", "flags", "negate", "if_unset",
    "exists", "meta",        "score",  "action",  "reply", "tags", "multiple", "max_hits"};

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  const auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (!alpha(id[0]) && id[0] != '_') return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '_'; });
}

bool upper_snake(std::string_view id) {
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool valid_header_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c > 32 && c < 127 && c != ':' && c != '|';
  });
}

std::string location(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1);
}

// The rule's own problems, reported under its id once known ("GTUBE.pattern").
struct RuleReader {
  Reader& reader;
  const Map& map;
  std::string prefix;

  std::optional<Value> get(std::string_view key) const {
    auto v = map.get(key);
    if (v) v->path = prefix + "." + std::string(key);
    return v;
  }
};

void read_rule(Reader& reader, const Value& element, const std::string& file,
               LoadedRules& into) {
  // Problems are reported under the rule's id when it has a valid one ("GTUBE.pattern").
  Value named = element;
  if (element.node.IsMap() && element.node["id"].IsScalar() &&
      valid_id(element.node["id"].Scalar())) {
    named.path = element.node["id"].Scalar();
  }
  const std::size_t before = reader.problem_count();
  auto map = reader.mapping(named, std::span<const std::string_view>(kRuleKeys), "key");
  if (!map) return;
  Rule rule;
  rule.file = file;
  rule.line = element.mark.line + 1;
  std::string prefix = element.path;

  if (auto v = map->get("id")) {
    if (auto id = reader.string(*v, "a rule id")) {
      if (!valid_id(*id)) {
        reader.problem(*v, "'" + id->substr(0, 80) +
                               "' is not a rule id (letters, digits and '_', not starting with "
                               "a digit, at most 64 bytes)");
      } else {
        rule.id = *id;
        prefix = *id;
      }
    }
  } else {
    reader.missing(*map, "id", "a rule id");
  }
  RuleReader r{reader, *map, prefix};

  if (auto v = r.get("description")) {
    if (auto s = reader.string(*v, "one line of text")) rule.description = *s;
  }
  const auto pattern = r.get("pattern");
  const auto meta = r.get("meta");
  const auto exists = r.get("exists");
  const auto target = r.get("target");
  if (meta) {
    if (auto s = reader.string(*meta, "a meta expression")) {
      std::string error;
      if (s->empty()) {
        reader.problem(*meta, "empty meta expression");
      } else if (!MetaExpr::parse(*s, error)) {
        reader.problem(*meta, "bad meta expression: " + error);
      } else {
        rule.meta = *s;
      }
    }
    for (auto key : {"pattern", "target", "flags", "negate", "if_unset", "exists", "multiple",
                     "max_hits"}) {
      if (auto v = r.get(key)) reader.problem(*v, "a meta rule takes no '" + std::string(key) + "'");
    }
  } else {
    if (!target) {
      reader.missing(*map, "target", "what the pattern is matched against (docs/rules.md)");
    } else if (auto s = reader.string(*target, "a target")) {
      std::string error;
      if (auto t = parse_target(*s, error)) {
        rule.target = *t;
      } else {
        reader.problem(*target, error);
      }
    }
    if (exists) {
      if (auto b = reader.boolean(*exists)) rule.exists = *b;
      if (rule.exists && rule.target.kind != TargetKind::kHeader) {
        reader.problem(*exists, "'exists' needs a header:<Name> target");
      }
      if (rule.exists && pattern) reader.problem(*pattern, "a rule with 'exists' takes no pattern");
    }
    if (pattern) {
      if (auto s = reader.string(*pattern, "a regular expression")) {
        if (s->empty()) {
          reader.problem(*pattern, "empty pattern");
        } else {
          rule.pattern = *s;
        }
      }
    } else if (!rule.exists) {
      reader.missing(*map, "pattern", "a regular expression, or 'meta' for a meta rule");
    }
    if (auto v = r.get("flags")) {
      if (auto list = reader.sequence(*v, "a list of flags")) {
        for (const Value& item : *list) {
          enum class F { kCaseless, kMultiline, kDotall, kUtf8 };
          auto f = reader.choice<F>(item, {{"caseless", F::kCaseless},
                                           {"multiline", F::kMultiline},
                                           {"dotall", F::kDotall},
                                           {"utf8", F::kUtf8}});
          if (!f) continue;
          switch (*f) {
            case F::kCaseless: rule.flags.caseless = true; break;
            case F::kMultiline: rule.flags.multiline = true; break;
            case F::kDotall: rule.flags.dotall = true; break;
            case F::kUtf8: rule.flags.utf8 = true; break;
          }
          if (*f == F::kUtf8 && target && !rule.target.decoded()) {
            reader.problem(item, "'utf8' only on decoded targets; '" + rule.target.key() +
                                     "' is raw bytes that need not be valid UTF-8");
          }
        }
      }
    }
    if (auto v = r.get("negate")) {
      if (auto b = reader.boolean(*v)) rule.negate = *b;
      if (rule.exists && rule.negate) {
        reader.problem(*v, "'negate' with 'exists': write a meta '!RULE' instead");
      }
    }
    if (auto v = r.get("multiple")) {
      if (auto b = reader.boolean(*v)) rule.multiple = *b;
      if (rule.multiple && (rule.negate || rule.exists)) {
        reader.problem(*v, "'multiple' counts matches: not with 'negate' or 'exists'");
      }
    }
    if (auto v = r.get("max_hits")) {
      if (auto n = reader.count(*v, 1, 1'000'000)) rule.max_hits = static_cast<std::uint32_t>(*n);
      if (!rule.multiple) reader.problem(*v, "'max_hits' needs 'multiple: true'");
    }
    if (auto v = r.get("if_unset")) {
      if (rule.target.kind != TargetKind::kHeader) {
        reader.problem(*v, "'if_unset' needs a header:<Name> target");
      } else if (v->node.IsScalar()) {
        rule.if_unset = v->node.Scalar();
      } else {
        reader.string(*v, "text");
      }
    }
  }
  if (auto v = r.get("score")) {
    if (auto s = reader.score(*v)) rule.score = *s;
  }
  if (auto v = r.get("action")) {
    if (auto a = reader.choice<RuleAction>(*v, {{"reject", RuleAction::kReject},
                                                 {"quarantine", RuleAction::kQuarantine},
                                                 {"tempfail", RuleAction::kTempfail}})) {
      rule.action = *a;
    }
  }
  if (auto v = r.get("reply")) {
    if (auto s = reader.string(*v, "reply text")) {
      if (rule.action == RuleAction::kNone) reader.problem(*v, "'reply' needs an 'action'");
      rule.reply = *s;
    }
  }
  if (auto v = r.get("tags")) {
    if (auto list = reader.sequence(*v, "a list of tags")) {
      for (const Value& item : *list) {
        if (auto s = reader.string(item, "a tag")) rule.tags.push_back(*s);
      }
    }
  }
  if (rule.is_subrule() && !rule.id.empty()) {
    if (rule.score != 0) {
      if (auto v = r.get("score")) reader.problem(*v, "a '__' sub-rule takes no score");
    }
    if (rule.action != RuleAction::kNone) {
      if (auto v = r.get("action")) reader.problem(*v, "a '__' sub-rule takes no action");
    }
  }
  if (!rule.id.empty() && !upper_snake(rule.id)) {
    into.warnings.push_back(location(file, element.mark) + ": " + rule.id +
                            ": rule ids are UPPER_SNAKE by convention");
  }
  if (reader.problem_count() == before) into.rules.push_back(std::move(rule));
}

std::string read_file(const std::filesystem::path& path, std::string& error) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    error = path.string() + ": " + ec.message();
    return {};
  }
  if (size > kMaxFileBytes) {
    error = path.string() + ": larger than 64 MiB";
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) error = path.string() + ": cannot read";
  return text.str();
}

}  // namespace

std::optional<Target> parse_target(std::string_view text, std::string& error) {
  static const std::unordered_map<std::string_view, TargetKind> kSimple = {
      {"subject", TargetKind::kSubject},
      {"from", TargetKind::kFrom},
      {"body", TargetKind::kBody},
      {"rawbody", TargetKind::kRawBody},
      {"uri", TargetKind::kUri},
      {"attachment.name", TargetKind::kAttachmentName},
      {"attachment.type", TargetKind::kAttachmentType},
      {"full", TargetKind::kFull},
  };
  Target t;
  if (auto it = kSimple.find(text); it != kSimple.end()) {
    t.kind = it->second;
    return t;
  }
  if (!text.starts_with("header:")) {
    error = "unknown target '" + std::string(text.substr(0, 80)) +
            "'; expected header:<Name>, subject, from, body, rawbody, uri, attachment.name, "
            "attachment.type or full";
    return std::nullopt;
  }
  std::string_view rest = text.substr(7);
  t.kind = TargetKind::kHeader;
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    const std::string_view form = rest.substr(colon + 1);
    if (form == "raw") t.form = HeaderForm::kRaw;
    else if (form == "addr") t.form = HeaderForm::kAddr;
    else if (form == "name") t.form = HeaderForm::kName;
    else {
      error = "unknown header form ':" + std::string(form.substr(0, 40)) +
              "'; expected :raw, :addr or :name";
      return std::nullopt;
    }
    rest = rest.substr(0, colon);
  }
  if (rest == "ALL") {
    if (t.form != HeaderForm::kDecoded && t.form != HeaderForm::kRaw) {
      error = "header:ALL takes only the :raw form";
      return std::nullopt;
    }
    t.kind = TargetKind::kAllHeaders;
    return t;
  }
  while (true) {
    const auto bar = rest.find('|');
    const std::string_view name = rest.substr(0, bar);
    if (!valid_header_name(name)) {
      error = "'" + std::string(name.substr(0, 80)) + "' is not a header field name";
      return std::nullopt;
    }
    t.headers.push_back(lower(name));
    if (bar == std::string_view::npos) break;
    rest = rest.substr(bar + 1);
  }
  return t;
}

void load_rule_text(const std::string& text, const std::string& name, LoadedRules& into) {
  Reader reader(name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    reader.file_problem(e.mark, "YAML syntax error: " + e.msg);
  }
  if (!reader.has_problems() && !root.IsNull()) {
    Value top{root, "", root.Mark()};
    if (auto list = reader.sequence(top, "a list of rules")) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        if (into.rules.size() >= kMaxRules) {
          reader.problem((*list)[i], "more than 100,000 rules");
          break;
        }
        read_rule(reader, (*list)[i], name, into);
      }
    }
  }
  for (auto& p : reader.take_problems()) into.problems.push_back(std::move(p));
  into.files.push_back(name);
}

LoadedRules load_rule_paths(const std::vector<std::filesystem::path>& paths) {
  LoadedRules loaded;
  for (const auto& path : paths) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
          files.push_back(entry.path());
        }
      }
      if (ec) {
        loaded.problems.push_back(path.string() + ": " + ec.message());
        continue;
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        loaded.problems.push_back(path.string() + ": no *.yaml rule files in this directory");
      }
    } else if (std::filesystem::exists(path, ec)) {
      files.push_back(path);
    } else {
      loaded.problems.push_back(path.string() + ": no such file or directory");
    }
    for (const auto& file : files) {
      std::string error;
      std::string text = read_file(file, error);
      if (!error.empty()) {
        loaded.problems.push_back(error);
        continue;
      }
      load_rule_text(text, file.string(), loaded);
    }
  }
  check_rule_set(loaded);
  return loaded;
}

void check_rule_set(LoadedRules& loaded) {
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < loaded.rules.size(); ++i) {
    const Rule& rule = loaded.rules[i];
    auto [it, fresh] = index.emplace(rule.id, i);
    if (!fresh) {
      const Rule& first = loaded.rules[it->second];
      loaded.problems.push_back(rule.file + ":" + std::to_string(rule.line) + ": " + rule.id +
                                ": duplicate id; first defined at " + first.file + ":" +
                                std::to_string(first.line));
    }
  }
  // Meta references, then cycles (depth-first with colours).
  std::vector<std::vector<std::size_t>> edges(loaded.rules.size());
  for (std::size_t i = 0; i < loaded.rules.size(); ++i) {
    const Rule& rule = loaded.rules[i];
    if (!rule.is_meta()) continue;
    std::string error;
    auto expr = MetaExpr::parse(rule.meta, error);
    if (!expr) continue;  // reported by read_rule
    for (const auto& name : expr->references()) {
      auto it = index.find(name);
      if (it == index.end()) {
        loaded.problems.push_back(rule.file + ":" + std::to_string(rule.line) + ": " + rule.id +
                                  ".meta: no rule '" + name + "'");
      } else {
        edges[i].push_back(it->second);
      }
    }
  }
  std::vector<int> colour(loaded.rules.size(), 0);  // 0 new, 1 on the path, 2 done
  for (std::size_t start = 0; start < loaded.rules.size(); ++start) {
    if (colour[start] != 0) continue;
    // Iterative DFS: a hostile chain of 100,000 metas must not overflow the stack.
    std::vector<std::pair<std::size_t, std::size_t>> stack{{start, 0}};
    colour[start] = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < edges[node].size()) {
        const std::size_t to = edges[node][next++];
        if (colour[to] == 1) {
          const Rule& rule = loaded.rules[node];
          loaded.problems.push_back(rule.file + ":" + std::to_string(rule.line) + ": " +
                                    rule.id + ".meta: cycle through '" +
                                    loaded.rules[to].id + "'");
        } else if (colour[to] == 0) {
          colour[to] = 1;
          stack.emplace_back(to, 0);
        }
      } else {
        colour[node] = 2;
        stack.pop_back();
      }
    }
  }
}

}  // namespace portcullis::rules
