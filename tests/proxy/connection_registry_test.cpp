#include "proxy/connection_registry.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace portcullis::proxy {
namespace {

using Admission = ConnectionRegistry::Admission;

TEST(ConnectionRegistry, PerIpLimit) {
  ConnectionRegistry reg;
  ConnectionRegistry::Ticket a, b, c;
  EXPECT_EQ(reg.admit("192.0.2.1", 10, 2, a), Admission::kAdmitted);
  EXPECT_EQ(reg.admit("192.0.2.1", 10, 2, b), Admission::kAdmitted);
  EXPECT_EQ(reg.admit("192.0.2.1", 10, 2, c), Admission::kTooManyFromIp);
  EXPECT_FALSE(c.valid());
  EXPECT_EQ(reg.admit("192.0.2.2", 10, 2, c), Admission::kAdmitted);
  EXPECT_EQ(reg.from_ip("192.0.2.1"), 2u);
  EXPECT_EQ(reg.total(), 3u);
}

TEST(ConnectionRegistry, TotalLimit) {
  ConnectionRegistry reg;
  std::vector<ConnectionRegistry::Ticket> tickets(3);
  EXPECT_EQ(reg.admit("192.0.2.1", 2, 5, tickets[0]), Admission::kAdmitted);
  EXPECT_EQ(reg.admit("192.0.2.2", 2, 5, tickets[1]), Admission::kAdmitted);
  EXPECT_EQ(reg.admit("192.0.2.3", 2, 5, tickets[2]), Admission::kTooManyTotal);
  EXPECT_EQ(reg.from_ip("192.0.2.3"), 0u);
}

TEST(ConnectionRegistry, TicketReleasesOnDestructionAndMove) {
  ConnectionRegistry reg;
  {
    ConnectionRegistry::Ticket a;
    ASSERT_EQ(reg.admit("192.0.2.1", 1, 1, a), Admission::kAdmitted);
    ConnectionRegistry::Ticket moved(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(reg.total(), 1u);
  }
  EXPECT_EQ(reg.total(), 0u);
  EXPECT_EQ(reg.from_ip("192.0.2.1"), 0u);
  ConnectionRegistry::Ticket again;
  EXPECT_EQ(reg.admit("192.0.2.1", 1, 1, again), Admission::kAdmitted);
  ConnectionRegistry::Ticket other;
  again = std::move(other);  // releases the slot it held
  EXPECT_EQ(reg.total(), 0u);
}

}  // namespace
}  // namespace portcullis::proxy
