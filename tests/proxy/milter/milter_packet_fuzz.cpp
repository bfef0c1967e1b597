// Fuzz target for the milter codec: the byte stream goes through PacketReader (default and a
// tiny packet limit) whole, split at an input-derived point and byte by byte, which must all
// agree; every packet is decoded, and a decoded command must re-encode to the very bytes it
// came from (OPTNEG: its first 12 data bytes). A decoded OPTNEG is negotiated (we never ask
// for more than was offered) and packet data is pushed through the reply encoders as hostile
// text (no injected line, no early NUL).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/milter/command.hpp"
#include "proxy/milter/negotiation.hpp"
#include "proxy/milter/packet_reader.hpp"
#include "proxy/milter/reply.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace portcullis::milter::fuzz {
namespace {

constexpr std::size_t kByteByByteMax = 8192;

struct Outcome {
  std::vector<Packet> packets;
  bool error = false;
  std::size_t consumed = 0;
  bool operator==(const Outcome&) const = default;
};

Outcome run(std::string_view in, std::size_t max, const std::vector<std::size_t>& pieces) {
  PacketReader reader(max);
  Outcome out;
  std::string buf;
  std::size_t pos = 0;
  for (std::size_t len : pieces) {
    buf.append(in.substr(pos, len));
    pos += len;
    while (!buf.empty()) {
      const auto r = reader.feed(buf);
      FUZZ_CHECK(r.consumed <= buf.size());
      out.consumed += r.consumed;
      if (r.status == PacketReader::Status::kError) {
        FUZZ_CHECK(!reader.error().empty());
        FUZZ_CHECK(reader.feed(buf).consumed == 0);
        out.error = true;
        return out;
      }
      buf.erase(0, r.consumed);
      if (r.status == PacketReader::Status::kNeedMore) {
        FUZZ_CHECK(buf.empty());
        break;
      }
      Packet p = reader.take();
      FUZZ_CHECK(p.data.size() + 1 <= reader.max_packet());
      out.packets.push_back(std::move(p));
    }
  }
  return out;
}

void check_reply_text(std::string_view text) {
  const Encoded e = encode_reply_code(550, "5.7.1", std::vector<std::string>{std::string(text), "x"});
  FUZZ_CHECK(e.ok());
  const std::string_view data = std::string_view(e.packet).substr(5);
  FUZZ_CHECK(data.find('\0') == data.size() - 1);
  // Exactly two lines, each starting with the code.
  FUZZ_CHECK(data.substr(0, 4) == "550-");
  const auto crlf = data.find("\r\n");
  FUZZ_CHECK(crlf != std::string_view::npos);
  FUZZ_CHECK(data.substr(crlf + 2, 4) == "550 ");
  FUZZ_CHECK(data.find('\r', crlf + 1) == std::string_view::npos);
  FUZZ_CHECK(data.find('\n', crlf + 2) == std::string_view::npos);

  const Encoded h = encode_add_header("X-Fuzz", text, true);
  if (h.ok()) {
    const std::string_view hd = std::string_view(h.packet).substr(5);
    FUZZ_CHECK(hd.substr(0, 7) == std::string_view("X-Fuzz\0", 7));
    const std::string_view value = hd.substr(7, hd.size() - 8);
    FUZZ_CHECK(hd.back() == '\0');
    FUZZ_CHECK(value.find('\0') == std::string_view::npos);
    FUZZ_CHECK(value.find('\r') == std::string_view::npos);
    for (std::size_t i = value.find('\n'); i != std::string_view::npos; i = value.find('\n', i + 1)) {
      FUZZ_CHECK(i + 1 < value.size() && (value[i + 1] == ' ' || value[i + 1] == '\t'));
    }
  }
  const Encoded q = encode_quarantine(text);
  FUZZ_CHECK(q.ok() == !text.empty());
}

void check_packet(const Packet& p) {
  const Decoded d = decode_command(p);
  if (!d.ok()) {
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK((d.error == DecodeError::kUnknownCommand) == command_name(p.code).empty());
    return;
  }
  FUZZ_CHECK(command_code(d.command) == p.code);
  const std::string again = encode_command(d.command);
  if (p.code == smfic::kOptneg) {
    FUZZ_CHECK(p.data.size() >= 12);
    FUZZ_CHECK(again == encode_packet(p.code, std::string_view(p.data).substr(0, 12)));
    const auto& mta = std::get<OptionNegotiation>(d.command);
    NegotiationPolicy lenient;
    lenient.required_actions = 0;
    lenient.required_protocol = 0;
    lenient.macro_lists = {{MacroStage::kEnvFrom, "i"}};
    for (const auto& policy : {NegotiationPolicy{}, lenient}) {
      const Negotiation n = negotiate(mta, policy);
      if (!n.ok) {
        FUZZ_CHECK(!n.error.empty() && n.reply.empty());
        continue;
      }
      FUZZ_CHECK((n.ours.actions & ~mta.actions) == 0);
      FUZZ_CHECK((n.ours.protocol & ~mta.protocol) == 0);
      FUZZ_CHECK(n.ours.version >= 2 && n.ours.version <= kProtocolVersion);
      PacketReader r;
      const auto res = r.feed(n.reply);
      FUZZ_CHECK(res.status == PacketReader::Status::kPacket && res.consumed == n.reply.size());
    }
  } else {
    FUZZ_CHECK(again == encode_packet(p.code, p.data));
  }
}

}  // namespace
}  // namespace portcullis::milter::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis::milter;
  using namespace portcullis::milter::fuzz;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t at = portcullis::fuzz::split_point(in);
  for (std::size_t max : {kDefaultMaxPacket, std::size_t{64}}) {
    const Outcome whole = run(in, max, {in.size()});
    FUZZ_CHECK(run(in, max, {at, in.size() - at}) == whole);
    if (in.size() <= kByteByByteMax) {
      FUZZ_CHECK(run(in, max, std::vector<std::size_t>(in.size(), 1)) == whole);
    }
    if (max != kDefaultMaxPacket) continue;
    for (const auto& p : whole.packets) check_packet(p);
  }
  check_reply_text(in.substr(0, 2048));
  return 0;
}
