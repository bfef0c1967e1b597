// A real DNS server for tests: dnsmasq (Debian dnsmasq-base) on 127.0.0.1 and a free port,
// authoritative for the records given as dnsmasq options ("--txt-record=a.test,text"), no
// upstream, started by the test and stopped by PID.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace portcullis::testing {

class DnsmasqServer {
 public:
  explicit DnsmasqServer(std::vector<std::string> records) {
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) try_start(records);
    if (pid_ <= 0) throw std::runtime_error("cannot start dnsmasq");
  }
  ~DnsmasqServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  DnsmasqServer(const DnsmasqServer&) = delete;
  DnsmasqServer& operator=(const DnsmasqServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // A UDP port on 127.0.0.1 that was free a moment ago.
  static std::uint16_t free_udp_port() {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
  }

 private:
  static bool udp_port_taken(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool taken = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0;
    close(fd);
    return taken;
  }

  void try_start(const std::vector<std::string>& records) {
    port_ = free_udp_port();
    std::vector<std::string> args = {"dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                                     "--pid-file=", "--port=" + std::to_string(port_),
                                     "--listen-address=127.0.0.1", "--bind-interfaces",
                                     "--no-resolv", "--no-hosts", "--local=/test/", "--local-ttl=300",
                                     "--log-facility=/dev/null"};
    if (geteuid() == 0) args.push_back("--user=root");
    args.insert(args.end(), records.begin(), records.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawnp(&pid, "dnsmasq", nullptr, nullptr, argv.data(), environ) != 0) return;
    for (int i = 0; i < 200; ++i) {
      if (udp_port_taken(port_)) {
        pid_ = pid;
        return;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return;  // exited: port race, try again
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }

  pid_t pid_ = 0;
  std::uint16_t port_ = 0;
};

}  // namespace portcullis::testing
