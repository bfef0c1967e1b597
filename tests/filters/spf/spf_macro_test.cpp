#include "filters/spf/spf_macro.hpp"

#include <gtest/gtest.h>

#include <string>

#include "filters/spf/spf_domain.hpp"

namespace portcullis::filters::spf {
namespace {

// RFC 7208 7.4's examples: sender strong-bad@email.example.com, IP 192.0.2.3 / 2001:db8::cb01.
MacroValues rfc_values(std::string_view ip = "192.0.2.3") {
  MacroValues v;
  v.sender = "strong-bad@email.example.com";
  v.local_part = "strong-bad";
  v.sender_domain = "email.example.com";
  v.domain = "email.example.com";
  v.ip = *config::IpAddress::parse(ip);
  v.helo = "mx.example.org";
  v.receiver = "mx.example.net";
  v.timestamp = 1234567890;
  v.validated_name = "mx.email.example.com";
  return v;
}

std::string expand(std::string_view text, MacroMode mode = MacroMode::kDomainSpec,
                   const MacroValues& v = rfc_values()) {
  auto out = expand_macro_string(text, mode, v);
  EXPECT_TRUE(out) << text;
  return out ? *out : std::string("<failed>");
}

TEST(SpfMacro, RfcExamples) {
  EXPECT_EQ(expand("%{s}"), "strong-bad@email.example.com");
  EXPECT_EQ(expand("%{o}"), "email.example.com");
  EXPECT_EQ(expand("%{d}"), "email.example.com");
  EXPECT_EQ(expand("%{d4}"), "email.example.com");
  EXPECT_EQ(expand("%{d3}"), "email.example.com");
  EXPECT_EQ(expand("%{d2}"), "example.com");
  EXPECT_EQ(expand("%{d1}"), "com");
  EXPECT_EQ(expand("%{dr}"), "com.example.email");
  EXPECT_EQ(expand("%{d2r}"), "example.email");
  EXPECT_EQ(expand("%{l}"), "strong-bad");
  EXPECT_EQ(expand("%{l-}"), "strong.bad");
  EXPECT_EQ(expand("%{lr}"), "strong-bad");
  EXPECT_EQ(expand("%{lr-}"), "bad.strong");
  EXPECT_EQ(expand("%{l1r-}"), "strong");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}"),
            "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"),
            "3.2.0.192.in-addr.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{d2}.trusted-domains.example.net"),
            "example.com.trusted-domains.example.net");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", MacroMode::kDomainSpec, rfc_values("2001:db8::cb01")),
            "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com");
}

TEST(SpfMacro, EscapesAndLiterals) {
  EXPECT_EQ(expand("a%%b%_c%-d"), "a%b c%20d");
  MacroValues v = rfc_values();
  v.local_part = "~jack&jill=up-a_b3.c";
  EXPECT_EQ(expand("%{L}", MacroMode::kDomainSpec, v), "~jack%26jill%3Dup-a_b3.c");
  EXPECT_EQ(expand("%{S}"), "strong-bad%40email.example.com");
  EXPECT_EQ(expand("%{l2r+-}", MacroMode::kDomainSpec, [] {
              MacroValues x = rfc_values();
              x.local_part = "foo-bar+zip+quux";
              return x;
            }()),
            "bar.foo");
  EXPECT_EQ(expand("%{p}"), "mx.email.example.com");
  EXPECT_EQ(expand("%{h}"), "mx.example.org");
  EXPECT_EQ(expand("%{V}"), "in-addr");
}

TEST(SpfMacro, ExplanationOnlyLetters) {
  std::string error;
  for (std::string_view s : {"%{c}", "%{r}.x", "%{t}"}) {
    EXPECT_FALSE(check_macro_string(s, MacroMode::kDomainSpec, &error)) << s;
    EXPECT_NE(error.find("explanation"), std::string::npos);
    EXPECT_TRUE(check_macro_string(s, MacroMode::kExplanation, nullptr)) << s;
  }
  EXPECT_EQ(expand("%{c} at %{r}, %{t}", MacroMode::kExplanation),
            "192.0.2.3 at mx.example.net, 1234567890");
  EXPECT_EQ(expand("%{c}", MacroMode::kExplanation, rfc_values("2001:DB8::CB01")), "2001:db8::cb01");
  // Spaces only in explanations.
  EXPECT_FALSE(check_macro_string("a b", MacroMode::kDomainSpec, nullptr));
  EXPECT_TRUE(check_macro_string("a  b", MacroMode::kExplanation, nullptr));
}

TEST(SpfMacro, SyntaxErrors) {
  for (std::string_view s : {"%", "x%", "%(ir)", "%x", "%{", "%{x}", "%{a}", "%{d0}", "%{d2",
                             "%{d2q}", "%{d 2}", "a\tb"}) {
    std::string error;
    EXPECT_FALSE(check_macro_string(s, MacroMode::kExplanation, &error)) << s;
    EXPECT_FALSE(error.empty()) << s;
    EXPECT_FALSE(expand_macro_string(s, MacroMode::kExplanation, rfc_values())) << s;
  }
  bool ends = false;
  EXPECT_TRUE(check_macro_string("x.%{d}", MacroMode::kDomainSpec, nullptr, &ends));
  EXPECT_TRUE(ends);
  EXPECT_TRUE(check_macro_string("%{d}.x", MacroMode::kDomainSpec, nullptr, &ends));
  EXPECT_FALSE(ends);
  EXPECT_TRUE(uses_macro("a.%{P}", 'p'));
  EXPECT_FALSE(uses_macro("a.%{d}p", 'p'));
}

TEST(SpfMacro, OutputIsBounded) {
  MacroValues v = rfc_values();
  const std::string big(1000, 'x');
  v.local_part = big;
  std::string text;
  for (int i = 0; i < 30; ++i) text.append("%{L}");
  EXPECT_FALSE(expand_macro_string(text, MacroMode::kDomainSpec, v));
  // Huge digit transformers are fine (all parts).
  EXPECT_EQ(expand("%{d99999999999}"), "email.example.com");
}

TEST(SpfDomain, QueryNames) {
  EXPECT_EQ(to_query_name("Mail.Example.COM."), "mail.example.com");
  EXPECT_FALSE(to_query_name("mail.example...com"));
  EXPECT_FALSE(to_query_name(std::string(64, 'a') + ".example.com"));
  EXPECT_FALSE(to_query_name(""));
  EXPECT_FALSE(to_query_name("a\nb.example"));
  // 7.3: over 253 octets, labels are dropped from the left.
  std::string o = "somewhat.long.exp.example.com";
  std::string name = "foobar";
  for (int i = 0; i < 8; ++i) name += "." + o;
  name += ".example.com";
  std::string want;
  for (int i = 0; i < 8; ++i) want += o + ".";
  want += "example.com";
  EXPECT_EQ(to_query_name(name), want);
  EXPECT_EQ(reverse_name(*config::IpAddress::parse("192.0.2.3")), "3.2.0.192.in-addr.arpa");
  EXPECT_EQ(reverse_name(*config::IpAddress::parse("::ffff:192.0.2.3")), "3.2.0.192.in-addr.arpa");
  EXPECT_EQ(reverse_name(*config::IpAddress::parse("2001:db8::cb01")),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST(SpfDomain, Checkable) {
  EXPECT_TRUE(is_checkable_domain("example.com"));
  EXPECT_TRUE(is_checkable_domain("example.com."));
  EXPECT_TRUE(is_checkable_domain(std::string(63, 'a') + ".example.com"));
  EXPECT_FALSE(is_checkable_domain(std::string(64, 'a') + ".example.com"));
  EXPECT_FALSE(is_checkable_domain("A...example.com"));
  EXPECT_FALSE(is_checkable_domain("A2345678"));
  EXPECT_FALSE(is_checkable_domain("[1.2.3.5]"));
  EXPECT_FALSE(is_checkable_domain(""));
  EXPECT_FALSE(is_checkable_domain("a b.example"));
  EXPECT_TRUE(is_toplabel("xn--zckzah"));
  EXPECT_TRUE(is_toplabel("1-2"));
  EXPECT_TRUE(is_toplabel("com"));
  EXPECT_FALSE(is_toplabel("123"));
  EXPECT_FALSE(is_toplabel("-com"));
  EXPECT_FALSE(is_toplabel("com-"));
  EXPECT_TRUE(is_same_or_subdomain("mail.Example.com.", "example.COM"));
  EXPECT_FALSE(is_same_or_subdomain("mailexample.com", "example.com"));
}

}  // namespace
}  // namespace portcullis::filters::spf
