#include "proxy/envelope_params.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace portcullis::proxy {

namespace {

smtp::Reply unsupported(const std::string& keyword) {
  return smtp::make_reply(555, "5.5.4", "Unsupported option: " + keyword);
}

std::string param_text(const smtp::EsmtpParam& p) {
  return p.value ? p.keyword + "=" + *p.value : p.keyword;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

}  // namespace

EnvelopeCheck check_mail(const smtp::Command& mail, const BackendCaps& caps,
                         std::size_t max_size) {
  EnvelopeCheck out;
  std::string line = "MAIL FROM:<" + mail.path + ">";
  std::set<std::string> seen;
  for (const auto& p : mail.params) {
    if (!seen.insert(p.keyword).second) {
      out.error = smtp::make_reply(501, "5.5.4", "Duplicate option: " + p.keyword);
      return out;
    }
    if (p.keyword == "SIZE") {
      std::uint64_t size = 0;
      const std::string v = p.value.value_or("");
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), size);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
        out.error = smtp::make_reply(501, "5.5.4", "Bad SIZE value");
        return out;
      }
      if (size > max_size) {
        out.error = smtp::make_reply(552, "5.3.4", "Message size exceeds fixed limit");
        return out;
      }
      if (caps.size) line.append(" ").append(param_text(p));
    } else if (p.keyword == "BODY") {
      std::string v = upper(p.value.value_or(""));
      if (v != "7BIT" && v != "8BITMIME") {
        out.error = smtp::make_reply(501, "5.5.4", "Bad BODY value");
        return out;
      }
      if (!caps.eightbitmime) {
        // Without 8BITMIME advertised, BODY= is not an option the client may use.
        out.error = unsupported(p.keyword);
        return out;
      }
      line.append(" BODY=").append(v);
    } else if (p.keyword == "SMTPUTF8" && caps.smtputf8 && !p.value) {
      out.smtputf8 = true;
      line += " SMTPUTF8";
    } else if ((p.keyword == "RET" || p.keyword == "ENVID") && caps.dsn && p.value) {
      line.append(" ").append(param_text(p));
    } else {
      out.error = unsupported(p.keyword);
      return out;
    }
  }
  if (mail.path_non_ascii && !out.smtputf8) {
    out.error = smtp::make_reply(553, "5.6.7", "Non-ASCII sender address needs SMTPUTF8");
    return out;
  }
  out.backend_line = std::move(line);
  return out;
}

EnvelopeCheck check_rcpt(const smtp::Command& rcpt, const BackendCaps& caps, bool smtputf8) {
  EnvelopeCheck out;
  std::string line = "RCPT TO:<" + rcpt.path + ">";
  std::set<std::string> seen;
  for (const auto& p : rcpt.params) {
    if (!seen.insert(p.keyword).second) {
      out.error = smtp::make_reply(501, "5.5.4", "Duplicate option: " + p.keyword);
      return out;
    }
    if ((p.keyword == "NOTIFY" || p.keyword == "ORCPT") && caps.dsn && p.value) {
      line.append(" ").append(param_text(p));
    } else {
      out.error = unsupported(p.keyword);
      return out;
    }
  }
  if (rcpt.path_non_ascii && !smtputf8) {
    out.error = smtp::make_reply(553, "5.6.7", "Non-ASCII recipient address needs SMTPUTF8");
    return out;
  }
  out.backend_line = std::move(line);
  return out;
}

}  // namespace portcullis::proxy
