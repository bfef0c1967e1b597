// engine: clamd against a real clamd started here with the test signatures.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "filters/antivirus/antivirus_filter.hpp"
#include "tests/filters/antivirus/av_test_util.hpp"

namespace portcullis::filters::antivirus {
namespace {

using namespace testing;
using Kind = Verdict::Kind;

constexpr const char* kClamd = "/usr/sbin/clamd";

bool can_connect(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

class ClamdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kClamd, X_OK) != 0) GTEST_SKIP() << kClamd << " not installed (clamav-daemon)";
    copy_test_signatures(tmp_.path() / "db");
    socket_ = tmp_.str() + "/clamd.sock";
    const std::string conf = tmp_.str() + "/clamd.conf";
    std::ofstream(conf) << "Foreground yes\n"
                        << "LocalSocket " << socket_ << "\n"
                        << "DatabaseDirectory " << tmp_.str() << "/db\n"
                        << "LogFile " << tmp_.str() << "/clamd.log\n"
                        << "PidFile " << tmp_.str() << "/clamd.pid\n"
                        << "TemporaryDirectory " << tmp_.str() << "\n"
                        << "User " << (::geteuid() == 0 ? "root" : "nobody") << "\n"
                        << "AlertExceedsMax yes\n";
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      const std::string log = tmp_.str() + "/clamd.out";
      std::FILE* out = std::freopen(log.c_str(), "w", stdout);
      (void)out;
      ::dup2(::fileno(stdout), STDERR_FILENO);
      const std::string option = "--config-file=" + conf;
      ::execl(kClamd, kClamd, option.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 300 && !can_connect(socket_); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "clamd exited: " << read_file(tmp_.path() / "clamd.out");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(can_connect(socket_)) << "clamd did not listen within 30 s: "
                                      << read_file(tmp_.path() / "clamd.out");
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  TempDir tmp_;
  std::string socket_;
  pid_t pid_ = -1;
};

TEST_F(ClamdTest, DetectsEicarAndPassesClean) {
  const auto f = make("    engine: clamd\n    clamd: unix:" + socket_ + "\n    scan_timeout: 20s\n");
  ASSERT_NE(f, nullptr);
  for (const char* sample : {"eicar-attachment.eml", "eicar-zip-attachment.eml"}) {
    const Outcome o = scan(f, read_file(kTestData + "/" + sample));
    EXPECT_EQ(o.verdict.kind, Kind::kReject) << sample;
    EXPECT_EQ(o.verdict.code, 554);
    EXPECT_TRUE(o.verdict.text.starts_with("Message rejected: virus Portcullis.Test.EICAR-"))
        << o.verdict.text;
    EXPECT_EQ(o.verdict.text.find("UNOFFICIAL"), std::string::npos) << o.verdict.text;
    ASSERT_EQ(o.symbols.size(), 1u);
    EXPECT_EQ(o.symbols[0].name, "AV_INFECTED");
  }
  const Outcome clean = scan(f, read_file(kTestData + "/clean.eml"));
  EXPECT_EQ(clean.verdict.kind, Kind::kContinue);
  EXPECT_TRUE(clean.symbols.empty());
  // Bigger than one 64 KiB chunk, with the virus at the end.
  std::string big = "Subject: big\r\n\r\n";
  while (big.size() < 200 * 1024) big += "filler line of clean text\r\n";
  const Outcome clean_big = scan(f, big);
  EXPECT_EQ(clean_big.verdict.kind, Kind::kContinue);
  const Outcome infected_big = scan(f, big + kEicar + "\r\n");
  EXPECT_EQ(infected_big.verdict.kind, Kind::kReject);
}

// A clamd that accepts but never answers: the scan_timeout deadline fires.
TEST(ClamdTimeout, SilentServerTimesOut) {
  TempDir tmp;
  const std::string path = tmp.str() + "/silent.sock";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 4), 0);  // the kernel accepts; nobody reads or answers
  const auto started = std::chrono::steady_clock::now();
  const Outcome o =
      scan(make("    engine: clamd\n    clamd: unix:" + path + "\n    scan_timeout: 300ms\n"),
           read_file(kTestData + "/clean.eml"));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ::close(fd);
  EXPECT_EQ(o.verdict.kind, Kind::kTempfail);
  ASSERT_EQ(o.symbols.size(), 1u);
  EXPECT_EQ(o.symbols[0].detail,
            "clamd unix:" + path + ": no answer within scan_timeout (300 ms)");
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

}  // namespace
}  // namespace portcullis::filters::antivirus
