#include "rules/sa/cf_reader.hpp"

#include <gtest/gtest.h>

namespace portcullis::rules::sa {
namespace {

CfSet read(const std::string& text, SaEnvironment env = SaEnvironment::debian_4_0_1()) {
  CfSet set;
  read_cf_text(text, "t.cf", env, set);
  return set;
}

TEST(CfReader, CommentsBlanksAndEscapedHash) {
  CfSet set = read(
      "# a comment\n"
      "\n"
      "   body   A_RULE   /foo\\#bar/   # trailing comment\n"
      "body B_RULE /x/ #\n");
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules["A_RULE"].text, "/foo#bar/");
  EXPECT_EQ(set.rules["A_RULE"].kind, "body");
  EXPECT_EQ(set.rules["A_RULE"].where.line, 3);
  EXPECT_EQ(set.rules["A_RULE"].where.file, "t.cf");
  EXPECT_EQ(set.rules["B_RULE"].text, "/x/");
}

TEST(CfReader, LangLinesIgnoredExceptEnglish) {
  CfSet set = read(
      "describe R English\n"
      "lang de describe R Deutsch\n"
      "lang fr body FR_ONLY /x/\n"
      "lang en describe S Also English\n");
  EXPECT_EQ(set.describe["R"], "English");
  EXPECT_EQ(set.describe["S"], "Also English");
  EXPECT_FALSE(set.rules.contains("FR_ONLY"));
}

TEST(CfReader, LaterDefinitionOverrides) {
  CfSet set = read(
      "header R Subject =~ /a/\n"
      "body R /b/\n"
      "describe R first\n"
      "describe R second\n"
      "tflags R multiple\n"
      "tflags R nice\n");
  EXPECT_EQ(set.rules["R"].kind, "body");
  EXPECT_EQ(set.rules["R"].text, "/b/");
  EXPECT_EQ(set.rules["R"].where.line, 2);
  EXPECT_EQ(set.describe["R"], "second");
  EXPECT_EQ(set.tflags["R"], "nice");
}

TEST(CfReader, ScoresOneFourAndRelative) {
  CfSet set = read(
      "score A 1.5\n"
      "score B 0 2.5 0 3\n"
      "score C 1\n"
      "score C (2) (0) (1) (0)\n"
      "score D (1)\n"
      "score E abc\n"
      "score F 1 2\n");
  EXPECT_EQ(set.scores["A"], (std::array<double, 4>{1.5, 1.5, 1.5, 1.5}));
  EXPECT_EQ(set.scores["B"], (std::array<double, 4>{0, 2.5, 0, 3}));
  EXPECT_EQ(set.scores["C"], (std::array<double, 4>{3, 1, 2, 1}));
  EXPECT_FALSE(set.scores.contains("D"));  // relative without a previous score
  EXPECT_FALSE(set.scores.contains("E"));
  EXPECT_FALSE(set.scores.contains("F"));
  EXPECT_EQ(set.warnings.size(), 3u);
}

TEST(CfReader, UnknownDirectivesAndSettingsIgnored) {
  CfSet set = read(
      "frobnicate X Y\n"
      "welcomelist_from a@example.com\n"
      "util_rb_tld com\n"
      "Body UPPER_KEY /x/\n");
  EXPECT_EQ(set.rules.size(), 1u);
  EXPECT_TRUE(set.rules.contains("UPPER_KEY"));
  EXPECT_TRUE(set.warnings.empty());
}

TEST(CfReader, IfpluginLoadedAndNot) {
  CfSet set = read(
      "ifplugin Mail::SpamAssassin::Plugin::HeaderEval\n"
      "body IN_LOADED /x/\n"
      "endif\n"
      "ifplugin Mail::SpamAssassin::Plugin::TextCat\n"
      "body IN_UNLOADED /x/\n"
      "endif\n"
      "ifplugin Mail::SpamAssassin::Plugin::Dmarc\n"  // renamed to DMARC, loaded
      "body IN_RENAMED /x/\n"
      "endif\n");
  EXPECT_TRUE(set.rules.contains("IN_LOADED"));
  EXPECT_FALSE(set.rules.contains("IN_UNLOADED"));
  EXPECT_TRUE(set.rules.contains("IN_RENAMED"));
}

TEST(CfReader, IfExpressionsVersionCanPlugin) {
  CfSet set = read(
      "if (version >= 3.004000)\nbody V_NEW /x/\nendif\n"
      "if (version < 4.000000)\nbody V_OLD /x/\nendif\n"
      "if can(Mail::SpamAssassin::Conf::feature_bug6558_free)\nbody CAN_YES /x/\nendif\n"
      "if can(Mail::SpamAssassin::Conf::feature_nonexistent)\nbody CAN_NO /x/\nendif\n"
      "if can(Mail::SpamAssassin::Plugin::ASN::has_check_asn)\nbody CAN_UNLOADED /x/\nendif\n"
      "if can(Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length)\nbody CAN_LOADED /x/\nendif\n"
      "if !plugin(Mail::SpamAssassin::Plugin::ReplaceTags)\nbody NOT_PLUGIN /x/\nendif\n"
      "if !((version >= 3.004000))\nbody DOUBLE_NEG /x/\nendif\n"
      "if (version >= 3.003000) && !plugin(Mail::SpamAssassin::Plugin::TextCat)\nbody AND_YES /x/\nendif\n");
  for (const char* yes : {"V_NEW", "CAN_YES", "CAN_LOADED", "AND_YES"}) EXPECT_TRUE(set.rules.contains(yes)) << yes;
  for (const char* no : {"V_OLD", "CAN_NO", "CAN_UNLOADED", "NOT_PLUGIN", "DOUBLE_NEG"})
    EXPECT_FALSE(set.rules.contains(no)) << no;
}

TEST(CfReader, NestedIfElse) {
  CfSet set = read(
      "ifplugin Mail::SpamAssassin::Plugin::TextCat\n"
      "  body A /x/\n"
      "  if (version >= 3.0)\n"
      "    body B /x/\n"
      "  else\n"
      "    body C /x/\n"  // outer block is skipped: stays skipped (bug 7848)
      "  endif\n"
      "else\n"
      "  body D /x/\n"
      "  if (version >= 5.0)\n"
      "    body E /x/\n"
      "  else\n"
      "    body F /x/\n"
      "  endif\n"
      "endif\n"
      "body G /x/\n");
  for (const char* yes : {"D", "F", "G"}) EXPECT_TRUE(set.rules.contains(yes)) << yes;
  for (const char* no : {"A", "B", "C", "E"}) EXPECT_FALSE(set.rules.contains(no)) << no;
}

TEST(CfReader, LoadpluginEnablesLaterIfplugin) {
  SaEnvironment env = SaEnvironment::debian_4_0_1();
  CfSet set;
  read_cf_text(
      "loadplugin Mail::SpamAssassin::Plugin::TextCat\n"
      "ifplugin Mail::SpamAssassin::Plugin::TextCat\nbody T /x/\nendif\n",
      "t.cf", env, set);
  EXPECT_TRUE(set.rules.contains("T"));
  EXPECT_TRUE(env.has_plugin("Mail::SpamAssassin::Plugin::TextCat"));
}

TEST(CfReader, BadConditionSkipsBlockAndWarns) {
  CfSet set = read("if (version >= ) \nbody X /x/\nendif\nbody Y /y/\nifplugin Foo\n");
  EXPECT_FALSE(set.rules.contains("X"));
  EXPECT_TRUE(set.rules.contains("Y"));
  EXPECT_EQ(set.warnings.size(), 2u);  // the syntax error and the unclosed ifplugin
}

TEST(CfReader, ReplaceTagSettings) {
  CfSet set = read(
      "replace_tag A (?:a|4)\n"
      "replace_pre P1 (?:x)\n"
      "replace_inter W1 \\W?\n"
      "replace_post P2 {1,2}\n"
      "replace_rules R1 R2\n");
  EXPECT_EQ(set.replace_tag["A"], "(?:a|4)");
  EXPECT_EQ(set.replace_inter["W1"], "\\W?");
  EXPECT_EQ(set.replace_post["P2"], "{1,2}");
  EXPECT_EQ(set.replace_pre["P1"], "(?:x)");
  EXPECT_TRUE(set.replace_rules.contains("R1"));
  EXPECT_TRUE(set.replace_rules.contains("R2"));
}

}  // namespace
}  // namespace portcullis::rules::sa
