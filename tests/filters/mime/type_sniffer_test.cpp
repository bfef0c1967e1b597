#include "filters/mime/type_sniffer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::mime {
namespace {

TEST(TypeSniffer, Executables) {
  EXPECT_EQ(sniff_type("MZ\x90\x00"), "application/x-dosexec");
  EXPECT_EQ(sniff_type("\x7f" "ELF\x02\x01"), "application/x-executable");
  EXPECT_EQ(sniff_type("#!/bin/sh\necho"), "text/x-shellscript");
  EXPECT_EQ(sniff_type("#!/usr/bin/env python3\n"), "text/x-python");
  EXPECT_TRUE(is_executable_type(sniff_type("MZ")));
  EXPECT_FALSE(is_executable_type(sniff_type("%PDF-1.7")));
}

TEST(TypeSniffer, Archives) {
  std::string zip("PK\x03\x04", 4);
  zip.append(26, '\0');
  EXPECT_EQ(sniff_type(zip), "application/zip");
  std::string docx = zip;
  docx[26] = 19;
  docx += "[Content_Types].xml....word/document.xml";
  EXPECT_EQ(sniff_type(docx), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  std::string xlsx = zip + "[Content_Types].xml xl/workbook.xml";
  EXPECT_EQ(sniff_type(xlsx), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_EQ(sniff_type("Rar!\x1A\x07\x01"), "application/vnd.rar");
  EXPECT_EQ(sniff_type("7z\xBC\xAF\x27\x1C"), "application/x-7z-compressed");
  EXPECT_EQ(sniff_type("\x1F\x8B\x08"), "application/gzip");
}

TEST(TypeSniffer, DocumentsAndImages) {
  EXPECT_EQ(sniff_type("%PDF-1.4"), "application/pdf");
  EXPECT_EQ(sniff_type(std::string(100, ' ') + "%PDF-1.4"), "application/pdf");
  EXPECT_EQ(sniff_type("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), "application/x-ole-storage");
  EXPECT_EQ(sniff_type("\x89PNG\r\n\x1A\n"), "image/png");
  EXPECT_EQ(sniff_type("\xFF\xD8\xFF\xE0"), "image/jpeg");
  EXPECT_EQ(sniff_type("GIF89a"), "image/gif");
  EXPECT_EQ(sniff_type("  <!DOCTYPE HTML><html>"), "text/html");
  EXPECT_EQ(sniff_type("<HTML><body>"), "text/html");
}

TEST(TypeSniffer, UnknownAndEmpty) {
  EXPECT_EQ(sniff_type(""), "application/octet-stream");
  EXPECT_EQ(sniff_type("just text"), "application/octet-stream");
  EXPECT_EQ(sniff_type("BMW is a car brand, not a bitmap"), "application/octet-stream");
}

}  // namespace
}  // namespace portcullis::mime
