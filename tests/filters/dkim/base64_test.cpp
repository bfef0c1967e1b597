#include "filters/dkim/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::filters::dkim {
namespace {

std::string dec(std::string_view in) {
  auto v = base64_decode(in);
  if (!v) return "<error>";
  return std::string(v->begin(), v->end());
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(dec(""), "");
  EXPECT_EQ(dec("Zg=="), "f");
  EXPECT_EQ(dec("Zm8="), "fo");
  EXPECT_EQ(dec("Zm9v"), "foo");
  EXPECT_EQ(dec("Zm9vYg=="), "foob");
  EXPECT_EQ(dec("Zm9vYmE="), "fooba");
  EXPECT_EQ(dec("Zm9vYmFy"), "foobar");
}

TEST(Base64, FoldingWhitespaceIgnored) {
  EXPECT_EQ(dec("Zm9v\r\n YmFy"), "foobar");
  EXPECT_EQ(dec("Zm 9v Ym\tE ="), "fooba");
}

TEST(Base64, Unpadded) {
  EXPECT_EQ(dec("Zg"), "f");
  EXPECT_EQ(dec("Zm8"), "fo");
}

TEST(Base64, Errors) {
  for (std::string_view bad : {"Z", "Zm9vY", "Zg===", "Z=g=", "Zm9v!", "Zm9v=", "Zg=a", "=",
                               "Zm8==", "Zg="}) {
    EXPECT_EQ(dec(bad), "<error>") << bad;
  }
}

}  // namespace
}  // namespace portcullis::filters::dkim
