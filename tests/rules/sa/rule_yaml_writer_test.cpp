#include "rules/sa/rule_yaml_writer.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

namespace portcullis::rules::sa {
namespace {

// Reads back what write_rules_yaml wrote, with yaml-cpp, field by field.
std::vector<Rule> read_back(const std::string& text) {
  std::vector<Rule> rules;
  YAML::Node doc = YAML::Load(text);
  EXPECT_TRUE(doc.IsSequence());
  for (const auto& node : doc) {
    Rule r;
    r.id = node["id"].as<std::string>();
    if (node["description"]) r.description = node["description"].as<std::string>();
    if (node["meta"]) r.meta = node["meta"].as<std::string>();
    if (node["target"]) {
      std::string t = node["target"].as<std::string>();
      r.target.kind = t == "body" ? TargetKind::kBody : t == "uri" ? TargetKind::kUri : TargetKind::kHeader;
      if (t.starts_with("header:")) r.target.headers = {t.substr(7)};
    }
    if (node["pattern"]) r.pattern = node["pattern"].as<std::string>();
    if (node["flags"])
      for (const auto& f : node["flags"]) {
        std::string flag = f.as<std::string>();
        if (flag == "caseless") r.flags.caseless = true;
        if (flag == "multiline") r.flags.multiline = true;
        if (flag == "dotall") r.flags.dotall = true;
      }
    if (node["negate"]) r.negate = node["negate"].as<bool>();
    if (node["exists"]) r.exists = node["exists"].as<bool>();
    if (node["if_unset"]) r.if_unset = node["if_unset"].as<std::string>();
    r.score = node["score"].as<double>();
    if (node["tags"])
      for (const auto& t : node["tags"]) r.tags.push_back(t.as<std::string>());
    rules.push_back(r);
  }
  return rules;
}

Rule pattern_rule(std::string id, std::string pattern) {
  Rule r;
  r.id = std::move(id);
  r.target.kind = TargetKind::kBody;
  r.pattern = std::move(pattern);
  r.score = 1.25;
  return r;
}

TEST(RuleYamlWriter, RoundTripsEveryField) {
  std::vector<Rule> rules;
  Rule h = pattern_rule("H", "^it's \"quoted\" \\d+ \\\\ back\\slash$");
  h.target.kind = TargetKind::kHeader;
  h.target.headers = {"subject"};
  h.description = "Subject: it's a \"test\" # not a comment";
  h.flags.caseless = true;
  h.flags.multiline = true;
  h.flags.dotall = true;
  h.negate = true;
  h.if_unset = "";
  h.score = -0.001;
  h.tags = {"spamassassin", "maxhits-5", "yes", "a b"};
  rules.push_back(h);
  Rule e;
  e.id = "E";
  e.target.kind = TargetKind::kHeader;
  e.target.headers = {"x-mailer"};
  e.exists = true;
  e.score = 0;
  rules.push_back(e);
  Rule m;
  m.id = "M";
  m.meta = "(__A + __B) >= 2 && !0";
  m.score = 3.5;
  rules.push_back(m);
  rules.push_back(pattern_rule("U", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 [\\xc3][\\xa9]"));
  rules.push_back(pattern_rule("C", std::string("a\tb\x01" "c\x7f" "d\ne'\"\\", 13)));
  rules.push_back(pattern_rule("T", "\tleading and trailing tab\t"));
  rules.push_back(pattern_rule("N", "nel\xc2\x85 ls\xe2\x80\xa8 ps\xe2\x80\xa9 bom\xef\xbb\xbf"));
  rules.push_back(pattern_rule("S", "  spaces  "));
  rules.push_back(pattern_rule("Y", "- [a, b]: {c} # d & *e !f |g >h %i @j `k"));
  rules.push_back(pattern_rule("Q", "'"));
  rules.push_back(pattern_rule("EMPTY_LOOKING", "null"));

  const std::string text = write_rules_yaml(rules, "header line 1\nheader line 2");
  EXPECT_TRUE(text.starts_with("# header line 1\n# header line 2\n"));
  std::vector<Rule> back = read_back(text);
  ASSERT_EQ(back.size(), rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    SCOPED_TRACE(rules[i].id);
    EXPECT_EQ(back[i].id, rules[i].id);
    EXPECT_EQ(back[i].description, rules[i].description);
    EXPECT_EQ(back[i].pattern, rules[i].pattern);
    EXPECT_EQ(back[i].meta, rules[i].meta);
    EXPECT_EQ(back[i].flags.caseless, rules[i].flags.caseless);
    EXPECT_EQ(back[i].flags.multiline, rules[i].flags.multiline);
    EXPECT_EQ(back[i].flags.dotall, rules[i].flags.dotall);
    EXPECT_EQ(back[i].negate, rules[i].negate);
    EXPECT_EQ(back[i].exists, rules[i].exists);
    EXPECT_EQ(back[i].if_unset, rules[i].if_unset);
    EXPECT_DOUBLE_EQ(back[i].score, rules[i].score);
    EXPECT_EQ(back[i].tags, rules[i].tags);
    if (!rules[i].is_meta()) {
      EXPECT_EQ(back[i].target.kind, rules[i].target.kind);
      EXPECT_EQ(back[i].target.headers, rules[i].target.headers);
    }
  }
}

TEST(RuleYamlWriter, QuotingStyle) {
  EXPECT_EQ(yaml_quote("a'b\\c"), "'a''b\\c'");
  EXPECT_EQ(yaml_quote("a\x01"), "\"a\\x01\"");
  EXPECT_EQ(yaml_quote("a\tb"), "'a\tb'");
  EXPECT_EQ(yaml_quote(""), "''");
}

TEST(RuleYamlWriter, RefusesTextThatIsNotUtf8) {
  EXPECT_THROW(write_rules_yaml({pattern_rule("X", "\xe9")}, ""), std::invalid_argument);
}

TEST(RuleYamlWriter, EmptyFileIsAnEmptySequence) {
  std::string text = write_rules_yaml({}, "nothing here");
  YAML::Node doc = YAML::Load(text);
  EXPECT_TRUE(doc.IsSequence());
  EXPECT_EQ(doc.size(), 0u);
}

TEST(RuleYamlWriter, WriteYamlOneFilePerCf) {
  ImportResult result;
  result.files = {"10_a.cf", "20_b.cf"};
  Rule r = pattern_rule("R", "x");
  r.file = "20_b.cf";
  r.line = 7;
  result.rules.push_back(r);
  result.source_dir = "/src";
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sa_yaml_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                    std::to_string(reinterpret_cast<std::uintptr_t>(&result)));
  write_yaml(result, dir);
  ASSERT_TRUE(std::filesystem::exists(dir / "10_a.yaml"));
  ASSERT_TRUE(std::filesystem::exists(dir / "20_b.yaml"));
  std::ifstream in(dir / "20_b.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("Source: /src/20_b.cf"), std::string::npos);
  EXPECT_NE(text.find("# 20_b.cf:7"), std::string::npos);
  EXPECT_EQ(read_back(text).size(), 1u);
  EXPECT_EQ(YAML::LoadFile((dir / "10_a.yaml").string()).size(), 0u);
  std::filesystem::remove_all(dir);
}

TEST(RuleYamlWriter, ReportMentionsCountsAndCompileHook) {
  ImportResult result;
  result.by_kind["body"] = {10, 9, 1};
  result.skipped.push_back({"B", "body", {"t.cf", 3}, "PCRE2: too large", false});
  result.compiled = CompileCounts{7, 2, 0};
  std::string report = format_report(result);
  EXPECT_NE(report.find("9 of 10 imported (90.0%)"), std::string::npos) << report;
  EXPECT_NE(report.find("7 patterns to Hyperscan, 2 to PCRE2"), std::string::npos);
  EXPECT_NE(report.find("t.cf:3: B (body): PCRE2: too large"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::rules::sa
