#include "filters/dns/dns_answer.hpp"

namespace portcullis::dns {

std::string normalize_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string question_key(std::string_view name, RrType type) {
  std::string key = normalize_name(name);
  key += '/';
  key += std::to_string(static_cast<int>(type));
  return key;
}

}  // namespace portcullis::dns
