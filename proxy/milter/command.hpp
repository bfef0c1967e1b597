// Decoding of MTA → filter milter commands (one Packet each) into typed values, and the
// reverse (encode_command), which tests, fuzzing and a fake MTA use.
// Untrusted input: the packet data. Every string must end in its NUL inside the packet;
// counts and layouts are checked exactly (trailing bytes are an error, except after the
// three OPTNEG words, which libmilter ignores too). An unknown command byte and a malformed
// payload are distinct errors with a log-ready message; either way the session should
// answer nothing and close the connection (the MTA then applies milter_default_action).
// Limits: a decoded command never holds more than its packet's bytes (PacketReader bounds
// those). Gaps: the CONNECT address, MAIL/RCPT addresses and ESMTP parameters and header
// text are returned as sent, not parsed; that is the session's and the filters' job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proxy/milter/packet_reader.hpp"
#include "proxy/milter/protocol.hpp"

namespace portcullis::milter {

// SMFIC_OPTNEG (MTA side: what it offers; filter side: what we want).
struct OptionNegotiation {
  std::uint32_t version = 0;
  std::uint32_t actions = 0;   // SMFIF_* bits
  std::uint32_t protocol = 0;  // SMFIP_* bits
  bool operator==(const OptionNegotiation&) const = default;
};

struct Macro {
  std::string name;  // as sent: "{client_addr}", "i", "j", "_" …
  std::string value;
  bool operator==(const Macro&) const = default;
};

// SMFIC_MACRO: macro values for the command that follows (for_command, e.g. 'C').
struct Macros {
  char for_command = 0;
  std::vector<Macro> macros;
  // Value of `name`, matching "{x}" and "x" alike ("client_addr" finds "{client_addr}").
  std::optional<std::string_view> find(std::string_view name) const;
  bool operator==(const Macros&) const = default;
};

struct Connect {  // SMFIC_CONNECT
  std::string hostname;  // Postfix sends "[addr]" when the name is unknown
  Family family = Family::kUnknown;
  std::uint16_t port = 0;  // 0 for kUnknown (not on the wire) and kUnix
  std::string address;     // IP text or socket path; empty for kUnknown
  bool operator==(const Connect&) const = default;
};

struct Helo {  // SMFIC_HELO
  std::string name;
  bool operator==(const Helo&) const = default;
};

struct Mail {  // SMFIC_MAIL
  std::string sender;               // as sent, usually with angle brackets: "<a@b.example>"
  std::vector<std::string> params;  // ESMTP parameters as sent: "SIZE=1234", "BODY=8BITMIME"
  bool operator==(const Mail&) const = default;
};

struct Rcpt {  // SMFIC_RCPT
  std::string recipient;
  std::vector<std::string> params;
  bool operator==(const Rcpt&) const = default;
};

struct Header {  // SMFIC_HEADER
  std::string name;
  std::string value;  // with its leading space when SMFIP_HDR_LEADSPC was negotiated
  bool operator==(const Header&) const = default;
};

struct EndOfHeaders {  // SMFIC_EOH
  bool operator==(const EndOfHeaders&) const = default;
};
struct BodyChunk {  // SMFIC_BODY: raw message body bytes (CRLF lines, as the MTA stores them)
  std::string data;
  bool operator==(const BodyChunk&) const = default;
};
struct EndOfMessage {  // SMFIC_BODYEOB: data is a last body chunk (Postfix sends none)
  std::string data;
  bool operator==(const EndOfMessage&) const = default;
};
struct Abort {  // SMFIC_ABORT: message aborted (RSET …), connection stays
  bool operator==(const Abort&) const = default;
};
struct Quit {  // SMFIC_QUIT
  bool operator==(const Quit&) const = default;
};
struct QuitNewConnection {  // SMFIC_QUIT_NC: end of this SMTP session, a new CONNECT follows
  bool operator==(const QuitNewConnection&) const = default;
};
struct DataCommand {  // SMFIC_DATA
  bool operator==(const DataCommand&) const = default;
};
struct UnknownSmtpCommand {  // SMFIC_UNKNOWN: an SMTP command the MTA did not know
  std::string line;
  bool operator==(const UnknownSmtpCommand&) const = default;
};

using Command = std::variant<OptionNegotiation, Macros, Connect, Helo, Mail, Rcpt, Header,
                             EndOfHeaders, BodyChunk, EndOfMessage, Abort, Quit,
                             QuitNewConnection, DataCommand, UnknownSmtpCommand>;

enum class DecodeError {
  kNone,
  kUnknownCommand,  // the code byte is no MTA → filter command
  kMalformed,       // known command, payload does not match its layout
};

struct Decoded {
  Command command;  // valid when error == kNone
  DecodeError error = DecodeError::kNone;
  std::string message;  // when error != kNone: e.g. "malformed SMFIC_CONNECT: bad family 'x'"
  bool ok() const { return error == DecodeError::kNone; }
};

Decoded decode_command(const Packet& packet);

// The command byte of a decoded command ('C' for Connect …).
char command_code(const Command& command);

// Wire form of a command (length field included), in the canonical layout decode_command
// reads back to an equal value. Strings must not hold NUL (a NUL would end them early).
std::string encode_command(const Command& command);

}  // namespace portcullis::milter
