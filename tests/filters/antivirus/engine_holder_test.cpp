// EngineHolder: the engine follows its signature directory (polled), a configuration reload
// of the same directory reuses the holder, and the two reload modes behave as documented
// (concurrent keeps the old engine when a load fails; blocking fails closed).
#include "filters/antivirus/engine_holder.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include "tests/filters/antivirus/av_test_util.hpp"

namespace portcullis::filters::antivirus {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;

// An .ndb body signature (any file type, anywhere) for `text`.
void write_signature(const std::filesystem::path& file, const std::string& name,
                     const std::string& text) {
  std::string hex;
  for (unsigned char c : text) hex += fmt::format("{:02x}", c);
  std::ofstream(file) << name << ":0:*:" << hex << "\n";
}

ScanResult scan_now(const Scanner& scanner, const std::string& message) {
  boost::asio::io_context ctx;
  auto future = boost::asio::co_spawn(ctx, scanner.scan(message, nullptr), boost::asio::use_future);
  ctx.run();
  return future.get();
}

const std::string kFirst = "portcullis-first-test-marker-0123456789";
const std::string kSecond = "portcullis-second-test-marker-9876543210";

EngineHolder::Settings settings(const TempDir& dir, ReloadMode mode,
                                std::chrono::milliseconds watch) {
  EngineHolder::Settings s;
  s.directory = dir.str();
  s.mode = mode;
  s.watch = watch;
  return s;
}

TEST(EngineHolder, FingerprintFollowsTheFiles) {
  TempDir dir;
  write_signature(dir.path() / "a.ndb", "Test.A", kFirst);
  const std::string one = EngineHolder::fingerprint(dir.str());
  EXPECT_EQ(one, EngineHolder::fingerprint(dir.str()));
  write_signature(dir.path() / "b.ndb", "Test.B", kSecond);
  EXPECT_NE(one, EngineHolder::fingerprint(dir.str()));
}

TEST(EngineHolder, WatchLoadsNewSignatures) {
  TempDir dir;
  write_signature(dir.path() / "a.ndb", "Test.A", kFirst);
  std::string error;
  auto holder = EngineHolder::acquire(settings(dir, ReloadMode::kConcurrent, 50ms), error);
  ASSERT_NE(holder, nullptr) << error;
  EXPECT_EQ(scan_now(*holder, "x " + kFirst + " y").kind, ScanResult::Kind::kFound);
  EXPECT_EQ(scan_now(*holder, "x " + kSecond + " y").kind, ScanResult::Kind::kClean);
  write_signature(dir.path() / "b.ndb", "Test.B", kSecond);
  // Loaded once the directory looked the same at two polls in a row.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (holder->reloads() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(holder->reloads(), 2u);
  ScanResult second = scan_now(*holder, "x " + kSecond + " y");
  EXPECT_EQ(second.kind, ScanResult::Kind::kFound);
  EXPECT_EQ(std::string(strip_unofficial(second.text)), "Test.B");
}

TEST(EngineHolder, SameSettingsShareOneHolderAndReload) {
  TempDir dir;
  write_signature(dir.path() / "a.ndb", "Test.A", kFirst);
  std::string error;
  auto first = EngineHolder::acquire(settings(dir, ReloadMode::kConcurrent, 0ms), error);
  ASSERT_NE(first, nullptr) << error;
  auto again = EngineHolder::acquire(settings(dir, ReloadMode::kConcurrent, 0ms), error);
  EXPECT_EQ(first, again);  // a configuration reload: same engine holder, loaded anew
  EXPECT_EQ(first->reloads(), 2u);
  auto other = EngineHolder::acquire(settings(dir, ReloadMode::kBlocking, 0ms), error);
  EXPECT_NE(first, other);  // other settings, another holder
}

TEST(EngineHolder, ConcurrentKeepsTheOldEngineWhenALoadFails) {
  TempDir dir;
  write_signature(dir.path() / "a.ndb", "Test.A", kFirst);
  std::string error;
  auto holder = EngineHolder::acquire(settings(dir, ReloadMode::kConcurrent, 0ms), error);
  ASSERT_NE(holder, nullptr) << error;
  std::ofstream(dir.path() / "broken.ndb") << "this is not a signature\n";
  EXPECT_FALSE(holder->reload(error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(scan_now(*holder, kFirst).kind, ScanResult::Kind::kFound);
}

TEST(EngineHolder, BlockingFailsClosedWhenALoadFails) {
  TempDir dir;
  write_signature(dir.path() / "a.ndb", "Test.A", kFirst);
  std::string error;
  auto holder = EngineHolder::acquire(settings(dir, ReloadMode::kBlocking, 0ms), error);
  ASSERT_NE(holder, nullptr) << error;
  EXPECT_EQ(scan_now(*holder, kFirst).kind, ScanResult::Kind::kFound);
  std::ofstream(dir.path() / "broken.ndb") << "this is not a signature\n";
  EXPECT_FALSE(holder->reload(error));
  // The old engine was dropped before loading: no scan passes unscanned.
  EXPECT_EQ(scan_now(*holder, "clean text").kind, ScanResult::Kind::kError);
  std::filesystem::remove(dir.path() / "broken.ndb");
  EXPECT_TRUE(holder->reload(error)) << error;
  EXPECT_EQ(scan_now(*holder, kFirst).kind, ScanResult::Kind::kFound);
}

TEST(EngineHolder, ReloadAndWatchAreValidatedConfigKeys) {
  TempDir dir;
  testing::copy_test_signatures(dir.path());
  auto bad = testing::load_section("    database: \"" + dir.str() +
                                   "\"\n    reload: sometimes\n    watch: 5\n");
  ASSERT_EQ(bad.problems.size(), 2u) << ::testing::PrintToString(bad.problems);
  EXPECT_NE(bad.problems[0].find("filters.antivirus.reload"), std::string::npos);
  EXPECT_NE(bad.problems[1].find("filters.antivirus.watch"), std::string::npos);
  auto good = testing::load_section("    database: \"" + dir.str() +
                                    "\"\n    reload: blocking\n    watch: 0s\n");
  EXPECT_TRUE(good.problems.empty()) << ::testing::PrintToString(good.problems);
  auto clamd = testing::load_section("    engine: clamd\n    clamd: \"unix:/x.sock\"\n"
                                     "    reload: blocking\n");
  ASSERT_EQ(clamd.problems.size(), 1u);
  EXPECT_NE(clamd.problems[0].find("only used with engine: libclamav"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::filters::antivirus
