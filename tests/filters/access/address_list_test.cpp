#include "filters/access/address_list.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::filters::access {
namespace {

std::string found(const AddressList& list, std::string_view address) {
  const std::string* hit = list.find(address);
  return hit == nullptr ? std::string("-") : *hit;
}

AddressList make(std::initializer_list<std::string_view> entries, bool null_sender = true) {
  AddressList list(null_sender);
  for (std::string_view e : entries) {
    std::string why;
    EXPECT_TRUE(list.add(e, why)) << e << ": " << why;
  }
  return list;
}

TEST(AddressList, EmptyFindsNothing) {
  const AddressList list(true);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(found(list, ""), "-");
  EXPECT_EQ(found(list, "a@example.org"), "-");
}

TEST(AddressList, Kinds) {
  const auto list = make({"User@Example.org", "@example.net", "@.example.com", "<>"});
  EXPECT_EQ(list.size(), 4u);
  EXPECT_EQ(found(list, "user@example.org"), "User@Example.org");
  EXPECT_EQ(found(list, "USER@EXAMPLE.ORG"), "User@Example.org");
  EXPECT_EQ(found(list, "user@example.org."), "User@Example.org");
  EXPECT_EQ(found(list, "other@example.org"), "-");
  EXPECT_EQ(found(list, "anyone@Example.NET"), "@example.net");
  EXPECT_EQ(found(list, "anyone@sub.example.net"), "-");
  EXPECT_EQ(found(list, "anyone@example.com"), "-");
  EXPECT_EQ(found(list, "anyone@a.example.com"), "@.example.com");
  EXPECT_EQ(found(list, "anyone@a.b.example.com"), "@.example.com");
  EXPECT_EQ(found(list, "anyone@aexample.com"), "-");
  EXPECT_EQ(found(list, ""), "<>");
}

TEST(AddressList, EnvelopeOddities) {
  const auto list = make({"@example.org", "@.org", "\"quoted.local\"@example.net"});
  EXPECT_EQ(found(list, "postmaster"), "-");  // no domain
  EXPECT_EQ(found(list, "user@"), "-");       // empty domain
  EXPECT_EQ(found(list, "user@."), "-");
  EXPECT_EQ(found(list, "@example.org"), "@example.org");  // empty local part still has a domain
  EXPECT_EQ(found(list, "a@b@example.org"), "@example.org");
  EXPECT_EQ(found(list, "\"Quoted.Local\"@example.net"), "\"quoted.local\"@example.net");
  EXPECT_EQ(found(list, "quoted.local@example.net"), "-");  // quotes are not removed
  EXPECT_EQ(found(list, "user@[192.0.2.1]"), "-");
  EXPECT_EQ(found(list, std::string_view("a@example.org\0x", 15)), "-");
}

TEST(AddressList, NullSenderOnlyWhereAllowed) {
  AddressList recipients(false);
  std::string why;
  EXPECT_FALSE(recipients.add("<>", why));
  EXPECT_NE(why.find("the null sender is never a recipient"), std::string::npos) << why;
  EXPECT_EQ(found(recipients, ""), "-");
}

TEST(AddressList, RefusesMalformedEntries) {
  AddressList list(true);
  for (std::string_view bad : {"",
                               "example.org",
                               "@",
                               "@.",
                               "@..example.org",
                               "user@",
                               "user@.example.org",
                               "user@exa mple.org",
                               "a b@example.org",
                               "<user@example.org>",
                               "<user@example.org",
                               "user@example.org>",
                               "@-bad.example",
                               "@bad-.example",
                               "@192.0.2.1",
                               "@[192.0.2.1]",
                               "user@[192.0.2.1]",
                               "@exam_ple.org",
                               "@\xc3\xa9t\xc3\xa9.example",
                               "\x01@example.org",
                               "<<>>"}) {
    std::string why;
    EXPECT_FALSE(list.add(bad, why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  std::string why;
  EXPECT_FALSE(list.add(std::string(65, 'a') + "@example.org", why));
  EXPECT_TRUE(list.add(std::string(64, 'a') + "@example.org", why)) << why;
  EXPECT_FALSE(list.add("a@" + std::string(250, 'b') + ".org", why));
  EXPECT_EQ(list.size(), 1u);
}

TEST(AddressList, TrailingDotOnEntryDomain) {
  const auto list = make({"@example.org.", "a@example.net."});
  EXPECT_EQ(found(list, "x@example.org"), "@example.org.");
  EXPECT_EQ(found(list, "a@example.net"), "a@example.net.");
}

TEST(AddressList, DuplicatesCountOnce) {
  const auto list = make({"a@example.org", "A@EXAMPLE.ORG", "@x.example", "@X.example"});
  EXPECT_EQ(list.size(), 2u);
}

}  // namespace
}  // namespace portcullis::filters::access
