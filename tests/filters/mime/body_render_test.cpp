// Expected strings follow SpamAssassin 4.0.1's get_body_text_array_common.
#include "filters/mime/body_render.hpp"

#include <gtest/gtest.h>

namespace portcullis::mime {
namespace {

std::string collapse(std::string_view s) {
  std::string out;
  append_collapsed(out, s);
  return out;
}

TEST(BodyRender, WhitespaceRunsAndParagraphs) {
  EXPECT_EQ(collapse("a  b\tc\nd"), "a b c d");
  EXPECT_EQ(collapse("a\n\nb"), "a\nb");
  EXPECT_EQ(collapse("a \n \n b"), "a \n b");
  EXPECT_EQ(collapse("\n\nstart"), "\nstart");
  EXPECT_EQ(collapse("end\n"), "end ");
  EXPECT_EQ(collapse("nb\u00a0sp\u3000x"), "nb sp x");
  EXPECT_EQ(collapse(std::string_view("nul\0x", 5)), "nul\nx");
  EXPECT_EQ(collapse("del\x7f  x"), "del\x7f x");  // found by the fuzzer: DEL looped forever
}

TEST(BodyRender, LongLinesCutAtTheLastSpace) {
  std::string line(3000, 'x');
  line[1000] = ' ';
  std::string out;
  append_short_lines(out, line);
  EXPECT_EQ(out, line.substr(0, 1001) + "\n" + line.substr(1001));
  std::string nospace(5000, 'y');
  out.clear();
  append_short_lines(out, nospace);
  EXPECT_EQ(out, std::string(2048, 'y') + "\n" + std::string(2048, 'y') + "\n" + std::string(904, 'y'));
}

TEST(BodyRender, PartTruncation) {
  std::string t = std::string(100, 'a') + "\n" + std::string(100, 'b');
  truncate_rendered_part(t, 50);
  EXPECT_EQ(t, std::string(100, 'a') + "\n");
  std::string r = std::string(10, 'a') + std::string(2000, 'b');
  truncate_raw_part(r, 5);
  EXPECT_EQ(r, std::string(5, 'a'));
  std::string keep = "short";
  truncate_rendered_part(keep, 50);
  EXPECT_EQ(keep, "short");
}

}  // namespace
}  // namespace portcullis::mime
