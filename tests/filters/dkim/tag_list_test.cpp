#include "filters/dkim/tag_list.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::filters::dkim {
namespace {

TEST(TagList, ParsesAndTrims) {
  const std::string text = " v=1; a = rsa-sha256 ;\r\n\tb=abc\r\n def ; x= ";
  const TagList t = parse_tag_list(text);
  ASSERT_TRUE(t.ok()) << t.error;
  ASSERT_EQ(t.tags.size(), 4u);
  EXPECT_EQ(t.find("v")->value, "1");
  EXPECT_EQ(t.find("a")->value, "rsa-sha256");
  EXPECT_EQ(t.find("b")->value, "abc\r\n def");
  EXPECT_EQ(t.find("x")->value, "");
  EXPECT_EQ(t.find("y"), nullptr);
  const Tag& b = *t.find("b");
  EXPECT_EQ(text.substr(b.after_equals, b.value_end - b.after_equals), "abc\r\n def");
}

TEST(TagList, EmptySpecsAndTrailingSemicolon) {
  EXPECT_TRUE(parse_tag_list("").ok());
  EXPECT_TRUE(parse_tag_list("a=1;").ok());
  EXPECT_TRUE(parse_tag_list("a=1;;b=2; ").ok());
  EXPECT_EQ(parse_tag_list("a=1;;b=2;").tags.size(), 2u);
}

TEST(TagList, CaseSensitiveNames) {
  const TagList t = parse_tag_list("A=1; a=2");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.find("A")->value, "1");
  EXPECT_EQ(t.find("a")->value, "2");
}

TEST(TagList, Errors) {
  EXPECT_EQ(parse_tag_list("a=1; a=2").error, "duplicate tag a=");
  EXPECT_FALSE(parse_tag_list("a=1; b").ok());
  EXPECT_FALSE(parse_tag_list("=1").ok());
  EXPECT_FALSE(parse_tag_list("1a=1").ok());
  EXPECT_FALSE(parse_tag_list("a-b=1").ok());
  EXPECT_FALSE(parse_tag_list(std::string("a=1\0x", 5)).ok());
  EXPECT_FALSE(parse_tag_list("a=\x7f").ok());
  EXPECT_TRUE(parse_tag_list("a_b9=1").ok());
  // The colon-for-semicolon record from dkimpy's tests parses, with a strange v= value.
  const TagList t = parse_tag_list("v=DKIM1: g=*; k=rsa");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.find("v")->value, "DKIM1: g=*");
}

TEST(TagList, TooManyTags) {
  std::string text;
  for (std::size_t i = 0; i <= kMaxTags; ++i) text.append("t" + std::to_string(i) + "=x;");
  EXPECT_EQ(parse_tag_list(text).error, "too many tags");
}

}  // namespace
}  // namespace portcullis::filters::dkim
