#include "proxy/logging.hpp"

#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace portcullis::proxy {

namespace {

// %j: the message as JSON members. A message that is itself a JSON object (a transaction
// summary, {"event":…}) is merged in as its members; any other message becomes
// "msg":"…" with quotes, backslashes and control bytes escaped.
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (payload.size() > 10 && payload.substr(0, 9) == "{\"event\":" && payload.back() == '}') {
      dest.append(payload.data() + 1, payload.data() + payload.size() - 1);
      return;
    }
    static constexpr char kMsg[] = "\"msg\":\"";
    dest.append(kMsg, kMsg + sizeof kMsg - 1);
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : msg.payload) {
      unsigned char u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (u < 0x20) {
        const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
        dest.append(esc, esc + sizeof esc);
      } else {
        dest.push_back(c);
      }
    }
    dest.push_back('"');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

}  // namespace

void setup_logging(config::LogFormat format, const std::string& level) {
  auto logger = spdlog::get("portcullis");
  if (!logger) {
    logger = std::make_shared<spdlog::logger>("portcullis",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    spdlog::set_default_logger(logger);
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (format == config::LogFormat::kJson) {
    formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l",%j})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l portcullis: %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
}

}  // namespace portcullis::proxy
