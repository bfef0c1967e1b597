#include "filters/spf/spf_record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace portcullis::filters::spf {
namespace {

SpfRecord parse_ok(std::string_view text) {
  RecordParse p = parse_record(text);
  EXPECT_TRUE(p.record) << text << ": " << p.error;
  return p.record ? *p.record : SpfRecord{};
}

std::string parse_error(std::string_view text) {
  RecordParse p = parse_record(text);
  EXPECT_FALSE(p.record) << text;
  return p.error;
}

TEST(SpfRecord, Version) {
  EXPECT_TRUE(is_spf_record("v=spf1"));
  EXPECT_TRUE(is_spf_record("v=spf1 -all"));
  EXPECT_TRUE(is_spf_record("V=SpF1 ~all"));
  EXPECT_FALSE(is_spf_record("v=spf10"));
  EXPECT_FALSE(is_spf_record("v=spf1mx"));
  EXPECT_FALSE(is_spf_record("v=spf1\tall"));
  EXPECT_FALSE(is_spf_record(" v=spf1"));
  EXPECT_FALSE(is_spf_record("v=spf2.0/pra"));
  EXPECT_FALSE(is_spf_record(""));
}

TEST(SpfRecord, Mechanisms) {
  const SpfRecord r = parse_ok(
      "v=spf1  +a -mx:example.org/24//64 ~ptr ?ip4:192.0.2.0/24 ip6:2001:DB8::/32 "
      "include:_spf.example.com exists:%{ir}.bl.example.org ALL ");
  ASSERT_EQ(r.mechanisms.size(), 8u);
  EXPECT_EQ(r.mechanisms[0].kind, MechanismKind::kA);
  EXPECT_EQ(r.mechanisms[0].qualifier, Qualifier::kPass);
  EXPECT_EQ(r.mechanisms[0].cidr4, 32);
  EXPECT_EQ(r.mechanisms[0].cidr6, 128);
  EXPECT_EQ(r.mechanisms[1].kind, MechanismKind::kMx);
  EXPECT_EQ(r.mechanisms[1].qualifier, Qualifier::kFail);
  EXPECT_EQ(r.mechanisms[1].domain_spec, "example.org");
  EXPECT_EQ(r.mechanisms[1].cidr4, 24);
  EXPECT_EQ(r.mechanisms[1].cidr6, 64);
  EXPECT_EQ(r.mechanisms[2].qualifier, Qualifier::kSoftfail);
  EXPECT_EQ(r.mechanisms[2].kind, MechanismKind::kPtr);
  EXPECT_EQ(r.mechanisms[3].qualifier, Qualifier::kNeutral);
  EXPECT_EQ(r.mechanisms[3].network, *config::IpAddress::parse("192.0.2.0"));
  EXPECT_EQ(r.mechanisms[3].cidr4, 24);
  EXPECT_EQ(r.mechanisms[4].cidr6, 32);
  EXPECT_EQ(r.mechanisms[5].domain_spec, "_spf.example.com");
  EXPECT_TRUE(r.mechanisms[5].uses_dns());
  EXPECT_FALSE(r.mechanisms[3].uses_dns());
  EXPECT_EQ(r.mechanisms[7].kind, MechanismKind::kAll);
  EXPECT_EQ(r.mechanisms[7].text, "ALL");
}

TEST(SpfRecord, DualCidr) {
  EXPECT_EQ(parse_ok("v=spf1 a//0").mechanisms[0].cidr6, 0);
  EXPECT_EQ(parse_ok("v=spf1 a/0").mechanisms[0].cidr4, 0);
  // A slash that is not a CIDR length belongs to the domain-spec.
  EXPECT_EQ(parse_ok("v=spf1 a:foo:bar/baz.example.com").mechanisms[0].domain_spec,
            "foo:bar/baz.example.com");
  EXPECT_NE(parse_error("v=spf1 a/24/64").find("a/24/64"), std::string::npos);
  parse_error("v=spf1 a/33");
  parse_error("v=spf1 a//129");
  parse_error("v=spf1 ip4:1.2.3.4/032");
  parse_error("v=spf1 ip4:1.2.3.4//32");
  parse_error("v=spf1 ip6:::1/129");
  parse_error("v=spf1 ip6:::1.1.1.1//33");
}

TEST(SpfRecord, Modifiers) {
  const SpfRecord r = parse_ok("v=spf1 REDIRECT=_spf.example.com Exp=why.%{d} moo.cow-far_out=man:dog/cat");
  EXPECT_EQ(r.redirect, "_spf.example.com");
  EXPECT_EQ(r.exp, "why.%{d}");
  EXPECT_EQ(r.unknown_modifiers, 1u);
  EXPECT_NE(parse_error("v=spf1 redirect=a.example.com redirect=b.example.com").find("more than once"),
            std::string::npos);
  EXPECT_NE(parse_error("v=spf1 exp=a.example.com exp=a.example.com").find("exp="), std::string::npos);
  parse_error("v=spf1 exp=");
  parse_error("v=spf1 redirect=");
  parse_error("v=spf1 exp=-all");
  parse_error("v=spf1 =all");
  parse_error("v=spf1 1up=foo");
  parse_error("v=spf1 foo=%abc");
  parse_error("v=spf1 redirect:example.com");
}

TEST(SpfRecord, ErrorsNameTheTerm) {
  EXPECT_EQ(parse_error("v=spf1 ip4:1.2.3.4 -all moo"), "syntax error: unknown mechanism 'moo'");
  EXPECT_NE(parse_error("v=spf1 -all.").find("'-all.'"), std::string::npos);
  EXPECT_NE(parse_error("v=spf1 a:foo-bar -all").find("'a:foo-bar'"), std::string::npos);
  EXPECT_NE(parse_error("v=spf1 a:ctrl.example.com\rptr -all").find("\\x0D"), std::string::npos);
  EXPECT_NE(parse_error("v=spf1 a:\xEF\xBB\xBFgarbage.example.net").find("non-ASCII"),
            std::string::npos);
}

TEST(SpfRecord, DomainSpecs) {
  for (std::string_view bad : std::initializer_list<std::string_view>
       {"v=spf1 a:", "v=spf1 mx:", "v=spf1 include:", "v=spf1 exists", "v=spf1 include",
        "v=spf1 a:museum", "v=spf1 a:museum.", "v=spf1 a:abc.123", "v=spf1 a:111.222.33.44",
        "v=spf1 a:example.-com", "v=spf1 a:example.com:8080", "v=spf1 include:a.example.com/24",
        "v=spf1 exists:a.example.com/24", "v=spf1 ptr/0", "v=spf1 ptr:", "v=spf1 -all:foo",
        "v=spf1 ip4", "v=spf1 ip4:1.2.3", "v=spf1 ip4:1.2.3.4:8080", "v=spf1 ip6::CAFE::BABE",
        "v=spf1 ip4:::ffff:1.2.3.4", "v=spf1 ip6:1.2.3.4", "v=spf1 a:%{c}.example.com",
        std::string_view("v=spf1 a:foo.example.com\0", 25)}) {
    parse_error(bad);
  }
  for (std::string_view good :
       {"v=spf1 a:foo.example.xn--zckzah", "v=spf1 a:%{H}.bar", "v=spf1 a:%{d}",
        "v=spf1 include:o.spf.example.com.", "v=spf1 a:1-2.example.1-2",
        "v=spf1 a:macro%%percent%_%_space%-url-space.example.com"}) {
    parse_ok(good);
  }
}

TEST(SpfRecord, Limits) {
  std::string many = "v=spf1";
  for (std::size_t i = 0; i < kMaxTerms + 1; ++i) many.append(" a");
  EXPECT_NE(parse_error(many).find("terms"), std::string::npos);
  std::string lots(kMaxRecordLength + 1, ' ');
  lots.replace(0, 6, "v=spf1");
  EXPECT_NE(parse_error(lots).find("longer"), std::string::npos);
  EXPECT_TRUE(parse_record("v=spf1").record);
  EXPECT_TRUE(parse_record("v=spf1").record->mechanisms.empty());
}

TEST(SpfRecord, PrintableExcerpt) {
  EXPECT_EQ(printable_excerpt("a\x01\\b"), "a\\x01\\x5Cb");
  EXPECT_EQ(printable_excerpt(std::string(100, 'x'), 4), "xxxx...");
}

}  // namespace
}  // namespace portcullis::filters::spf
