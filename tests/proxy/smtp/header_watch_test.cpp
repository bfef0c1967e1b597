#include "proxy/smtp/header_watch.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::smtp {
namespace {

// Feeds `message` grown `step` bytes at a time; returns what was reported, and when.
std::vector<std::pair<std::size_t, std::size_t>> reports(const std::string& message,
                                                         std::size_t step) {
  HeaderWatch watch;
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t n = step; ; n += step) {
    const std::size_t have = std::min(n, message.size());
    if (auto length = watch.feed(std::string_view(message).substr(0, have))) {
      out.emplace_back(have, *length);
    }
    if (have == message.size()) break;
  }
  return out;
}

TEST(HeaderWatch, ReportsTheSectionOnceWhateverTheSplit) {
  const std::string message = "From: a@x\r\nSubject: s\r\n folded\r\n\r\nbody\r\n\r\nmore\r\n";
  const std::size_t section = message.find("\r\n\r\n") + 4;
  for (std::size_t step = 1; step <= message.size(); ++step) {
    const auto r = reports(message, step);
    ASSERT_EQ(r.size(), 1u) << step;
    EXPECT_EQ(r[0].second, section) << step;
    EXPECT_GE(r[0].first, section) << step;       // never before it was complete
    EXPECT_LT(r[0].first, section + step) << step;  // and on the first feed that had it
  }
}

TEST(HeaderWatch, NoHeaderFieldsAndNoEmptyLine) {
  EXPECT_EQ(reports("\r\nbody\r\n", 1), (std::vector<std::pair<std::size_t, std::size_t>>{{2, 2}}));
  EXPECT_TRUE(reports("Subject: only headers\r\nX: y\r\n", 1).empty());
  // A lone LF pair is not an empty line in a CRLF message.
  EXPECT_TRUE(reports("Subject: a\n\nb\r\n", 1).empty());
}

}  // namespace
}  // namespace portcullis::smtp
