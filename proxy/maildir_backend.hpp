// The demo backend: accepted mail is written to a Maildir (DIR/{tmp,new,cur}) instead of
// being relayed, so a newcomer can try the gate without an MTA. One file per message, with
// Return-Path and one Delivered-To per recipient prepended; written to tmp/, fsync'd and
// renamed into new/ on the worker pool, so 250 means the file is on disk.
// Not a mail store for production: no quota, no per-user folders.
#pragma once

#include <memory>
#include <string>

#include "proxy/backend.hpp"
#include "proxy/worker_pool.hpp"

namespace portcullis::proxy {

class MaildirBackend : public Backend {
 public:
  MaildirBackend(std::string directory, WorkerPool& pool);
  std::unique_ptr<BackendConnection> connect(boost::asio::any_io_executor ex) override;
  boost::asio::awaitable<void> release(std::unique_ptr<BackendConnection> conn,
                                       boost::asio::any_io_executor ex) override;
  boost::asio::awaitable<BackendCaps> probe(boost::asio::any_io_executor ex) override;
  std::string describe() const override { return "maildir:" + directory_; }

 private:
  std::string directory_;
  WorkerPool& pool_;
};

}  // namespace portcullis::proxy
