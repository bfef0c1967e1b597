// Differential test: for every message in messages/, our four relay pseudo-headers must
// equal what SpamAssassin 4.0.1 itself computed (expected.txt, from make_expected.pl).
// The message's Received values go in top first, raw (folded), as the rule engine passes
// them; the originating-IP headers as the last instance of each, in kOriginatingIpHeaders
// order.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "filters/received/received_relays.hpp"

namespace portcullis::received {
namespace {

const std::string kDir = PORTCULLIS_RECEIVED_TESTDATA;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Expected {
  std::string trusted, untrusted, internal, external;
  std::size_t unparseable = 0;
};

std::map<std::string, Expected> load_expected() {
  std::map<std::string, Expected> out;
  std::istringstream in(read_file(kDir + "/expected.txt"));
  std::string line, current;
  auto value = [&](std::string_view key) { return line.substr(key.size()); };
  while (std::getline(in, line)) {
    if (line.starts_with("== ")) {
      current = line.substr(3);
      out[current];
    } else if (line.starts_with("trusted: ")) {
      out[current].trusted = value("trusted: ");
    } else if (line.starts_with("untrusted: ")) {
      out[current].untrusted = value("untrusted: ");
    } else if (line.starts_with("internal: ")) {
      out[current].internal = value("internal: ");
    } else if (line.starts_with("external: ")) {
      out[current].external = value("external: ");
    } else if (line.starts_with("unparseable: ")) {
      out[current].unparseable = std::stoul(value("unparseable: "));
    }
  }
  return out;
}

struct Field {
  std::string name, value;
};

// The header section as (name, raw value) pairs, folding kept.
std::vector<Field> header_fields(const std::string& message) {
  std::vector<Field> fields;
  std::istringstream in(message);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !fields.empty()) {
      fields.back().value += "\n" + line;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    fields.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  return fields;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

RelayHeaders relays_of(const std::string& message, std::vector<Field>& storage) {
  storage = header_fields(message);
  std::vector<std::string_view> received, originating;
  for (const Field& f : storage) {
    if (same_name(f.name, "Received")) received.push_back(f.value);
  }
  for (std::string_view name : kOriginatingIpHeaders) {
    const Field* last = nullptr;
    for (const Field& f : storage) {
      if (same_name(f.name, name)) last = &f;
    }
    if (last) originating.push_back(last->value);
  }
  return relay_headers(received, originating);
}

class SpamAssassinAgrees : public ::testing::TestWithParam<std::string> {};

TEST_P(SpamAssassinAgrees, SameRelayPseudoHeaders) {
  static const std::map<std::string, Expected> expected = load_expected();
  const auto it = expected.find(GetParam());
  ASSERT_NE(it, expected.end()) << "not in expected.txt: rerun make_expected.pl";
  std::vector<Field> storage;
  const RelayHeaders r = relays_of(read_file(kDir + "/messages/" + GetParam()), storage);
  EXPECT_EQ(r.trusted, it->second.trusted);
  EXPECT_EQ(r.untrusted, it->second.untrusted);
  EXPECT_EQ(r.internal, it->second.internal);
  EXPECT_EQ(r.external, it->second.external);
  EXPECT_EQ(r.unparseable, it->second.unparseable);
}

std::vector<std::string> message_names() {
  std::vector<std::string> names;
  for (const auto& [name, _] : load_expected()) names.push_back(name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Messages, SpamAssassinAgrees, ::testing::ValuesIn(message_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(0, info.param.find('.'));
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(SpamAssassinAgrees, EveryMessageHasAnExpectation) {
  // messages/ and expected.txt move together
  const auto expected = load_expected();
  EXPECT_GE(expected.size(), 15u);
  for (const auto& [name, _] : expected) {
    EXPECT_FALSE(read_file(kDir + "/messages/" + name).empty()) << name;
  }
}

}  // namespace
}  // namespace portcullis::received
