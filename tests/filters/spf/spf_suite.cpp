#include "spf_suite.hpp"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "filters/spf/spf_evaluator.hpp"

namespace portcullis::filters::spf::testing {
namespace {

// A TXT/SPF value: one string, or a list of strings glued together (RFC 7208 3.3).
std::string text_of(const YAML::Node& n) {
  if (n.IsSequence()) {
    std::string out;
    for (const auto& s : n) out.append(s.as<std::string>());
    return out;
  }
  return n.as<std::string>();
}

void add_records(ZoneView& zone, const std::string& name, const YAML::Node& records) {
  for (const auto& r : records) {
    if (r.IsScalar()) {
      if (r.as<std::string>() != "TIMEOUT") {
        throw std::runtime_error("unknown record '" + r.as<std::string>() + "' at " + name);
      }
      zone.set_timeout(name);
      continue;
    }
    for (const auto& kv : r) {
      const std::string type = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (type == "TXT") {
        if (v.IsScalar() && v.as<std::string>() == "NONE") {
          zone.set_txt_none(name);
        } else {
          zone.add_txt(name, text_of(v));
        }
      } else if (type == "SPF") {
        zone.add_spf(name, text_of(v));
      } else if (type == "A" || type == "AAAA") {
        const auto ip = config::IpAddress::parse(v.as<std::string>());
        if (!ip) throw std::runtime_error("bad address at " + name);
        zone.add_address(name, *ip);
      } else if (type == "MX") {
        zone.add_mx(name, v[0].as<std::uint16_t>(), v[1].as<std::string>());
      } else if (type == "PTR") {
        zone.add_ptr(name, v.as<std::string>());
      } else if (type == "CNAME") {
        zone.set_cname(name, v.as<std::string>());
      } else {
        throw std::runtime_error("unknown record type " + type + " at " + name);
      }
    }
  }
}

std::string str(const YAML::Node& n) { return n ? n.as<std::string>() : std::string(); }

}  // namespace

std::vector<SuiteCase> load_suite(const std::string& path) {
  std::vector<SuiteCase> out;
  for (const YAML::Node& scenario : YAML::LoadAllFromFile(path)) {
    if (!scenario.IsMap()) continue;
    auto zone = std::make_shared<ZoneView>();
    for (const auto& kv : scenario["zonedata"]) {
      add_records(*zone, kv.first.as<std::string>(), kv.second);
    }
    for (const auto& kv : scenario["tests"]) {
      const YAML::Node& t = kv.second;
      SuiteCase c;
      c.scenario = str(scenario["description"]);
      c.name = kv.first.as<std::string>();
      c.helo = str(t["helo"]);
      c.host = str(t["host"]);
      c.mail_from = str(t["mailfrom"]);
      if (t["result"].IsSequence()) {
        for (const auto& r : t["result"]) c.results.push_back(r.as<std::string>());
      } else {
        c.results.push_back(t["result"].as<std::string>());
      }
      if (t["explanation"]) c.explanation = t["explanation"].as<std::string>();
      c.zone = zone;
      out.push_back(std::move(c));
    }
  }
  return out;
}

CaseRun run_case(const SuiteCase& c, bool lazy) {
  CaseRun run;
  SpfRequest request;
  const auto ip = config::IpAddress::parse(c.host);
  if (!ip) {
    run.detail = "bad host " + c.host;
    return run;
  }
  request.client_ip = *ip;
  request.helo = c.helo;
  request.mail_from = c.mail_from;
  request.receiver = "mx.test.example";
  request.timestamp = 1700000000;
  auto evaluate = [&](dns::DnsView& view) { return check_mail_from(request, view); };
  std::optional<SpfResult> result;
  if (lazy) {
    std::string error;
    result = drive_lazily(*c.zone, evaluate, &error);
    if (!result) {
      run.detail = "restart protocol broken: " + error;
      return run;
    }
  } else {
    auto e = evaluate(*c.zone);
    if (!e.result) {
      run.detail = "eager view: no result, " + std::to_string(e.needs.size()) + " needs";
      return run;
    }
    result = std::move(e.result);
  }
  const std::string got(to_string(result->code));
  run.got = got;
  run.detail = got + " (" + result->reason + ")";
  if (!result->explanation.empty()) run.detail += " exp=\"" + result->explanation + "\"";
  bool ok = false;
  for (const auto& r : c.results) ok |= r == got;
  if (ok && c.explanation && result->code == SpfResult::Code::kFail) {
    const std::string want = *c.explanation == "DEFAULT" ? std::string() : *c.explanation;
    if (result->explanation != want) {
      ok = false;
      run.detail += "; want explanation \"" + *c.explanation + "\"";
    }
  }
  run.passed = ok;
  return run;
}

}  // namespace portcullis::filters::spf::testing
