#include <gtest/gtest.h>

#include <string>

#include "filters/antivirus/scanner.hpp"

namespace portcullis::filters::antivirus {
namespace {

using Kind = ScanResult::Kind;

TEST(ScanResult, StripsUnofficialSuffix) {
  EXPECT_EQ(strip_unofficial("Portcullis.Test.EICAR-NDB.UNOFFICIAL"), "Portcullis.Test.EICAR-NDB");
  EXPECT_EQ(strip_unofficial("Win.Test.EICAR_HDB-1"), "Win.Test.EICAR_HDB-1");
  EXPECT_EQ(strip_unofficial(".UNOFFICIAL"), ".UNOFFICIAL");
}

TEST(ScanResult, ClassifiesNames) {
  EXPECT_EQ(classify("Win.Test.EICAR_HDB-1"), Finding::kVirus);
  EXPECT_EQ(classify("Heuristics.Encrypted.Zip"), Finding::kEncrypted);
  EXPECT_EQ(classify("Heuristics.Encrypted.PDF.UNOFFICIAL"), Finding::kEncrypted);
  EXPECT_EQ(classify("Heuristics.Limits.Exceeded.MaxFileSize"), Finding::kLimit);
  EXPECT_EQ(classify("Heuristics.Limits.Exceeded.MaxScanTime"), Finding::kLimit);
  EXPECT_EQ(classify("Heuristics.Phishing.Email.SpoofedDomain"), Finding::kHeuristic);
  EXPECT_EQ(classify("Heuristics.Broken.Executable"), Finding::kHeuristic);
}

TEST(ScanResult, ParsesClamdReplies) {
  auto ok = parse_clamd_reply(std::string("stream: OK\0", 11));
  EXPECT_EQ(ok.kind, Kind::kClean);
  auto found = parse_clamd_reply("stream: Portcullis.Test.EICAR-NDB.UNOFFICIAL FOUND\n");
  EXPECT_EQ(found.kind, Kind::kFound);
  EXPECT_EQ(found.text, "Portcullis.Test.EICAR-NDB.UNOFFICIAL");
  auto limit = parse_clamd_reply("INSTREAM size limit exceeded. ERROR");
  EXPECT_EQ(limit.kind, Kind::kError);
  EXPECT_EQ(limit.text, "clamd: INSTREAM size limit exceeded.");
  auto error = parse_clamd_reply("stream: Can't allocate memory ERROR");
  EXPECT_EQ(error.kind, Kind::kError);
  EXPECT_EQ(error.text, "clamd: Can't allocate memory");
  auto odd = parse_clamd_reply("UNKNOWN COMMAND\x01");
  EXPECT_EQ(odd.kind, Kind::kError);
  EXPECT_EQ(odd.text, "clamd: unexpected reply \"UNKNOWN COMMAND?\"");
  EXPECT_EQ(parse_clamd_reply("stream:  FOUND").kind, Kind::kError);
  EXPECT_EQ(parse_clamd_reply("").kind, Kind::kError);
}

TEST(ScanResult, ParsesClamdAddresses) {
  std::string why;
  auto local = parse_clamd_address("unix:/run/clamav/clamd.ctl", why);
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->local);
  EXPECT_EQ(local->path, "/run/clamav/clamd.ctl");
  auto tcp = parse_clamd_address("127.0.0.1:3310", why);
  ASSERT_TRUE(tcp);
  EXPECT_FALSE(tcp->local);
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, "3310");
  auto v6 = parse_clamd_address("[::1]:3310", why);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  auto name = parse_clamd_address("clamd.example:3310", why);
  ASSERT_TRUE(name);
  EXPECT_EQ(name->host, "clamd.example");
  for (const char* bad : {"unix:", "unix:relative.sock", "clamd", ":3310", "host:", "host:0",
                          "host:65536", "host:33x", "::1:3310"}) {
    EXPECT_FALSE(parse_clamd_address(bad, why)) << bad;
  }
  EXPECT_FALSE(parse_clamd_address("unix:/" + std::string(120, 'a'), why));
}

}  // namespace
}  // namespace portcullis::filters::antivirus
