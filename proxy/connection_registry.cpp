#include "proxy/connection_registry.hpp"

namespace portcullis::proxy {

ConnectionRegistry::Ticket& ConnectionRegistry::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    ip_ = std::move(other.ip_);
    other.owner_ = nullptr;
  }
  return *this;
}

void ConnectionRegistry::Ticket::release() {
  if (owner_) owner_->release(ip_);
  owner_ = nullptr;
}

ConnectionRegistry::Admission ConnectionRegistry::admit(const std::string& ip,
                                                        std::size_t max_total,
                                                        std::size_t max_per_ip,
                                                        Ticket& ticket) {
  std::lock_guard lock(mutex_);
  if (total_ >= max_total) return Admission::kTooManyTotal;
  std::size_t& count = per_ip_[ip];
  if (count >= max_per_ip) {
    if (count == 0) per_ip_.erase(ip);
    return Admission::kTooManyFromIp;
  }
  ++count;
  ++total_;
  ticket = Ticket(this, ip);
  return Admission::kAdmitted;
}

void ConnectionRegistry::release(const std::string& ip) {
  std::lock_guard lock(mutex_);
  --total_;
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
}

std::size_t ConnectionRegistry::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::size_t ConnectionRegistry::from_ip(const std::string& ip) const {
  std::lock_guard lock(mutex_);
  auto it = per_ip_.find(ip);
  return it == per_ip_.end() ? 0 : it->second;
}

}  // namespace portcullis::proxy
