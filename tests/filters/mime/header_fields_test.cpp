#include "filters/mime/header_fields.hpp"

#include <gtest/gtest.h>

namespace portcullis::mime {
namespace {

TEST(HeaderFields, MessageHeaderEndsAtBlankLine) {
  const std::string_view m = "A: 1\r\nB: two\r\n\tfolded\r\n\r\nbody";
  const HeaderSection h = read_message_header(m, 100);
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(h.fields[1].name, "B");
  EXPECT_EQ(h.fields[1].value, " two\r\n\tfolded");
  EXPECT_EQ(m.substr(h.body_offset), "body");
}

TEST(HeaderFields, MboxFromLineSkippedAndBlanksBeforeColonStripped) {
  const HeaderSection h = read_message_header("From someone Mon Jan 1\nSubject : x\n\n", 100);
  ASSERT_EQ(h.fields.size(), 1u);
  EXPECT_EQ(h.fields[0].name, "Subject");
}

TEST(HeaderFields, BoundaryLineOrFourthBadLineStartsTheBody) {
  const std::string_view m1 = "A: 1\n--b\nrest";
  EXPECT_EQ(m1.substr(read_message_header(m1, 100).body_offset), "--b\nrest");
  const std::string_view m2 = "A: 1\nbad one\nbad two\nbad three\nbad four\nB: 2\n";
  const HeaderSection h = read_message_header(m2, 100);
  EXPECT_EQ(m2.substr(h.body_offset), "bad four\nB: 2\n");
  EXPECT_EQ(h.fields.size(), 1u);  // lines without ':' are not fields
}

TEST(HeaderFields, FieldLimit) {
  const HeaderSection h = read_message_header("A: 1\nB: 2\nC: 3\n\n", 2);
  EXPECT_EQ(h.fields.size(), 2u);
  EXPECT_TRUE(h.truncated);
}

TEST(HeaderFields, PartHeaderWithoutSeparatorLine) {
  const std::string_view p = "Content-Type: text/plain\nno blank line here\n";
  const HeaderSection h = read_part_header(p, 100);
  ASSERT_EQ(h.fields.size(), 1u);
  EXPECT_EQ(p.substr(h.body_offset), "no blank line here\n");
}

TEST(HeaderFields, UnfoldRawKeepsTheBlanks) {
  EXPECT_EQ(unfold_raw(" a\r\n\tb\n c"), " a\tb c");
}

TEST(HeaderFields, EncodedWordsJoinedAcrossWhitespace) {
  EXPECT_EQ(decode_field_value("Subject", " =?UTF-8?B?SMOp?=  =?UTF-8?Q?llo?= world"), "Héllo world");
  // A character split over two words of the same charset still decodes (SA bug 7249).
  EXPECT_EQ(decode_encoded_words("=?utf-8?q?=C3?= =?utf-8?q?=A9?="), "é");
  EXPECT_EQ(decode_encoded_words("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
  EXPECT_EQ(decode_encoded_words("a =?bogus?x?y?= b"), "a =?bogus?x?y?= b");
  // Invalid UTF-8 inside a word labelled UTF-8 becomes U+FFFD.
  EXPECT_EQ(decode_encoded_words("=?utf-8?q?a=FFb?="), "a\uFFFDb");
}

TEST(HeaderFields, SomeFieldsAreNotDecoded) {
  EXPECT_EQ(decode_field_value("Message-ID", " =?utf-8?q?x?="), "=?utf-8?q?x?=");
  EXPECT_EQ(decode_field_value("List-Id", " =?utf-8?q?x?="), "=?utf-8?q?x?=");
}

TEST(HeaderFields, EightBitHeaderTakenAsUtf8ElseCp1252) {
  EXPECT_EQ(decode_field_value("Subject", " caf\xC3\xA9"), "café");
  EXPECT_EQ(decode_field_value("Subject", " caf\xE9"), "café");
}

TEST(HeaderFields, ContentTypeAsSpamAssassinReadsIt) {
  ContentTypeInfo ct = parse_content_type("Multipart/Mixed; boundary=\"=_abc\"; charset='x'");
  EXPECT_EQ(ct.type, "multipart/mixed");
  EXPECT_EQ(ct.boundary.value_or(""), "=_abc");
  ct = parse_content_type("text/enriched; charset=\"ISO-8859-1\"");
  EXPECT_EQ(ct.type, "text/plain");
  EXPECT_EQ(ct.declared, "text/enriched");
  EXPECT_EQ(ct.charset.value_or(""), "ISO-8859-1");
  ct = parse_content_type("");
  EXPECT_TRUE(ct.missing);
  EXPECT_EQ(ct.type, "text/plain");
  EXPECT_EQ(ct.charset.value_or(""), "us-ascii");
  ct = parse_content_type("application/octet-stream; name*0=\"a\"; name*1=\"b.exe\"");
  EXPECT_EQ(ct.name, "ab.exe");
  EXPECT_FALSE(parse_content_type("multipart/mixed; boundary=\"\"").boundary.has_value());
  EXPECT_EQ(parse_content_type("text/html").type, "text/html");
  EXPECT_EQ(parse_content_type("text/calendar").type, "text/calendar");
}

TEST(HeaderFields, DispositionName) {
  EXPECT_EQ(disposition_name("attachment; filename=\"a b.pdf\""), "a b.pdf");
  EXPECT_EQ(disposition_name("inline"), "");
}

}  // namespace
}  // namespace portcullis::mime
