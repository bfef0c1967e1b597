#include "filters/dmarc/dmarc_record.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::filters::dmarc {
namespace {

using Status = ParsedRecord::Status;

DmarcRecord valid(std::string_view txt) {
  const ParsedRecord p = parse_dmarc_record(txt);
  EXPECT_EQ(p.status, Status::kValid) << txt << ": " << p.reason;
  return p.record;
}

std::string invalid(std::string_view txt) {
  const ParsedRecord p = parse_dmarc_record(txt);
  EXPECT_EQ(p.status, Status::kInvalid) << txt;
  EXPECT_FALSE(p.reason.empty());
  return p.reason;
}

TEST(DmarcRecord, MinimalRecordHasTheDefaults) {
  const DmarcRecord r = valid("v=DMARC1; p=reject");
  EXPECT_EQ(r.policy, Policy::kReject);
  EXPECT_EQ(r.subdomain_policy, Policy::kReject);
  EXPECT_FALSE(r.has_subdomain_policy);
  EXPECT_EQ(r.pct, 100);
  EXPECT_EQ(r.adkim, Alignment::kRelaxed);
  EXPECT_EQ(r.aspf, Alignment::kRelaxed);
  EXPECT_TRUE(r.rua.empty());
  EXPECT_TRUE(r.ruf.empty());
  EXPECT_EQ(r.fo, std::vector<std::string>{"0"});
  EXPECT_EQ(r.rf, std::vector<std::string>{"afrf"});
  EXPECT_EQ(r.ri, 86400u);
  EXPECT_FALSE(r.policy_defaulted);
}

TEST(DmarcRecord, EveryTag) {
  const DmarcRecord r = valid(
      "v=DMARC1; p=quarantine; sp=none; pct=25; adkim=s; aspf=s; "
      "rua=mailto:agg@example.com!10m, mailto:agg2@example.net; ruf=mailto:f@example.com!512; "
      "fo=1:d:s; rf=afrf:iodef; ri=3600");
  EXPECT_EQ(r.policy, Policy::kQuarantine);
  EXPECT_EQ(r.subdomain_policy, Policy::kNone);
  EXPECT_TRUE(r.has_subdomain_policy);
  EXPECT_EQ(r.pct, 25);
  EXPECT_EQ(r.adkim, Alignment::kStrict);
  EXPECT_EQ(r.aspf, Alignment::kStrict);
  ASSERT_EQ(r.rua.size(), 2u);
  EXPECT_EQ(r.rua[0].uri, "mailto:agg@example.com");
  EXPECT_EQ(r.rua[0].max_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(r.rua[1].uri, "mailto:agg2@example.net");
  EXPECT_FALSE(r.rua[1].max_bytes);
  ASSERT_EQ(r.ruf.size(), 1u);
  EXPECT_EQ(r.ruf[0].max_bytes, 512u);
  EXPECT_EQ(r.fo, (std::vector<std::string>{"1", "d", "s"}));
  EXPECT_EQ(r.rf, (std::vector<std::string>{"afrf", "iodef"}));
  EXPECT_EQ(r.ri, 3600u);
  EXPECT_EQ(r.dropped_uris, 0u);
}

TEST(DmarcRecord, CaseAndWhitespace) {
  const DmarcRecord r = valid("  V = DMARC1 ;P = Reject;\tSP=QUARANTINE ; ADKIM=S;;  ");
  EXPECT_EQ(r.policy, Policy::kReject);
  EXPECT_EQ(r.subdomain_policy, Policy::kQuarantine);
  EXPECT_EQ(r.adkim, Alignment::kStrict);
  valid("v=DMARC1;p=none");
  valid("v=DMARC1; p=none;");
}

TEST(DmarcRecord, VersionMustComeFirst) {
  EXPECT_EQ(parse_dmarc_record("p=reject; v=DMARC1").status, Status::kNotDmarc);
  EXPECT_EQ(parse_dmarc_record("v=spf1 -all").status, Status::kNotDmarc);
  EXPECT_EQ(parse_dmarc_record("v=DMARC10; p=reject").status, Status::kNotDmarc);
  EXPECT_EQ(parse_dmarc_record("v=dmarc1; p=reject").status, Status::kNotDmarc);  // %x44... exact
  EXPECT_EQ(parse_dmarc_record("").status, Status::kNotDmarc);
  EXPECT_EQ(parse_dmarc_record("v=").status, Status::kNotDmarc);
  EXPECT_FALSE(starts_with_dmarc_version("p=reject; v=DMARC1"));
  EXPECT_TRUE(starts_with_dmarc_version("v=DMARC1"));
  EXPECT_TRUE(starts_with_dmarc_version("v=DMARC1 ; p=none"));
}

TEST(DmarcRecord, MissingSeparatorAfterVersion) {
  EXPECT_NE(invalid("v=DMARC1 p=reject").find("';'"), std::string::npos);
}

TEST(DmarcRecord, UnknownTagsAreIgnored) {
  const DmarcRecord r = valid("v=DMARC1; p=reject; np=none; psd=y; t=n; x_future=whatever");
  EXPECT_EQ(r.policy, Policy::kReject);
}

TEST(DmarcRecord, BadValuesMakeTheRecordInvalid) {
  EXPECT_EQ(invalid("v=DMARC1; p=reject; pct=101"), "invalid pct= value \"101\"");
  invalid("v=DMARC1; p=reject; pct=-1");
  invalid("v=DMARC1; p=reject; pct=");
  invalid("v=DMARC1; p=reject; pct=5x");
  invalid("v=DMARC1; p=reject; pct=99999999999999999999999");
  EXPECT_EQ(invalid("v=DMARC1; p=reject; adkim=x"), "invalid adkim= value \"x\"");
  invalid("v=DMARC1; p=reject; aspf=relaxed");
  invalid("v=DMARC1; p=reject; fo=2");
  invalid("v=DMARC1; p=reject; fo=0::1");
  invalid("v=DMARC1; p=reject; rf=");
  invalid("v=DMARC1; p=reject; ri=4294967296");
  invalid("v=DMARC1; p=reject; ri=1h");
  EXPECT_EQ(valid("v=DMARC1; p=reject; ri=4294967295").ri, 4294967295u);
  EXPECT_EQ(valid("v=DMARC1; p=reject; pct=0").pct, 0);
  EXPECT_EQ(valid("v=DMARC1; p=reject; pct=007").pct, 7);
}

TEST(DmarcRecord, MalformedTags) {
  EXPECT_NE(invalid("v=DMARC1; p=reject; garbage").find("malformed tag"), std::string::npos);
  EXPECT_NE(invalid("v=DMARC1; p=reject; =x").find("malformed tag name"), std::string::npos);
  invalid("v=DMARC1; p=reject; 9x=1");
}

TEST(DmarcRecord, DuplicateTags) {
  EXPECT_EQ(invalid("v=DMARC1; p=reject; p=none"), "duplicate tag p=");
  EXPECT_EQ(invalid("v=DMARC1; p=reject; v=DMARC1"), "duplicate tag v=");
  EXPECT_EQ(invalid("v=DMARC1; p=reject; PCT=5; pct=6"), "duplicate tag pct=");
}

TEST(DmarcRecord, BadPolicyWithoutRuaIsInvalid) {
  EXPECT_EQ(invalid("v=DMARC1; p=bogus"), "invalid p= value \"bogus\"");
  EXPECT_EQ(invalid("v=DMARC1; sp=reject"), "missing p= tag");
  EXPECT_EQ(invalid("v=DMARC1; p=reject; sp=maybe"), "invalid sp= value \"maybe\"");
  invalid("v=DMARC1");
  invalid("v=DMARC1; p=bogus; rua=not a uri");
}

TEST(DmarcRecord, BadPolicyWithValidRuaReadsAsNone) {  // RFC 7489 6.6.3 step 6
  for (const char* txt : {"v=DMARC1; p=bogus; rua=mailto:d@example.com",
                          "v=DMARC1; rua=mailto:d@example.com",
                          "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com"}) {
    const DmarcRecord r = valid(txt);
    EXPECT_EQ(r.policy, Policy::kNone) << txt;
    EXPECT_EQ(r.subdomain_policy, Policy::kNone) << txt;
    EXPECT_TRUE(r.policy_defaulted) << txt;
    EXPECT_NE(r.note.find("treated as p=none"), std::string::npos) << txt;
  }
}

TEST(DmarcRecord, InvalidUrisAreDropped) {
  const DmarcRecord r = valid(
      "v=DMARC1; p=none; rua=mailto:ok@example.com, no-scheme, :x, mailto:, 1a:b, "
      "mailto:a@b!, mailto:a@b!10q, mailto:a b@c, mailto:big@example.com!5T");
  ASSERT_EQ(r.rua.size(), 2u);
  EXPECT_EQ(r.rua[1].uri, "mailto:big@example.com");
  EXPECT_EQ(r.rua[1].max_bytes, 5ull << 40);
  EXPECT_EQ(r.dropped_uris, 7u);
  EXPECT_EQ(valid("v=DMARC1; p=none; rua=").rua.size(), 0u);
  valid("v=DMARC1; p=none; rua=mailto:a@b!99999999999999999999t");  // overflow: dropped
}

TEST(DmarcRecord, Limits) {
  RecordLimits limits;
  std::string many = "v=DMARC1; p=none; rua=";
  for (int i = 0; i < 20; ++i) many.append("mailto:r").append(std::to_string(i)).append("@example.com,");
  const ParsedRecord p = parse_dmarc_record(many, limits);
  ASSERT_TRUE(p.valid());
  EXPECT_EQ(p.record.rua.size(), limits.max_uris);
  EXPECT_EQ(p.record.dropped_uris, 20u - limits.max_uris);

  std::string long_record = "v=DMARC1; p=none; x=";
  long_record.append(limits.max_length, 'a');
  EXPECT_NE(invalid(long_record).find("too long"), std::string::npos);

  std::string tags = "v=DMARC1; p=none";
  for (std::size_t i = 0; i < limits.max_tags; ++i) tags.append("; x").append(std::to_string(i)).append("=1");
  EXPECT_NE(invalid(tags).find("too many tags"), std::string::npos);

  std::string long_uri = "v=DMARC1; p=none; rua=mailto:";
  long_uri.append(limits.max_uri_length, 'a');
  EXPECT_EQ(valid(long_uri).rua.size(), 0u);
}

TEST(DmarcRecord, BinaryInputNeverCrashesAndReasonsArePrintable) {
  std::string txt = "v=DMARC1; p=";
  txt.push_back('\0');
  txt.append("\xff\x01\n");
  const std::string reason = invalid(txt);
  for (char c : reason) {
    EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f);
  }
}

TEST(DmarcRecord, ToString) {
  EXPECT_EQ(to_string(Policy::kNone), "none");
  EXPECT_EQ(to_string(Policy::kQuarantine), "quarantine");
  EXPECT_EQ(to_string(Policy::kReject), "reject");
  EXPECT_EQ(to_string(Alignment::kRelaxed), "relaxed");
  EXPECT_EQ(to_string(Alignment::kStrict), "strict");
}

}  // namespace
}  // namespace portcullis::filters::dmarc
