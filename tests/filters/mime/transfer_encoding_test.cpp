#include "filters/mime/transfer_encoding.hpp"

#include <gtest/gtest.h>

namespace portcullis::mime {
namespace {

std::string qp(std::string_view in) {
  std::string out;
  decode_quoted_printable(in, out, 1 << 20);
  return out;
}

std::string b64(std::string_view in, bool* bad = nullptr) {
  std::string out;
  const DecodeResult r = decode_base64(in, out, 1 << 20);
  if (bad != nullptr) *bad = r.bad;
  return out;
}

TEST(TransferEncoding, QuotedPrintable) {
  EXPECT_EQ(qp("a=3Db=3d c"), "a=b= c");
  EXPECT_EQ(qp("soft=\r\nbreak= \nx"), "softbreakx");
  EXPECT_EQ(qp("trailing   \nblank\t\r\n"), "trailing\nblank\r\n");
  EXPECT_EQ(qp("bad =ZZ and =4"), "bad =ZZ and =4");
}

TEST(TransferEncoding, Base64ToleratesWhitespaceAndJunk) {
  bool bad = false;
  EXPECT_EQ(b64("SGVs\r\nbG8=\n", &bad), "Hello");
  EXPECT_FALSE(bad);
  EXPECT_EQ(b64("SGVs*bG8", &bad), "Hello");
  EXPECT_TRUE(bad);
  EXPECT_EQ(b64("QQ"), "A");
  EXPECT_EQ(b64("QUJD="), "ABC");
  EXPECT_EQ(b64("Q"), "");
}

TEST(TransferEncoding, KeepLimitStillCountsEverything) {
  std::string out;
  const DecodeResult r = decode_base64("QUFBQUFBQUFB", out, 4);
  EXPECT_EQ(out, "AAAA");
  EXPECT_EQ(r.size, 9u);
  out.clear();
  EXPECT_EQ(decode_quoted_printable("abc=41def", out, 2).size, 7u);
  EXPECT_EQ(out, "ab");
}

TEST(TransferEncoding, SquashCrlf) {
  std::string s = "a\r\nb\rc\r\n";
  squash_crlf(s);
  EXPECT_EQ(s, "a\nb\rc\n");
}

}  // namespace
}  // namespace portcullis::mime
