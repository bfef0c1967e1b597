#include "proxy/server.hpp"

#include "proxy/milter_session.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include "proxy/connection_registry.hpp"
#include "proxy/logging.hpp"
#include "proxy/maildir_backend.hpp"
#include "proxy/smtp_backend.hpp"
#include "proxy/smtp_session.hpp"
#include "proxy/snapshot.hpp"
#include "proxy/timed_socket.hpp"
#include "proxy/transaction_log.hpp"
#include "proxy/worker_pool.hpp"

namespace portcullis::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

bool same_listeners(const std::vector<config::Listener>& a,
                    const std::vector<config::Listener>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].address.host != b[i].address.host ||
        a[i].address.port != b[i].address.port || a[i].tls != b[i].tls ||
        a[i].require_auth != b[i].require_auth || a[i].proxy_protocol != b[i].proxy_protocol) {
      return false;
    }
  }
  return true;
}

// One event loop and the sessions it runs. Touched only from its own thread.
struct Loop {
  asio::io_context ctx{1};
  std::unordered_map<std::uint64_t, std::weak_ptr<SmtpSession>> sessions;
  std::unordered_map<std::uint64_t, std::weak_ptr<TimedSocket>> milter_sockets;
};

}  // namespace

// Each client costs two descriptors (client and backend); ask for all the kernel allows.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

struct Server::Impl {
  std::string config_path;
  std::vector<std::unique_ptr<Loop>> loops;
  std::shared_ptr<GateServices> services;
  WorkerPool& workers;
  SessionEnvironment env;
  ConnectionRegistry registry;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::unique_ptr<asio::local::stream_protocol::acceptor> milter_unix_acceptor;
  std::string milter_unix_path;  // removed at exit
  std::atomic<std::size_t> active{0};
  std::atomic<std::uint64_t> next_id{0};
  std::size_t next_loop = 0;

  mutable std::mutex snapshot_mutex;
  std::shared_ptr<const Snapshot> snapshot;

  // One set of counters for the life of the process: a reload must not reset metrics.
  std::shared_ptr<filters::Counters> counters;

  Impl(std::string path, LoadedConfig loaded, std::shared_ptr<filters::Counters> shared_counters,
       std::shared_ptr<GateServices> shared_services)
      : config_path(std::move(path)),
        services(std::move(shared_services)),
        workers(services->workers()),
        counters(std::move(shared_counters)) {
    config::Config& cfg = loaded.config;
    unsigned n = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) loops.push_back(std::make_unique<Loop>());
    auto pipeline = observed(std::move(loaded.pipeline), cfg);
    snapshot = std::make_shared<Snapshot>(std::move(cfg), std::move(pipeline), nullptr,
                                          BackendCaps{});
  }

  static std::shared_ptr<const filters::Pipeline> observed(
      std::shared_ptr<filters::Pipeline> pipeline, const config::Config& cfg) {
    pipeline->add_observer(std::make_shared<TransactionLog>(cfg.log_format));
    return pipeline;
  }


  std::shared_ptr<const Snapshot> current() const {
    std::lock_guard lock(snapshot_mutex);
    return snapshot;
  }

  std::shared_ptr<Backend> make_backend(const config::Config& cfg) {
    if (cfg.backend.maildir) return std::make_shared<MaildirBackend>(*cfg.backend.maildir, workers);
    return std::make_shared<SmtpBackend>(*cfg.backend.smtp, cfg.hostname, cfg.limits);
  }

  // Probes the backend's EHLO and publishes a snapshot built on it.
  asio::awaitable<void> install(config::Config cfg,
                                std::shared_ptr<const filters::Pipeline> pipeline) {
    auto backend = make_backend(cfg);
    BackendCaps caps = co_await backend->probe(loops[0]->ctx.get_executor());
    if (!caps.reachable) {
      spdlog::warn("backend {} did not answer EHLO; advertising no optional extensions until "
                   "the next reload",
                   backend->describe());
    } else {
      spdlog::info("backend {}: 8BITMIME={} SMTPUTF8={} DSN={} SIZE={}", backend->describe(),
                   caps.eightbitmime, caps.smtputf8, caps.dsn,
                   caps.size ? std::to_string(*caps.size) : "none");
    }
    spdlog::info("pipeline: {} filters", pipeline->size());
    auto next = std::make_shared<const Snapshot>(std::move(cfg), std::move(pipeline),
                                                 std::move(backend), caps);
    std::lock_guard lock(snapshot_mutex);
    snapshot = std::move(next);
  }

  void open_listeners() {
    const auto& cfg = current()->config;
    for (const auto& l : cfg.listeners) {
      listen(l.address, l.name, false);
    }
    if (cfg.milter) listen(*cfg.milter, "milter", true);
    if (!cfg.milter_unix.empty()) listen_unix(cfg.milter_unix, cfg.milter_unix_mode);
  }

  // The milter front door on a unix socket. A stale socket file (a previous run that did not
  // exit cleanly) is replaced; any other file at that path is an error, never removed.
  void listen_unix(const std::string& path, std::uint32_t mode) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        throw std::runtime_error("milter.address: " + path + " exists and is not a socket");
      }
      ::unlink(path.c_str());
    }
    using local = asio::local::stream_protocol;
    auto acceptor = std::make_unique<local::acceptor>(loops[0]->ctx);
    acceptor->open(local());
    acceptor->bind(local::endpoint(path));
    acceptor->listen(asio::socket_base::max_listen_connections);
    milter_unix_path = path;
    if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
      spdlog::warn("milter: chmod {:o} {}: {}", mode, path, std::strerror(errno));
    }
    spdlog::info("milter listening on unix:{} (mode {:04o})", path, mode);
    asio::co_spawn(loops[0]->ctx, accept_loop(*acceptor, "milter", true), asio::detached);
    milter_unix_acceptor = std::move(acceptor);
  }

  // Opens one listening socket and starts its accept loop: SMTP clients, or MTAs at the
  // milter front door.
  void listen(const config::Endpoint& at, const std::string& name, bool milter) {
    tcp::endpoint ep(asio::ip::make_address(at.host), at.port);
    auto acceptor = std::make_unique<tcp::acceptor>(loops[0]->ctx);
    acceptor->open(ep.protocol());
    acceptor->set_option(tcp::acceptor::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen(asio::socket_base::max_listen_connections);
    auto bound = acceptor->local_endpoint();
    if (milter) {
      spdlog::info("milter listening on {}:{}", bound.address().to_string(), bound.port());
    } else {
      spdlog::info("listening on {}:{} ({})", bound.address().to_string(), bound.port(), name);
    }
    asio::co_spawn(loops[0]->ctx, accept_loop(*acceptor, name, milter), asio::detached);
    acceptors.push_back(std::move(acceptor));
  }

  asio::awaitable<void> run_milter(Loop& loop, std::shared_ptr<TimedSocket> socket,
                                   std::uint64_t id) {
    loop.milter_sockets.emplace(id, socket);
    auto session = run_milter_session(socket, current(), id);
    co_await std::move(session);
    loop.milter_sockets.erase(id);
    --active;
  }

  // Drain: milter connections end now (the MTA tempfails what was in flight, per its
  // milter_default_action): an MTA may keep one open for as long as its client stays.
  void close_milter_connections() {
    for (auto& loop : loops) {
      asio::post(loop->ctx, [l = loop.get()] {
        for (auto& [id, weak] : l->milter_sockets) {
          if (auto s = weak.lock()) s->cancel();
        }
      });
    }
  }

  // Each accepted socket goes to the next event loop. MTAs at the milter front door have
  // no connection limits of ours (the MTA has them); SMTP clients are admitted.
  template <class Acceptor>
  asio::awaitable<void> accept_loop(Acceptor& acceptor, std::string name, bool milter) {
    std::chrono::milliseconds backoff{10};
    while (acceptor.is_open()) {
      Loop& loop = *loops[next_loop++ % loops.size()];
      auto [ec, socket] =
          co_await acceptor.async_accept(loop.ctx, asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
      if (ec) {
        // EMFILE and friends: back off and keep listening; never stop accepting.
        spdlog::warn("accept on {}: {}; retrying in {} ms", name, ec.message(), backoff.count());
        asio::steady_timer t(acceptor.get_executor(), backoff);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
        continue;
      }
      backoff = std::chrono::milliseconds(10);
      if (milter) {
        ++active;
        asio::co_spawn(loop.ctx,
                       run_milter(loop, TimedSocket::make(std::move(socket)), ++next_id),
                       asio::detached);
      } else if constexpr (std::is_same_v<Acceptor, tcp::acceptor>) {
        admit(loop, std::move(socket));
      }
    }
  }

  void admit(Loop& loop, tcp::socket socket) {
    auto snap = current();
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    auto addr = remote.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
      addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    }
    ConnectionRegistry::Ticket ticket;
    auto admission = registry.admit(addr.to_string(), snap->config.limits.max_connections,
                                    snap->config.limits.max_connections_per_ip, ticket);
    if (admission != ConnectionRegistry::Admission::kAdmitted) {
      spdlog::warn("refused {}: {}", addr.to_string(),
                   admission == ConnectionRegistry::Admission::kTooManyFromIp
                       ? "too many connections from this address"
                       : "too many connections");
      asio::co_spawn(loop.ctx, refuse(std::move(socket), refusal_for(admission,
                                                                      snap->config.hostname)),
                     asio::detached);
      return;
    }
    std::uint64_t id = ++next_id;
    auto session = std::make_shared<SmtpSession>(std::move(socket), snap, env, std::move(ticket),
                                                 id);
    ++active;
    asio::co_spawn(loop.ctx, run_session(loop, std::move(session), id), asio::detached);
  }

  // A member coroutine rather than a capturing coroutine lambda: g++ 12 mishandles the
  // lifetime of a lambda's captures when co_spawn runs it.
  asio::awaitable<void> run_session(Loop& loop, std::shared_ptr<SmtpSession> session,
                                    std::uint64_t id) {
    loop.sessions.emplace(id, session);
    try {
      co_await session->run();
    } catch (const std::exception& e) {
      // A bug, not a policy decision: log, count, close; never take the process down.
      spdlog::error("s{:x}: session failed: {}", id, e.what());
    }
    loop.sessions.erase(id);
    --active;
  }

  static asio::awaitable<void> refuse(tcp::socket socket, std::string text) {
    auto s = TimedSocket::make(std::move(socket));
    co_await s->write_all(text, std::chrono::seconds(5));
    s->close();
  }

  void for_each_session(void (SmtpSession::*fn)()) {
    for (auto& loop : loops) {
      asio::post(loop->ctx, [l = loop.get(), fn] {
        for (auto& [id, weak] : l->sessions) {
          if (auto s = weak.lock()) ((*s).*fn)();
        }
      });
    }
  }

  asio::awaitable<void> drain() {
    if (env.draining.exchange(true)) co_return;
    auto grace = current()->config.limits.shutdown_grace;
    spdlog::info("shutting down: {} sessions open, grace {} ms", active.load(), grace.count());
    for (auto& a : acceptors) {
      boost::system::error_code ignored;
      a->close(ignored);
    }
    if (milter_unix_acceptor) {
      boost::system::error_code ignored;
      milter_unix_acceptor->close(ignored);
    }
    for_each_session(&SmtpSession::drain);
    close_milter_connections();
    asio::steady_timer tick(loops[0]->ctx);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (active.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      tick.expires_after(std::chrono::milliseconds(50));
      co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (active.load() > 0) {
      spdlog::info("grace period over: closing {} sessions", active.load());
      for_each_session(&SmtpSession::force_close);
      auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (active.load() > 0 && std::chrono::steady_clock::now() < hard) {
        tick.expires_after(std::chrono::milliseconds(50));
        co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
      }
    }
    spdlog::info("stopped");
    for (auto& loop : loops) loop->ctx.stop();
  }

  asio::awaitable<void> reload() {
    spdlog::info("reloading {}", config_path);
    // Reading the file and building the pipeline may load large engines (ClamAV): on the
    // worker pool, never on an event loop. Sessions go on with the old snapshot meanwhile.
    struct Outcome {
      std::optional<LoadedConfig> loaded;
      std::vector<std::string> problems;
    };
    auto job = [this] {
      Outcome out;
      try {
        out.loaded = load_gate_config(config_path, counters, services->pool(),
                                      services->resolver());
      } catch (const config::ConfigError& e) {
        out.problems = e.problems();
      } catch (const std::exception& e) {
        out.problems.push_back(e.what());
      }
      return out;
    };
    auto pending = workers.call(std::move(job));
    Outcome outcome = co_await std::move(pending);
    if (!outcome.loaded) {
      for (const auto& p : outcome.problems) spdlog::error("reload refused: {}", p);
      co_return;
    }
    config::Config next = std::move(outcome.loaded->config);
    auto pipeline = observed(std::move(outcome.loaded->pipeline), next);
    auto old = current();
    if (!same_listeners(old->config.listeners, next.listeners)) {
      spdlog::warn("reload: listener changes need a restart; keeping the current listeners");
      next.listeners = old->config.listeners;
    }
    if (!same_dns_settings(next.dns, services->dns_settings())) {
      spdlog::warn("reload: dns changes need a restart; the resolver keeps its settings");
      next.dns = services->dns_settings();
    }
    if (next.threads != old->config.threads) {
      spdlog::warn("reload: a change of threads needs a restart; ignored");
      next.threads = old->config.threads;
    }
    setup_logging(next.log_format, next.log_level);
    co_await install(std::move(next), std::move(pipeline));
    spdlog::info("reloaded {}", config_path);
  }

  asio::awaitable<void> signals(asio::signal_set& set) {
    for (;;) {
      auto [ec, sig] = co_await set.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      if (sig == SIGHUP) {
        co_await reload();
      } else {
        co_await drain();
        co_return;
      }
    }
  }

  int run() {
    ::signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    // Registered before anything can announce readiness: a signal sent the moment we are
    // ready must drain or reload, never take the default action.
    asio::signal_set signal_set(loops[0]->ctx, SIGTERM, SIGINT, SIGHUP);
    // Probe the backend before the first client: the EHLO we advertise depends on it.
    auto first = current();
    auto ready = asio::co_spawn(loops[0]->ctx, install(first->config, first->pipeline),
                                asio::use_future);
    loops[0]->ctx.run_one();
    while (ready.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      loops[0]->ctx.run_one();
    }
    ready.get();
    loops[0]->ctx.restart();
    open_listeners();
    asio::co_spawn(loops[0]->ctx, signals(signal_set), asio::detached);
    spdlog::info("portcullis ready: {} event loops, backend {}", loops.size(),
                 current()->backend->describe());

    std::vector<std::thread> threads;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& loop : loops) guards.push_back(asio::make_work_guard(loop->ctx));
    for (std::size_t i = 1; i < loops.size(); ++i) {
      threads.emplace_back([l = loops[i].get()] { l->ctx.run(); });
    }
    loops[0]->ctx.run();
    for (auto& loop : loops) loop->ctx.stop();
    for (auto& t : threads) t.join();
    workers.stop();
    if (!milter_unix_path.empty()) ::unlink(milter_unix_path.c_str());
    return 0;
  }
};

Server::Server(std::string config_path, LoadedConfig loaded,
               std::shared_ptr<filters::Counters> counters, std::shared_ptr<GateServices> services)
    : impl_(std::make_unique<Impl>(std::move(config_path), std::move(loaded), std::move(counters),
                                   std::move(services))) {}

Server::~Server() = default;

int Server::run() { return impl_->run(); }

}  // namespace portcullis::proxy
