#include "filters/dkim/message_headers.hpp"

#include <string>

#include "filters/dkim/text.hpp"

namespace portcullis::filters::dkim {
namespace {

HeaderField make_field(std::string_view raw) {
  HeaderField f;
  f.raw = raw;
  const std::size_t colon = raw.find(':');
  if (colon == std::string_view::npos) return f;
  std::string_view name = raw.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  f.name = name;
  f.value = raw.substr(colon + 1);
  return f;
}

}  // namespace

MessageView split_message(std::string_view message) {
  MessageView view;
  std::size_t pos = 0;
  std::size_t field_start = std::string_view::npos;
  while (true) {
    const std::size_t eol = message.find("\r\n", pos);
    const bool last = eol == std::string_view::npos;
    const std::size_t line_end = last ? message.size() : eol;
    if (line_end > kMaxHeaderBytes) {
      view.truncated = true;
      return view;
    }
    const std::string_view line = message.substr(pos, line_end - pos);
    const bool continuation = !line.empty() && is_wsp(line.front());
    if (!continuation && field_start != std::string_view::npos) {
      if (view.fields.size() >= kMaxHeaderFields) {
        view.truncated = true;
        return view;
      }
      view.fields.push_back(make_field(message.substr(field_start, pos - 2 - field_start)));
      field_start = std::string_view::npos;
    }
    if (line.empty() && !last) {
      view.body = message.substr(eol + 2);
      return view;
    }
    if (field_start == std::string_view::npos) field_start = pos;
    if (last) {
      if (field_start != std::string_view::npos && field_start < message.size()) {
        if (view.fields.size() >= kMaxHeaderFields) {
          view.truncated = true;
          return view;
        }
        view.fields.push_back(make_field(message.substr(field_start)));
      }
      return view;
    }
    pos = eol + 2;
  }
}

std::vector<const HeaderField*> select_headers(const std::vector<HeaderField>& fields,
                                               const std::vector<std::string>& names,
                                               const HeaderField* exclude) {
  std::vector<const HeaderField*> out;
  out.reserve(names.size());
  std::vector<bool> used(fields.size(), false);
  for (const std::string& name : names) {
    const HeaderField* chosen = nullptr;
    for (std::size_t i = fields.size(); i-- > 0;) {
      if (used[i] || &fields[i] == exclude) continue;
      if (iequals(fields[i].name, name)) {
        used[i] = true;
        chosen = &fields[i];
        break;
      }
    }
    out.push_back(chosen);
  }
  return out;
}

}  // namespace portcullis::filters::dkim
