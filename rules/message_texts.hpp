// The texts a message offers to rule targets (docs/rules.md "Targets"), computed on first
// use and kept for the rest of the scan: the MIME view is parsed only if some target needs
// it, the relay pseudo-headers only if some rule names them. One object per scan, one
// thread. Untrusted input: the message.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "filters/mime/message_view.hpp"
#include "rules/rule.hpp"

namespace portcullis::rules {

struct ScanInput {
  std::string_view message;  // as received (CRLF), header section first
  mime::Limits limits;
  // A Received field value describing the hop into this gate ("from helo (ptr [ip]) by us
  // …"), put on top of the message's own for the relay pseudo-headers: the connecting client
  // is the last external relay, as SpamAssassin behind an MTA sees it. Empty offline.
  std::string received_by_us;
};

class MessageTexts {
 public:
  explicit MessageTexts(const ScanInput& input) : input_(input) {}

  // The texts of `target`: one item for most targets, one per URL/attachment for the
  // per-item ones. `present` is false for a header target whose fields are all missing.
  const std::vector<std::string_view>& items(const Target& target, bool& present) {
    return items(target, target.key(), present);
  }
  // The same with the target's key computed once by the caller (the rule set, per group).
  const std::vector<std::string_view>& items(const Target& target, const std::string& key,
                                             bool& present);
  // The parsed view (parsing it on first call).
  const mime::MessageView& view();

 private:
  struct Entry {
    std::vector<std::string_view> items;
    bool present = true;
  };
  std::string_view header_section();
  const std::string& relay_header(std::string_view name);  // x-spam-relays-external, …
  std::string& keep(std::string text);

  const ScanInput& input_;
  std::optional<mime::MessageView> view_;
  std::unordered_map<std::string, Entry> cache_;
  std::vector<std::unique_ptr<std::string>> owned_;
  std::optional<std::unordered_map<std::string, std::string>> relays_;
};

}  // namespace portcullis::rules
