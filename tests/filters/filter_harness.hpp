// Test harness for one filter: YAML text → detail::Reader/Map → the factory's create() (as
// the pipeline builder does), and hooks run to completion on an io_context.
#pragma once

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "config/yaml_reader.hpp"
#include "filters/api/filter.hpp"
#include "filters/api/filter_factory.hpp"

namespace portcullis::filters::test {

struct Loaded {
  std::shared_ptr<Filter> filter;
  std::vector<std::string> problems;
};

// `text` is a whole config document holding `filters: { <factory name>: ... }`, so the
// problems' line:col are what an operator would see.
inline Loaded load(const FilterFactory& factory, const std::string& text,
                   const FilterContext& context = {}) {
  config::detail::Reader reader("t.yaml");
  const YAML::Node doc = YAML::Load(text);
  const config::detail::Value root{doc, "", doc.Mark()};
  Loaded out;
  const auto top = reader.mapping(root, {"filters"});
  const auto filters_value = top ? top->get("filters") : std::nullopt;
  const std::string_view name = factory.name();
  const auto filters = filters_value ? reader.mapping(*filters_value, {name}) : std::nullopt;
  const auto section_value = filters ? filters->get(name) : std::nullopt;
  if (section_value) {
    std::vector<std::string_view> keys = factory.keys();
    keys.push_back("deadline");
    keys.push_back("on_error");
    const auto section = reader.mapping(*section_value, keys);
    if (section) {
      const std::size_t before = reader.problem_count();
      out.filter = factory.create(reader, *section, context);
      // The factory contract: a problem reported means no filter.
      if (reader.problem_count() != before && out.filter != nullptr) {
        ADD_FAILURE() << "create() reported a problem but returned a filter";
      }
    }
  } else if (!reader.has_problems()) {
    reader.file_problem(doc.Mark(), "test: no filters section");
  }
  // Like build_pipeline: any problem in the section means no pipeline.
  if (reader.has_problems()) out.filter = nullptr;
  out.problems = reader.take_problems();
  return out;
}

inline boost::asio::awaitable<Verdict> call_hook(std::shared_ptr<Filter> filter, Stage stage,
                                                 Session* session, Transaction* txn) {
  Verdict verdict;
  switch (stage) {
    case Stage::kConnect:
      verdict = co_await filter->on_connect(*session, *txn);
      break;
    case Stage::kHelo:
      verdict = co_await filter->on_helo(*session, *txn);
      break;
    case Stage::kMail:
      verdict = co_await filter->on_mail(*session, *txn);
      break;
    case Stage::kRcpt:
      verdict = co_await filter->on_rcpt(*session, *txn);
      break;
    case Stage::kData:
      verdict = co_await filter->on_data(*session, *txn);
      break;
    case Stage::kEndOfMessage:
      verdict = co_await filter->on_end_of_message(*session, *txn);
      break;
    case Stage::kReset:
      co_await filter->on_reset(*session, *txn);
      break;
  }
  co_return verdict;
}

// Runs one hook to completion.
inline Verdict run(const std::shared_ptr<Filter>& filter, Stage stage, Session& session,
                   Transaction& txn) {
  boost::asio::io_context io;
  auto future =
      boost::asio::co_spawn(io, call_hook(filter, stage, &session, &txn), boost::asio::use_future);
  io.run();
  return future.get();
}

}  // namespace portcullis::filters::test
