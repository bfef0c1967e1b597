#include "filters/dns/dns_cache.hpp"

#include <gtest/gtest.h>

namespace portcullis::dns {
namespace {

using Clock = DnsCache::Clock;

std::shared_ptr<const Answer> answer(Answer::Status status, std::uint32_t ttl) {
  auto a = std::make_shared<Answer>();
  a->status = status;
  a->ttl = ttl;
  if (status == Answer::Status::kOk) a->txt.push_back("v=spf1 -all");
  return a;
}

class DnsCacheTest : public ::testing::Test {
 protected:
  Clock::time_point now_ = Clock::time_point{} + std::chrono::hours(1);
  DnsCache::Now clock_ = [this] { return now_; };
};

TEST_F(DnsCacheTest, KeepsAnswersForTheirTtlWhateverTheCaseOrDot) {
  DnsCache cache(100, clock_);
  cache.store("Example.ORG.", RrType::kTxt, answer(Answer::Status::kOk, 60));
  ASSERT_NE(cache.find("example.org", RrType::kTxt), nullptr);
  EXPECT_EQ(cache.find("example.org", RrType::kA), nullptr);  // the type is part of the key
  now_ += std::chrono::seconds(59);
  EXPECT_NE(cache.find("EXAMPLE.org.", RrType::kTxt), nullptr);
  now_ += std::chrono::seconds(1);
  EXPECT_EQ(cache.find("example.org", RrType::kTxt), nullptr);
  EXPECT_EQ(cache.size(), 0u);  // the expired entry went
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST_F(DnsCacheTest, NegativeAnswersAreCachedTemporaryOnesBriefly) {
  DnsCache cache(100, clock_);
  cache.store("nx.example", RrType::kA, answer(Answer::Status::kNxDomain, 300));
  cache.store("slow.example", RrType::kA, answer(Answer::Status::kTimeout, 300));
  cache.store("zero.example", RrType::kA, answer(Answer::Status::kOk, 0));
  EXPECT_EQ(cache.find("nx.example", RrType::kA)->status, Answer::Status::kNxDomain);
  EXPECT_NE(cache.find("slow.example", RrType::kA), nullptr);
  EXPECT_EQ(cache.find("zero.example", RrType::kA), nullptr);  // TTL 0: never cached
  now_ += std::chrono::seconds(DnsCache::kTemporaryTtlSeconds);
  EXPECT_EQ(cache.find("slow.example", RrType::kA), nullptr);
  EXPECT_NE(cache.find("nx.example", RrType::kA), nullptr);
}

TEST_F(DnsCacheTest, BoundedLeastRecentlyUsedGoesFirst) {
  DnsCache cache(16, clock_);  // one entry per shard
  for (int i = 0; i < 1000; ++i) {
    cache.store("n" + std::to_string(i) + ".example", RrType::kA, answer(Answer::Status::kOk, 600));
  }
  EXPECT_LE(cache.size(), 16u);
  DnsCache off(0, clock_);
  off.store("a.example", RrType::kA, answer(Answer::Status::kOk, 600));
  EXPECT_EQ(off.find("a.example", RrType::kA), nullptr);
}

TEST_F(DnsCacheTest, RecentlyUsedEntrySurvivesEviction) {
  DnsCache cache(16 * 2, clock_);  // two per shard
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back("n" + std::to_string(i) + ".example");
  cache.store(names[0], RrType::kA, answer(Answer::Status::kOk, 600));
  for (int i = 1; i < 200; ++i) {
    cache.store(names[i], RrType::kA, answer(Answer::Status::kOk, 600));
    ASSERT_NE(cache.find(names[0], RrType::kA), nullptr) << i;  // touched: most recent
  }
}

}  // namespace
}  // namespace portcullis::dns
