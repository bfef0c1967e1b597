#include "filters/antivirus/antivirus_filter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/worker_pool.hpp"
#include "tests/filters/antivirus/av_test_util.hpp"

namespace portcullis::filters::antivirus {
namespace {

using namespace testing;
using Kind = Verdict::Kind;

constexpr std::string_view kEicarBase64 =
    "WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNU\r\n"
    "LUZJTEUhJEgrSCo=\r\n";

// multipart/mixed → message/rfc822 → multipart/mixed → base64 EICAR.
std::string nested_message() {
  return "From: a@example.org\r\nTo: b@example.com\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
         "--outer\r\nContent-Type: text/plain\r\n\r\nsee the forwarded message\r\n"
         "--outer\r\nContent-Type: message/rfc822\r\n\r\n"
         "From: c@example.net\r\nSubject: inner\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n"
         "--inner\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
         "--inner\r\nContent-Type: application/octet-stream; name=\"x.com\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=\"x.com\"\r\n\r\n" +
         std::string(kEicarBase64) + "--inner--\r\n\r\n--outer--\r\n";
}

std::string quoted_printable_message() {
  // The EICAR string with '$', '%' and '!' encoded: only a QP decoder sees the signature.
  std::string encoded;
  for (char c : kEicar) {
    if (c == '$' || c == '%' || c == '!') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      encoded += '=';
      encoded += kHex[(c >> 4) & 0xf];
      encoded += kHex[c & 0xf];
    } else {
      encoded += c;
    }
  }
  EXPECT_EQ(encoded.find(kEicar), std::string::npos);
  return "From: a@example.org\r\nTo: b@example.com\r\nSubject: qp\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
         "--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
         "--b\r\nContent-Type: application/octet-stream; name=\"x.com\"\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n"
         "Content-Disposition: attachment; filename=\"x.com\"\r\n\r\n" +
         encoded + "\r\n--b--\r\n";
}

class AntivirusTest : public ::testing::Test {
 protected:
  void SetUp() override { copy_test_signatures(db_); }
  std::string section(const std::string& extra = "") const {
    return "    database: " + db_.string() + "\n" + extra;
  }
  std::shared_ptr<Filter> filter(const std::string& extra = "") const { return make(section(extra)); }

  TempDir tmp_;
  fs::path db_ = tmp_.path() / "db";
};

void expect_rejected_eicar(const Outcome& o) {
  EXPECT_EQ(o.verdict.kind, Kind::kReject);
  EXPECT_EQ(o.verdict.code, 554);
  EXPECT_EQ(o.verdict.enhanced, "5.7.1");
  EXPECT_TRUE(o.verdict.text.starts_with("Message rejected: virus Portcullis.Test.EICAR-"))
      << o.verdict.text;
  EXPECT_TRUE(o.verdict.text.ends_with("DB found")) << o.verdict.text;  // no .UNOFFICIAL
  EXPECT_EQ(o.verdict.symbol, "AV_INFECTED");
  ASSERT_EQ(o.symbols.size(), 1u);
  EXPECT_EQ(o.symbols[0].name, "AV_INFECTED");
  EXPECT_EQ(o.symbols[0].score, 0.0);
  EXPECT_EQ(o.symbols[0].filter, "antivirus");
  EXPECT_TRUE(o.symbols[0].detail.starts_with("Portcullis.Test.EICAR-")) << o.symbols[0].detail;
  EXPECT_EQ(o.symbols[0].detail.find("UNOFFICIAL"), std::string::npos);
}

TEST_F(AntivirusTest, HooksEndOfMessageOnly) {
  const auto f = filter();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->name(), "antivirus");
  EXPECT_EQ(f->stages(), stage_bit(Stage::kEndOfMessage));
}

TEST_F(AntivirusTest, Base64AttachmentIsRejected) {
  expect_rejected_eicar(scan(filter(), read_file(kTestData + "/eicar-attachment.eml")));
}

TEST_F(AntivirusTest, ZipAttachmentIsRejected) {
  expect_rejected_eicar(scan(filter(), read_file(kTestData + "/eicar-zip-attachment.eml")));
}

TEST_F(AntivirusTest, NestedRfc822PartIsRejected) {
  expect_rejected_eicar(scan(filter(), nested_message()));
}

TEST_F(AntivirusTest, QuotedPrintablePartIsRejected) {
  expect_rejected_eicar(scan(filter(), quoted_printable_message()));
}

TEST_F(AntivirusTest, CleanMessagesPass) {
  const auto f = filter();
  const Outcome clean = scan(f, read_file(kTestData + "/clean.eml"));
  EXPECT_EQ(clean.verdict.kind, Kind::kContinue);
  EXPECT_TRUE(clean.symbols.empty());
  const std::string tiny = "Subject: hi\r\n\r\nhello!!!\r\n";
  ASSERT_EQ(tiny.size(), 25u);
  const Outcome small = scan(f, tiny);
  EXPECT_EQ(small.verdict.kind, Kind::kContinue);
  EXPECT_TRUE(small.symbols.empty());
  const Outcome empty = scan(f, "");
  EXPECT_EQ(empty.verdict.kind, Kind::kContinue);
  EXPECT_TRUE(empty.symbols.empty());
}

TEST_F(AntivirusTest, OnVirusQuarantine) {
  const Outcome o = scan(filter("    on_virus: quarantine\n"),
                         read_file(kTestData + "/eicar-attachment.eml"));
  EXPECT_EQ(o.verdict.kind, Kind::kQuarantine);
  EXPECT_TRUE(o.verdict.text.starts_with("virus Portcullis.Test.EICAR-")) << o.verdict.text;
  EXPECT_TRUE(o.verdict.text.ends_with("DB found")) << o.verdict.text;
  EXPECT_EQ(o.verdict.symbol, "AV_INFECTED");
  ASSERT_EQ(o.symbols.size(), 1u);
  EXPECT_EQ(o.symbols[0].name, "AV_INFECTED");
}

TEST_F(AntivirusTest, OnVirusTagScores) {
  const std::string message = read_file(kTestData + "/eicar-attachment.eml");
  const Outcome o = scan(filter("    on_virus: tag\n"), message);
  EXPECT_EQ(o.verdict.kind, Kind::kContinue);
  ASSERT_EQ(o.symbols.size(), 1u);
  EXPECT_EQ(o.symbols[0].name, "AV_INFECTED");
  EXPECT_EQ(o.symbols[0].score, 20.0);
  EXPECT_TRUE(o.symbols[0].detail.starts_with("Portcullis.Test.EICAR-"));
  const Outcome custom = scan(filter("    on_virus: tag\n    virus_score: 7.5\n"), message);
  ASSERT_EQ(custom.symbols.size(), 1u);
  EXPECT_EQ(custom.symbols[0].score, 7.5);
}

TEST_F(AntivirusTest, ScansOnTheBlockingPool) {
  proxy::WorkerPool pool(1);
  FilterContext context;
  context.pool = &pool;
  const auto f = make(section(), context);
  expect_rejected_eicar(scan(f, read_file(kTestData + "/eicar-zip-attachment.eml")));
  EXPECT_EQ(scan(f, read_file(kTestData + "/clean.eml")).verdict.kind, Kind::kContinue);
}

// A ClamAV limit hit is never clean: Heuristics.Limits.Exceeded.* is a scan error.
TEST_F(AntivirusTest, LimitHitIsAnErrorNeverClean) {
  std::string big = "Subject: big\r\n\r\n";
  while (big.size() < 4096) big += "just some clean text in a line\r\n";
  const Outcome o = scan(filter("    max_file_size: 1KiB\n    max_scan_size: 1KiB\n"), big);
  EXPECT_EQ(o.verdict.kind, Kind::kTempfail);
  EXPECT_EQ(o.verdict.code, 451);
  EXPECT_EQ(o.verdict.enhanced, "4.7.1");
  EXPECT_EQ(o.verdict.text, kErrorText);
  EXPECT_EQ(o.verdict.symbol, "AV_ERROR");
  ASSERT_EQ(o.symbols.size(), 1u);
  EXPECT_EQ(o.symbols[0].detail, "libclamav: scan limit exceeded (alert without a name)");
  // A limit inside the message: the zip is one level too deep.
  const Outcome deep = scan(filter("    max_recursion: 1\n"),
                            read_file(kTestData + "/eicar-zip-attachment.eml"));
  EXPECT_EQ(deep.verdict.kind, Kind::kTempfail);
  ASSERT_EQ(deep.symbols.size(), 1u);
  EXPECT_EQ(deep.symbols[0].name, "AV_ERROR");
  EXPECT_EQ(deep.symbols[0].detail, "Heuristics.Limits.Exceeded.MaxRecursion");
  const Outcome open =
      scan(filter("    max_file_size: 1KiB\n    max_scan_size: 1KiB\n    fail_open: true\n"), big);
  EXPECT_EQ(open.verdict.kind, Kind::kContinue);
  ASSERT_EQ(open.symbols.size(), 1u);
  EXPECT_EQ(open.symbols[0].name, "AV_FAIL_OPEN");
  EXPECT_EQ(open.symbols[0].score, 0.0);
  EXPECT_EQ(open.symbols[0].detail, "libclamav: scan limit exceeded (alert without a name)");
}

TEST(AntivirusFailOpen, ScannerErrorTempfailsByDefault) {
  TempDir tmp;
  const std::string socket = tmp.str() + "/nobody-listens.sock";
  const Outcome o = scan(make("    engine: clamd\n    clamd: unix:" + socket + "\n"),
                         read_file(kTestData + "/clean.eml"));
  EXPECT_EQ(o.verdict.kind, Kind::kTempfail);
  EXPECT_EQ(o.verdict.code, 451);
  EXPECT_EQ(o.verdict.enhanced, "4.7.1");
  EXPECT_EQ(o.verdict.text, "Error: message could not be scanned for viruses, try again later");
  EXPECT_EQ(o.verdict.symbol, "AV_ERROR");
  ASSERT_EQ(o.symbols.size(), 1u);
  EXPECT_EQ(o.symbols[0].name, "AV_ERROR");
  EXPECT_EQ(o.symbols[0].detail,
            "clamd unix:" + socket + ": connect: No such file or directory");
}

TEST(AntivirusFailOpen, ScannerErrorContinuesWithFailOpen) {
  TempDir tmp;
  const std::string socket = tmp.str() + "/nobody-listens.sock";
  const Outcome o =
      scan(make("    engine: clamd\n    clamd: unix:" + socket + "\n    fail_open: true\n"),
           read_file(kTestData + "/eicar-attachment.eml"));
  EXPECT_EQ(o.verdict.kind, Kind::kContinue);
  ASSERT_EQ(o.symbols.size(), 1u);
  EXPECT_EQ(o.symbols[0].name, "AV_FAIL_OPEN");
  EXPECT_EQ(o.symbols[0].score, 0.0);
  EXPECT_EQ(o.symbols[0].detail,
            "clamd unix:" + socket + ": connect: No such file or directory");
}

TEST(AntivirusDemo, DemoSignatureDetectsEicar) {
  TempDir tmp;
  fs::copy_file(fs::path(PORTCULLIS_SOURCE_DIR) / "deploy/clamav/portcullis-demo.ndb",
                tmp.path() / "portcullis-demo.ndb");
  const auto f = make("    database: " + tmp.str() + "\n");
  const Outcome o = scan(f, read_file(kTestData + "/eicar.com"));
  EXPECT_EQ(o.verdict.kind, Kind::kReject);
  EXPECT_EQ(o.verdict.text, "Message rejected: virus Portcullis.Demo.EICAR found");
  const Outcome mail = scan(f, read_file(kTestData + "/eicar-attachment.eml"));
  EXPECT_EQ(mail.verdict.text, "Message rejected: virus Portcullis.Demo.EICAR found");
}

// Config problems, with the file:line:col an operator sees.
std::vector<std::string> problems_of(const std::string& section_body) {
  auto loaded = load_section(section_body);
  EXPECT_EQ(loaded.filter, nullptr);
  return loaded.problems;
}

TEST(AntivirusConfig, MissingDatabase) {
  EXPECT_EQ(problems_of("    fail_open: true\n"),
            std::vector<std::string>{"t.yaml:3:5: filters.antivirus.database: missing; expected a "
                                     "ClamAV signature directory (engine: libclamav)"});
}

TEST(AntivirusConfig, NonexistentDatabase) {
  EXPECT_EQ(problems_of("    database: /nonexistent/clamav\n"),
            std::vector<std::string>{"t.yaml:3:15: filters.antivirus.database: "
                                     "/nonexistent/clamav is not a directory"});
}

TEST(AntivirusConfig, EmptyDatabase) {
  TempDir tmp;
  const auto p = problems_of("    database: " + tmp.str() + "\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].starts_with("t.yaml:3:15: filters.antivirus.database: cannot load ClamAV "
                               "signatures from " + tmp.str() + ": "))
      << p[0];
  EXPECT_TRUE(p[0].ends_with("cli_loaddbdir: No supported database files found in " + tmp.str() +
                             " (Can't open file or directory)"))
      << p[0];
}

TEST(AntivirusConfig, BrokenSignatureFile) {
  TempDir tmp;
  std::ofstream(tmp.path() / "bad.ndb") << "Broken:0:*:zz-not-hex\n";
  const auto p = problems_of("    database: " + tmp.str() + "\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].starts_with("t.yaml:3:15: filters.antivirus.database: cannot load ClamAV "
                               "signatures from " + tmp.str() + ": "))
      << p[0];
}

TEST(AntivirusConfig, BadEngine) {
  EXPECT_EQ(problems_of("    engine: clamav\n"),
            std::vector<std::string>{"t.yaml:3:13: filters.antivirus.engine: expected one of "
                                     "libclamav or clamd, got \"clamav\""});
}

TEST(AntivirusConfig, ClamdWithoutAddress) {
  EXPECT_EQ(problems_of("    engine: clamd\n"),
            std::vector<std::string>{"t.yaml:3:5: filters.antivirus.clamd: missing; expected "
                                     "unix:/path/to/clamd.ctl or host:port (engine: clamd)"});
}

TEST(AntivirusConfig, BadClamdAddress) {
  EXPECT_EQ(problems_of("    engine: clamd\n    clamd: localhost\n"),
            std::vector<std::string>{
                "t.yaml:4:12: filters.antivirus.clamd: expected unix:/path/to/clamd.ctl or "
                "host:port, like 127.0.0.1:3310, got \"localhost\""});
}

TEST(AntivirusConfig, KeysOfTheOtherEngine) {
  EXPECT_EQ(problems_of("    engine: clamd\n    clamd: 127.0.0.1:3310\n    database: /var/lib/clamav\n"
                        "    max_files: 10\n"),
            (std::vector<std::string>{
                "t.yaml:5:15: filters.antivirus.database: only used with engine: libclamav; "
                "clamd reads its own DatabaseDirectory",
                "t.yaml:6:16: filters.antivirus.max_files: only used with engine: libclamav; set "
                "clamd's limits in clamd.conf"}));
  EXPECT_EQ(problems_of("    database: /tmp\n    clamd: 127.0.0.1:3310\n"),
            std::vector<std::string>{
                "t.yaml:4:12: filters.antivirus.clamd: only used with engine: clamd"});
}

TEST(AntivirusConfig, BadValues) {
  EXPECT_EQ(problems_of("    database: /tmp\n    on_virus: drop\n    scan_timeout: 0s\n"
                        "    max_recursion: 0\n"),
            (std::vector<std::string>{
                "t.yaml:4:15: filters.antivirus.on_virus: expected one of reject, quarantine or "
                "tag, got \"drop\"",
                "t.yaml:5:19: filters.antivirus.scan_timeout: expected a duration from 100ms to "
                "1h, got \"0s\"",
                "t.yaml:6:20: filters.antivirus.max_recursion: expected a whole number from 1 to "
                "64, got \"0\""}));
}

}  // namespace
}  // namespace portcullis::filters::antivirus
