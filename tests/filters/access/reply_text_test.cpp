#include "filters/access/reply_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::filters::access {
namespace {

using namespace std::string_view_literals;

TEST(ReplyText, Valid) {
  std::string why;
  EXPECT_EQ(parse_reply_text("554 5.7.1 Access denied", why),
            (ReplyText{554, "5.7.1", "Access denied"}));
  EXPECT_EQ(parse_reply_text("421 4.7.0 Try later", why), (ReplyText{421, "4.7.0", "Try later"}));
  EXPECT_EQ(parse_reply_text("550 5.100.999 x", why), (ReplyText{550, "5.100.999", "x"}));
  EXPECT_EQ(parse_reply_text("599 5.0.0 a  b ~!", why), (ReplyText{599, "5.0.0", "a  b ~!"}));
}

TEST(ReplyText, Invalid) {
  const std::string_view bad_replies[] = {"",
                                          "554",
                                          "554 ",
                                          "554 5.7.1",
                                          "554 5.7.1 ",
                                          "554  5.7.1 x",
                                          "554 5.7.1  x",
                                          "554-5.7.1 x",
                                          "55 5.7.1 x",
                                          "5544 5.7.1 x",
                                          "554 Access denied",
                                          "554 5.7 x",
                                          "554 5.7.1.2 x",
                                          "554 5..1 x",
                                          "554 5.07.1 x",
                                          "554 5.7.1000 x",
                                          "554 5.a.1 x",
                                          "554 2.7.1 x",
                                          "554 4.7.1 x",
                                          "454 5.7.1 x",
                                          "250 2.0.0 Ok",
                                          "354 3.0.0 go",
                                          "654 6.0.0 x",
                                          "054 0.0.0 x",
                                          "554 5.7.1 bad\r\n250 ok",
                                          "554 5.7.1 nul\0x"sv,
                                          "554 5.7.1 caf\xc3\xa9"};
  for (std::string_view bad : bad_replies) {
    std::string why;
    EXPECT_FALSE(parse_reply_text(bad, why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  std::string why;
  const std::string at_limit = "554 5.7.1 " + std::string(kMaxReplyText - 10, 'x');
  EXPECT_TRUE(parse_reply_text(at_limit, why)) << why;
  EXPECT_FALSE(parse_reply_text(at_limit + "x", why));
}

}  // namespace
}  // namespace portcullis::filters::access
