// Shared helpers for the antivirus tests: temp directories with the test signatures, sample
// messages, one filter run.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "filters/antivirus/antivirus_filter.hpp"
#include "tests/filters/filter_harness.hpp"

namespace portcullis::filters::antivirus::testing {

namespace fs = std::filesystem;

inline const std::string kTestData = PORTCULLIS_CLAMAV_TESTDATA;
inline const std::string kEicar =
    R"(X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*)";

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "portcullis-av-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

// A database directory holding the shared test.hdb and test.ndb.
inline void copy_test_signatures(const fs::path& dir) {
  fs::create_directories(dir);
  fs::copy_file(fs::path(kTestData) / "test.hdb", dir / "test.hdb");
  fs::copy_file(fs::path(kTestData) / "test.ndb", dir / "test.ndb");
}

inline test::Loaded load_section(const std::string& section_body,
                                 const FilterContext& context = {}) {
  const auto factory = make_antivirus_factory();
  return test::load(*factory, "filters:\n  antivirus:\n" + section_body, context);
}

inline std::shared_ptr<Filter> make(const std::string& section_body,
                                    const FilterContext& context = {}) {
  auto loaded = load_section(section_body, context);
  EXPECT_TRUE(loaded.problems.empty()) << ::testing::PrintToString(loaded.problems);
  EXPECT_NE(loaded.filter, nullptr);
  return loaded.filter;
}

struct Outcome {
  Verdict verdict;
  std::vector<Symbol> symbols;
};

inline Outcome scan(const std::shared_ptr<Filter>& filter, std::string message) {
  Session session;
  session.id = "t1";
  Transaction txn;
  txn.message = std::move(message);
  Verdict verdict = test::run(filter, Stage::kEndOfMessage, session, txn);
  return {verdict, txn.symbols};
}

}  // namespace portcullis::filters::antivirus::testing
