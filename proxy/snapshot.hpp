// The immutable state a session runs on: configuration, relay policy, the filter pipeline,
// the backend and the extensions it offers. Built at start and on every reload, shared by
// std::shared_ptr; sessions keep the snapshot they started with (DESIGN.md process model).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "filters/api/pipeline.hpp"
#include "proxy/backend.hpp"
#include "proxy/relay_policy.hpp"

namespace portcullis::proxy {

struct Snapshot {
  config::Config config;
  RelayPolicy relay;
  std::shared_ptr<const filters::Pipeline> pipeline;  // never null; may have no filters
  std::shared_ptr<Backend> backend;
  BackendCaps caps;
  std::size_t announced_size;  // SIZE we announce: ours, or the backend's if smaller
  std::string ehlo_reply;      // the whole 250 reply to EHLO, wire form, built once
  std::vector<config::IpAddress> local_ips;  // ours, for filters that spot impostors

  Snapshot(config::Config cfg, std::shared_ptr<const filters::Pipeline> pipeline_in,
           std::shared_ptr<Backend> backend_in, BackendCaps caps_in);
};

// The addresses of our listeners; for a wildcard listener, every address of this host.
std::vector<config::IpAddress> local_addresses(const config::Config& config);

}  // namespace portcullis::proxy
