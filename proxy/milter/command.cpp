#include "proxy/milter/command.hpp"

#include <type_traits>

namespace portcullis::milter {
namespace {

// Printable form of a code byte for messages: 'x' or 0xNN.
std::string show_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string{'\'', c, '\''};
  static const char* kHex = "0123456789abcdef";
  return std::string{'0', 'x', kHex[u >> 4], kHex[u & 15]};
}

// Reads NUL-terminated strings and big-endian integers from a packet's data.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}
  bool at_end() const { return pos_ == data_.size(); }
  std::size_t left() const { return data_.size() - pos_; }
  std::optional<std::string> string() {
    const auto nul = data_.find('\0', pos_);
    if (nul == std::string_view::npos) return std::nullopt;
    std::string s(data_.substr(pos_, nul - pos_));
    pos_ = nul + 1;
    return s;
  }
  std::optional<std::uint32_t> u32() {
    if (left() < 4) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(data_[pos_++]);
    return v;
  }
  std::optional<std::uint16_t> u16() {
    if (left() < 2) return std::nullopt;
    const auto hi = static_cast<unsigned char>(data_[pos_]);
    const auto lo = static_cast<unsigned char>(data_[pos_ + 1]);
    pos_ += 2;
    return static_cast<std::uint16_t>((hi << 8) | lo);
  }
  std::optional<char> byte() {
    if (at_end()) return std::nullopt;
    return data_[pos_++];
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

Decoded malformed(char code, std::string_view why) {
  Decoded d;
  d.error = DecodeError::kMalformed;
  d.message = "malformed ";
  d.message.append(command_name(code));
  d.message.append(": ");
  d.message.append(why);
  return d;
}

Decoded ok(Command c) {
  Decoded d;
  d.command = std::move(c);
  return d;
}

bool known_command(char c) { return !command_name(c).empty(); }

// MAIL and RCPT: one or more NUL-terminated strings filling the packet exactly.
bool read_args(char code, std::string_view data, std::string& first,
               std::vector<std::string>& rest, Decoded& error) {
  if (data.empty()) {
    error = malformed(code, "no address");
    return false;
  }
  if (data.back() != '\0') {
    error = malformed(code, "last argument lacks its NUL terminator");
    return false;
  }
  Cursor cur(data);
  first = *cur.string();
  while (!cur.at_end()) rest.push_back(*cur.string());
  return true;
}

Decoded no_payload(char code, std::string_view data, Command c) {
  if (!data.empty()) {
    return malformed(code, std::to_string(data.size()) + " unexpected data bytes");
  }
  return ok(std::move(c));
}

}  // namespace

std::optional<std::string_view> Macros::find(std::string_view name) const {
  auto bare = [](std::string_view n) {
    if (n.size() >= 2 && n.front() == '{' && n.back() == '}') return n.substr(1, n.size() - 2);
    return n;
  };
  const std::string_view want = bare(name);
  for (const auto& m : macros) {
    if (bare(m.name) == want) return std::string_view(m.value);
  }
  return std::nullopt;
}

Decoded decode_command(const Packet& packet) {
  const char code = packet.code;
  const std::string_view data = packet.data;
  switch (code) {
    case smfic::kOptneg: {
      Cursor cur(data);
      OptionNegotiation o;
      const auto v = cur.u32(), a = cur.u32(), p = cur.u32();
      if (!v || !a || !p) {
        return malformed(code, "needs 12 bytes (version, actions, protocol), got " +
                                   std::to_string(data.size()));
      }
      o.version = *v;
      o.actions = *a;
      o.protocol = *p;
      return ok(o);  // trailing bytes ignored, as libmilter does
    }
    case smfic::kMacro: {
      Cursor cur(data);
      Macros m;
      const auto for_cmd = cur.byte();
      if (!for_cmd) return malformed(code, "no command byte");
      if (!known_command(*for_cmd)) {
        return malformed(code, "macros for unknown command " + show_byte(*for_cmd));
      }
      m.for_command = *for_cmd;
      while (!cur.at_end()) {
        auto name = cur.string();
        if (!name) return malformed(code, "macro name lacks its NUL terminator");
        if (name->empty()) return malformed(code, "empty macro name");
        if (cur.at_end()) return malformed(code, "macro " + *name + " has no value");
        auto value = cur.string();
        if (!value) return malformed(code, "value of macro " + *name + " lacks its NUL terminator");
        m.macros.push_back({std::move(*name), std::move(*value)});
      }
      return ok(std::move(m));
    }
    case smfic::kConnect: {
      Cursor cur(data);
      Connect c;
      auto host = cur.string();
      if (!host) return malformed(code, "hostname lacks its NUL terminator");
      c.hostname = std::move(*host);
      const auto fam = cur.byte();
      if (!fam) return malformed(code, "no address family");
      switch (*fam) {
        case 'U':
          c.family = Family::kUnknown;
          if (!cur.at_end()) {
            return malformed(code, std::to_string(cur.left()) + " unexpected bytes after family 'U'");
          }
          return ok(std::move(c));
        case 'L': c.family = Family::kUnix; break;
        case '4': c.family = Family::kInet; break;
        case '6': c.family = Family::kInet6; break;
        default: return malformed(code, "bad address family " + show_byte(*fam));
      }
      const auto port = cur.u16();
      if (!port) return malformed(code, "no port");
      c.port = *port;
      auto addr = cur.string();
      if (!addr) return malformed(code, "address lacks its NUL terminator");
      if (!cur.at_end()) {
        return malformed(code, std::to_string(cur.left()) + " unexpected bytes after the address");
      }
      c.address = std::move(*addr);
      return ok(std::move(c));
    }
    case smfic::kHelo: {
      Cursor cur(data);
      auto name = cur.string();
      if (!name) return malformed(code, "name lacks its NUL terminator");
      if (!cur.at_end()) {
        return malformed(code, std::to_string(cur.left()) + " unexpected bytes after the name");
      }
      return ok(Helo{std::move(*name)});
    }
    case smfic::kMail: {
      Mail m;
      Decoded err;
      if (!read_args(code, data, m.sender, m.params, err)) return err;
      return ok(std::move(m));
    }
    case smfic::kRcpt: {
      Rcpt r;
      Decoded err;
      if (!read_args(code, data, r.recipient, r.params, err)) return err;
      return ok(std::move(r));
    }
    case smfic::kHeader: {
      Cursor cur(data);
      auto name = cur.string();
      if (!name) return malformed(code, "name lacks its NUL terminator");
      if (name->empty()) return malformed(code, "empty header name");
      auto value = cur.string();
      if (!value) return malformed(code, "value of " + *name + " lacks its NUL terminator");
      if (!cur.at_end()) {
        return malformed(code, std::to_string(cur.left()) + " unexpected bytes after the value");
      }
      return ok(Header{std::move(*name), std::move(*value)});
    }
    case smfic::kEoh: return no_payload(code, data, EndOfHeaders{});
    case smfic::kBody: return ok(BodyChunk{packet.data});
    case smfic::kBodyEob: return ok(EndOfMessage{packet.data});
    case smfic::kAbort: return no_payload(code, data, Abort{});
    case smfic::kQuit: return no_payload(code, data, Quit{});
    case smfic::kQuitNc: return no_payload(code, data, QuitNewConnection{});
    case smfic::kData: return no_payload(code, data, DataCommand{});
    case smfic::kUnknown: {
      Cursor cur(data);
      auto line = cur.string();
      if (!line) return malformed(code, "command lacks its NUL terminator");
      if (!cur.at_end()) {
        return malformed(code, std::to_string(cur.left()) + " unexpected bytes after the command");
      }
      return ok(UnknownSmtpCommand{std::move(*line)});
    }
    default: {
      Decoded d;
      d.error = DecodeError::kUnknownCommand;
      d.message = "unknown milter command " + show_byte(code) + " (" +
                  std::to_string(data.size()) + " data bytes)";
      return d;
    }
  }
}

char command_code(const Command& command) {
  return std::visit(
      [](const auto& c) -> char {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, OptionNegotiation>) return smfic::kOptneg;
        else if constexpr (std::is_same_v<T, Macros>) return smfic::kMacro;
        else if constexpr (std::is_same_v<T, Connect>) return smfic::kConnect;
        else if constexpr (std::is_same_v<T, Helo>) return smfic::kHelo;
        else if constexpr (std::is_same_v<T, Mail>) return smfic::kMail;
        else if constexpr (std::is_same_v<T, Rcpt>) return smfic::kRcpt;
        else if constexpr (std::is_same_v<T, Header>) return smfic::kHeader;
        else if constexpr (std::is_same_v<T, EndOfHeaders>) return smfic::kEoh;
        else if constexpr (std::is_same_v<T, BodyChunk>) return smfic::kBody;
        else if constexpr (std::is_same_v<T, EndOfMessage>) return smfic::kBodyEob;
        else if constexpr (std::is_same_v<T, Abort>) return smfic::kAbort;
        else if constexpr (std::is_same_v<T, Quit>) return smfic::kQuit;
        else if constexpr (std::is_same_v<T, QuitNewConnection>) return smfic::kQuitNc;
        else if constexpr (std::is_same_v<T, DataCommand>) return smfic::kData;
        else return smfic::kUnknown;
      },
      command);
}

std::string encode_command(const Command& command) {
  std::string d;
  auto str = [&d](std::string_view s) {
    d.append(s);
    d.push_back('\0');
  };
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, OptionNegotiation>) {
          append_u32(d, c.version);
          append_u32(d, c.actions);
          append_u32(d, c.protocol);
        } else if constexpr (std::is_same_v<T, Macros>) {
          d.push_back(c.for_command);
          for (const auto& m : c.macros) {
            str(m.name);
            str(m.value);
          }
        } else if constexpr (std::is_same_v<T, Connect>) {
          str(c.hostname);
          d.push_back(static_cast<char>(c.family));
          if (c.family != Family::kUnknown) {
            append_u16(d, c.port);
            str(c.address);
          }
        } else if constexpr (std::is_same_v<T, Helo>) {
          str(c.name);
        } else if constexpr (std::is_same_v<T, Mail>) {
          str(c.sender);
          for (const auto& p : c.params) str(p);
        } else if constexpr (std::is_same_v<T, Rcpt>) {
          str(c.recipient);
          for (const auto& p : c.params) str(p);
        } else if constexpr (std::is_same_v<T, Header>) {
          str(c.name);
          str(c.value);
        } else if constexpr (std::is_same_v<T, BodyChunk> || std::is_same_v<T, EndOfMessage>) {
          d.append(c.data);
        } else if constexpr (std::is_same_v<T, UnknownSmtpCommand>) {
          str(c.line);
        }
      },
      command);
  return encode_packet(command_code(command), d);
}

}  // namespace portcullis::milter
