// Expected strings were checked against SpamAssassin 4.0.1 (Mail::SpamAssassin::HTML).
#include "filters/mime/html_text.hpp"

#include <gtest/gtest.h>

namespace portcullis::mime {
namespace {

std::string render(std::string_view html, std::vector<std::string>* urls = nullptr) {
  std::string text;
  std::vector<std::string> u;
  render_html(html, text, u, 100);
  if (urls != nullptr) *urls = u;
  return text;
}

TEST(HtmlText, BlockTagsAndWhitespace) {
  EXPECT_EQ(render("<p>Hello&nbsp;&amp; <b>wor</b>ld<br>next line</p>"),
            "\n\nHello & world\nnext line\n\n");
  EXPECT_EQ(render("<div>d1</div><div> d2 </div><ul><li>one<li>two</ul>"),
            "\nd1\n\nd2\n one two");
}

TEST(HtmlText, ScriptStyleCommentsDeclarationsDropped) {
  EXPECT_EQ(render("a<script>x<b>y</b></script>b<style>p{}</style>c<!-- no -->d<!DOCTYPE html>e<?pi?>f"),
            "abcdef");
  EXPECT_EQ(render("a<style>unclosed"), "a");
  EXPECT_EQ(render("a<!-- unclosed comment"), "a");
}

TEST(HtmlText, LiteralElementsAndStrayBrackets) {
  EXPECT_EQ(render("<xmp><b>q</b></xmp>"), "\n\n<b>q</b>\n\n");
  EXPECT_EQ(render("a < b <3 c"), "a < b <3 c");
  EXPECT_EQ(render("x<![CDATA[ <b> ]]>y"), "x <b> y");
  EXPECT_EQ(render("unterminated <b"), "unterminated ");
}

TEST(HtmlText, Entities) {
  std::string out;
  append_html_decoded(out, "&amp &ampx &copy2 &#65e&#x42; &#0; &#xD800; &unknown; &AMP; &Eacute");
  EXPECT_EQ(out, "& &ampx ©2 AeB &#0; \uFFFD &unknown; &AMP; É");
}

TEST(HtmlText, UrlsFromTags) {
  std::vector<std::string> urls;
  render("<body background=\"bg.png\"><a href=\" http://a.example/x \">a</a>"
         "<a href=mailto:m@example.org>m</a><img src=\"/i.png\"><form action=\"http://f.example/\">"
         "<iframe src=\"http://if.example/\"></iframe><a data-saferedirecturl=\"http://r.example/\">",
         &urls);
  EXPECT_EQ(urls, (std::vector<std::string>{"bg.png", "http://a.example/x", "mailto:m@example.org",
                                            "/i.png", "http://f.example/", "http://if.example/",
                                            "http://r.example/"}));
}

TEST(HtmlText, CurlyQuotesDelimitAttributes) {
  std::vector<std::string> urls;
  render("<a href=\xE2\x80\x9Dhttps://q.example/\xE2\x80\x9D>x</a>", &urls);
  EXPECT_EQ(urls, std::vector<std::string>{"https://q.example/"});
}

TEST(HtmlText, ResolveUri) {
  EXPECT_EQ(resolve_uri("http://h.example/d/", "p.html"), "http://h.example/d/p.html");
  EXPECT_EQ(resolve_uri("http://h.example/d/", "../x"), "http://h.example/x");
  EXPECT_EQ(resolve_uri("http://h.example/d/", "//c.example/y"), "http://c.example/y");
  EXPECT_EQ(resolve_uri("", "//www.c.example/y"), "http://www.c.example/y");
  EXPECT_EQ(resolve_uri("", "/a/./b/../c"), "/a/c");
  EXPECT_EQ(resolve_uri("http://h.example/d/", "?q"), "http://h.example/d/?q");
}

}  // namespace
}  // namespace portcullis::mime
