// Every example of shared/testdata/dkim/canonicalization.yaml, fed whole, byte by byte and
// in odd chunks, plus the streaming and l= properties of BodyCanonicalizer.
#include "filters/dkim/canonicalization.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "filters/dkim/crypto.hpp"
#include "filters/dkim/message_headers.hpp"
#include "test_support.hpp"

namespace portcullis::filters::dkim {
namespace {

using testing::base64;
using testing::testdata;

Canonicalization canon_of(const std::string& name) {
  if (name == "simple") return Canonicalization::kSimple;
  if (name == "relaxed") return Canonicalization::kRelaxed;
  throw std::runtime_error("unknown canonicalization " + name);
}

// Canonical body, fed in pieces of `piece` bytes (0 = whole).
std::string canon_body(Canonicalization c, std::string_view body, std::size_t piece = 0,
                       std::optional<std::uint64_t> limit = std::nullopt) {
  std::string out;
  BodyCanonicalizer canon(c, limit, [&](std::string_view chunk) {
    EXPECT_LE(chunk.size(), BodyCanonicalizer::kChunk);
    EXPECT_FALSE(chunk.empty());
    out.append(chunk);
  });
  if (piece == 0) {
    canon.feed(body);
  } else {
    for (std::size_t i = 0; i < body.size(); i += piece) canon.feed(body.substr(i, piece));
  }
  canon.finish();
  return out;
}

std::string body_hash(Canonicalization c, HashAlgorithm h, std::string_view body,
                      std::optional<std::uint64_t> limit, std::size_t piece = 0) {
  Hasher hasher(h);
  BodyCanonicalizer canon(c, limit, [&](std::string_view chunk) { hasher.update(chunk); });
  if (piece == 0) {
    canon.feed(body);
  } else {
    for (std::size_t i = 0; i < body.size(); i += piece) canon.feed(body.substr(i, piece));
  }
  canon.finish();
  return base64(hasher.finish());
}

std::string canon_headers(Canonicalization c, std::string_view block) {
  const MessageView view = split_message(block);
  std::string out;
  for (const HeaderField& f : view.fields) {
    canonicalize_header(c, f.raw, out);
    out.append("\r\n");
  }
  return out;
}

std::string mailauth_body() {
  const std::string message =
      testing::lf_to_crlf(testing::read_file(testdata("messages/mailauth-message1.eml")));
  return std::string(split_message(message).body);
}

class SharedVectors : public ::testing::Test {
 protected:
  YAML::Node doc = YAML::LoadFile(testdata("canonicalization.yaml"));
};

TEST_F(SharedVectors, HeaderCanonicalization) {
  ASSERT_GE(doc["header_canonicalization"].size(), 2u);
  for (const YAML::Node& v : doc["header_canonicalization"]) {
    EXPECT_EQ(canon_headers(canon_of(v["algorithm"].as<std::string>()),
                            v["input"].as<std::string>()),
              v["output"].as<std::string>())
        << v["name"].as<std::string>();
  }
}

TEST_F(SharedVectors, BodyCanonicalization) {
  ASSERT_GE(doc["body_canonicalization"].size(), 2u);
  for (const YAML::Node& v : doc["body_canonicalization"]) {
    const std::string input = v["input"].as<std::string>();
    for (std::size_t piece : {0, 1, 2, 3, 7}) {
      EXPECT_EQ(canon_body(canon_of(v["algorithm"].as<std::string>()), input, piece),
                v["output"].as<std::string>())
          << v["name"].as<std::string>() << " piece " << piece;
    }
  }
}

TEST_F(SharedVectors, BodyHashes) {
  ASSERT_GE(doc["body_hashes"].size(), 11u);
  const std::string mailauth = mailauth_body();
  ASSERT_FALSE(mailauth.empty());
  for (const YAML::Node& v : doc["body_hashes"]) {
    const std::string name = v["name"].as<std::string>();
    const std::string body = v["body"].IsNull() ? mailauth : v["body"].as<std::string>();
    const HashAlgorithm h =
        v["hash"].as<std::string>() == "sha1" ? HashAlgorithm::kSha1 : HashAlgorithm::kSha256;
    std::optional<std::uint64_t> limit;
    if (v["l"]) limit = v["l"].as<std::uint64_t>();
    for (std::size_t piece : {0, 1, 5, 4096}) {
      EXPECT_EQ(body_hash(canon_of(v["canonicalization"].as<std::string>()), h, body, limit, piece),
                v["bh"].as<std::string>())
          << name << " piece " << piece;
    }
  }
}

TEST(BodyCanonicalizer, SimpleEdges) {
  const auto c = Canonicalization::kSimple;
  EXPECT_EQ(canon_body(c, ""), "\r\n");
  EXPECT_EQ(canon_body(c, "\r\n\r\n\r\n"), "\r\n");
  EXPECT_EQ(canon_body(c, "abc"), "abc\r\n");
  EXPECT_EQ(canon_body(c, "abc\r\n"), "abc\r\n");
  EXPECT_EQ(canon_body(c, "a \r\n\r\n b\r\n\r\n"), "a \r\n\r\n b\r\n");
  // Bare CR and LF are data, not line ends.
  EXPECT_EQ(canon_body(c, "a\nb\r"), "a\nb\r\r\n");
  EXPECT_EQ(canon_body(c, "a\r\r\n\r\n"), "a\r\r\n");
}

TEST(BodyCanonicalizer, RelaxedEdges) {
  const auto c = Canonicalization::kRelaxed;
  EXPECT_EQ(canon_body(c, ""), "");
  EXPECT_EQ(canon_body(c, "\r\n \r\n\t\r\n"), "");
  EXPECT_EQ(canon_body(c, "abc"), "abc\r\n");
  EXPECT_EQ(canon_body(c, "abc \t "), "abc\r\n");
  EXPECT_EQ(canon_body(c, "a \t b  \r\n \r\nc\r\n\r\n"), "a b\r\n\r\nc\r\n");
  EXPECT_EQ(canon_body(c, " \tlead"), " lead\r\n");
  EXPECT_EQ(canon_body(c, "a \rb"), "a \rb\r\n");
}

TEST(BodyCanonicalizer, LengthLimitAndCount) {
  std::string seen;
  BodyCanonicalizer canon(Canonicalization::kRelaxed, 5,
                          [&](std::string_view chunk) { seen.append(chunk); });
  canon.feed("hello  world\r\n\r\n");
  canon.finish();
  EXPECT_EQ(seen, "hello");
  EXPECT_EQ(canon.canonical_length(), 13u);  // "hello world\r\n"
  EXPECT_EQ(canon_body(Canonicalization::kSimple, "abc", 0, 0), "");
  EXPECT_EQ(canon_body(Canonicalization::kSimple, "abc", 0, 100), "abc\r\n");
}

TEST(BodyCanonicalizer, StreamsLargeBodiesInChunks) {
  // 1 MiB of lines and a long run of trailing empty lines: output arrives in bounded chunks
  // and matches the whole-body result.
  std::string body;
  while (body.size() < (1u << 20)) body.append("line with  spaces \t\r\n");
  for (int i = 0; i < 10000; ++i) body.append("\r\n");
  std::size_t chunks = 0;
  std::size_t total = 0;
  BodyCanonicalizer canon(Canonicalization::kRelaxed, std::nullopt, [&](std::string_view c) {
    ++chunks;
    total += c.size();
    EXPECT_LE(c.size(), BodyCanonicalizer::kChunk);
  });
  for (std::size_t i = 0; i < body.size(); i += 65536) canon.feed(std::string_view(body).substr(i, 65536));
  canon.finish();
  EXPECT_GT(chunks, 100u);
  EXPECT_EQ(total, canon.canonical_length());
  EXPECT_EQ(body_hash(Canonicalization::kRelaxed, HashAlgorithm::kSha256, body, std::nullopt),
            body_hash(Canonicalization::kRelaxed, HashAlgorithm::kSha256, body, std::nullopt, 3));
}

TEST(HeaderCanonicalization, Relaxed) {
  std::string out;
  canonicalize_header(Canonicalization::kRelaxed, "Subject : Is  dinner\r\n\t ready? \t", out);
  EXPECT_EQ(out, "subject:Is dinner ready?");
  out.clear();
  canonicalize_header(Canonicalization::kRelaxed, "X-Empty:   ", out);
  EXPECT_EQ(out, "x-empty:");
  out.clear();
  canonicalize_header(Canonicalization::kRelaxed, "NoColon", out);
  EXPECT_EQ(out, "nocolon");
  out.clear();
  canonicalize_header(Canonicalization::kSimple, "Subject : x \r\n y", out);
  EXPECT_EQ(out, "Subject : x \r\n y");
}

}  // namespace
}  // namespace portcullis::filters::dkim
