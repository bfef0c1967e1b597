#include "filters/dkim/message_headers.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::filters::dkim {
namespace {

TEST(MessageHeaders, SplitsFieldsAndBody) {
  const std::string m = "From: a\r\nSubject: x\r\n\ty\r\nTo : b\r\n\r\nbody\r\n\r\nmore";
  const MessageView v = split_message(m);
  ASSERT_EQ(v.fields.size(), 3u);
  EXPECT_EQ(v.fields[0].name, "From");
  EXPECT_EQ(v.fields[0].value, " a");
  EXPECT_EQ(v.fields[1].raw, "Subject: x\r\n\ty");
  EXPECT_EQ(v.fields[2].name, "To");
  EXPECT_EQ(v.body, "body\r\n\r\nmore");
  EXPECT_FALSE(v.truncated);
}

TEST(MessageHeaders, NoBody) {
  EXPECT_EQ(split_message("From: a\r\n").fields.size(), 1u);
  EXPECT_EQ(split_message("From: a").fields.size(), 1u);
  EXPECT_EQ(split_message("From: a\r\n\r\n").body, "");
  EXPECT_TRUE(split_message("").fields.empty());
  const MessageView v = split_message("\r\nbody");
  EXPECT_TRUE(v.fields.empty());
  EXPECT_EQ(v.body, "body");
}

TEST(MessageHeaders, OddLines) {
  const MessageView v = split_message(" leading\r\nbroken line\r\nA:1\nB:2\r\n\r\n");
  ASSERT_EQ(v.fields.size(), 3u);
  EXPECT_EQ(v.fields[0].name, "");
  EXPECT_EQ(v.fields[1].name, "");
  EXPECT_EQ(v.fields[1].raw, "broken line");
  EXPECT_EQ(v.fields[2].name, "A");  // bare LF does not end a line
  EXPECT_EQ(v.fields[2].value, "1\nB:2");
}

TEST(MessageHeaders, Limits) {
  std::string m;
  for (std::size_t i = 0; i <= kMaxHeaderFields; ++i) m.append("X: y\r\n");
  m.append("\r\nbody");
  EXPECT_TRUE(split_message(m).truncated);
  std::string big = "X: " + std::string(kMaxHeaderBytes, 'a') + "\r\n\r\n";
  EXPECT_TRUE(split_message(big).truncated);
}

TEST(MessageHeaders, BottomUpSelectionAndOversigning) {
  const std::string m =
      "Received: 1\r\nFrom: first\r\nSubject: s\r\nReceived: 2\r\nfrom: second\r\n\r\n";
  const MessageView v = split_message(m);
  const auto sel = select_headers(v.fields, {"from", "from", "from", "received", "subject",
                                             "subject", "x-absent"},
                                  nullptr);
  ASSERT_EQ(sel.size(), 7u);
  EXPECT_EQ(sel[0]->raw, "from: second");
  EXPECT_EQ(sel[1]->raw, "From: first");
  EXPECT_EQ(sel[2], nullptr);
  EXPECT_EQ(sel[3]->raw, "Received: 2");
  EXPECT_EQ(sel[4]->raw, "Subject: s");
  EXPECT_EQ(sel[5], nullptr);
  EXPECT_EQ(sel[6], nullptr);
}

TEST(MessageHeaders, ExcludesTheSignatureItself) {
  const MessageView v = split_message("DKIM-Signature: a\r\nDKIM-Signature: b\r\n\r\n");
  const auto sel = select_headers(v.fields, {"dkim-signature", "dkim-signature"}, &v.fields[1]);
  EXPECT_EQ(sel[0]->raw, "DKIM-Signature: a");
  EXPECT_EQ(sel[1], nullptr);
}

}  // namespace
}  // namespace portcullis::filters::dkim
