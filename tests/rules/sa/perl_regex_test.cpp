#include "rules/sa/perl_regex.hpp"

#include <gtest/gtest.h>

namespace portcullis::rules::sa {
namespace {

PerlRegex ok(std::string_view literal) {
  std::string error;
  auto re = parse_perl_regex(literal, &error);
  EXPECT_TRUE(re.has_value()) << literal << ": " << error;
  return re.value_or(PerlRegex{});
}

std::string fails(std::string_view literal) {
  std::string error;
  auto re = parse_perl_regex(literal, &error);
  EXPECT_FALSE(re.has_value()) << literal;
  return error;
}

TEST(PerlRegex, Delimiters) {
  EXPECT_EQ(ok("/foo/").pattern, "foo");
  EXPECT_EQ(ok("/a\\/b/").pattern, "a\\/b");  // escaped delimiter stays escaped
  EXPECT_EQ(ok("m{a/b{2}}").pattern, "a/b{2}");
  EXPECT_EQ(ok("m!a/b!").pattern, "a/b");
  EXPECT_EQ(ok("m'it'").pattern, "it");
  EXPECT_EQ(ok("m(a(b)c)").pattern, "a(b)c");
  EXPECT_EQ(ok("m<ab>").pattern, "ab");
  EXPECT_EQ(ok("m[ab]").pattern, "ab");
  EXPECT_EQ(ok("m,a;b,").pattern, "a;b");
  EXPECT_EQ(ok("m;a,b;i").pattern, "a,b");
  EXPECT_EQ(ok("m|x|").pattern, "x");
  EXPECT_EQ(ok("qr/x/").pattern, "x");
  EXPECT_EQ(ok("m~x~").pattern, "x");
}

TEST(PerlRegex, Flags) {
  PerlRegex re = ok("/Foo/i");
  EXPECT_TRUE(re.flags.caseless);
  EXPECT_FALSE(re.flags.multiline);
  re = ok("/^a$/ism");
  EXPECT_TRUE(re.flags.caseless);
  EXPECT_TRUE(re.flags.multiline);
  EXPECT_TRUE(re.flags.dotall);
  re = ok("m{ a b # c }x");
  EXPECT_EQ(re.pattern, "(?x) a b # c ");
  re = ok("/x/ogaaun");  // no effect on byte matching
  EXPECT_FALSE(re.flags.caseless);
  EXPECT_EQ(re.pattern, "x");
  EXPECT_EQ(pcre2_error(ok("m{ a b # c }x").pattern, {}), "");
}

TEST(PerlRegex, Refusals) {
  EXPECT_EQ(fails("foo"), "missing regexp delimiters");
  EXPECT_EQ(fails("m\\x\\"), "backslash delimiter not allowed");
  EXPECT_EQ(fails("/foo/e"), "invalid end delimiter/mods");
  EXPECT_EQ(fails("/foo"), "invalid end delimiter/mods");
  EXPECT_EQ(fails("/a/b/"), "unquoted delimiter '/' found");
  EXPECT_NE(fails("/a(?{ system('x') })/").find("code block"), std::string::npos);
  EXPECT_NE(fails("/a(??{ 1 })/").find("code block"), std::string::npos);
  EXPECT_EQ(fails("/a/q"), "unsupported modifier 'q'");
}

TEST(PerlRegex, EscapedBackslashBeforeDelimiterIsNotAnEscape) {
  EXPECT_EQ(ok("/a\\\\/").pattern, "a\\\\");
  EXPECT_EQ(fails("/a\\\\/b/"), "unquoted delimiter '/' found");
}

TEST(PerlRegex, OpenLowerBound) {
  std::string p = "a{,3}b[{,3}]\\{,3}c{2,}";
  rewrite_open_lower_bound(p);
  EXPECT_EQ(p, "a{0,3}b[{,3}]\\{,3}c{2,}");
}

TEST(PerlRegex, NonUtf8BytesBecomeEscapes) {
  std::string p = "gu[e\xe9\xe8]i \\\xe9 caf\xc3\xa9";  // Latin-1 bytes, then valid UTF-8
  std::string error;
  ASSERT_TRUE(escape_non_utf8(p, &error));
  EXPECT_EQ(p, "gu[e\\xe9\\xe8]i \\xe9 caf\xc3\xa9");
  EXPECT_TRUE(is_valid_utf8(p));
  std::string quoted = "\\Qa\xe9\\E";
  EXPECT_FALSE(escape_non_utf8(quoted, &error));
}

TEST(PerlRegex, Pcre2Check) {
  EXPECT_EQ(pcre2_error("(a)(?=b)c\\1?", {}), "");
  EXPECT_NE(pcre2_error("a(", {}), "");
  EXPECT_NE(pcre2_error("\\x{100}", {}), "");  // code point > 255 without UTF
  EXPECT_NE(pcre2_error("(?aa)x", {}), "");    // Perl-only inline modifier
}

}  // namespace
}  // namespace portcullis::rules::sa
