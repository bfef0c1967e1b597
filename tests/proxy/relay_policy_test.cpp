#include "proxy/relay_policy.hpp"

#include <gtest/gtest.h>

namespace portcullis::proxy {
namespace {

config::IpAddress ip(const char* text) { return *config::IpAddress::parse(text); }

RelayPolicy policy() {
  return RelayPolicy({"example.org", ".sub.example.net"},
                     {*config::Cidr::parse("192.0.2.0/24"), *config::Cidr::parse("2001:db8::/32")});
}

TEST(RelayPolicy, OurDomainsFromAnyone) {
  auto p = policy();
  EXPECT_TRUE(p.may_relay(ip("203.0.113.9"), "user@example.org"));
  EXPECT_TRUE(p.may_relay(ip("203.0.113.9"), "user@EXAMPLE.ORG"));
  EXPECT_TRUE(p.may_relay(ip("203.0.113.9"), "user@example.org."));
  EXPECT_FALSE(p.may_relay(ip("203.0.113.9"), "user@mail.example.org"));
  EXPECT_FALSE(p.may_relay(ip("203.0.113.9"), "user@notexample.org"));
}

TEST(RelayPolicy, DotEntryMatchesSubdomainsOnly) {
  auto p = policy();
  EXPECT_TRUE(p.local_recipient("a@x.sub.example.net"));
  EXPECT_FALSE(p.local_recipient("a@sub.example.net"));
  EXPECT_FALSE(p.local_recipient("a@xsub.example.net"));
}

TEST(RelayPolicy, TrustedNetworksRelayAnywhere) {
  auto p = policy();
  EXPECT_TRUE(p.may_relay(ip("192.0.2.77"), "someone@elsewhere.test"));
  EXPECT_TRUE(p.may_relay(ip("2001:db8::1"), "someone@elsewhere.test"));
  EXPECT_FALSE(p.may_relay(ip("192.0.3.1"), "someone@elsewhere.test"));
  EXPECT_FALSE(p.may_relay(ip("2001:db9::1"), "someone@elsewhere.test"));
}

TEST(RelayPolicy, BarePostmasterIsAlwaysLocal) {
  auto p = policy();
  EXPECT_TRUE(p.may_relay(ip("203.0.113.9"), "Postmaster"));
  EXPECT_TRUE(p.may_relay(ip("203.0.113.9"), "postmaster"));
  EXPECT_FALSE(p.may_relay(ip("203.0.113.9"), "webmaster"));
}

TEST(RelayPolicy, NothingConfiguredDeniesEverything) {
  RelayPolicy p({}, {});
  EXPECT_FALSE(p.may_relay(ip("127.0.0.1"), "user@example.org"));
}

}  // namespace
}  // namespace portcullis::proxy
