#include "filters/dkim/tag_list.hpp"

#include "filters/dkim/text.hpp"

namespace portcullis::filters::dkim {
namespace {

bool valid_tag_name(std::string_view name) {
  if (name.empty() || !is_alpha(name.front())) return false;
  for (char c : name) {
    if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
  }
  return true;
}

}  // namespace

const Tag* TagList::find(std::string_view name) const {
  for (const Tag& t : tags) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

TagList parse_tag_list(std::string_view text) {
  TagList out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view spec = text.substr(pos, end - pos);
    const std::size_t spec_begin = pos;
    pos = end + 1;
    if (trim_fws(spec).empty()) {
      if (end == text.size()) break;
      continue;
    }
    const std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos) {
      out.error = "tag without '='";
      return out;
    }
    const std::string_view name = trim_fws(spec.substr(0, eq));
    if (!valid_tag_name(name)) {
      out.error = "invalid tag name";
      return out;
    }
    std::string_view raw_value = spec.substr(eq + 1);
    for (char c : raw_value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && !is_fws(c)) || u == 0x7f) {
        out.error = "control character in tag value";
        return out;
      }
    }
    const std::string_view value = trim_fws(raw_value);
    if (out.find(name) != nullptr) {
      out.error = "duplicate tag " + std::string(name) + "=";
      return out;
    }
    if (out.tags.size() >= kMaxTags) {
      out.error = "too many tags";
      return out;
    }
    Tag tag;
    tag.name = name;
    tag.value = value;
    tag.after_equals = spec_begin + eq + 1;
    tag.value_end = value.empty() ? tag.after_equals
                                  : static_cast<std::size_t>(value.data() - text.data()) +
                                        value.size();
    out.tags.push_back(tag);
    if (end == text.size()) break;
  }
  return out;
}

}  // namespace portcullis::filters::dkim
