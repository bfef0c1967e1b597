#include "proxy/reply_sanitizer.hpp"

#include <gtest/gtest.h>

namespace portcullis::proxy {
namespace {

smtp::Reply reply(int code, std::vector<std::string> lines) {
  smtp::Reply r;
  r.code = code;
  r.lines = std::move(lines);
  return r;
}

TEST(ReplySanitizer, KeepsEnhancedCodeAndText) {
  auto r = sanitize_backend_reply(reply(550, {"5.1.1 <x@example.org>: unknown user"}),
                                  BackendStage::kRcpt);
  EXPECT_EQ(r.serialize(), "550 5.1.1 <x@example.org>: unknown user\r\n");
}

TEST(ReplySanitizer, AddsEnhancedCodeWhenMissing) {
  auto r = sanitize_backend_reply(reply(250, {"Ok"}), BackendStage::kMail);
  EXPECT_EQ(r.serialize(), "250 2.0.0 Ok\r\n");
  auto multi = sanitize_backend_reply(reply(451, {"4.3.0 first", "second"}), BackendStage::kRcpt);
  EXPECT_EQ(multi.serialize(), "451-4.3.0 first\r\n451 4.3.0 second\r\n");
}

TEST(ReplySanitizer, EnhancedCodeMustMatchReplyClass) {
  auto r = sanitize_backend_reply(reply(550, {"2.0.0 looks fine"}), BackendStage::kRcpt);
  EXPECT_EQ(r.serialize(), "550 5.0.0 2.0.0 looks fine\r\n");
}

TEST(ReplySanitizer, NonPrintableBytesReplaced) {
  auto r = sanitize_backend_reply(reply(554, {std::string("5.7.1 bad\x1b[31m\xff")}),
                                  BackendStage::kDataEnd);
  EXPECT_EQ(r.serialize(), "554 5.7.1 bad?[31m?\r\n");
}

TEST(ReplySanitizer, LongLinesAndManyLinesCapped) {
  auto r = sanitize_backend_reply(reply(250, {std::string(5000, 'x')}), BackendStage::kMail);
  EXPECT_LE(r.lines[0].size(), 410u);
  std::vector<std::string> many(50, "2.0.0 line");
  auto m = sanitize_backend_reply(reply(250, many), BackendStage::kMail);
  EXPECT_EQ(m.lines.size(), 10u);
}

TEST(ReplySanitizer, UnexpectedCodesBecomeGeneric451) {
  EXPECT_EQ(sanitize_backend_reply(reply(354, {"go ahead"}), BackendStage::kRcpt).code, 451);
  EXPECT_EQ(sanitize_backend_reply(reply(334, {"x"}), BackendStage::kMail).code, 451);
  EXPECT_EQ(sanitize_backend_reply(reply(250, {"x"}), BackendStage::kDataCommand).code, 451);
  EXPECT_EQ(sanitize_backend_reply(reply(354, {"x"}), BackendStage::kDataCommand).code, 354);
  // A 2xx that is not a success for this stage (221 closing) must not read as acceptance.
  auto generic = sanitize_backend_reply(reply(221, {"bye"}), BackendStage::kMail);
  EXPECT_EQ(generic.serialize(), "451 4.3.0 Error: unexpected reply from the mail server\r\n");
  EXPECT_EQ(sanitize_backend_reply(reply(251, {"x"}), BackendStage::kRcpt).code, 251);
}

}  // namespace
}  // namespace portcullis::proxy
