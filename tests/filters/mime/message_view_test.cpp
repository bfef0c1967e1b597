// The whole view: golden files from SpamAssassin 4.0.1 (sa_golden.pl) for body text and
// URIs, then the structure, charsets, attachments, anomalies and every limit.
#include "filters/mime/message_view.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "filters/mime/utf8.hpp"

namespace portcullis::mime {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string message(const char* name) {
  return read_file(std::filesystem::path(PORTCULLIS_MIME_MESSAGES) / name);
}

bool has(const MessageView& v, Anomaly a) {
  return std::find(v.anomalies().begin(), v.anomalies().end(), a) != v.anomalies().end();
}

bool has_url(const MessageView& v, std::string_view u) {
  return std::find(v.urls().begin(), v.urls().end(), u) != v.urls().end();
}

void expect_all_utf8(const MessageView& v) {
  EXPECT_TRUE(is_valid_utf8(v.body_text()));
  EXPECT_TRUE(is_valid_utf8(v.raw_body()));
  for (const HeaderField& h : v.headers()) {
    EXPECT_TRUE(is_valid_utf8(h.raw)) << h.name;
    EXPECT_TRUE(is_valid_utf8(h.decoded)) << h.name;
  }
  for (const std::string& u : v.urls()) EXPECT_TRUE(is_valid_utf8(u)) << u;
  for (const Attachment& a : v.attachments()) EXPECT_TRUE(is_valid_utf8(a.filename));
}

// Every message under messages/ against SpamAssassin's own rendering of it.
TEST(MessageViewGolden, BodyTextEqualsSpamAssassinsAndUrlsAreAmongItsUris) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(PORTCULLIS_MIME_MESSAGES)) {
    if (entry.path().extension() != ".eml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto golden = entry.path();
    const std::string body = read_file(golden.replace_extension(".body"));
    std::set<std::string> sa_uris;
    std::istringstream uris(read_file(golden.replace_extension(".uris")));
    for (std::string line; std::getline(uris, line);) sa_uris.insert(line);

    const MessageView v = MessageView::parse(read_file(entry.path()));
    EXPECT_EQ(v.body_text(), body);
    for (const std::string& u : v.urls()) EXPECT_TRUE(sa_uris.contains(u)) << u;
    expect_all_utf8(v);
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(MessageView, SharedGtubeSampleHasTheGtubeLineInBodyText) {
  const std::string raw =
      read_file(std::filesystem::path(PORTCULLIS_SHARED_MESSAGES) / "spamassassin-sample-spam-gtube.eml");
  ASSERT_FALSE(raw.empty());
  const MessageView v = MessageView::parse(raw);
  EXPECT_NE(v.body_text().find("XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"),
            std::string::npos);
  EXPECT_EQ(v.body_text().substr(0, v.subject().size() + 1), v.subject() + "\n");
}

TEST(MessageView, PlainCrlfMessageHeadersSubjectFromAndParagraphs) {
  const MessageView v = MessageView::parse(message("plain.eml"));
  EXPECT_EQ(v.subject(), "Lunch   plans");
  EXPECT_EQ(v.from(), "Alice <alice@example.org>");
  ASSERT_EQ(v.headers().size(), 5u);
  EXPECT_EQ(v.headers()[0].name, "From");
  EXPECT_EQ(v.headers()[0].raw, " Alice <alice@example.org>");
  ASSERT_EQ(v.fields("MESSAGE-id").size(), 1u);
  EXPECT_EQ(v.fields("message-id")[0]->decoded, "<1@example.org>");
  EXPECT_EQ(v.body_text(),
            "Lunch   plans\nHi Bob,\nshall we meet at noon? See https://example.org/menu (today).\n-- Alice ");
  EXPECT_EQ(v.raw_body(),
            "Hi Bob,\n\nshall we meet   at noon?\nSee https://example.org/menu (today).\n\n\n-- \nAlice\n");
  EXPECT_EQ(v.urls(), std::vector<std::string>{"https://example.org/menu"});
  EXPECT_TRUE(v.attachments().empty());
  EXPECT_TRUE(v.anomalies().empty());
  EXPECT_EQ(v.part_count(), 1u);
}

TEST(MessageView, LfOnlyAndCrlfGiveTheSameView) {
  std::string lf = message("plain.eml");
  std::string crlf = lf;
  lf.erase(std::remove(lf.begin(), lf.end(), '\r'), lf.end());
  const MessageView a = MessageView::parse(lf);
  const MessageView b = MessageView::parse(crlf);
  EXPECT_EQ(a.body_text(), b.body_text());
  EXPECT_EQ(a.raw_body(), b.raw_body());
  EXPECT_EQ(a.headers().size(), b.headers().size());
  EXPECT_EQ(a.headers()[2].raw, b.headers()[2].raw);
}

TEST(MessageView, QuotedPrintableLatin1WithEncodedSubjectAndFrom) {
  const MessageView v = MessageView::parse(message("qp_latin1.eml"));
  EXPECT_EQ(v.subject(), "Café crème");
  EXPECT_EQ(v.from(), "André <andre@example.fr>");
  // ISO-8859-1 is read as Windows-1252 (SA): =80 is the euro sign.
  EXPECT_EQ(v.raw_body(), "Le café est prêt. Très   bon marché!\nPrix: 3€\n");
  EXPECT_EQ(v.body_text(), "Café crème\nLe café est prêt. Très bon marché! Prix: 3€ ");
}

TEST(MessageView, Base64Utf8TextKeepsParagraphs) {
  const MessageView v = MessageView::parse(message("base64_utf8.eml"));
  EXPECT_EQ(v.raw_body(), "Grüße aus Köln\nzweite Zeile\n\nNeuer Absatz\n");
  EXPECT_EQ(v.body_text(), "base64 text\nGrüße aus Köln zweite Zeile\nNeuer Absatz ");
}

TEST(MessageView, Koi8rBodyAndEncodedSubject) {
  const MessageView v = MessageView::parse(message("koi8r.eml"));
  EXPECT_EQ(v.subject(), "Привет мир");
  EXPECT_EQ(v.raw_body(), "Привет, как дела?\n");
}

TEST(MessageView, Windows1252PunctuationAndUnknownCharset) {
  EXPECT_EQ(MessageView::parse(message("windows1252.eml")).raw_body(),
            "\u201cSmart\u201d quotes \u2013 and \u20ac euro\n");
  const MessageView v = MessageView::parse(message("unknown_charset.eml"));
  EXPECT_EQ(v.raw_body(), "byte été here\n");
  EXPECT_TRUE(has(v, Anomaly::kUnknownCharset));
}

TEST(MessageView, MultipartAlternativeRendersBothPartsAndFindsTheLink) {
  const MessageView v = MessageView::parse(message("alternative.eml"));
  EXPECT_EQ(v.part_count(), 3u);
  EXPECT_NE(v.body_text().find("Plain version: visit"), std::string::npos);
  EXPECT_NE(v.body_text().find("HTML version:"), std::string::npos);
  EXPECT_EQ(v.body_text().find("<b>"), std::string::npos);
  EXPECT_NE(v.raw_body().find("<b>version</b>"), std::string::npos);  // rawbody keeps tags
  EXPECT_EQ(v.raw_body().find("multi-part message"), std::string::npos);  // not the preamble
  EXPECT_TRUE(has_url(v, "http://www.example.com/deal"));
  EXPECT_EQ(v.urls().size(), 1u);  // text and href agree: one entry
}

TEST(MessageView, NestedMessageRfc822IsWalkedButItsHeadersAreNotTopLevel) {
  const MessageView v = MessageView::parse(message("nested_rfc822.eml"));
  EXPECT_NE(v.body_text().find("Forwarded text body."), std::string::npos);
  EXPECT_EQ(v.subject(), "Fwd: inner");
  EXPECT_TRUE(v.fields("From").empty());
  EXPECT_EQ(v.part_count(), 4u);  // top, text, message/rfc822, its body
  EXPECT_TRUE(v.anomalies().empty());
}

TEST(MessageView, MissingClosingBoundaryKeepsTheLastPart) {
  const MessageView v = MessageView::parse(message("missing_close.eml"));
  EXPECT_TRUE(has(v, Anomaly::kBadBoundary));
  EXPECT_NE(v.body_text().find("second part without closing boundary"), std::string::npos);
}

TEST(MessageView, MultipartWithoutBoundaryIsReadAsText) {
  const MessageView v = MessageView::parse(message("no_boundary_param.eml"));
  EXPECT_TRUE(has(v, Anomaly::kBadBoundary));
  EXPECT_NE(v.body_text().find("body text"), std::string::npos);
}

TEST(MessageView, BoundaryThatNeverOpensMakesOnePart) {
  const MessageView v = MessageView::parse(
      "Content-Type: multipart/mixed; boundary=nope\n\nJust some text\nwithout parts\n");
  EXPECT_TRUE(has(v, Anomaly::kBadBoundary));
  EXPECT_EQ(v.body_text(), "\nJust some text without parts ");
}

TEST(MessageView, HtmlScriptStyleCommentsAndEntities) {
  const MessageView v = MessageView::parse(message("html_tricky.eml"));
  const std::string& b = v.body_text();
  EXPECT_EQ(b.find("var a"), std::string::npos);
  EXPECT_EQ(b.find("display"), std::string::npos);
  EXPECT_EQ(b.find("a comment"), std::string::npos);
  EXPECT_NE(b.find("Frée & cléar ☺ <tag>visible"), std::string::npos);
  EXPECT_NE(b.find("©2 &unknown;"), std::string::npos);
}

TEST(MessageView, HtmlUrlsResolvedAgainstBase) {
  const MessageView v = MessageView::parse(message("html_base.eml"));
  for (const char* u : {"http://base.example.com/dir/page.html", "http://base.example.com/up/x",
                        "http://cdn.example.net/y", "http://base.example.com/dir/img/a.png",
                        "http://base.example.com/post", "http://refresh.example.org/"}) {
    EXPECT_TRUE(has_url(v, u)) << u;
  }
}

TEST(MessageView, UrlsInPlainText) {
  const MessageView v = MessageView::parse(message("lf_only_urls.eml"));
  for (const char* u : {"http://www.shop.example.com/offer?id=1", "http://example.net/a_(b",
                        "http://x.example.org/path", "mailto:sales@example.com",
                        "mailto:info@example.org?subject=hi", "ftp://ftp.example.net/pub",
                        "https://secure.example.com/login"}) {
    EXPECT_TRUE(has_url(v, u)) << u;
  }
}

TEST(MessageView, ExecutableNamedPdfIsSniffed) {
  const MessageView v = MessageView::parse(message("mz_as_pdf.eml"));
  ASSERT_EQ(v.attachments().size(), 1u);
  const Attachment& a = v.attachments()[0];
  EXPECT_EQ(a.filename, "invoice.pdf");
  EXPECT_EQ(a.declared_type, "application/pdf");
  EXPECT_EQ(a.sniffed_type, "application/x-dosexec");
  EXPECT_EQ(a.size, 8u + 1024u);
  EXPECT_NE(v.body_text().find("Please see the invoice."), std::string::npos);
}

TEST(MessageView, Rfc2231AndRfc2047Filenames) {
  const MessageView v = MessageView::parse(message("rfc2231.eml"));
  ASSERT_EQ(v.attachments().size(), 2u);
  EXPECT_EQ(v.attachments()[0].filename, "€ rates 2024.xlsx");
  EXPECT_EQ(v.attachments()[0].sniffed_type, "application/zip");
  EXPECT_EQ(v.attachments()[1].filename, "résumé.doc");
  EXPECT_EQ(v.attachments()[1].sniffed_type, "application/x-ole-storage");
  EXPECT_EQ(v.attachments()[1].size, 12u);
}

TEST(MessageView, TextPartWithFilenameIsAlsoAnAttachment) {
  const MessageView v = MessageView::parse(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n"
      "Content-Disposition: attachment; filename=\"notes.txt\"\n\nhello notes\n--b--\n");
  ASSERT_EQ(v.attachments().size(), 1u);
  EXPECT_EQ(v.attachments()[0].filename, "notes.txt");
  EXPECT_EQ(v.attachments()[0].declared_type, "text/plain");
  EXPECT_NE(v.body_text().find("hello notes"), std::string::npos);
}

TEST(MessageView, EmptyAndHeaderOnlyMessages) {
  const MessageView empty = MessageView::parse("");
  EXPECT_EQ(empty.body_text(), "\n");
  EXPECT_TRUE(empty.headers().empty());
  EXPECT_EQ(empty.raw_body(), "");
  const MessageView h = MessageView::parse(message("header_only.eml"));
  EXPECT_EQ(h.subject(), "only headers");
  EXPECT_EQ(h.from(), "x@example.org");
  EXPECT_EQ(h.body_text(), "only headers\n");
}

TEST(MessageView, FoldedHeaderRawAndDecoded) {
  const MessageView v = MessageView::parse(message("folded_headers.eml"));
  ASSERT_EQ(v.fields("x-custom").size(), 1u);
  EXPECT_EQ(v.fields("x-custom")[0]->raw, " one  two");
  EXPECT_EQ(v.fields("x-custom")[0]->decoded, "one two");
  EXPECT_EQ(v.subject(), "a folded subject line");
}

TEST(MessageView, LastSubjectWins) {
  const MessageView v = MessageView::parse("Subject: first\nSubject: second\n\nx\n");
  EXPECT_EQ(v.subject(), "second");
  EXPECT_EQ(v.fields("subject").size(), 2u);
}

// ---- limits ----

std::string many_parts(int n) {
  std::string m = "Subject: bomb\nContent-Type: multipart/mixed; boundary=b\n\n";
  m += "--b\nContent-Type: text/plain\n\nfirst text\n";
  for (int i = 0; i < n; ++i) m += "--b\n\nx\n";
  m += "--b--\n";
  return m;
}

TEST(MessageViewLimits, TooManyPartsStopsAndKeepsWhatCameBefore) {
  const MessageView v = MessageView::parse(many_parts(100000));
  EXPECT_TRUE(has(v, Anomaly::kTooManyParts));
  EXPECT_EQ(v.part_count(), Limits{}.max_parts);
  EXPECT_NE(v.body_text().find("first text"), std::string::npos);
  EXPECT_LE(v.body_text().size(), 4000u);
}

TEST(MessageViewLimits, DeepMultipartNesting) {
  std::string m = "Content-Type: multipart/mixed; boundary=b0\n\n";
  std::string tail;
  for (int i = 0; i < 60; ++i) {
    m += "--b" + std::to_string(i) + "\nContent-Type: multipart/mixed; boundary=b" +
         std::to_string(i + 1) + "\n\n";
    tail = "--b" + std::to_string(i) + "--\n" + tail;
  }
  m += "--b60\nContent-Type: text/plain\n\ndeep text\n--b60--\n" + tail;
  const MessageView v = MessageView::parse(m);
  EXPECT_TRUE(has(v, Anomaly::kTooDeep));
  EXPECT_EQ(v.body_text().find("deep text"), std::string::npos);
  Limits wide;
  wide.max_depth = 100;
  const MessageView w = MessageView::parse(m, wide);
  EXPECT_FALSE(has(w, Anomaly::kTooDeep));
  EXPECT_NE(w.body_text().find("deep text"), std::string::npos);
}

TEST(MessageViewLimits, DeepMessageRfc822Nesting) {
  std::string m;
  for (int i = 0; i < 5000; ++i) m += "Content-Type: message/rfc822\n\n";
  m += "Subject: bottom\n\nbottom text\n";
  const MessageView v = MessageView::parse(m);
  EXPECT_TRUE(has(v, Anomaly::kTooDeep));
  EXPECT_LE(v.part_count(), Limits{}.max_depth + 1);
}

TEST(MessageViewLimits, HugeBase64TextStopsAtDecodedBytes) {
  std::string m = "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n";
  for (int i = 0; i < 20000; ++i) m += "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n";
  Limits limits;
  limits.max_decoded_bytes = 1000;
  limits.rawbody_part_scan_size = 0;
  const MessageView v = MessageView::parse(m, limits);
  EXPECT_TRUE(has(v, Anomaly::kTooLarge));
  EXPECT_EQ(v.raw_body(), std::string(1000, 'A'));
}

TEST(MessageViewLimits, TextBytesCapBothTargets) {
  std::string m = "Subject: s\n\n";
  for (int i = 0; i < 5000; ++i) m += "some words here\n";
  Limits limits;
  limits.max_text_bytes = 1000;
  limits.rawbody_part_scan_size = 0;
  limits.body_part_scan_size = 0;
  const MessageView v = MessageView::parse(m, limits);
  EXPECT_TRUE(has(v, Anomaly::kTooLarge));
  EXPECT_EQ(v.raw_body().size(), 1000u);
  EXPECT_LE(v.body_text().size(), 1000u);
}

TEST(MessageViewLimits, SpamAssassinScanSizesCutEachPart) {
  std::string m = "Subject: s\n\n";
  for (int i = 0; i < 10000; ++i) m += "line " + std::to_string(i) + "\n";
  const MessageView v = MessageView::parse(m);
  EXPECT_TRUE(v.anomalies().empty());
  // 50000 characters, then up to the next newline.
  EXPECT_NE(v.body_text().find("line 5000"), std::string::npos);
  EXPECT_EQ(v.body_text().find("line 7000"), std::string::npos);
  EXPECT_NE(v.raw_body().find("line 9999"), std::string::npos);
}

TEST(MessageViewLimits, HeaderFieldsAndUrlsAreCapped) {
  std::string m;
  for (int i = 0; i < 2000; ++i) m += "X-H" + std::to_string(i) + ": v\n";
  m += "\n";
  for (int i = 0; i < 3000; ++i) m += "http://h" + std::to_string(i) + ".example.com/\n";
  const MessageView v = MessageView::parse(m);
  EXPECT_TRUE(has(v, Anomaly::kTooManyHeaders));
  EXPECT_EQ(v.headers().size(), Limits{}.max_header_fields);
  EXPECT_EQ(v.urls().size(), Limits{}.max_urls);
}

TEST(MessageViewLimits, BadBase64IsAnAnomalyNotAFailure) {
  const MessageView v = MessageView::parse(
      "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nSGVs!!bG8=\n");
  EXPECT_TRUE(has(v, Anomaly::kBadEncoding));
  EXPECT_EQ(v.raw_body(), "Hello");
}

TEST(MessageView, AnomalySymbols) {
  EXPECT_EQ(anomaly_symbol(Anomaly::kTooManyParts), "MIME_TOO_MANY_PARTS");
  EXPECT_EQ(anomaly_symbol(Anomaly::kTooDeep), "MIME_TOO_DEEP");
  EXPECT_EQ(anomaly_symbol(Anomaly::kTooLarge), "MIME_TOO_LARGE");
  EXPECT_EQ(anomaly_symbol(Anomaly::kBadBoundary), "MIME_BAD_BOUNDARY");
  EXPECT_EQ(anomaly_symbol(Anomaly::kBadEncoding), "MIME_BAD_ENCODING");
  EXPECT_EQ(anomaly_symbol(Anomaly::kUnknownCharset), "MIME_UNKNOWN_CHARSET");
  EXPECT_EQ(anomaly_symbol(Anomaly::kTooManyHeaders), "MIME_TOO_MANY_HEADERS");
}

}  // namespace
}  // namespace portcullis::mime
