// Counts open client connections, in total and per client IP, shared by all event-loop
// threads, and admits or refuses new ones against Limits (421 4.7.0 when over).
// Pure (a mutex, no I/O). A Ticket releases its slot when destroyed.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace portcullis::proxy {

class ConnectionRegistry {
 public:
  enum class Admission { kAdmitted, kTooManyTotal, kTooManyFromIp };

  class Ticket {
   public:
    Ticket() = default;
    Ticket(ConnectionRegistry* owner, std::string ip) : owner_(owner), ip_(std::move(ip)) {}
    Ticket(Ticket&& other) noexcept : owner_(other.owner_), ip_(std::move(other.ip_)) {
      other.owner_ = nullptr;
    }
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }
    bool valid() const { return owner_ != nullptr; }

   private:
    void release();
    ConnectionRegistry* owner_ = nullptr;
    std::string ip_;
  };

  // Limits are passed per call so a reload takes effect for new connections at once.
  Admission admit(const std::string& ip, std::size_t max_total, std::size_t max_per_ip,
                  Ticket& ticket);
  std::size_t total() const;
  std::size_t from_ip(const std::string& ip) const;

 private:
  void release(const std::string& ip);

  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_ip_;
};

}  // namespace portcullis::proxy
