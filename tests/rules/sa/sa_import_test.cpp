#include "rules/sa/sa_import.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include <yaml-cpp/yaml.h>

#include "rules/sa/replace_tags.hpp"
#include "rules/sa/rule_yaml_writer.hpp"

namespace portcullis::rules::sa {
namespace {

ImportResult import_text(const std::string& text, ImportOptions options = {}) {
  CfSet set;
  read_cf_text(text, "t.cf", options.env, set);
  return import_cf_set(set, options);
}

const Rule* find(const ImportResult& r, const std::string& id) {
  for (const auto& rule : r.rules)
    if (rule.id == id) return &rule;
  return nullptr;
}

const SkippedRule* skip(const ImportResult& r, const std::string& id) {
  for (const auto& s : r.skipped)
    if (s.id == id) return &s;
  return nullptr;
}

TEST(SaImport, HeaderForms) {
  ImportResult r = import_text(
      "header H_PLAIN Subject =~ /free/i\n"
      "header H_NEG   X-Mailer !~ /^Outlook/\n"
      "header H_RAW   Subject:raw =~ /=\\?utf-8\\?/\n"
      "header H_ADDR  From:addr =~ /\\@example\\.com$/\n"
      "header H_NAME  From:name =~ /^Bank$/\n"
      "header H_ALL   ALL =~ /^X-Spam: yes$/m\n"
      "header H_TOCC  ToCc =~ /undisclosed/\n"
      "header H_MID   MESSAGEID =~ /\\@localhost>/\n"
      "header H_EX    exists:X-Mailer\n"
      "header H_EX2   exists:List-Id:\n"
      "header H_UNSET Reply-To =~ /^$/ [if-unset: none]\n"
      "header H_RELAY X-Spam-Relays-External =~ /^\\[ ip=192\\.0\\.2\\./\n");
  const Rule* r1 = find(r, "H_PLAIN");
  ASSERT_NE(r1, nullptr);
  EXPECT_EQ(r1->target.key(), "header:subject");
  EXPECT_EQ(r1->pattern, "free");
  EXPECT_TRUE(r1->flags.caseless);
  EXPECT_FALSE(r1->flags.multiline);
  EXPECT_EQ(r1->if_unset, std::optional<std::string>(""));  // SA: missing header matches as ""
  EXPECT_FALSE(r1->negate);
  EXPECT_TRUE(find(r, "H_NEG")->negate);
  EXPECT_EQ(find(r, "H_NEG")->if_unset, std::optional<std::string>(""));
  EXPECT_EQ(find(r, "H_RAW")->target.key(), "header:subject:raw");
  EXPECT_EQ(find(r, "H_ADDR")->target.key(), "header:from:addr");
  EXPECT_EQ(find(r, "H_NAME")->target.key(), "header:from:name");
  EXPECT_EQ(find(r, "H_ALL")->target.key(), "header:ALL");
  EXPECT_FALSE(find(r, "H_ALL")->if_unset.has_value());
  EXPECT_TRUE(find(r, "H_ALL")->flags.multiline);
  EXPECT_EQ(find(r, "H_TOCC")->target.key(), "header:to|cc");
  EXPECT_EQ(find(r, "H_MID")->target.key(),
            "header:x-message-id|resent-message-id|x-original-message-id|message-id");
  EXPECT_TRUE(find(r, "H_EX")->exists);
  EXPECT_TRUE(find(r, "H_EX")->pattern.empty());
  EXPECT_FALSE(find(r, "H_EX")->if_unset.has_value());
  EXPECT_EQ(find(r, "H_EX2")->target.key(), "header:list-id");
  EXPECT_EQ(find(r, "H_UNSET")->if_unset, std::optional<std::string>("none"));
  EXPECT_EQ(find(r, "H_UNSET")->pattern, "^$");
  EXPECT_EQ(find(r, "H_RELAY")->target.key(), "header:x-spam-relays-external");
}

TEST(SaImport, HeaderSkips) {
  ImportResult r = import_text(
      "header S_ENV EnvelopeFrom =~ /x/\n"
      "header S_HOST From:host =~ /x/\n"
      "header S_TRUST ALL-TRUSTED =~ /x/\n"
      "header S_BAD Subject ~~ /x/\n"
      "header S_CAP To:addr =~ /%{SOMETHING}/\n");
  EXPECT_NE(skip(r, "S_ENV")->reason.find("EnvelopeFrom"), std::string::npos);
  EXPECT_NE(skip(r, "S_HOST")->reason.find(":host"), std::string::npos);
  EXPECT_NE(skip(r, "S_TRUST")->reason.find("ALL-TRUSTED"), std::string::npos);
  EXPECT_EQ(skip(r, "S_BAD")->reason, "invalid header test");
  EXPECT_NE(skip(r, "S_CAP")->reason.find("capture template"), std::string::npos);
  EXPECT_TRUE(r.rules.empty());
}

TEST(SaImport, BodyGetsMultilineOthersKeepFlags) {
  ImportResult r = import_text(
      "body B1 /^Dear friend$/\n"
      "rawbody R1 /<html>/i\n"
      "full F1 /^Subject: x$/m\n"
      "uri U1 m{^https?://192\\.0\\.2\\.}s\n");
  EXPECT_TRUE(find(r, "B1")->flags.multiline);
  EXPECT_EQ(find(r, "B1")->target.kind, TargetKind::kBody);
  EXPECT_FALSE(find(r, "R1")->flags.multiline);
  EXPECT_TRUE(find(r, "R1")->flags.caseless);
  EXPECT_EQ(find(r, "R1")->target.kind, TargetKind::kRawBody);
  EXPECT_TRUE(find(r, "F1")->flags.multiline);
  EXPECT_EQ(find(r, "F1")->target.kind, TargetKind::kFull);
  EXPECT_TRUE(find(r, "U1")->flags.dotall);
  EXPECT_EQ(find(r, "U1")->target.kind, TargetKind::kUri);
  EXPECT_EQ(find(r, "U1")->pattern, "^https?://192\\.0\\.2\\.");
}

TEST(SaImport, Scores) {
  ImportResult r = import_text(
      "body DEFAULT /a/\n"
      "body T_TESTING /a/\n"
      "body NICE_ONE /a/\n"
      "tflags NICE_ONE nice\n"
      "body __SUB /a/\n"
      "body FOUR /a/\n"
      "score FOUR 1.5 2.5 3.5 4.5\n"
      "body SCORED /a/\n"
      "score SCORED -0.5\n");
  EXPECT_DOUBLE_EQ(find(r, "DEFAULT")->score, 1.0);
  EXPECT_DOUBLE_EQ(find(r, "T_TESTING")->score, 0.01);
  EXPECT_DOUBLE_EQ(find(r, "NICE_ONE")->score, -1.0);
  EXPECT_DOUBLE_EQ(find(r, "__SUB")->score, 0.0);
  EXPECT_DOUBLE_EQ(find(r, "FOUR")->score, 1.5);  // score set 0
  EXPECT_DOUBLE_EQ(find(r, "SCORED")->score, -0.5);
  ImportOptions set3;
  set3.score_set = 3;
  EXPECT_DOUBLE_EQ(find(import_text("body FOUR /a/\nscore FOUR 1.5 2.5 3.5 4.5\n", set3), "FOUR")->score, 4.5);
}

TEST(SaImport, DescribeAndTflagsBecomeDescriptionAndTags) {
  ImportResult r = import_text(
      "body M /a/\n"
      "describe M Multiple hits of a\n"
      "tflags M multiple maxhits=5 publish\n");
  const Rule* m = find(r, "M");
  EXPECT_EQ(m->description, "Multiple hits of a");
  EXPECT_EQ(m->tags, (std::vector<std::string>{"spamassassin", "multiple", "maxhits-5"}));
}

TEST(SaImport, SkipReasons) {
  ImportResult r = import_text(
      "header E_LOCAL eval:check_for_missing_to_header()\n"
      "header E_RBL eval:check_rbl('zen', 'zen.example.')\n"
      "body E_NET eval:check_razor2()\n"
      "tflags E_NET net\n"
      "body E_BAYES eval:check_bayes('0.99', '1.00')\n"
      "tflags E_BAYES learn\n"
      "body ZERO /a/\n"
      "score ZERO 0\n"
      "askdns A_DNS _SENDERDOMAIN_ TXT /x/\n"
      "mimeheader MH Content-Type =~ /x/\n"
      "body BAD_RE /a(/\n");
  EXPECT_EQ(skip(r, "E_LOCAL")->reason, "eval rule (eval:check_for_missing_to_header)");
  EXPECT_FALSE(skip(r, "E_LOCAL")->inactive_in_sa);
  EXPECT_EQ(skip(r, "E_RBL")->reason, "network test (eval:check_rbl)");
  EXPECT_TRUE(skip(r, "E_RBL")->inactive_in_sa);
  EXPECT_EQ(skip(r, "E_NET")->reason, "network test (eval:check_razor2)");
  EXPECT_EQ(skip(r, "E_BAYES")->reason, "Bayes test (eval:check_bayes)");
  EXPECT_NE(skip(r, "ZERO")->reason.find("score 0"), std::string::npos);
  EXPECT_TRUE(skip(r, "ZERO")->inactive_in_sa);
  EXPECT_EQ(skip(r, "A_DNS")->reason, "network test (askdns)");
  EXPECT_EQ(skip(r, "MH")->reason, "rule type mimeheader not supported");
  EXPECT_EQ(skip(r, "BAD_RE")->reason.substr(0, 6), "PCRE2:");
  EXPECT_EQ(skip(r, "E_LOCAL")->where.line, 1);
  EXPECT_EQ(r.regex_rules(), 2u);     // ZERO and BAD_RE
  EXPECT_EQ(r.regex_imported(), 0u);
  EXPECT_EQ(r.regex_active(), 1u);    // BAD_RE
}

TEST(SaImport, IncludeDisabled) {
  ImportOptions options;
  options.include_disabled = true;
  ImportResult r = import_text("body ZERO /a/\nscore ZERO 0\nmeta M ZERO || __X\nbody __X /b/\n", options);
  const Rule* zero = find(r, "ZERO");
  ASSERT_NE(zero, nullptr);
  EXPECT_DOUBLE_EQ(zero->score, 0);
  EXPECT_EQ(zero->tags.back(), "sa-disabled");
  EXPECT_EQ(find(r, "M")->meta, "0 || __X");  // metas see it as SpamAssassin does
}

TEST(SaImport, MetaDependencies) {
  ImportResult r = import_text(
      "body __A /a/\n"
      "body __B /b/\n"
      "header __NET eval:check_rbl('x', 'x.example.')\n"
      "header __LOCAL eval:check_for_missing_to_header()\n"
      "meta M_OK (__A + __B) >= 2 && !__NET && !__UNDEFINED\n"
      "meta M_EVAL __A && __LOCAL\n"
      "meta M_CHAIN M_OK || __B\n"
      "meta M_CHAIN_BAD M_EVAL || __B\n"
      "meta M_LTO __A && local_tests_only\n"
      "meta M_FLOAT __A > 0.5\n"
      "meta M_GLOB rules_matching(__?) > 1\n"
      "meta M_ZERO __A\n"
      "score M_ZERO 0\n"
      "meta M_USES_ZERO M_ZERO || __B\n");
  EXPECT_EQ(find(r, "M_OK")->meta, "( __A + __B ) >= 2 && ! 0 && ! 0");
  EXPECT_EQ(skip(r, "M_EVAL")->reason.substr(0, 19), "depends on __LOCAL ");
  EXPECT_EQ(find(r, "M_CHAIN")->meta, "M_OK || __B");
  EXPECT_NE(skip(r, "M_CHAIN_BAD")->reason.find("depends on M_EVAL"), std::string::npos);
  EXPECT_EQ(find(r, "M_LTO")->meta, "__A && 1");
  EXPECT_EQ(skip(r, "M_FLOAT")->reason, "non-integer number in meta expression");
  EXPECT_EQ(find(r, "M_GLOB")->meta, "(__A + __B) > 1");
  EXPECT_EQ(find(r, "M_USES_ZERO")->meta, "0 || __B");
  EXPECT_DOUBLE_EQ(find(r, "M_OK")->score, 1.0);
}

TEST(SaImport, ReplaceTags) {
  ImportResult r = import_text(
      "replace_tag A (?:a|4)\n"
      "replace_tag B (?:b|8)\n"
      "replace_tag AB <A><B>\n"
      "replace_inter W1 \\W?\n"
      "replace_post P2 {1,2}\n"
      "replace_pre PRE (?:x)\n"
      "body R1 /<A><B>/i\n"
      "body R2 /<inter W1><post P2><A><B>/\n"
      "body R3 /<AB>c/\n"
      "body R4 /<pre PRE><A>/\n"
      "body NOT_LISTED /<A>/\n"
      "replace_rules R1 R2 R3 R4\n");
  EXPECT_EQ(find(r, "R1")->pattern, "(?:a|4)(?:b|8)");
  EXPECT_EQ(find(r, "R2")->pattern, "(?:a|4){1,2}\\W?(?:b|8){1,2}");
  EXPECT_EQ(find(r, "R3")->pattern, "(?:a|4)(?:b|8)c");
  EXPECT_EQ(find(r, "R4")->pattern, "(?:x)(?:a|4)");
  EXPECT_EQ(find(r, "NOT_LISTED")->pattern, "<A>");
}

TEST(SaImport, BadIds) {
  std::string long_name(70, 'A');
  ImportResult r = import_text("body " + long_name + " /a/\n");
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_NE(r.skipped[0].reason.find("valid id"), std::string::npos);
}

// The shipped Debian rules: at least 95% of the regex rules SpamAssassin runs here load.
TEST(SaImport, DebianRules) {
  const std::filesystem::path dir = PORTCULLIS_SA_RULES_DIR;
  if (!std::filesystem::exists(dir / "50_scores.cf")) GTEST_SKIP() << "no " << dir;
  ImportResult r = import_sa(dir);
  std::cout << format_report(r, false);
  ASSERT_GT(r.regex_rules(), 1000u);
  EXPECT_GE(static_cast<double>(r.regex_imported()), 0.95 * static_cast<double>(r.regex_active()));
  EXPECT_GE(static_cast<double>(r.regex_imported()), 0.90 * static_cast<double>(r.regex_rules()));
  const Rule* gtube = find(r, "GTUBE");
  ASSERT_NE(gtube, nullptr);
  EXPECT_DOUBLE_EQ(gtube->score, 1000);
  EXPECT_EQ(gtube->target.kind, TargetKind::kBody);
  ImportOptions all;
  all.include_disabled = true;
  ImportResult with_disabled = import_sa(dir, all);
  EXPECT_GE(static_cast<double>(with_disabled.regex_imported()),
            0.95 * static_cast<double>(with_disabled.regex_rules()));
  EXPECT_EQ(with_disabled.regex_active(), r.regex_active());
  // Every converted pattern survives the trip through the YAML files byte for byte.
  const auto out = std::filesystem::temp_directory_path() /
                   ("sa_debian_" + std::to_string(reinterpret_cast<std::uintptr_t>(&r)));
  write_yaml(r, out);
  std::map<std::string, std::string> written;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    YAML::Node doc = YAML::LoadFile(entry.path().string());
    ASSERT_TRUE(doc.IsSequence()) << entry.path();
    for (const auto& node : doc)
      written[node["id"].as<std::string>()] =
          node["pattern"] ? node["pattern"].as<std::string>() : node["meta"] ? node["meta"].as<std::string>() : "";
  }
  std::filesystem::remove_all(out);
  ASSERT_EQ(written.size(), r.rules.size());
  for (const auto& rule : r.rules)
    EXPECT_EQ(written[rule.id], rule.is_meta() ? rule.meta : rule.pattern) << rule.id;
}

}  // namespace
}  // namespace portcullis::rules::sa
