#include "proxy/maildir_backend.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "proxy/smtp/reply.hpp"

namespace portcullis::proxy {

namespace {

std::atomic<unsigned long> g_sequence{0};

std::string unique_name() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  return std::to_string(us / 1'000'000) + ".M" + std::to_string(us % 1'000'000) + "P" +
         std::to_string(getpid()) + "Q" + std::to_string(++g_sequence) + "." + host;
}

// Returns "" on success, else the reason.
std::string write_file(const std::string& directory, const std::string& name,
                       const std::string& content) {
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) {
    std::filesystem::create_directories(std::filesystem::path(directory) / sub, ec);
    if (ec) return "mkdir " + directory + "/" + sub + ": " + ec.message();
  }
  std::string tmp = directory + "/tmp/" + name;
  std::string final_path = directory + "/new/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return "open " + tmp + ": " + std::strerror(errno);
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string why = "write " + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return why;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return "fsync " + tmp + ": " + std::strerror(errno);
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    std::string why = "rename " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return why;
  }
  return {};
}

BackendResult ok(int code, const char* enhanced, const std::string& text) {
  BackendResult r;
  r.ok = true;
  r.reply = smtp::make_reply(code, enhanced, text);
  return r;
}

class MaildirConnection : public BackendConnection {
 public:
  MaildirConnection(const std::string& directory, WorkerPool& pool)
      : directory_(directory), pool_(pool) {}

  boost::asio::awaitable<BackendResult> open() override {
    co_return ok(250, "", "maildir");
  }
  boost::asio::awaitable<BackendResult> mail(const std::string&,
                                             const std::string& address) override {
    sender_ = address;
    recipients_.clear();
    co_return ok(250, "2.1.0", "Ok");
  }
  boost::asio::awaitable<BackendResult> rcpt(const std::string&,
                                             const std::string& address) override {
    recipients_.push_back(address);
    co_return ok(250, "2.1.5", "Ok");
  }
  boost::asio::awaitable<BackendResult> rset() override {
    sender_.clear();
    recipients_.clear();
    co_return ok(250, "2.0.0", "Ok");
  }
  boost::asio::awaitable<BackendResult> data(const std::string& message) override {
    std::string content = "Return-Path: <" + sender_ + ">\r\n";
    for (const auto& rcpt : recipients_) content += "Delivered-To: " + rcpt + "\r\n";
    content += message;
    std::string name = unique_name();
    std::string directory = directory_;
    // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
    auto job = [directory, name, content = std::move(content)] {
      return write_file(directory, name, content);
    };
    auto pending = pool_.call(std::move(job));
    std::string error = co_await std::move(pending);
    sender_.clear();
    recipients_.clear();
    if (!error.empty()) {
      BackendResult r;
      r.ok = true;  // the store answered; the client must retry later
      r.reply = smtp::make_reply(451, "4.3.0", "Error: demo mailbox write failed");
      r.error = error;
      co_return r;
    }
    co_return ok(250, "2.0.0", "Ok: queued as " + name);
  }
  boost::asio::awaitable<void> quit() override { co_return; }
  bool usable() const override { return true; }

 private:
  std::string directory_;
  WorkerPool& pool_;
  std::string sender_;
  std::vector<std::string> recipients_;
};

}  // namespace

MaildirBackend::MaildirBackend(std::string directory, WorkerPool& pool)
    : directory_(std::move(directory)), pool_(pool) {}

std::unique_ptr<BackendConnection> MaildirBackend::connect(boost::asio::any_io_executor) {
  return std::make_unique<MaildirConnection>(directory_, pool_);
}

boost::asio::awaitable<void> MaildirBackend::release(std::unique_ptr<BackendConnection>,
                                                    boost::asio::any_io_executor) {
  co_return;  // nothing worth keeping: a maildir "connection" costs nothing to make
}

boost::asio::awaitable<BackendCaps> MaildirBackend::probe(boost::asio::any_io_executor) {
  BackendCaps caps;
  caps.reachable = true;
  caps.eightbitmime = true;
  caps.smtputf8 = true;
  co_return caps;
}

}  // namespace portcullis::proxy
