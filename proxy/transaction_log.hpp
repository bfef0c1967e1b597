// The observe-only final stage's first customer: one summary line per transaction,
// Postfix style (client, envelope, size, action, reply, score, symbols, timing), or one JSON
// object per line with `log: {format: json}`. Client-controlled text (HELO, addresses) is
// escaped by the JSON writer and quoted in text lines; message content is never logged.
#pragma once

#include <string>

#include "config/config.hpp"
#include "filters/api/json_text.hpp"
#include "filters/api/pipeline.hpp"

namespace portcullis::proxy {

class TransactionLog : public filters::Observer {
 public:
  explicit TransactionLog(config::LogFormat format) : format_(format) {}
  void observe(const filters::Outcome& outcome) override;

  // The line itself (exposed for tests).
  std::string text_line(const filters::Outcome& outcome) const;
  std::string json_line(const filters::Outcome& outcome) const;

 private:
  config::LogFormat format_;
};

using filters::json_quote;  // filters/api/json_text.hpp

}  // namespace portcullis::proxy
