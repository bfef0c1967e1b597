// Where filters send blocking or CPU-heavy work (a ClamAV scan, a RocksDB read, a big DKIM
// body): a bounded pool of worker threads owned by the process. The awaiting coroutine
// resumes on its own event loop; the event loops never block (DESIGN.md process model).
#pragma once

#include <functional>

#include <boost/asio/awaitable.hpp>

namespace portcullis::filters {

class BlockingPool {
 public:
  virtual ~BlockingPool() = default;
  // Runs `job` on a worker thread. `job` must not throw (catch inside and report through
  // captured state).
  virtual boost::asio::awaitable<void> run(std::function<void()> job) = 0;
};

}  // namespace portcullis::filters
