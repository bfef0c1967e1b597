#include "proxy/milter/reply.hpp"

#include "proxy/milter/packet_reader.hpp"

namespace portcullis::milter {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool valid_enhanced(std::string_view e, char klass) {
  if (e.size() < 5 || e[0] != klass || e[1] != '.') return false;
  std::size_t pos = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t digits = 0;
    while (pos < e.size() && is_digit(e[pos])) {
      ++pos;
      ++digits;
    }
    if (digits < 1 || digits > 3) return false;
    if (part == 0) {
      if (pos >= e.size() || e[pos] != '.') return false;
      ++pos;
    }
  }
  return pos == e.size();
}

// Control characters become spaces; '%' doubled when `percent`.
void append_sanitised(std::string& out, std::string_view text, bool percent) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out.push_back(' ');
    } else if (c == '%' && percent) {
      out.append("%%");
    } else {
      out.push_back(c);
    }
  }
}

std::string error_name(char code) { return std::string(reply_name(code)); }

bool valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ':') return false;
  }
  return true;
}

// Writes the value with folds normalised to LF + WSP; false on NUL, bare CR, or a break not
// followed by SP/HTAB (that would start a new header or end the header block).
bool append_header_value(std::string& out, std::string_view value, std::string& why) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\0') {
      why = "NUL in header value";
      return false;
    }
    if (c == '\r' || c == '\n') {
      std::size_t next = i + 1;
      if (c == '\r') {
        if (next >= value.size() || value[next] != '\n') {
          why = "bare CR in header value";
          return false;
        }
        ++next;
      }
      if (next >= value.size() || (value[next] != ' ' && value[next] != '\t')) {
        why = "line break in header value not followed by SP or HTAB";
        return false;
      }
      out.push_back('\n');
      i = next - 1;
      continue;
    }
    out.push_back(c);
  }
  return true;
}

Encoded header_edit(char code, bool with_index, std::uint32_t index, std::string_view name,
                    std::string_view value, bool hdr_leadspc) {
  Encoded e;
  if (!valid_header_name(name)) {
    e.error = error_name(code) + ": invalid header name";
    return e;
  }
  if (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    // Leading whitespace is ours to add (see reply.hpp); refusing keeps the rule single.
    e.error = error_name(code) + ": header value starts with whitespace";
    return e;
  }
  std::string data;
  if (with_index) append_u32(data, index);
  data.append(name);
  data.push_back('\0');
  if (hdr_leadspc && !value.empty()) data.push_back(' ');
  std::string why;
  if (!append_header_value(data, value, why)) {
    e.error = error_name(code) + ": " + why;
    return e;
  }
  data.push_back('\0');
  e.packet = encode_packet(code, data);
  return e;
}

}  // namespace

std::string encode_continue() { return encode_packet(smfir::kContinue, {}); }
std::string encode_accept() { return encode_packet(smfir::kAccept, {}); }
std::string encode_reject() { return encode_packet(smfir::kReject, {}); }
std::string encode_tempfail() { return encode_packet(smfir::kTempfail, {}); }
std::string encode_discard() { return encode_packet(smfir::kDiscard, {}); }
std::string encode_progress() { return encode_packet(smfir::kProgress, {}); }

Encoded encode_reply_code(int code, std::string_view enhanced,
                          const std::vector<std::string>& lines) {
  Encoded e;
  if (code < 400 || code > 599) {
    e.error = "SMFIR_REPLYCODE: code " + std::to_string(code) + " is not 4xx or 5xx";
    return e;
  }
  const std::string code_text = std::to_string(code);
  if (!enhanced.empty() && !valid_enhanced(enhanced, code_text[0])) {
    e.error = "SMFIR_REPLYCODE: enhanced code does not match " + code_text +
              " (need " + code_text[0] + ".x.y)";
    return e;
  }
  if (lines.size() > kMaxReplyLines) {
    e.error = "SMFIR_REPLYCODE: " + std::to_string(lines.size()) + " lines, at most " +
              std::to_string(kMaxReplyLines);
    return e;
  }
  const std::size_t n = lines.empty() ? 1 : lines.size();
  std::string data;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) data.append("\r\n");
    data.append(code_text);
    data.push_back(i + 1 < n ? '-' : ' ');
    if (!enhanced.empty()) {
      data.append(enhanced);
      data.push_back(' ');
    }
    if (!lines.empty()) {
      const std::string_view text = lines[i];
      append_sanitised(data, text.substr(0, kMaxReplyLineText), true);
    }
  }
  data.push_back('\0');
  e.packet = encode_packet(smfir::kReplyCode, data);
  return e;
}

Encoded encode_reply_code(int code, std::string_view enhanced, std::string_view text) {
  return encode_reply_code(code, enhanced, std::vector<std::string>{std::string(text)});
}

Encoded encode_add_header(std::string_view name, std::string_view value, bool hdr_leadspc) {
  return header_edit(smfir::kAddHeader, false, 0, name, value, hdr_leadspc);
}

Encoded encode_insert_header(std::uint32_t index, std::string_view name, std::string_view value,
                             bool hdr_leadspc) {
  return header_edit(smfir::kInsHeader, true, index, name, value, hdr_leadspc);
}

Encoded encode_change_header(std::uint32_t index, std::string_view name, std::string_view value,
                             bool hdr_leadspc) {
  if (index == 0) {
    Encoded e;
    e.error = "SMFIR_CHGHEADER: header index counts from 1";
    return e;
  }
  return header_edit(smfir::kChgHeader, true, index, name, value, hdr_leadspc);
}

Encoded encode_quarantine(std::string_view reason) {
  Encoded e;
  if (reason.empty()) {
    e.error = "SMFIR_QUARANTINE: empty reason";
    return e;
  }
  std::string data;
  append_sanitised(data, reason, false);
  data.push_back('\0');
  e.packet = encode_packet(smfir::kQuarantine, data);
  return e;
}

std::string encode_optneg(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol,
                          const std::vector<MacroList>& macro_lists) {
  std::string data;
  append_u32(data, version);
  append_u32(data, actions);
  append_u32(data, protocol);
  for (const auto& list : macro_lists) {
    append_u32(data, static_cast<std::uint32_t>(list.stage));
    data.append(std::string_view(list.names).substr(0, list.names.find('\0')));
    data.push_back('\0');
  }
  return encode_packet(smfic::kOptneg, data);
}

}  // namespace portcullis::milter
