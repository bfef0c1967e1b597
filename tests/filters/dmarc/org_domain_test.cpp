#include "filters/dmarc/org_domain.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace portcullis::filters::dmarc {
namespace {

const OrgDomain& fixed() {
  static const OrgDomain org = OrgDomain::from_file(PORTCULLIS_DMARC_TEST_PSL);
  return org;
}

std::string od(const OrgDomain& org, std::string_view name) {
  return org.organizational_domain(name).value_or("<none>");
}

TEST(OrgDomain, FixedListBasics) {
  const OrgDomain& org = fixed();
  EXPECT_GT(org.rule_count(), 0);
  EXPECT_EQ(od(org, "example.com"), "example.com");
  EXPECT_EQ(od(org, "mail.example.com"), "example.com");
  EXPECT_EQ(od(org, "a.b.c.example.com"), "example.com");
  EXPECT_EQ(od(org, "mail.example.co.uk"), "example.co.uk");
  EXPECT_EQ(od(org, "example.co.uk"), "example.co.uk");
}

TEST(OrgDomain, WildcardAndException) {
  const OrgDomain& org = fixed();
  EXPECT_EQ(od(org, "a.b.c.kawasaki.jp"), "b.c.kawasaki.jp");  // *.kawasaki.jp
  EXPECT_EQ(od(org, "a.city.kawasaki.jp"), "city.kawasaki.jp");  // !city.kawasaki.jp
}

TEST(OrgDomain, PrivateSectionCounts) {
  EXPECT_EQ(od(fixed(), "x.foo.github.io"), "foo.github.io");
}

TEST(OrgDomain, UnlistedTldUsesTheImplicitStarRule) {
  const OrgDomain& org = fixed();
  EXPECT_EQ(od(org, "mail.nodmarc.test"), "nodmarc.test");
  EXPECT_EQ(od(org, "nodmarc.test"), "nodmarc.test");
  EXPECT_EQ(od(org, "a.b.example"), "b.example");
}

TEST(OrgDomain, PublicSuffixIsItsOwnOrganization) {
  const OrgDomain& org = fixed();
  EXPECT_EQ(od(org, "com"), "com");
  EXPECT_EQ(od(org, "co.uk"), "co.uk");
  EXPECT_EQ(od(org, "test"), "test");
}

TEST(OrgDomain, InputIsLowercasedAndTrailingDotDropped) {
  const OrgDomain& org = fixed();
  EXPECT_EQ(od(org, "UPPER.Example.COM"), "example.com");
  EXPECT_EQ(od(org, "Mail.Example.Co.UK."), "example.co.uk");
  EXPECT_EQ(OrgDomain::normalize("MiXeD.Example.COM."), "mixed.example.com");
}

TEST(OrgDomain, Utf8IsLowercasedByLibpsl) {
  EXPECT_EQ(OrgDomain::normalize("B\xc3\x9c" "CHER.Example"), "b\xc3\xbc" "cher.example");
}

TEST(OrgDomain, MalformedUtf8IsRefused) {
  for (std::string_view bad : {"\xc0\xaf.example",            // overlong '/'
                               "\xed\xa0\x80.example",        // surrogate
                               "\xf4\x90\x80\x80.example",    // over U+10FFFF
                               "\xe2\x82.example",            // truncated
                               "x.\xc3"}) {                   // truncated at the end
    EXPECT_FALSE(OrgDomain::normalize(bad)) << bad;
  }
  EXPECT_EQ(OrgDomain::normalize("\xe2\x82\xac.example"), "\xe2\x82\xac.example");
  EXPECT_EQ(OrgDomain::normalize("\xf0\x9f\x98\x80.example"), "\xf0\x9f\x98\x80.example");
}

TEST(OrgDomain, UnusableNames) {
  const OrgDomain& org = fixed();
  for (std::string_view bad : {std::string_view(""), std::string_view("."), std::string_view("a..b.com"),
                               std::string_view(".example.com"), std::string_view("exa mple.com"),
                               std::string_view("ex\x01.com"), std::string_view("\xff\xfe.com"),
                               std::string_view("a\0b.com", 7)}) {
    EXPECT_FALSE(org.organizational_domain(bad)) << bad;
  }
  EXPECT_FALSE(org.organizational_domain(std::string(64, 'a') + ".com"));
  std::string long_name;
  while (long_name.size() < 254) long_name.append("abcdefghi.");
  long_name.append("com");
  EXPECT_FALSE(org.organizational_domain(long_name));
}

TEST(OrgDomain, MissingFileThrows) {
  EXPECT_THROW(OrgDomain::from_file("/nonexistent/psl.dat"), std::runtime_error);
}

TEST(OrgDomain, SystemList) {
  if (!std::filesystem::exists(PORTCULLIS_SYSTEM_PSL)) GTEST_SKIP() << "no " << PORTCULLIS_SYSTEM_PSL;
  const OrgDomain org = OrgDomain::from_file(PORTCULLIS_SYSTEM_PSL);
  EXPECT_GT(org.rule_count(), 5000);
  EXPECT_EQ(od(org, "mail.example.co.uk"), "example.co.uk");
  EXPECT_EQ(od(org, "UPPER.Example.COM"), "example.com");
  EXPECT_EQ(od(org, "x.foo.github.io"), "foo.github.io");
  EXPECT_EQ(od(org, "mail.nodmarc.test"), "nodmarc.test");
  EXPECT_EQ(od(org, "a.city.kawasaki.jp"), "city.kawasaki.jp");
}

TEST(OrgDomain, LatestAndBuiltinLoad) {
  const OrgDomain latest = OrgDomain::latest();
  EXPECT_EQ(od(latest, "mail.example.co.uk"), "example.co.uk");
  OrgDomain builtin = OrgDomain::builtin();
  EXPECT_EQ(od(builtin, "mail.example.com"), "example.com");
  OrgDomain moved = std::move(builtin);
  EXPECT_EQ(od(moved, "a.example.org"), "example.org");
}

TEST(OrgDomain, ConcurrentLookups) {
  const OrgDomain& org = fixed();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&org, &wrong, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string name = "h" + std::to_string(i) + ".Sub" + std::to_string(t) + ".Example.CO.uk";
        if (org.organizational_domain(name) != std::optional<std::string>("example.co.uk")) ++wrong;
        if (org.organizational_domain("x.B\xc3\x9c" "CHER.test") !=
            std::optional<std::string>("b\xc3\xbc" "cher.test")) {
          ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace portcullis::filters::dmarc
