#include "rules/sa/sa_environment.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace portcullis::rules::sa {
namespace {

constexpr std::string_view kPluginPrefix = "Mail::SpamAssassin::Plugin::";
constexpr std::size_t kMaxExpr = 4096;
constexpr int kMaxDepth = 64;

// Recursive descent over the tokens SpamAssassin's condition lexer accepts, with Perl's
// precedence: unary ! and -, * /, + -, < <= > >=, == !=, ^, &&, ||.
class CondParser {
 public:
  CondParser(std::string_view text, const SaEnvironment& env) : s_(text), env_(env) {}

  bool parse(double* out, std::string* error) {
    *out = parse_or(0);
    skip_space();
    if (error_.empty() && pos_ != s_.size()) error_ = "unexpected text after expression";
    if (!error_.empty()) {
      if (error) *error = error_;
      return false;
    }
    return true;
  }

 private:
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(std::string_view op) {
    skip_space();
    if (s_.substr(pos_, op.size()) == op) {
      pos_ += op.size();
      return true;
    }
    return false;
  }
  bool peek(std::string_view op) {
    skip_space();
    return s_.substr(pos_, op.size()) == op;
  }
  bool fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    return false;
  }

  double parse_or(int depth) {
    double v = parse_and(depth);
    while (eat("||")) {
      double r = parse_and(depth);
      v = (v != 0 || r != 0) ? 1 : 0;
    }
    return v;
  }
  double parse_and(int depth) {
    double v = parse_xor(depth);
    while (eat("&&")) {
      double r = parse_xor(depth);
      v = (v != 0 && r != 0) ? 1 : 0;
    }
    return v;
  }
  double parse_xor(int depth) {
    double v = parse_eq(depth);
    while (eat("^")) {
      double r = parse_eq(depth);
      v = static_cast<double>(static_cast<long long>(v) ^ static_cast<long long>(r));
    }
    return v;
  }
  double parse_eq(int depth) {
    double v = parse_rel(depth);
    for (;;) {
      if (eat("==")) v = v == parse_rel(depth) ? 1 : 0;
      else if (eat("!=")) v = v != parse_rel(depth) ? 1 : 0;
      else return v;
    }
  }
  double parse_rel(int depth) {
    double v = parse_add(depth);
    for (;;) {
      if (eat(">=")) v = v >= parse_add(depth) ? 1 : 0;
      else if (eat("<=")) v = v <= parse_add(depth) ? 1 : 0;
      else if (eat(">")) v = v > parse_add(depth) ? 1 : 0;
      else if (eat("<")) v = v < parse_add(depth) ? 1 : 0;
      else return v;
    }
  }
  double parse_add(int depth) {
    double v = parse_mul(depth);
    for (;;) {
      if (eat("+")) v += parse_mul(depth);
      else if (peek("-") && !peek("->")) { ++pos_; v -= parse_mul(depth); }
      else return v;
    }
  }
  double parse_mul(int depth) {
    double v = parse_unary(depth);
    for (;;) {
      if (eat("*")) v *= parse_unary(depth);
      else if (eat("/")) {
        double r = parse_unary(depth);
        if (r == 0) { fail("division by zero"); return 0; }
        v /= r;
      } else return v;
    }
  }
  double parse_unary(int depth) {
    if (depth > kMaxDepth) { fail("expression nested too deeply"); return 0; }
    if (peek("!=")) { fail("unexpected '!='"); return 0; }
    if (eat("!")) return parse_unary(depth + 1) == 0 ? 1 : 0;
    if (eat("-")) return -parse_unary(depth + 1);
    return parse_primary(depth + 1);
  }
  double parse_primary(int depth) {
    skip_space();
    if (eat("(")) {
      double v = parse_or(depth + 1);
      if (!eat(")")) fail("missing ')'");
      return v;
    }
    if (pos_ >= s_.size()) { fail("unexpected end of expression"); return 0; }
    unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (std::isdigit(c) || c == '.') {
      std::size_t start = pos_;
      while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) ++pos_;
      double v = 0;
      auto text = s_.substr(start, pos_ - start);
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size()) fail("bad number");
      return v;
    }
    if (std::isalpha(c) || c == '_') {
      std::size_t start = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                  s_[pos_] == '_' || s_[pos_] == ':'))
        ++pos_;
      std::string_view word = s_.substr(start, pos_ - start);
      if (word == "version") return env_.version;
      if (word == "perl_version") return env_.perl_version;
      if (word == "local_tests_only") return env_.local_tests_only ? 1 : 0;
      if (word == "plugin" || word == "can" || word == "has") {
        if (!eat("(")) { fail("missing '(' after " + std::string(word)); return 0; }
        skip_space();
        std::size_t arg_start = pos_;
        while (pos_ < s_.size() && s_[pos_] != ')' && !std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
        std::string_view arg = s_.substr(arg_start, pos_ - arg_start);
        if (arg.size() >= 2 && (arg.front() == '\'' || arg.front() == '"') && arg.back() == arg.front())
          arg = arg.substr(1, arg.size() - 2);
        if (!eat(")")) { fail("missing ')'"); return 0; }
        if (word == "plugin") return env_.has_plugin(arg) ? 1 : 0;
        return env_.can(arg) ? 1 : 0;
      }
      fail("unknown word '" + std::string(word) + "'");
      return 0;
    }
    fail(std::string("unexpected character '") + static_cast<char>(c) + "'");
    return 0;
  }

  std::string_view s_;
  const SaEnvironment& env_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

std::string canonical_plugin_name(std::string_view name) {
  std::string n(name);
  if (n == "Mail::SpamAssassin::Plugin::Dmarc") return "Mail::SpamAssassin::Plugin::DMARC";
  if (n == "Mail::SpamAssassin::Plugin::WhiteListSubject")
    return "Mail::SpamAssassin::Plugin::WelcomeListSubject";
  return n;
}

SaEnvironment SaEnvironment::debian_4_0_1() {
  SaEnvironment env;
  // /etc/spamassassin/{init,v310,v312,v320,v330,v340,v342,v400}.pre as shipped.
  for (const char* p : {"URIDNSBL", "SPF", "Pyzor", "Razor2", "SpamCop", "AutoLearnThreshold",
                        "WelcomeListSubject", "MIMEHeader", "ReplaceTags", "DKIM", "Check",
                        "HTTPSMismatch", "URIDetail", "Bayes", "BodyEval", "DNSEval", "HTMLEval",
                        "HeaderEval", "MIMEEval", "RelayEval", "URIEval", "WLBLEval", "VBounce",
                        "ImageInfo", "FreeMail", "AskDNS", "HashBL", "DMARC"})
    env.plugins.insert(std::string(kPluginPrefix) + p);
  // Every feature_*/has_* sub of Conf.pm and the plugins in 4.0.1 (grep "^sub (feature|has)_").
  for (const char* f : {
           "feature_originating_ip_headers", "feature_dns_local_ports_permit_avoid",
           "feature_bayes_auto_learn_on_error", "feature_uri_host_listed",
           "feature_yesno_takes_args", "feature_bug6558_free", "feature_edns",
           "feature_dns_query_restriction", "feature_registryboundaries", "feature_geodb",
           "feature_dns_block_rule", "feature_compile_regexp", "feature_meta_rules_matching",
           "feature_subjprefix", "feature_bayes_stopwords", "feature_get_host",
           "feature_blocklist_welcomelist", "feature_welcomelist_blocklist",
           "feature_header_address_parser", "feature_local_tests_only",
           "feature_header_first_last", "feature_header_match_many", "feature_capture_rules",
           "has_tflags_nosubject", "has_tflags_nolog", "perl_min_version_5010000",
           "compat_welcomelist_blocklist"})
    env.features.insert(std::string("Mail::SpamAssassin::Conf::") + f);
  for (const char* m : {
           "HashBL::has_hashbl_bodyre", "HashBL::has_hashbl_bodyre_num",
           "HashBL::has_hashbl_emails", "HashBL::has_hashbl_uris", "HashBL::has_hashbl_ignore",
           "HashBL::has_hashbl_email_regex", "HashBL::has_hashbl_email_welcomelist",
           "HashBL::has_hashbl_email_whitelist", "HashBL::has_hashbl_tag",
           "HashBL::has_hashbl_sha256", "HashBL::has_hashbl_attachments",
           "HashBL::has_hashbl_email_domain", "HashBL::has_hashbl_email_domain_alias",
           "URIDetail::has_host_key", "OLEVBMacro::has_olemacro_redirect_uri",
           "OLEVBMacro::has_olemacro_mhtml_uri", "OLEVBMacro::has_olertfobject",
           "Pyzor::has_fork", "Pyzor::has_perl", "DNSEval::has_tflags_domains_only",
           "DNSEval::has_tflags_ips_only", "DecodeShortURLs::has_short_url",
           "DecodeShortURLs::has_autoclean", "DecodeShortURLs::has_short_url_code",
           "DecodeShortURLs::has_user_agent", "DecodeShortURLs::has_get",
           "DecodeShortURLs::has_clear", "DecodeShortURLs::has_timeout",
           "DecodeShortURLs::has_max_redirections", "DecodeShortURLs::has_short_url_redir",
           "MIMEHeader::has_all_header", "MIMEHeader::has_tflags_range",
           "MIMEHeader::has_tflags_concat", "MIMEHeader::has_tflags_multiple",
           "MIMEHeader::has_capture_rules", "URIDNSBL::has_tflags_domains_only",
           "URIDNSBL::has_subtest_for_ranges", "URIDNSBL::has_uridnsbl_for_a",
           "URIDNSBL::has_uridnsbl_a_ns", "URIDNSBL::has_tflags_notrim",
           "URIDNSBL::has_uridnsbl_skip_mailto", "AskDNS::has_tag_header",
           "ASN::has_asn_lookup_ipv6", "ASN::has_asn_geodb", "ASN::has_check_asn",
           "ASN::has_check_asn_tag", "SPF::has_check_for_spf_errors",
           "SPF::has_check_spf_skipped_noenvfrom", "BodyEval::has_check_body_length",
           "BodyEval::has_plaintext_body_sig_ratio", "DKIM::has_arc",
           "MIMEEval::has_check_for_ascii_text_illegal",
           "MIMEEval::has_check_abundant_unicode_ratio", "MIMEEval::has_check_qp_ratio",
           "Razor2::has_fork"})
    env.features.insert(std::string(kPluginPrefix) + m);
  for (const char* p : {"URIDNSBL", "SPF", "Pyzor", "Razor2", "SpamCop", "DKIM", "DNSEval",
                        "AskDNS", "HashBL", "DMARC", "DCC", "ASN", "DecodeShortURLs"})
    env.network_plugins.insert(std::string(kPluginPrefix) + p);
  return env;
}

void SaEnvironment::load_plugin(std::string_view name) { plugins.insert(canonical_plugin_name(name)); }

bool SaEnvironment::has_plugin(std::string_view name) const {
  return plugins.contains(canonical_plugin_name(name));
}

bool SaEnvironment::can(std::string_view name) const {
  if (!features.contains(std::string(name))) return false;
  // A plugin's method exists only once the plugin is loaded (Perl `can` on an unloaded
  // package is false).
  if (name.starts_with(kPluginPrefix)) {
    auto rest = name.substr(kPluginPrefix.size());
    auto sep = rest.find("::");
    if (sep == std::string_view::npos) return false;
    return has_plugin(std::string(kPluginPrefix) + std::string(rest.substr(0, sep)));
  }
  return true;
}

bool SaEnvironment::eval_condition(std::string_view expr, std::string* error) const {
  if (expr.size() > kMaxExpr) {
    if (error) *error = "condition too long";
    return false;
  }
  CondParser parser(expr, *this);
  double v = 0;
  if (!parser.parse(&v, error)) return false;
  return v != 0;
}

void load_pre_files(SaEnvironment& env, const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pre") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string key, name;
      words >> key >> name;
      if (key == "loadplugin" && !name.empty()) env.load_plugin(name);
    }
  }
}

}  // namespace portcullis::rules::sa
