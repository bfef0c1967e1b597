#include "filters/mime/charset.hpp"

#include <gtest/gtest.h>

namespace portcullis::mime {
namespace {

std::string conv(std::string_view in, std::string_view cs, CharsetMode mode = CharsetMode::kBody,
                 bool* known = nullptr) {
  std::string out;
  const bool ok = append_as_utf8(out, in, cs, mode);
  if (known != nullptr) *known = ok;
  return out;
}

TEST(Charset, AsciiIsKeptAsIs) {
  EXPECT_EQ(conv("plain", "us-ascii"), "plain");
  EXPECT_EQ(conv("plain", "ISO-8859-7"), "plain");
}

TEST(Charset, Utf8IsTriedFirstWhateverTheLabel) {
  EXPECT_EQ(conv("caf\xC3\xA9", "iso-8859-1"), "café");
}

TEST(Charset, Latin1IsWindows1252) {
  EXPECT_EQ(conv("\x80 caf\xE9", "ISO-8859-1"), "€ café");
  EXPECT_EQ(conv("\x93q\x94", "cp1252"), "\u201cq\u201d");
}

TEST(Charset, Koi8rThroughIconv) {
  EXPECT_EQ(conv("\xF0\xD2\xC9\xD7\xC5\xD4", "KOI8-R"), "Привет");
}

TEST(Charset, UnknownCharsetFallsBackToWindows1252) {
  bool known = true;
  EXPECT_EQ(conv("\xE9t\xE9", "x-unknown-thing", CharsetMode::kBody, &known), "été");
  EXPECT_FALSE(known);
}

TEST(Charset, StrictFailureFallsBack) {
  // Invalid Shift_JIS in a body: strict decoding fails, Windows-1252 takes over.
  EXPECT_EQ(conv("\x81\x20", "shift_jis"), "\uFFFD ");
}

TEST(Charset, EncodedWordInsistsOnItsLabel) {
  EXPECT_EQ(conv("a\xFF" "b", "utf-8", CharsetMode::kEncodedWord), "a\uFFFDb");
  EXPECT_EQ(conv("\xE9", "iso-8859-15", CharsetMode::kEncodedWord), "é");
}

TEST(Charset, Utf16WithoutBom) {
  EXPECT_EQ(conv(std::string_view("h\0i\0 \0", 6), "UTF-16"), "hi ");
}

}  // namespace
}  // namespace portcullis::mime
