// The c-ares resolver against a real DNS server (dnsmasq on loopback), and the evaluation
// driver and Pending on top of it.
#include "filters/dns/cares_resolver.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "filters/dns/dns_driver.hpp"
#include "filters/dns/pending.hpp"
#include "tests/filters/dns/dnsmasq_server.hpp"

namespace portcullis::dns {
namespace {

namespace asio = boost::asio;
using testing::DnsmasqServer;

config::DnsSettings settings_for(const std::string& server, int timeout_ms = 500) {
  config::DnsSettings s;
  s.servers.push_back(config::Endpoint{"127.0.0.1", static_cast<std::uint16_t>(
                                                         std::stoi(server.substr(server.find(':') + 1)))});
  s.timeout = std::chrono::milliseconds(timeout_ms);
  s.attempts = 1;
  return s;
}

// Runs a coroutine to completion on a fresh io_context of this thread.
template <class T>
T run(asio::awaitable<T> work) {
  asio::io_context io;
  auto future = asio::co_spawn(io, std::move(work), asio::use_future);
  io.run();
  return future.get();
}

asio::awaitable<std::shared_ptr<const Answer>> ask(Resolver& r, std::string name, RrType type) {
  auto lookup = r.resolve(Question{std::move(name), type});
  co_return co_await std::move(lookup);
}

const std::string kLong(400, 'k');

class CaresResolverTest : public ::testing::Test {
 protected:
  DnsmasqServer server_{{"--txt-record=a.test,v=spf1 ip4:192.0.2.0/24 -all",
                         "--txt-record=a.test,second record",
                         "--txt-record=long.test," + kLong,
                         "--address=/a.test/192.0.2.1",
                         "--host-record=h.test,192.0.2.2,2001:db8::2",
                         "--cname=c.test,h.test",
                         "--mx-host=a.test,mx.a.test,10",
                         "--ptr-record=2.2.0.192.in-addr.arpa,h.test",
                         "--txt-record=step1.test,step2.test",
                         "--txt-record=step2.test,step3.test",
                         "--txt-record=step3.test,done"}};
  CaresResolver resolver_{settings_for(server_.address())};
};

TEST_F(CaresResolverTest, AnswersEachTypeFromARealServer) {
  const auto txt = run(ask(resolver_, "a.test", RrType::kTxt));
  ASSERT_EQ(txt->status, Answer::Status::kOk);
  ASSERT_EQ(txt->txt.size(), 2u);
  EXPECT_TRUE(std::find(txt->txt.begin(), txt->txt.end(), "v=spf1 ip4:192.0.2.0/24 -all") !=
              txt->txt.end());
  const auto a = run(ask(resolver_, "A.Test.", RrType::kA));
  ASSERT_EQ(a->status, Answer::Status::kOk);
  EXPECT_EQ(a->addresses.at(0).to_string(), "192.0.2.1");
  const auto aaaa = run(ask(resolver_, "h.test", RrType::kAaaa));
  ASSERT_EQ(aaaa->status, Answer::Status::kOk);
  EXPECT_EQ(aaaa->addresses.at(0).to_string(), "2001:db8::2");
  const auto mx = run(ask(resolver_, "a.test", RrType::kMx));
  ASSERT_EQ(mx->status, Answer::Status::kOk);
  EXPECT_EQ(mx->mx.at(0).host, "mx.a.test");
  EXPECT_EQ(mx->mx.at(0).preference, 10);
  const auto ptr = run(ask(resolver_, "2.2.0.192.in-addr.arpa", RrType::kPtr));
  ASSERT_EQ(ptr->status, Answer::Status::kOk);
  EXPECT_EQ(ptr->names.at(0), "h.test");
  const auto cname = run(ask(resolver_, "c.test", RrType::kA));
  ASSERT_EQ(cname->status, Answer::Status::kOk);
  EXPECT_EQ(cname->addresses.at(0).to_string(), "192.0.2.2");
}

TEST_F(CaresResolverTest, LongTxtArrivesWhole) {
  const auto txt = run(ask(resolver_, "long.test", RrType::kTxt));
  ASSERT_EQ(txt->status, Answer::Status::kOk);
  EXPECT_EQ(txt->txt.at(0), kLong);  // split in 255-octet strings on the wire, joined here
}

TEST_F(CaresResolverTest, NegativeAnswersAndImpossibleNames) {
  EXPECT_EQ(run(ask(resolver_, "nx.test", RrType::kA))->status, Answer::Status::kNxDomain);
  EXPECT_EQ(run(ask(resolver_, "a.test", RrType::kAaaa))->status, Answer::Status::kNoData);
  const auto before = resolver_.stats().queries;
  EXPECT_EQ(run(ask(resolver_, "bad..test", RrType::kA))->status, Answer::Status::kNxDomain);
  EXPECT_EQ(run(ask(resolver_, std::string(300, 'x'), RrType::kA))->status,
            Answer::Status::kNxDomain);
  EXPECT_EQ(run(ask(resolver_, std::string("nul\0x.test", 10), RrType::kA))->status,
            Answer::Status::kNxDomain);
  EXPECT_EQ(resolver_.stats().queries, before);  // none of them reached the server
}

TEST_F(CaresResolverTest, SecondLookupComesFromTheCache) {
  run(ask(resolver_, "a.test", RrType::kTxt));
  const auto queries = resolver_.stats().queries;
  ASSERT_NE(resolver_.cached(Question{"a.test", RrType::kTxt}), nullptr);
  run(ask(resolver_, "a.test", RrType::kTxt));
  EXPECT_EQ(resolver_.stats().queries, queries);
  EXPECT_GE(resolver_.stats().cache_hits, 1u);
}

TEST_F(CaresResolverTest, ConcurrentIdenticalQuestionsShareOneQuery) {
  const auto before = resolver_.stats().queries;
  asio::io_context io;
  std::vector<std::future<std::shared_ptr<const Answer>>> futures;
  for (int i = 0; i < 20; ++i) {
    futures.push_back(asio::co_spawn(io, ask(resolver_, "h.test", RrType::kA), asio::use_future));
  }
  io.run();
  for (auto& f : futures) EXPECT_EQ(f.get()->status, Answer::Status::kOk);
  EXPECT_EQ(resolver_.stats().queries - before, 1u);
}

TEST_F(CaresResolverTest, DriverFollowsAChainOfLookups) {
  // An evaluator in the style of SPF: each answer names the next question.
  const auto eval = [](DnsView& view) -> Evaluation<std::string> {
    std::string name = "step1.test";
    for (int i = 0; i < 5; ++i) {
      const Answer* a = view.find(name, RrType::kTxt);
      if (a == nullptr) return Evaluation<std::string>::need({Question{name, RrType::kTxt}});
      if (!a->ok()) return Evaluation<std::string>::done("error");
      if (a->txt.at(0) == "done") return Evaluation<std::string>::done(name);
      name = a->txt.at(0);
    }
    return Evaluation<std::string>::done("too deep");
  };
  const auto result = run(evaluate<std::string>(resolver_, eval));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, "step3.test");
}

TEST_F(CaresResolverTest, DriverAsksOneRoundInParallelAndStopsAtTheRoundLimit) {
  const auto eval = [](DnsView& view) -> Evaluation<int> {
    std::vector<Question> needs;
    int ok = 0;
    for (const char* name : {"a.test", "h.test", "c.test", "nx.test"}) {
      const Answer* a = view.find(name, RrType::kA);
      if (a == nullptr) {
        needs.push_back({name, RrType::kA});
      } else if (a->ok()) {
        ++ok;
      }
    }
    if (!needs.empty()) return Evaluation<int>::need(std::move(needs));
    return Evaluation<int>::done(ok);
  };
  EXPECT_EQ(run(evaluate<int>(resolver_, eval)), 3);
  const auto endless = [](DnsView&) -> Evaluation<int> {
    return Evaluation<int>::need({Question{"a.test", RrType::kMx}});
  };
  EXPECT_EQ(run(evaluate<int>(resolver_, endless, 5)), std::nullopt);
}

asio::awaitable<std::string> slow_lookup(Resolver& r) {
  auto lookup = r.resolve(Question{"step1.test", RrType::kTxt});
  auto a = co_await std::move(lookup);
  co_return a->txt.at(0);
}

asio::awaitable<std::string> start_then_get(Resolver& r) {
  const auto executor = co_await asio::this_coro::executor;
  auto pending = Pending<std::string>::start(executor, slow_lookup(r));
  // Other work happens meanwhile (the SMTP dialogue).
  asio::steady_timer pause(executor, std::chrono::milliseconds(5));
  co_await pause.async_wait(asio::use_awaitable);
  const Pending<std::string> copy = pending;  // slots hold copies: they share the result
  co_return co_await copy.get();
}

TEST_F(CaresResolverTest, PendingStartsNowAndIsAwaitedLater) {
  EXPECT_EQ(run(start_then_get(resolver_)), "step2.test");
}

// A server that never answers: every lookup is a timeout, never a pass/fail.
TEST(CaresResolverTimeout, SilentServerGivesTimeout) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  CaresResolver resolver(settings_for("127.0.0.1:" + std::to_string(ntohs(a.sin_port)), 100));
  const auto answer = run(ask(resolver, "slow.test", RrType::kTxt));
  EXPECT_EQ(answer->status, Answer::Status::kTimeout);
  EXPECT_TRUE(answer->temporary());
  EXPECT_EQ(resolver.stats().timeouts, 1u);
  close(fd);
}

asio::awaitable<std::string> lookup_under_deadline(Resolver& r) {
  using namespace asio::experimental::awaitable_operators;
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer deadline(executor, std::chrono::milliseconds(50));
  auto lookup = r.resolve(Question{"slow.test", RrType::kA});
  auto wait = deadline.async_wait(asio::use_awaitable);
  auto result = co_await (std::move(lookup) || std::move(wait));
  co_return result.index() == 0 ? "answer" : "deadline";
}

TEST(CaresResolverTimeout, CancellationEndsTheWaitBeforeTheTimeout) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  CaresResolver resolver(settings_for("127.0.0.1:" + std::to_string(ntohs(a.sin_port)), 3000));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run(lookup_under_deadline(resolver)), "deadline");
  // Well before the 3 s query timeout (not a timing assertion of speed: of correctness).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
  close(fd);
}

}  // namespace
}  // namespace portcullis::dns
