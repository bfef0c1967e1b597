// The walk over the MIME structure and the limits. The structure is split the way
// SpamAssassin 4.0.1's Message.pm splits it (line-based boundaries, the line end before a
// boundary belonging to it, a missing closing boundary tolerated, a multipart without
// boundary read as text/plain, message/rfc822 parsed as a nested message, lines over 2048
// bytes cut once per multipart level), so `body`/`rawbody` agree with `spamassassin -L -t`.
// We split ourselves rather than with GMime's parser because GMime builds the whole tree
// before anything can be counted (a 700 KB message of 100k empty parts costs it ~140 MB and
// half a second), and its boundary handling differs from SA's in the broken cases rules
// are written for. GMime still decodes RFC 2231 parameters and supplies iconv.
#include "filters/mime/message_view.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <optional>
#include <unordered_set>

#include "filters/mime/body_render.hpp"
#include "filters/mime/charset.hpp"
#include "filters/mime/gmime_support.hpp"
#include "filters/mime/header_fields.hpp"
#include "filters/mime/html_text.hpp"
#include "filters/mime/transfer_encoding.hpp"
#include "filters/mime/type_sniffer.hpp"
#include "filters/mime/url_extractor.hpp"
#include "filters/mime/utf8.hpp"

namespace portcullis::mime {

std::string_view anomaly_symbol(Anomaly anomaly) {
  switch (anomaly) {
    case Anomaly::kTooManyParts: return "MIME_TOO_MANY_PARTS";
    case Anomaly::kTooDeep: return "MIME_TOO_DEEP";
    case Anomaly::kTooLarge: return "MIME_TOO_LARGE";
    case Anomaly::kBadBoundary: return "MIME_BAD_BOUNDARY";
    case Anomaly::kBadEncoding: return "MIME_BAD_ENCODING";
    case Anomaly::kUnknownCharset: return "MIME_UNKNOWN_CHARSET";
    case Anomaly::kTooManyHeaders: return "MIME_TOO_MANY_HEADERS";
  }
  return "MIME_UNKNOWN";
}

std::vector<const HeaderField*> MessageView::fields(std::string_view name) const {
  std::vector<const HeaderField*> out;
  for (const HeaderField& f : headers_) {
    if (iequals_ascii(f.name, name)) out.push_back(&f);
  }
  return out;
}

namespace {


bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// ^--BOUNDARY(--)?\s*$ ; returns 0 (no), 1 (boundary), 2 (closing boundary).
int boundary_kind(std::string_view s, const Line& l, std::string_view boundary) {
  const std::string_view line = s.substr(l.start, l.end - l.start);
  if (line.size() < 2 + boundary.size() || line[0] != '-' || line[1] != '-') return 0;
  if (line.substr(2, boundary.size()) != boundary) return 0;
  std::string_view rest = line.substr(2 + boundary.size());
  int kind = 1;
  if (rest.starts_with("--")) {
    kind = 2;
    rest.remove_prefix(2);
  }
  for (char c : rest) {
    if (!is_space(c)) return 0;
  }
  return kind;
}

std::string_view last_value(const std::vector<FieldView>& fields, std::string_view name) {
  std::string_view v;
  bool found = false;
  for (const FieldView& f : fields) {
    if (iequals_ascii(f.name, name)) {
      v = f.value;
      found = true;
    }
  }
  return found ? v : std::string_view();
}

// /^WORD\b/
bool word_prefix(std::string_view s, std::string_view word) {
  if (!s.starts_with(word)) return false;
  if (s.size() == word.size()) return true;
  const char c = s[word.size()];
  return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return iequals_ascii(s.substr(s.size() - suffix.size()), suffix);
}

}  // namespace

class MessageViewBuilder {
 public:
  MessageViewBuilder(const Limits& limits, MessageView& view) : limits_(limits), v_(view) {}

  void build(std::string_view message);

 private:
  struct Entity {
    std::vector<FieldView> fields;
    std::string_view body;
    int split_levels = 0;       // multipart levels above it within the current buffer
    std::size_t depth = 0;      // nesting (multipart and message/rfc822)
    bool digest_child = false;  // child of multipart/digest: default type message/rfc822
    std::optional<std::string> inherited_boundary;
  };

  void anomaly(Anomaly a) {
    if (std::find(v_.anomalies_.begin(), v_.anomalies_.end(), a) == v_.anomalies_.end()) {
      v_.anomalies_.push_back(a);
    }
  }
  void walk(const Entity& e);
  void split_multipart(const Entity& e, std::string_view type, const std::string& boundary);
  void leaf(const Entity& e, const ContentTypeInfo& ct, std::string_view type);
  // The part's bytes as SA holds them: LF line ends, long lines cut per multipart level.
  std::string_view materialize(std::string_view body, int split_levels, std::string& storage);
  // Transfer-decoded content of a text part, within the decoded-bytes budget.
  bool decode_text(const Entity& e, std::string_view type, std::string& out);
  void add_text(std::string& target, std::string_view text, bool& full);

  const Limits& limits_;
  MessageView& v_;
  bool stop_ = false;
  bool decoded_full_ = false;
  bool raw_full_ = false;
  bool rendered_full_ = false;
  std::size_t decoded_total_ = 0;
  std::string rendered_;  // SA's $text before whitespace handling
  std::vector<std::string> html_urls_;
  std::deque<std::string> arena_;  // decoded message/rfc822 bodies the walk points into
};

void MessageViewBuilder::add_text(std::string& target, std::string_view text, bool& full) {
  if (full) return;
  if (target.size() + text.size() > limits_.max_text_bytes) {
    const std::size_t room = limits_.max_text_bytes - std::min(target.size(), limits_.max_text_bytes);
    target.append(text.substr(0, utf8_floor(text, room)));
    full = true;
    anomaly(Anomaly::kTooLarge);
    return;
  }
  target.append(text);
}

std::string_view MessageViewBuilder::materialize(std::string_view body, int split_levels,
                                                 std::string& storage) {
  bool needs = false;
  if (body.find('\r') != std::string_view::npos) needs = true;
  if (!needs && split_levels > 0) {
    std::size_t pos = 0;
    while (pos < body.size()) {
      const std::size_t nl = body.find('\n', pos);
      const std::size_t len = (nl == std::string_view::npos ? body.size() : nl + 1) - pos;
      if (len > kMaxBodyLineLength) {
        needs = true;
        break;
      }
      pos += len;
    }
  }
  if (!needs) return body;
  storage.clear();
  storage.reserve(body.size() + body.size() / 1024);
  std::size_t pos = 0;
  while (pos < body.size()) {
    const Line l = line_at(body, pos);
    const bool has_nl = l.next > l.end;
    std::string_view content = body.substr(l.start, l.end - l.start);
    // A lone CR inside the line is kept; only the CRLF line end is squashed.
    std::size_t len = content.size() + (has_nl ? 1 : 0);
    if (split_levels > 0) {
      while (len > kMaxBodyLineLength) {
        storage.append(content.substr(0, kMaxBodyLineLength));
        storage.push_back('\n');
        // Each further multipart level cuts "2048 bytes + \n" again, leaving an empty line.
        for (int k = 1; k < split_levels; ++k) storage.push_back('\n');
        content.remove_prefix(kMaxBodyLineLength);
        len -= kMaxBodyLineLength;
      }
    }
    storage.append(content);
    if (has_nl) storage.push_back('\n');
    pos = l.next;
  }
  return storage;
}

bool MessageViewBuilder::decode_text(const Entity& e, std::string_view type, std::string& out) {
  if (decoded_full_) return false;
  std::string storage;
  const std::string_view raw = materialize(e.body, e.split_levels, storage);
  std::string cte(decode_field_value("content-transfer-encoding",
                                     last_value(e.fields, "content-transfer-encoding")));
  for (char& c : cte) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t budget = limits_.max_decoded_bytes - std::min(decoded_total_, limits_.max_decoded_bytes);
  std::size_t produced = 0;
  if (cte == "quoted-printable") {
    produced = decode_quoted_printable(raw, out, budget).size;
    squash_crlf(out);
  } else if (cte == "base64") {
    const DecodeResult r = decode_base64(raw, out, budget);
    produced = r.size;
    if (r.bad) anomaly(Anomaly::kBadEncoding);
    if (type.starts_with("text") || type.starts_with("message")) squash_crlf(out);
  } else {
    if (!cte.empty() && cte != "7bit" && cte != "8bit" && cte != "binary") {
      anomaly(Anomaly::kBadEncoding);
    }
    produced = raw.size();
    if (raw.data() == storage.data() && raw.size() == storage.size()) {
      storage.resize(std::min(storage.size(), budget));
      out.swap(storage);
    } else {
      out.assign(raw.substr(0, std::min(raw.size(), budget)));
    }
  }
  decoded_total_ += std::min(produced, budget);
  if (produced > budget) {
    anomaly(Anomaly::kTooLarge);
    decoded_full_ = true;
  }
  return true;
}

void MessageViewBuilder::leaf(const Entity& e, const ContentTypeInfo& ct, std::string_view type) {
  // SA's part name: Content-Disposition name=/filename=, else the Content-Type name.
  const std::string_view disposition = last_value(e.fields, "content-disposition");
  std::string sa_name = disposition_name(decode_field_value("content-disposition", disposition));
  if (sa_name.empty()) sa_name = ct.name;
  std::string effective(type);
  if (ends_with_ci(sa_name, ".html") || ends_with_ci(sa_name, ".htm") ||
      ends_with_ci(sa_name, ".shtml") || ends_with_ci(sa_name, ".shtm")) {
    effective = "text/html";
  }
  const bool raw_target =
      (word_prefix(effective, "text") || word_prefix(effective, "message")) && type != "text/calendar";
  const bool rendered = effective == "text/plain" || effective == "text/html";

  // Every leaf puts a blank line between itself and the text before it (SA).
  if (!rendered_.empty()) add_text(rendered_, "\n", rendered_full_);

  // Filename for the attachment list: RFC 2231/2047 decoded by GMime.
  std::string filename;
  if (!disposition.empty()) filename = disposition_parameter(unfold_raw(disposition), "filename");
  if (filename.empty()) {
    const std::string_view ctv = last_value(e.fields, "content-type");
    if (!ctv.empty()) filename = content_type_parameter(unfold_raw(ctv), "name");
  }
  if (filename.empty() && !sa_name.empty()) {
    append_utf8_repaired(filename, decode_encoded_words(sa_name));
  }

  if (raw_target || rendered) {
    std::string decoded;
    if (decode_text(e, type, decoded)) {
      const std::string charset = ct.charset ? *ct.charset : std::string("us-ascii");
      std::string text = std::move(decoded);
      if (!convert_to_utf8(text, charset, CharsetMode::kBody)) anomaly(Anomaly::kUnknownCharset);
      if (rendered) {
        std::string part;
        if (effective == "text/html" && !text.empty()) {
          render_html(text, part, html_urls_, limits_.max_urls * 4);
        } else if (limits_.body_part_scan_size != 0 && text.size() > limits_.body_part_scan_size) {
          // Only what the cut can keep: scan_size characters plus 1 KiB to the next break.
          const std::size_t keep = utf8_prefix_bytes(text, limits_.body_part_scan_size + 1025);
          part.assign(text, 0, keep);
        } else {
          part = text;
        }
        truncate_rendered_part(part, limits_.body_part_scan_size);
        add_text(rendered_, part, rendered_full_);
      }
      if (raw_target && !raw_full_) {
        truncate_raw_part(text, limits_.rawbody_part_scan_size);
        if (!v_.raw_body_.empty() && v_.raw_body_.back() != '\n') {
          add_text(v_.raw_body_, "\n", raw_full_);
        }
        add_text(v_.raw_body_, text, raw_full_);
      }
    }
  }

  const bool is_text_type = type.starts_with("text/") || type == "text";
  if (is_text_type && filename.empty()) return;
  Attachment a;
  a.filename = std::move(filename);
  a.declared_type = ct.declared.empty() ? std::string(type) : ct.declared;
  std::string cte(decode_field_value("content-transfer-encoding",
                                     last_value(e.fields, "content-transfer-encoding")));
  for (char& c : cte) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string head;
  if (cte == "base64") {
    const DecodeResult r = decode_base64(e.body, head, kSniffBytes);
    if (r.bad) anomaly(Anomaly::kBadEncoding);
    a.size = r.size;
  } else if (cte == "quoted-printable") {
    a.size = decode_quoted_printable(e.body, head, kSniffBytes).size;
  } else {
    std::size_t crlf = 0;
    for (std::size_t p = e.body.find("\r\n"); p != std::string_view::npos; p = e.body.find("\r\n", p + 2)) ++crlf;
    a.size = e.body.size() - crlf;
    head.assign(e.body.substr(0, kSniffBytes));
  }
  a.sniffed_type = std::string(sniff_type(head));
  v_.attachments_.push_back(std::move(a));
}

void MessageViewBuilder::split_multipart(const Entity& e, std::string_view type,
                                         const std::string& boundary) {
  const std::string_view s = e.body;
  // Preamble: everything up to the first opening boundary. Without one, the whole body is
  // a single part (SA keeps it).
  std::size_t pos = 0;
  bool opened = false;
  for (std::size_t p = 0; p < s.size();) {
    const Line l = line_at(s, p);
    if (boundary_kind(s, l, boundary) == 1) {
      pos = l.next;
      opened = true;
      break;
    }
    p = l.next;
  }
  if (!opened) anomaly(Anomaly::kBadBoundary);
  bool closed = false;
  std::size_t part_start = pos;
  const bool digest = type == "multipart/digest";
  auto emit = [&](std::size_t end) {
    Entity child;
    const std::string_view part = s.substr(part_start, end - part_start);
    HeaderSection h = read_part_header(part, limits_.max_header_fields);
    child.fields = std::move(h.fields);
    child.body = part.substr(h.body_offset);
    child.split_levels = e.split_levels + 1;
    child.depth = e.depth + 1;
    child.digest_child = digest;
    child.inherited_boundary = boundary;
    walk(child);
  };
  while (pos < s.size() && !stop_) {
    const Line l = line_at(s, pos);
    const int kind = boundary_kind(s, l, boundary);
    if (kind != 0) {
      // The line end before the boundary belongs to the boundary.
      std::size_t end = l.start;
      if (end > part_start && s[end - 1] == '\n') --end;
      if (end > part_start && s[end - 1] == '\r') --end;
      emit(end);
      part_start = l.next;
      if (kind == 2) {
        closed = true;
        break;
      }
    }
    pos = l.next;
  }
  if (!closed && !stop_) {
    if (part_start < s.size() || !opened) emit(s.size());
    anomaly(Anomaly::kBadBoundary);
  }
}

void MessageViewBuilder::walk(const Entity& e) {
  if (stop_) return;
  if (++v_.part_count_ > limits_.max_parts) {
    v_.part_count_ = limits_.max_parts;
    anomaly(Anomaly::kTooManyParts);
    stop_ = true;
    return;
  }
  const std::string ct_value = decode_field_value("content-type", last_value(e.fields, "content-type"));
  ContentTypeInfo ct = parse_content_type(ct_value);
  std::string type = ct.type;
  if (ct.missing && e.digest_child) type = "message/rfc822";
  std::optional<std::string> boundary = ct.boundary;
  if (!boundary) boundary = e.inherited_boundary;

  if (type.starts_with("multipart/")) {
    if (!boundary) {
      anomaly(Anomaly::kBadBoundary);
      type = "text/plain";  // SA reads a multipart without boundary as text
    } else if (e.depth >= limits_.max_depth) {
      anomaly(Anomaly::kTooDeep);
      return;  // not split, not text: nothing to show
    } else {
      split_multipart(e, type, *boundary);
      return;
    }
  }
  if ((type == "message/rfc822" || type == "message/global")) {
    if (e.depth >= limits_.max_depth) {
      anomaly(Anomaly::kTooDeep);
    } else {
      std::string decoded;
      if (decode_text(e, type, decoded) && !decoded.empty()) {
        arena_.push_back(std::move(decoded));
        const std::string_view inner = arena_.back();
        HeaderSection h = read_message_header(inner, limits_.max_header_fields);
        Entity child;
        child.fields = std::move(h.fields);
        child.body = inner.substr(h.body_offset);
        child.depth = e.depth + 1;
        walk(child);
        return;
      }
    }
  }
  leaf(e, ct, type);
}

void MessageViewBuilder::build(std::string_view message) {
  ensure_gmime_initialized();
  HeaderSection h = read_message_header(message, limits_.max_header_fields);
  if (h.truncated) anomaly(Anomaly::kTooManyHeaders);
  v_.headers_.reserve(h.fields.size());
  const HeaderField* subject = nullptr;
  const HeaderField* from = nullptr;
  for (const FieldView& f : h.fields) {
    HeaderField field;
    append_utf8_repaired(field.name, f.name);
    append_utf8_repaired(field.raw, unfold_raw(f.value));
    field.decoded = decode_field_value(f.name, f.value);
    v_.headers_.push_back(std::move(field));
  }
  for (const HeaderField& f : v_.headers_) {
    if (iequals_ascii(f.name, "subject")) subject = &f;
    if (iequals_ascii(f.name, "from")) from = &f;
  }
  if (subject != nullptr) v_.subject_ = subject->decoded;
  if (from != nullptr) v_.from_ = from->decoded;

  Entity top;
  top.fields = std::move(h.fields);
  top.body = message.substr(h.body_offset);
  // SA (bug 6845) puts a blank line before a multipart body whose first line is neither
  // blank nor its boundary, so lines there are never read as a part's header.
  {
    const ContentTypeInfo ct =
        parse_content_type(decode_field_value("content-type", last_value(top.fields, "content-type")));
    const std::string_view first = top.body.substr(0, top.body.find('\n'));
    const bool blank = std::all_of(first.begin(), first.end(), is_space);
    if (ct.type.starts_with("multipart/") && !blank &&
        top.body.find('\n') != std::string_view::npos &&
        (!ct.boundary || !first.starts_with("--" + *ct.boundary))) {
      arena_.push_back("\n" + std::string(top.body));
      top.body = arena_.back();
    }
  }
  walk(top);

  // SA: decoded Subject (or an empty line) first, then the collapsed text.
  std::string collapsed;
  collapsed.reserve(v_.subject_.size() + 1 + rendered_.size());
  collapsed.append(v_.subject_);
  collapsed.push_back('\n');
  append_collapsed(collapsed, rendered_);
  rendered_.clear();
  rendered_.shrink_to_fit();
  std::string body;
  body.reserve(collapsed.size() + collapsed.size() / 2048 + 1);
  append_short_lines(body, collapsed);
  if (body.size() > limits_.max_text_bytes) {
    body.resize(utf8_floor(body, limits_.max_text_bytes));
    anomaly(Anomaly::kTooLarge);
  }
  v_.body_text_ = std::move(body);

  // URLs: those in the rendered text first (SA parses them there), then the HTML ones.
  std::vector<std::string> found;
  extract_text_urls(v_.body_text_, found, limits_.max_urls * 4);
  std::unordered_set<std::string> seen;
  for (std::vector<std::string>* list : {&found, &html_urls_}) {
    for (std::string& u : *list) {
      if (v_.urls_.size() >= limits_.max_urls) break;
      if (!is_valid_utf8(u)) {
        std::string fixed;
        append_utf8_repaired(fixed, u);
        u = std::move(fixed);
      }
      if (seen.contains(u)) continue;
      seen.insert(u);
      v_.urls_.push_back(std::move(u));
    }
  }
}

MessageView MessageView::parse(std::string_view message, const Limits& limits) {
  MessageView view;
  MessageViewBuilder builder(limits, view);
  builder.build(message);
  return view;
}

}  // namespace portcullis::mime
