#include "dmarc_cases.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json/src.hpp>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace portcullis::filters::dmarc::testing {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Header fields of the header block, unfolded: (name, value).
std::vector<std::pair<std::string, std::string>> header_fields(std::string_view message) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t lf = message.find('\n', pos);
    std::string_view line = message.substr(pos, lf == std::string_view::npos ? std::string_view::npos : lf - pos);
    pos = lf == std::string_view::npos ? message.size() : lf + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !out.empty()) {
      out.back().second.append(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  return out;
}

}  // namespace

std::vector<DmarcCase> load_dmarc_cases(const std::filesystem::path& dir) {
  const YAML::Node root = YAML::LoadFile((dir / "cases.yaml").string());
  std::vector<DmarcCase> out;
  for (const YAML::Node& n : root["cases"]) {
    DmarcCase c;
    c.name = n["name"].as<std::string>();
    c.description = n["description"].as<std::string>("");
    c.spec = n["spec"].as<std::string>("");
    c.message_path = dir / n["message"].as<std::string>();
    c.message = read_file(c.message_path);
    const YAML::Node env = n["envelope"];
    c.ip = env["ip"].as<std::string>();
    c.helo = env["helo"].as<std::string>();
    c.mail_from = env["mail_from"].IsNull() ? std::string() : env["mail_from"].as<std::string>("");
    const YAML::Node exp = n["expected"];
    c.expected_spf = exp["spf"].as<std::string>();
    for (const YAML::Node& d : exp["dkim"]) c.expected_dkim.push_back(d.as<std::string>());
    c.expected_dmarc = exp["dmarc"].as<std::string>();
    if (exp["policy"] && !exp["policy"].IsNull()) c.expected_policy = exp["policy"].as<std::string>();
    out.push_back(std::move(c));
  }
  if (out.empty()) throw std::runtime_error("no cases in " + (dir / "cases.yaml").string());
  return out;
}

StaticDnsView StaticDnsView::from_json_file(const std::filesystem::path& path) {
  StaticDnsView view;
  const boost::json::value root = boost::json::parse(read_file(path));
  for (const auto& [name, types] : root.as_object()) {
    for (const auto& [type, records] : types.as_object()) {
      if (type != "TXT") continue;
      std::vector<std::string> txt;
      for (const auto& rr : records.as_array()) {
        std::string joined;
        for (const auto& piece : rr.as_array()) joined.append(piece.as_string().c_str());
        txt.push_back(std::move(joined));
      }
      view.add_txt(name, std::move(txt));
    }
  }
  return view;
}

void StaticDnsView::add_txt(std::string_view name, std::vector<std::string> records) {
  dns::Answer a;
  a.status = records.empty() ? dns::Answer::Status::kNoData : dns::Answer::Status::kOk;
  a.txt = std::move(records);
  zone_[dns::normalize_name(name)][dns::RrType::kTxt] = std::move(a);
}

const dns::Answer* StaticDnsView::find(std::string_view name, dns::RrType type) {
  asked_.push_back({std::string(name), type});
  nxdomain_.status = dns::Answer::Status::kNxDomain;
  nodata_.status = dns::Answer::Status::kNoData;
  const auto it = zone_.find(dns::normalize_name(name));
  if (it == zone_.end()) return &nxdomain_;
  const auto rr = it->second.find(type);
  return rr == it->second.end() ? &nodata_ : &rr->second;
}

std::vector<std::string> dkim_signature_domains(std::string_view message) {
  std::vector<std::string> out;
  for (const auto& [name, value] : header_fields(message)) {
    if (lower(name) != "dkim-signature") continue;
    std::string d;
    std::stringstream tags(value);
    std::string tag;
    while (std::getline(tags, tag, ';')) {
      std::string compact;  // FWS may sit anywhere in a tag-spec
      for (char c : tag) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
      }
      if (compact.rfind("d=", 0) == 0) d = compact.substr(2);
    }
    out.push_back(d);
  }
  return out;
}

std::string address_domain(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

}  // namespace portcullis::filters::dmarc::testing
