#include "filters/dns/cares_resolver.hpp"

#include <ares.h>
#include <arpa/nameser.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "filters/dns/dns_cache.hpp"
#include "filters/dns/dns_message.hpp"

namespace portcullis::dns {
namespace {

namespace asio = boost::asio;

using Deliver = std::function<void(std::shared_ptr<const Answer>)>;

std::shared_ptr<const Answer> answer_with(Answer::Status status) {
  auto a = std::make_shared<Answer>();
  a->status = status;
  return a;
}

// Names no server can hold: asking would only waste a query (or confuse c-ares).
bool impossible_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return true;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '\0') return true;
    if (c == '.') {
      if (label == 0) return true;
      label = 0;
    } else if (++label > 63) {
      return true;
    }
  }
  return false;
}

// The caller's completion handler, fired once: by the answer (DNS thread) or by the
// caller's cancellation (caller's thread), whichever comes first.
template <class Handler>
struct OneShot {
  OneShot(Handler h, asio::any_io_executor ex) : handler(std::move(h)), executor(std::move(ex)) {}
  void fire(std::shared_ptr<const Answer> answer) {
    std::optional<Handler> h;
    std::optional<asio::any_io_executor> ex;
    {
      std::lock_guard lock(mutex);
      if (!handler) return;
      h.emplace(std::move(*handler));
      ex.emplace(std::move(*executor));
      handler.reset();
      executor.reset();  // the caller's loop need not wait for the query any longer
    }
    asio::post(*ex, [h = std::move(*h), answer = std::move(answer)]() mutable {
      std::move(h)(std::move(answer));
    });
  }
  std::mutex mutex;
  std::optional<Handler> handler;
  std::optional<asio::any_io_executor> executor;  // tracked: keeps the caller's loop running
};

}  // namespace

struct CaresResolver::Impl {
  explicit Impl(const config::DnsSettings& s)
      : settings(s), cache(s.cache_entries), timer(loop) {}

  config::DnsSettings settings;
  DnsCache cache;
  asio::io_context loop;
  asio::executor_work_guard<asio::io_context::executor_type> work{loop.get_executor()};
  asio::steady_timer timer;
  ares_channel channel = nullptr;
  std::thread thread;

  struct Watch {
    explicit Watch(asio::io_context& io, ares_socket_t s) : fd(s), descriptor(io) {
      descriptor.assign(s);
    }
    ares_socket_t fd;
    asio::posix::stream_descriptor descriptor;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
    bool alive = true;
  };
  std::unordered_map<ares_socket_t, std::shared_ptr<Watch>> watches;

  struct Query {
    Impl* impl;
    std::string key;
    Question question;
  };
  std::unordered_map<std::string, std::vector<Deliver>> in_flight;

  std::atomic<std::uint64_t> queries{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> failures{0};

  // ---- on the DNS thread -------------------------------------------------------------

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<Impl*>(data)->socket_state(fd, readable != 0, writable != 0);
  }

  void socket_state(ares_socket_t fd, bool readable, bool writable) {
    auto it = watches.find(fd);
    if (!readable && !writable) {
      if (it == watches.end()) return;
      it->second->alive = false;
      boost::system::error_code ignored;
      it->second->descriptor.cancel(ignored);
      it->second->descriptor.release();  // c-ares closes its own sockets
      watches.erase(it);
      return;
    }
    if (it == watches.end()) it = watches.emplace(fd, std::make_shared<Watch>(loop, fd)).first;
    it->second->want_read = readable;
    it->second->want_write = writable;
    arm(it->second);
  }

  void arm(const std::shared_ptr<Watch>& w) {
    if (!w->alive) return;
    if (w->want_read && !w->reading) {
      w->reading = true;
      w->descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                               [this, w](const boost::system::error_code& ec) {
                                 w->reading = false;
                                 if (ec || !w->alive) return;
                                 ares_process_fd(channel, w->fd, ARES_SOCKET_BAD);
                                 arm(w);
                                 arm_timer();
                               });
    }
    if (w->want_write && !w->writing) {
      w->writing = true;
      w->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                               [this, w](const boost::system::error_code& ec) {
                                 w->writing = false;
                                 if (ec || !w->alive) return;
                                 ares_process_fd(channel, ARES_SOCKET_BAD, w->fd);
                                 arm(w);
                                 arm_timer();
                               });
    }
  }

  void arm_timer() {
    timeval tv{};
    if (ares_timeout(channel, nullptr, &tv) == nullptr) {
      timer.cancel();
      return;
    }
    timer.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      arm_timer();
    });
  }

  void start(Question question, Deliver deliver) {
    std::string key = question_key(question.name, question.type);
    if (auto hit = cache.find(question.name, question.type)) {
      deliver(std::move(hit));
      return;
    }
    if (auto it = in_flight.find(key); it != in_flight.end()) {
      it->second.push_back(std::move(deliver));
      return;
    }
    if (in_flight.size() >= kMaxInFlight) {
      failures.fetch_add(1, std::memory_order_relaxed);
      deliver(answer_with(Answer::Status::kServFail));
      return;
    }
    in_flight[key].push_back(std::move(deliver));
    queries.fetch_add(1, std::memory_order_relaxed);
    const std::string name = question.name;
    const int type = static_cast<int>(question.type);
    auto* query = new Query{this, std::move(key), std::move(question)};
    ares_query(channel, name.c_str(), ns_c_in, type, &Impl::on_answer, query);
    arm_timer();
  }

  static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<Query> query(static_cast<Query*>(arg));
    query->impl->answered(*query, status, abuf, alen);
  }

  void answered(const Query& query, int status, const unsigned char* abuf, int alen) {
    Answer answer;
    if (abuf != nullptr && alen > 0 && status != ARES_ETIMEOUT) {
      answer = parse_response(std::span(abuf, static_cast<std::size_t>(alen)),
                              query.question.name, query.question.type,
                              static_cast<std::uint32_t>(settings.negative_ttl.count()));
    } else {
      answer.status = status == ARES_ETIMEOUT ? Answer::Status::kTimeout : Answer::Status::kServFail;
    }
    if (answer.status == Answer::Status::kTimeout) timeouts.fetch_add(1, std::memory_order_relaxed);
    if (answer.status == Answer::Status::kServFail) failures.fetch_add(1, std::memory_order_relaxed);
    answer.ttl = std::min<std::uint32_t>(answer.ttl, static_cast<std::uint32_t>(settings.max_ttl.count()));
    auto shared = std::make_shared<const Answer>(std::move(answer));
    // ARES_EDESTRUCTION: the channel is going away; do not cache a non-answer.
    if (status != ARES_EDESTRUCTION) cache.store(query.question.name, query.question.type, shared);
    auto node = in_flight.extract(query.key);
    if (node.empty()) return;
    for (Deliver& deliver : node.mapped()) deliver(shared);
  }

  // ---- from any thread ----------------------------------------------------------------

  template <class Token>
  auto async_query(Question question, Token&& token) {
    return asio::async_initiate<Token, void(std::shared_ptr<const Answer>)>(
        [this](auto handler, Question q) {
          using Handler = decltype(handler);
          auto slot = asio::get_associated_cancellation_slot(handler);
          auto executor = asio::prefer(asio::get_associated_executor(handler),
                                       asio::execution::outstanding_work.tracked);
          auto shot = std::make_shared<OneShot<Handler>>(std::move(handler), std::move(executor));
          if (slot.is_connected()) {
            slot.assign([shot](asio::cancellation_type) {
              shot->fire(answer_with(Answer::Status::kTimeout));
            });
          }
          asio::post(loop, [this, shot, q = std::move(q)]() mutable {
            start(std::move(q), [shot](std::shared_ptr<const Answer> a) { shot->fire(std::move(a)); });
          });
        },
        token, std::move(question));
  }
};

CaresResolver::CaresResolver(const config::DnsSettings& settings)
    : impl_(std::make_unique<Impl>(settings)) {
  static std::once_flag library;
  std::call_once(library, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  ares_options options{};
  options.sock_state_cb = &Impl::on_socket_state;
  options.sock_state_cb_data = impl_.get();
  options.timeout = static_cast<int>(settings.timeout.count());
  options.tries = static_cast<int>(settings.attempts);
  options.flags = ARES_FLAG_EDNS;
  options.ednspsz = 1232;
  const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
                   ARES_OPT_EDNSPSZ;
  if (const int rc = ares_init_options(&impl_->channel, &options, mask); rc != ARES_SUCCESS) {
    throw std::runtime_error(std::string("dns: cannot start the resolver: ") + ares_strerror(rc));
  }
  if (!settings.servers.empty()) {
    std::string csv;
    for (const auto& server : settings.servers) {
      if (!csv.empty()) csv += ',';
      const bool v6 = server.host.find(':') != std::string::npos;
      csv.append(v6 ? "[" : "").append(server.host).append(v6 ? "]" : "");
      csv.append(":").append(std::to_string(server.port));
    }
    if (const int rc = ares_set_servers_ports_csv(impl_->channel, csv.c_str()); rc != ARES_SUCCESS) {
      ares_destroy(impl_->channel);
      throw std::runtime_error("dns: servers " + csv + ": " + ares_strerror(rc));
    }
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->loop.run(); });
}

CaresResolver::~CaresResolver() {
  // Destroy the channel on its own thread (its callbacks deliver kServFail to the waiters),
  // then let the loop finish.
  asio::post(impl_->loop, [impl = impl_.get()] {
    ares_destroy(impl->channel);
    impl->channel = nullptr;
    impl->timer.cancel();
    for (auto& [fd, watch] : impl->watches) {
      watch->alive = false;
      boost::system::error_code ignored;
      watch->descriptor.cancel(ignored);
      watch->descriptor.release();
    }
    impl->watches.clear();
    impl->work.reset();
  });
  impl_->thread.join();
}

std::shared_ptr<const Answer> CaresResolver::cached(const Question& question) {
  if (impossible_name(question.name)) return answer_with(Answer::Status::kNxDomain);
  return impl_->cache.find(question.name, question.type);
}

asio::awaitable<std::shared_ptr<const Answer>> CaresResolver::resolve(Question question) {
  if (impossible_name(question.name)) co_return answer_with(Answer::Status::kNxDomain);
  if (auto hit = impl_->cache.find(question.name, question.type)) co_return hit;
  // Not inside the co_await expression: g++ 12 mishandles a by-value argument there.
  auto query = impl_->async_query(std::move(question), asio::use_awaitable);
  co_return co_await std::move(query);
}

ResolverStats CaresResolver::stats() const {
  ResolverStats s;
  s.queries = impl_->queries.load(std::memory_order_relaxed);
  s.timeouts = impl_->timeouts.load(std::memory_order_relaxed);
  s.failures = impl_->failures.load(std::memory_order_relaxed);
  s.cache_hits = impl_->cache.hits();
  s.cache_misses = impl_->cache.misses();
  return s;
}

const config::DnsSettings& CaresResolver::settings() const { return impl_->settings; }

}  // namespace portcullis::dns
