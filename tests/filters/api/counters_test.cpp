#include "filters/api/counters.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace portcullis::filters {
namespace {

TEST(Counters, CountEachOutcomeSeparately) {
  Counters c;
  c.symbol("helo", "HELO_BAD_SYNTAX");
  c.symbol("helo", "HELO_BAD_SYNTAX");
  c.symbol("helo", "HELO_IP_LITERAL");
  c.verdict("access", "reject");
  c.error("dnsbl", "timeout");
  c.error("dnsbl", "exception");
  c.error("dnsbl", "timeout");
  c.message("reject");
  EXPECT_EQ(c.symbol_count("helo", "HELO_BAD_SYNTAX"), 2u);
  EXPECT_EQ(c.symbol_count("helo", "HELO_IP_LITERAL"), 1u);
  EXPECT_EQ(c.symbol_count("access", "HELO_BAD_SYNTAX"), 0u);
  EXPECT_EQ(c.verdict_count("access", "reject"), 1u);
  EXPECT_EQ(c.verdict_count("access", "tempfail"), 0u);
  EXPECT_EQ(c.error_count("dnsbl", "timeout"), 2u);
  EXPECT_EQ(c.error_count("dnsbl", "exception"), 1u);
  EXPECT_EQ(c.message_count("reject"), 1u);
  EXPECT_EQ(c.message_count("accept"), 0u);
  // Same labels, different metric: not the same counter.
  c.symbol("x", "reject");
  EXPECT_EQ(c.verdict_count("x", "reject"), 0u);
}

TEST(Counters, RenderIsPrometheusTextSortedWithHelpAndTypeOnce) {
  Counters c;
  c.symbol("helo", "HELO_BAD_SYNTAX");
  c.symbol("helo", "HELO_BAD_SYNTAX");
  c.symbol("access", "ACCESS_DENY_CLIENT");
  c.verdict("access", "reject");
  c.error("dnsbl", "timeout");
  c.message("reject");
  c.message("accept");
  c.message("accept");
  EXPECT_EQ(c.render(),
            "# HELP portcullis_filter_errors_total Filter hooks that threw or overran their "
            "deadline, by filter and kind.\n"
            "# TYPE portcullis_filter_errors_total counter\n"
            "portcullis_filter_errors_total{filter=\"dnsbl\",kind=\"timeout\"} 1\n"
            "# HELP portcullis_filter_results_total Symbols added by filters, by filter and "
            "symbol.\n"
            "# TYPE portcullis_filter_results_total counter\n"
            "portcullis_filter_results_total{filter=\"access\",symbol=\"ACCESS_DENY_CLIENT\"} 1\n"
            "portcullis_filter_results_total{filter=\"helo\",symbol=\"HELO_BAD_SYNTAX\"} 2\n"
            "# HELP portcullis_filter_verdicts_total Hard verdicts (accept, reject, tempfail, "
            "quarantine) by filter.\n"
            "# TYPE portcullis_filter_verdicts_total counter\n"
            "portcullis_filter_verdicts_total{filter=\"access\",verdict=\"reject\"} 1\n"
            "# HELP portcullis_messages_total Messages decided by the policy, by action.\n"
            "# TYPE portcullis_messages_total counter\n"
            "portcullis_messages_total{action=\"accept\"} 2\n"
            "portcullis_messages_total{action=\"reject\"} 1\n");
}

TEST(Counters, EmptyRenderStillDeclaresEveryFamily) {
  const std::string text = Counters().render();
  for (const char* family : {"portcullis_filter_errors_total", "portcullis_filter_results_total",
                             "portcullis_filter_verdicts_total", "portcullis_messages_total"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family + " counter\n"), std::string::npos);
  }
  EXPECT_EQ(text.find('{'), std::string::npos);
}

TEST(Counters, LabelValuesAreEscaped) {
  Counters c;
  c.symbol("we\"ird", "a\\b\nc");
  const std::string text = c.render();
  EXPECT_NE(
      text.find("portcullis_filter_results_total{filter=\"we\\\"ird\",symbol=\"a\\\\b\\nc\"} 1\n"),
      std::string::npos)
      << text;
}

TEST(Counters, ThreadSafe) {
  Counters c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 1000; ++i) {
        c.symbol("f", "S");
        c.message("accept");
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.symbol_count("f", "S"), 4000u);
  EXPECT_EQ(c.message_count("accept"), 4000u);
}

}  // namespace
}  // namespace portcullis::filters
