#include "filters/mime/utf8.hpp"

#include <gtest/gtest.h>

namespace portcullis::mime {
namespace {

TEST(Utf8, Validation) {
  EXPECT_TRUE(is_valid_utf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8("é€😀"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("abc\xE2\x82"));       // truncated
}

TEST(Utf8, RepairReplacesInvalidSequences) {
  std::string out;
  append_utf8_repaired(out, "a\xFF" "b\xE2\x82" "c\xE2\x82\xAC");
  EXPECT_EQ(out, "a\uFFFDb\uFFFDc€");
  EXPECT_TRUE(is_valid_utf8(out));
}

TEST(Utf8, SpacesPrefixesAndFloor) {
  EXPECT_TRUE(is_unicode_space(0xA0));
  EXPECT_TRUE(is_unicode_space(0x3000));
  EXPECT_FALSE(is_unicode_space(0x200B));
  EXPECT_EQ(utf8_prefix_bytes("éa", 1), 2u);
  EXPECT_EQ(utf8_floor("a€", 2), 1u);
  EXPECT_EQ(utf8_floor("a€", 4), 4u);
}

}  // namespace
}  // namespace portcullis::mime
