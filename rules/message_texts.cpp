#include "rules/message_texts.hpp"

#include <algorithm>

#include "filters/received/received_relays.hpp"

namespace portcullis::rules {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits an address-list value at top-level commas (not inside quotes, <>, or comments).
std::vector<std::string_view> split_addresses(std::string_view value) {
  std::vector<std::string_view> out;
  int depth_angle = 0, depth_paren = 0;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    else if (c == '(') ++depth_paren;
    else if (c == ')' && depth_paren > 0) --depth_paren;
    else if (c == '<') ++depth_angle;
    else if (c == '>' && depth_angle > 0) --depth_angle;
    else if (c == ',' && depth_angle == 0 && depth_paren == 0) {
      out.push_back(value.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(value.substr(start));
  return out;
}

struct Mailbox {
  std::string address;
  std::string name;
};

// "Name <a@b>", "a@b (Name)", "a@b": the address and the display name (quotes removed).
Mailbox parse_mailbox(std::string_view text) {
  Mailbox m;
  text = trim(text);
  const auto lt = text.rfind('<');
  const auto gt = lt == std::string_view::npos ? std::string_view::npos : text.find('>', lt);
  if (lt != std::string_view::npos && gt != std::string_view::npos) {
    m.address = std::string(trim(text.substr(lt + 1, gt - lt - 1)));
    std::string_view name = trim(text.substr(0, lt));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    m.name = std::string(name);
    return m;
  }
  const auto paren = text.find('(');
  if (paren != std::string_view::npos) {
    const auto close = text.rfind(')');
    if (close != std::string_view::npos && close > paren) {
      m.name = std::string(trim(text.substr(paren + 1, close - paren - 1)));
    }
    text = trim(text.substr(0, paren));
  }
  if (text.find('@') != std::string_view::npos) m.address = std::string(text);
  return m;
}

}  // namespace

std::string& MessageTexts::keep(std::string text) {
  owned_.push_back(std::make_unique<std::string>(std::move(text)));
  return *owned_.back();
}

const mime::MessageView& MessageTexts::view() {
  if (!view_) view_ = mime::MessageView::parse(input_.message, input_.limits);
  return *view_;
}

std::string_view MessageTexts::header_section() {
  const std::string_view m = input_.message;
  std::size_t end = m.find("\r\n\r\n");
  if (end != std::string_view::npos) return m.substr(0, end + 2);
  end = m.find("\n\n");
  if (end != std::string_view::npos) return m.substr(0, end + 1);
  return m;
}

const std::string& MessageTexts::relay_header(std::string_view name) {
  if (!relays_) {
    std::vector<std::string_view> received;
    if (!input_.received_by_us.empty()) received.push_back(input_.received_by_us);
    for (const mime::HeaderField* f : view().fields("received")) received.push_back(f->raw);
    std::vector<std::string_view> originating;
    for (std::string_view name : received::kOriginatingIpHeaders) {
      // SpamAssassin reads only the last instance of each of these fields.
      const auto fields = view().fields(name);
      if (!fields.empty()) originating.push_back(fields.back()->raw);
    }
    const received::RelayHeaders r = received::relay_headers(received, originating);
    relays_.emplace();
    (*relays_)["x-spam-relays-trusted"] = r.trusted;
    (*relays_)["x-spam-relays-untrusted"] = r.untrusted;
    (*relays_)["x-spam-relays-internal"] = r.internal;
    (*relays_)["x-spam-relays-external"] = r.external;
  }
  return (*relays_)[std::string(name)];
}

const std::vector<std::string_view>& MessageTexts::items(const Target& target,
                                                         const std::string& key, bool& present) {
  if (auto it = cache_.find(key); it != cache_.end()) {
    present = it->second.present;
    return it->second.items;
  }
  Entry entry;
  switch (target.kind) {
    case TargetKind::kFull:
      entry.items.push_back(input_.message);
      break;
    case TargetKind::kBody:
      entry.items.push_back(view().body_text());
      break;
    case TargetKind::kRawBody:
      entry.items.push_back(view().raw_body());
      break;
    case TargetKind::kSubject:
      entry.items.push_back(view().subject());
      break;
    case TargetKind::kFrom:
      entry.items.push_back(view().from());
      break;
    case TargetKind::kUri:
      for (const auto& url : view().urls()) entry.items.push_back(url);
      break;
    case TargetKind::kAttachmentName:
      for (const auto& a : view().attachments()) {
        if (!a.filename.empty()) entry.items.push_back(a.filename);
      }
      break;
    case TargetKind::kAttachmentType:
      for (const auto& a : view().attachments()) {
        entry.items.push_back(a.declared_type);
        if (a.sniffed_type != a.declared_type) entry.items.push_back(a.sniffed_type);
      }
      break;
    case TargetKind::kAllHeaders: {
      if (target.form == HeaderForm::kRaw) {
        // As written, folding kept, LF line ends (as SpamAssassin keeps its headers).
        std::string text;
        for (char c : header_section()) {
          if (c != '\r') text += c;
        }
        entry.items.push_back(keep(std::move(text)));
      } else {
        std::string text;
        for (const auto& f : view().headers()) {
          text += f.name;
          text += ": ";
          text += f.decoded;
          text += '\n';
        }
        entry.items.push_back(keep(std::move(text)));
      }
      break;
    }
    case TargetKind::kHeader: {
      std::string text;
      bool found = false;
      for (const auto& f : view().headers()) {
        const bool wanted = std::any_of(target.headers.begin(), target.headers.end(),
                                        [&](const std::string& h) { return iequals(h, f.name); });
        if (!wanted) continue;
        found = true;
        switch (target.form) {
          case HeaderForm::kDecoded:
            text += f.decoded;
            text += '\n';
            break;
          case HeaderForm::kRaw:
            text += trim(f.raw);
            text += '\n';
            break;
          case HeaderForm::kAddr:
          case HeaderForm::kName: {
            // Names are read from the decoded value when the raw one has encoded words (an
            // encoded comma could split a name there; SpamAssassin decodes after parsing).
            const bool decode = target.form == HeaderForm::kName &&
                                f.raw.find("=?") != std::string::npos;
            for (std::string_view part : split_addresses(decode ? f.decoded : f.raw)) {
              const Mailbox m = parse_mailbox(part);
              const std::string& value = target.form == HeaderForm::kAddr ? m.address : m.name;
              if (value.empty()) continue;
              if (!text.empty()) text += '\n';
              text += value;
            }
            break;
          }
        }
      }
      if (!found) {
        for (const auto& h : target.headers) {
          if (h.starts_with("x-spam-relays-")) {
            const std::string& relays = relay_header(h);
            if (!relays.empty()) {
              text += relays;
              text += '\n';
              found = true;
            }
          }
        }
      }
      entry.present = found;
      if (found) entry.items.push_back(keep(std::move(text)));
      break;
    }
  }
  present = entry.present;
  auto [it, inserted] = cache_.emplace(key, std::move(entry));
  return it->second.items;
}

}  // namespace portcullis::rules
