#include "filters/mime/url_extractor.hpp"

#include <gtest/gtest.h>

namespace portcullis::mime {
namespace {

std::vector<std::string> urls(std::string_view text) {
  std::vector<std::string> out;
  extract_text_urls(text, out, 100);
  return out;
}

TEST(UrlExtractor, SchemesAndPrefixes) {
  EXPECT_EQ(urls("see http://a.example/x. and HTTPS://b.example/y?z=1, www2.c.example ftp.d.example"),
            (std::vector<std::string>{"http://a.example/x", "HTTPS://b.example/y?z=1",
                                      "http://www2.c.example", "ftp://ftp.d.example"}));
}

TEST(UrlExtractor, DelimitersAndParentheses) {
  EXPECT_EQ(urls("<http://a.example/in>"), std::vector<std::string>{"http://a.example/in"});
  EXPECT_EQ(urls("(http://a.example/p)"), std::vector<std::string>{"http://a.example/p"});
  EXPECT_EQ(urls("http://a.example/x(y)z"), std::vector<std::string>{"http://a.example/x(y)z"});
  EXPECT_EQ(urls("xhttp://no.example/"), std::vector<std::string>{});
  EXPECT_EQ(urls("http://"), std::vector<std::string>{});
}

TEST(UrlExtractor, Addresses) {
  EXPECT_EQ(urls("write to Sales.Team@example.com, today"),
            std::vector<std::string>{"mailto:Sales.Team@example.com"});
  EXPECT_EQ(urls("mailto:x@example.org?subject=hi"),
            (std::vector<std::string>{"mailto:x@example.org?subject=hi", "mailto:x@example.org"}));
  EXPECT_EQ(urls("Vi@gra and a@b and [cid:image001.png@01D4986E.E3459640]"),
            std::vector<std::string>{});
}

TEST(UrlExtractor, CapAndDuplicates) {
  std::vector<std::string> out;
  extract_text_urls("http://a.example/ http://a.example/ http://b.example/ http://c.example/", out, 2);
  EXPECT_EQ(out, (std::vector<std::string>{"http://a.example/", "http://b.example/"}));
}

}  // namespace
}  // namespace portcullis::mime
