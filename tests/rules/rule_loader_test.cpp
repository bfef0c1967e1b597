#include "rules/rule_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace portcullis::rules {
namespace {

LoadedRules load(const std::string& text) {
  LoadedRules loaded;
  load_rule_text(text, "t.yaml", loaded);
  check_rule_set(loaded);
  return loaded;
}

std::string problems(const LoadedRules& l) {
  std::string out;
  for (const auto& p : l.problems) out += p + "\n";
  return out;
}

TEST(RuleLoader, ReadsEveryField) {
  const auto l = load(R"(
- id: GTUBE
  description: test pattern
  target: body
  pattern: 'XJS\*C4JDBQADN1'
  flags: [caseless, multiline, dotall, utf8]
  score: 1000
  action: reject
  reply: "spam test"
  tags: [test, gtube]
- id: NO_DATE
  target: header:Date
  exists: true
- id: NOT_FROM_US
  target: header:From|Sender:addr
  pattern: '@example\.org$'
  negate: true
  if_unset: ""
  score: -1.5
- id: BOTH
  meta: "GTUBE && !NO_DATE"
)");
  ASSERT_TRUE(l.problems.empty()) << problems(l);
  ASSERT_EQ(l.rules.size(), 4u);
  const Rule& g = l.rules[0];
  EXPECT_EQ(g.id, "GTUBE");
  EXPECT_EQ(g.description, "test pattern");
  EXPECT_EQ(g.target.kind, TargetKind::kBody);
  EXPECT_EQ(g.pattern, "XJS\\*C4JDBQADN1");
  EXPECT_TRUE(g.flags.caseless && g.flags.multiline && g.flags.dotall && g.flags.utf8);
  EXPECT_EQ(g.score, 1000);
  EXPECT_EQ(g.action, RuleAction::kReject);
  EXPECT_EQ(g.reply, "spam test");
  EXPECT_EQ(g.tags, (std::vector<std::string>{"test", "gtube"}));
  EXPECT_EQ(g.file, "t.yaml");
  EXPECT_EQ(g.line, 2);
  EXPECT_TRUE(l.rules[1].exists);
  EXPECT_EQ(l.rules[1].target.key(), "header:date");
  const Rule& n = l.rules[2];
  EXPECT_TRUE(n.negate);
  ASSERT_TRUE(n.if_unset);
  EXPECT_EQ(*n.if_unset, "");
  EXPECT_EQ(n.score, -1.5);
  EXPECT_EQ(n.target.headers, (std::vector<std::string>{"from", "sender"}));
  EXPECT_EQ(n.target.form, HeaderForm::kAddr);
  EXPECT_TRUE(l.rules[3].is_meta());
}

TEST(RuleLoader, Targets) {
  std::string error;
  for (const char* t : {"subject", "from", "body", "rawbody", "uri", "attachment.name",
                        "attachment.type", "full", "header:ALL", "header:ALL:raw",
                        "header:Subject:raw", "header:X-Mailer", "header:To|Cc:name"}) {
    auto target = parse_target(t, error);
    ASSERT_TRUE(target) << t << ": " << error;
  }
  EXPECT_EQ(parse_target("header:ALL:raw", error)->kind, TargetKind::kAllHeaders);
  EXPECT_EQ(parse_target("header:ALL:raw", error)->key(), "header:ALL:raw");
  EXPECT_FALSE(parse_target("header:ALL:addr", error));
  EXPECT_FALSE(parse_target("bodyy", error));
  EXPECT_NE(error.find("unknown target 'bodyy'"), std::string::npos);
  EXPECT_FALSE(parse_target("header:Subject:decoded", error));
  EXPECT_NE(error.find("unknown header form"), std::string::npos);
  EXPECT_FALSE(parse_target("header:", error));
  EXPECT_FALSE(parse_target("header:A||B", error));
  EXPECT_TRUE(parse_target("header:Subject", error)->decoded());
  EXPECT_FALSE(parse_target("header:Subject:raw", error)->decoded());
  EXPECT_FALSE(parse_target("full", error)->decoded());
}

TEST(RuleLoader, ErrorsHaveFileLineAndReason) {
  const auto l = load(R"(
- id: A
  target: body
  pattern: x
  colour: red
- id: 9BAD
  target: body
  pattern: x
- id: C
  target: bodyy
  pattern: x
- id: D
  target: full
  pattern: x
  flags: [utf8]
- id: E
  target: body
- id: F
  meta: "A &&"
- id: G
  target: body
  pattern: x
  score: lots
- id: H
  target: body
  pattern: x
  action: drop
)");
  const std::string p = problems(l);
  EXPECT_NE(p.find("t.yaml:5:3: A.colour: unknown key"), std::string::npos) << p;
  EXPECT_NE(p.find("t.yaml:6:7: [1].id: '9BAD' is not a rule id"), std::string::npos) << p;
  EXPECT_NE(p.find("t.yaml:10:11: C.target: unknown target 'bodyy'"), std::string::npos) << p;
  EXPECT_NE(p.find("t.yaml:15:11: D.flags[0]: 'utf8' only on decoded targets"),
            std::string::npos) << p;
  EXPECT_NE(p.find("E.pattern: missing"), std::string::npos) << p;
  EXPECT_NE(p.find("F.meta: bad meta expression: expression ends early at 4"),
            std::string::npos) << p;
  EXPECT_NE(p.find("G.score:"), std::string::npos) << p;
  EXPECT_NE(p.find("H.action:"), std::string::npos) << p;
  // Only the clean rule survives.
  ASSERT_EQ(l.rules.size(), 0u) << "every rule above has a problem";
}

TEST(RuleLoader, DuplicatesDanglingMetasAndCycles) {
  const auto l = load(R"(
- {id: A, target: body, pattern: x}
- {id: A, target: body, pattern: y}
- {id: M1, meta: "A && NOPE"}
- {id: M2, meta: "M3"}
- {id: M3, meta: "M2 || A"}
)");
  const std::string p = problems(l);
  EXPECT_NE(p.find("t.yaml:3: A: duplicate id; first defined at t.yaml:2"), std::string::npos)
      << p;
  EXPECT_NE(p.find("t.yaml:4: M1.meta: no rule 'NOPE'"), std::string::npos) << p;
  EXPECT_NE(p.find(".meta: cycle through"), std::string::npos) << p;
}

TEST(RuleLoader, SubRulesTakeNoScoreAndIdsWarn) {
  const auto l = load(R"(
- {id: __PART, target: body, pattern: x, score: 1}
- {id: lower_case, target: body, pattern: x}
)");
  EXPECT_NE(problems(l).find("__PART.score: a '__' sub-rule takes no score"), std::string::npos);
  ASSERT_EQ(l.warnings.size(), 1u);
  EXPECT_NE(l.warnings[0].find("lower_case: rule ids are UPPER_SNAKE"), std::string::npos);
}

TEST(RuleLoader, SyntaxErrorsAndWrongShapes) {
  EXPECT_NE(problems(load("- id: [unclosed\n")).find("t.yaml:"), std::string::npos);
  EXPECT_NE(problems(load("- id: [unclosed\n")).find("YAML syntax error"), std::string::npos);
  EXPECT_NE(problems(load("id: A\n")).find("expected a list of rules"), std::string::npos);
  EXPECT_TRUE(load("").problems.empty());
}

TEST(RuleLoader, DirectoriesInNameOrderAndMissingPaths) {
  const auto dir = std::filesystem::temp_directory_path() / "pc_rule_loader_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "b.yaml") << "- {id: B, target: body, pattern: b}\n";
  std::ofstream(dir / "a.yaml") << "- {id: A, target: body, pattern: a}\n";
  std::ofstream(dir / "notes.txt") << "not rules\n";
  const auto l = load_rule_paths({dir});
  ASSERT_TRUE(l.problems.empty()) << problems(l);
  ASSERT_EQ(l.rules.size(), 2u);
  EXPECT_EQ(l.rules[0].id, "A");
  EXPECT_EQ(l.rules[1].id, "B");
  const auto missing = load_rule_paths({dir / "nope"});
  ASSERT_EQ(missing.problems.size(), 1u);
  EXPECT_NE(missing.problems[0].find("no such file or directory"), std::string::npos);
  std::filesystem::create_directories(dir / "empty");
  EXPECT_NE(problems(load_rule_paths({dir / "empty"})).find("no *.yaml rule files"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace portcullis::rules

namespace portcullis::rules {
namespace {

TEST(RuleLoader, MultipleAndMaxHits) {
  auto l = load("- {id: A, target: body, pattern: x, multiple: true, max_hits: 3}\n");
  ASSERT_TRUE(l.problems.empty()) << problems(l);
  EXPECT_TRUE(l.rules[0].multiple);
  EXPECT_EQ(l.rules[0].max_hits, 3u);
  l = load("- {id: B, target: body, pattern: x, max_hits: 3}\n"
           "- {id: C, target: body, pattern: x, multiple: true, negate: true}\n"
           "- {id: D, meta: 'B', multiple: true}\n");
  const std::string p = problems(l);
  EXPECT_NE(p.find("B.max_hits: 'max_hits' needs 'multiple: true'"), std::string::npos) << p;
  EXPECT_NE(p.find("C.multiple: 'multiple' counts matches"), std::string::npos) << p;
  EXPECT_NE(p.find("D.multiple: a meta rule takes no 'multiple'"), std::string::npos) << p;
}

}  // namespace
}  // namespace portcullis::rules
