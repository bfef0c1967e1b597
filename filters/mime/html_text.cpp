#include "filters/mime/html_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <utility>

#include "filters/mime/utf8.hpp"

namespace portcullis::mime {

namespace {

constexpr std::size_t kMaxUriLength = 8192;

struct Entity {
  std::string_view name;
  char32_t cp;
};
// HTML 4 entities (HTML::Entities) and &apos;, sorted by name.
constexpr Entity kEntities[] = {
    {"AElig", 0xC6}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Agrave", 0xC0},
    {"Alpha", 0x391}, {"Aring", 0xC5}, {"Atilde", 0xC3}, {"Auml", 0xC4},
    {"Beta", 0x392}, {"Ccedil", 0xC7}, {"Chi", 0x3A7}, {"Dagger", 0x2021},
    {"Delta", 0x394}, {"ETH", 0xD0}, {"Eacute", 0xC9}, {"Ecirc", 0xCA},
    {"Egrave", 0xC8}, {"Epsilon", 0x395}, {"Eta", 0x397}, {"Euml", 0xCB},
    {"Gamma", 0x393}, {"Iacute", 0xCD}, {"Icirc", 0xCE}, {"Igrave", 0xCC},
    {"Iota", 0x399}, {"Iuml", 0xCF}, {"Kappa", 0x39A}, {"Lambda", 0x39B},
    {"Mu", 0x39C}, {"Ntilde", 0xD1}, {"Nu", 0x39D}, {"OElig", 0x152},
    {"Oacute", 0xD3}, {"Ocirc", 0xD4}, {"Ograve", 0xD2}, {"Omega", 0x3A9},
    {"Omicron", 0x39F}, {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6},
    {"Phi", 0x3A6}, {"Pi", 0x3A0}, {"Prime", 0x2033}, {"Psi", 0x3A8},
    {"Rho", 0x3A1}, {"Scaron", 0x160}, {"Sigma", 0x3A3}, {"THORN", 0xDE},
    {"Tau", 0x3A4}, {"Theta", 0x398}, {"Uacute", 0xDA}, {"Ucirc", 0xDB},
    {"Ugrave", 0xD9}, {"Upsilon", 0x3A5}, {"Uuml", 0xDC}, {"Xi", 0x39E},
    {"Yacute", 0xDD}, {"Yuml", 0x178}, {"Zeta", 0x396}, {"aacute", 0xE1},
    {"acirc", 0xE2}, {"acute", 0xB4}, {"aelig", 0xE6}, {"agrave", 0xE0},
    {"alefsym", 0x2135}, {"alpha", 0x3B1}, {"amp", 0x26}, {"and", 0x2227},
    {"ang", 0x2220}, {"apos", 0x27}, {"aring", 0xE5}, {"asymp", 0x2248},
    {"atilde", 0xE3}, {"auml", 0xE4}, {"bdquo", 0x201E}, {"beta", 0x3B2},
    {"brvbar", 0xA6}, {"bull", 0x2022}, {"cap", 0x2229}, {"ccedil", 0xE7},
    {"cedil", 0xB8}, {"cent", 0xA2}, {"chi", 0x3C7}, {"circ", 0x2C6},
    {"clubs", 0x2663}, {"cong", 0x2245}, {"copy", 0xA9}, {"crarr", 0x21B5},
    {"cup", 0x222A}, {"curren", 0xA4}, {"dArr", 0x21D3}, {"dagger", 0x2020},
    {"darr", 0x2193}, {"deg", 0xB0}, {"delta", 0x3B4}, {"diams", 0x2666},
    {"divide", 0xF7}, {"eacute", 0xE9}, {"ecirc", 0xEA}, {"egrave", 0xE8},
    {"empty", 0x2205}, {"emsp", 0x2003}, {"ensp", 0x2002}, {"epsilon", 0x3B5},
    {"equiv", 0x2261}, {"eta", 0x3B7}, {"eth", 0xF0}, {"euml", 0xEB},
    {"euro", 0x20AC}, {"exist", 0x2203}, {"fnof", 0x192}, {"forall", 0x2200},
    {"frac12", 0xBD}, {"frac14", 0xBC}, {"frac34", 0xBE}, {"frasl", 0x2044},
    {"gamma", 0x3B3}, {"ge", 0x2265}, {"gt", 0x3E}, {"hArr", 0x21D4},
    {"harr", 0x2194}, {"hearts", 0x2665}, {"hellip", 0x2026}, {"iacute", 0xED},
    {"icirc", 0xEE}, {"iexcl", 0xA1}, {"igrave", 0xEC}, {"image", 0x2111},
    {"infin", 0x221E}, {"int", 0x222B}, {"iota", 0x3B9}, {"iquest", 0xBF},
    {"isin", 0x2208}, {"iuml", 0xEF}, {"kappa", 0x3BA}, {"lArr", 0x21D0},
    {"lambda", 0x3BB}, {"lang", 0x2329}, {"laquo", 0xAB}, {"larr", 0x2190},
    {"lceil", 0x2308}, {"ldquo", 0x201C}, {"le", 0x2264}, {"lfloor", 0x230A},
    {"lowast", 0x2217}, {"loz", 0x25CA}, {"lrm", 0x200E}, {"lsaquo", 0x2039},
    {"lsquo", 0x2018}, {"lt", 0x3C}, {"macr", 0xAF}, {"mdash", 0x2014},
    {"micro", 0xB5}, {"middot", 0xB7}, {"minus", 0x2212}, {"mu", 0x3BC},
    {"nabla", 0x2207}, {"nbsp", 0xA0}, {"ndash", 0x2013}, {"ne", 0x2260},
    {"ni", 0x220B}, {"not", 0xAC}, {"notin", 0x2209}, {"nsub", 0x2284},
    {"ntilde", 0xF1}, {"nu", 0x3BD}, {"oacute", 0xF3}, {"ocirc", 0xF4},
    {"oelig", 0x153}, {"ograve", 0xF2}, {"oline", 0x203E}, {"omega", 0x3C9},
    {"omicron", 0x3BF}, {"oplus", 0x2295}, {"or", 0x2228}, {"ordf", 0xAA},
    {"ordm", 0xBA}, {"oslash", 0xF8}, {"otilde", 0xF5}, {"otimes", 0x2297},
    {"ouml", 0xF6}, {"para", 0xB6}, {"part", 0x2202}, {"permil", 0x2030},
    {"perp", 0x22A5}, {"phi", 0x3C6}, {"pi", 0x3C0}, {"piv", 0x3D6},
    {"plusmn", 0xB1}, {"pound", 0xA3}, {"prime", 0x2032}, {"prod", 0x220F},
    {"prop", 0x221D}, {"psi", 0x3C8}, {"quot", 0x22}, {"rArr", 0x21D2},
    {"radic", 0x221A}, {"rang", 0x232A}, {"raquo", 0xBB}, {"rarr", 0x2192},
    {"rceil", 0x2309}, {"rdquo", 0x201D}, {"real", 0x211C}, {"reg", 0xAE},
    {"rfloor", 0x230B}, {"rho", 0x3C1}, {"rlm", 0x200F}, {"rsaquo", 0x203A},
    {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"scaron", 0x161}, {"sdot", 0x22C5},
    {"sect", 0xA7}, {"shy", 0xAD}, {"sigma", 0x3C3}, {"sigmaf", 0x3C2},
    {"sim", 0x223C}, {"spades", 0x2660}, {"sub", 0x2282}, {"sube", 0x2286},
    {"sum", 0x2211}, {"sup", 0x2283}, {"sup1", 0xB9}, {"sup2", 0xB2},
    {"sup3", 0xB3}, {"supe", 0x2287}, {"szlig", 0xDF}, {"tau", 0x3C4},
    {"there4", 0x2234}, {"theta", 0x3B8}, {"thetasym", 0x3D1}, {"thinsp", 0x2009},
    {"thorn", 0xFE}, {"tilde", 0x2DC}, {"times", 0xD7}, {"trade", 0x2122},
    {"uArr", 0x21D1}, {"uacute", 0xFA}, {"uarr", 0x2191}, {"ucirc", 0xFB},
    {"ugrave", 0xF9}, {"uml", 0xA8}, {"upsih", 0x3D2}, {"upsilon", 0x3C5},
    {"uuml", 0xFC}, {"weierp", 0x2118}, {"xi", 0x3BE}, {"yacute", 0xFD},
    {"yen", 0xA5}, {"yuml", 0xFF}, {"zeta", 0x3B6}, {"zwj", 0x200D},
    {"zwnj", 0x200C},
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::optional<char32_t> lookup_entity(std::string_view name) {
  const auto* end = std::end(kEntities);
  const auto* it = std::lower_bound(std::begin(kEntities), end, name,
                                    [](const Entity& e, std::string_view n) { return e.name < n; });
  if (it != end && it->name == name) return it->cp;
  return std::nullopt;
}

// Elements SA renders whitespace for (start and end tags).
enum class Space { kNone, kNewline, kBlank, kParagraph };
Space tag_space(std::string_view t) {
  if (t == "br" || t == "div") return Space::kNewline;
  if (t == "li" || t == "th" || t == "td" || t == "dt" || t == "dd" || t == "embed" ||
      (t.size() == 2 && t[0] == 'h' && t[1] >= '1' && t[1] <= '6')) {
    return Space::kBlank;
  }
  if (t == "p" || t == "hr" || t == "blockquote" || t == "pre" || t == "listing" ||
      t == "plaintext" || t == "xmp" || t == "title") {
    return Space::kParagraph;
  }
  return Space::kNone;
}

// Elements whose content HTML::Parser reads literally up to the matching end tag.
bool is_literal(std::string_view t) {
  return t == "script" || t == "style" || t == "xmp" || t == "textarea" || t == "title" ||
         t == "iframe" || t == "noembed" || t == "noframes" || t == "plaintext";
}

struct Attr {
  std::string name;  // lower case
  std::string value; // entities decoded
};

class Renderer {
 public:
  Renderer(std::string& text, std::vector<std::string>& urls, std::size_t max_urls)
      : text_(text), urls_(urls), max_urls_(max_urls) {}

  void run(std::string_view h);

 private:
  void on_text(std::string_view raw, bool decode);
  void on_start(std::string_view tag, const std::vector<Attr>& attrs);
  void on_end(std::string_view tag);
  void whitespace(Space s);
  void push_uri(std::string_view uri);
  // Parses a start tag at h[i] == '<'; returns the position after '>' or npos.
  std::size_t start_tag(std::string_view h, std::size_t i);

  std::string& text_;
  std::vector<std::string>& urls_;
  std::size_t max_urls_;
  std::string base_href_;
  int in_script_ = 0;
  int in_style_ = 0;
  enum class Last { kNone, kText, kSpace } last_ = Last::kNone;
  std::size_t last_text_len_ = 0;
  std::string scratch_;
};

void Renderer::whitespace(Space s) {
  if (s == Space::kNone) return;
  if (last_ == Last::kText && last_text_len_ > 0 && !text_.empty() && text_.back() == ' ') {
    text_.pop_back();
  }
  text_ += s == Space::kNewline ? "\n" : s == Space::kBlank ? " " : "\n\n";
  last_ = Last::kSpace;
}

void Renderer::on_text(std::string_view raw, bool decode) {
  if (in_script_ > 0 || in_style_ > 0) return;
  scratch_.clear();
  if (decode) {
    append_html_decoded(scratch_, raw);
  } else {
    scratch_.assign(raw);
  }
  const std::size_t before = text_.size();
  bool in_space = false;
  for (char c : scratch_) {
    if (is_ascii_space(c)) {
      if (!in_space) text_.push_back(' ');
      in_space = true;
    } else {
      text_.push_back(c);
      in_space = false;
    }
  }
  if (last_ == Last::kSpace && text_.size() > before && text_[before] == ' ') {
    text_.erase(before, 1);
  }
  last_ = Last::kText;
  last_text_len_ = text_.size() - before;
}

void Renderer::push_uri(std::string_view uri) {
  // Trim whitespace and NBSP (SA: [\s\xA0]).
  auto trim_front = [](std::string_view u) {
    for (;;) {
      if (!u.empty() && is_ascii_space(u.front())) {
        u.remove_prefix(1);
      } else if (u.size() >= 2 && u[0] == '\xC2' && u[1] == '\xA0') {
        u.remove_prefix(2);
      } else {
        return u;
      }
    }
  };
  auto trim_back = [](std::string_view u) {
    for (;;) {
      if (!u.empty() && is_ascii_space(u.back())) {
        u.remove_suffix(1);
      } else if (u.size() >= 2 && u[u.size() - 2] == '\xC2' && u.back() == '\xA0') {
        u.remove_suffix(2);
      } else {
        return u;
      }
    }
  };
  uri = trim_back(trim_front(uri));
  if (uri.size() > kMaxUriLength) uri = uri.substr(0, utf8_floor(uri, kMaxUriLength));
  if (uri.empty() || urls_.size() >= max_urls_) return;
  std::string_view scheme_end = uri.substr(0, uri.find(':'));
  std::string scheme;
  for (char c : scheme_end) scheme.push_back(lower(c));
  if (uri.find(':') != std::string_view::npos &&
      (scheme == "data" || scheme == "mailto" || scheme == "file" || scheme == "cid" ||
       scheme == "tel")) {
    urls_.emplace_back(uri);
    return;
  }
  std::string target = resolve_uri(base_href_, uri);
  if (!target.empty()) urls_.push_back(std::move(target));
}

const std::string* find_attr(const std::vector<Attr>& attrs, std::string_view name) {
  for (const Attr& a : attrs) {
    if (a.name == name) return &a.value;
  }
  return nullptr;
}

void Renderer::on_start(std::string_view tag, const std::vector<Attr>& attrs) {
  if (tag == "script") ++in_script_;
  if (tag == "style") ++in_style_;
  whitespace(tag_space(tag));
  if (tag == "body" || tag == "table" || tag == "tr" || tag == "td") {
    if (const std::string* v = find_attr(attrs, "background")) push_uri(*v);
  } else if (tag == "a" || tag == "area" || tag == "link") {
    if (const std::string* v = find_attr(attrs, "href")) {
      std::string href = *v;
      for (std::size_t p; (p = href.find("\xEF\xBB\xBF")) != std::string::npos;) href.erase(p, 3);
      push_uri(href);
    }
    if (const std::string* v = find_attr(attrs, "data-saferedirecturl")) push_uri(*v);
  } else if (tag == "img" || tag == "frame" || tag == "iframe" || tag == "embed" ||
             tag == "script" || tag == "bgsound") {
    if (const std::string* v = find_attr(attrs, "src")) push_uri(*v);
  } else if (tag == "form") {
    if (const std::string* v = find_attr(attrs, "action")) push_uri(*v);
  } else if (tag == "base") {
    const std::string* v = find_attr(attrs, "href");
    if (v != nullptr && !v->empty()) {
      std::string_view uri = *v;
      while (!uri.empty() && is_ascii_space(uri.front())) uri.remove_prefix(1);
      while (!uri.empty() && is_ascii_space(uri.back())) uri.remove_suffix(1);
      push_uri(uri);
      std::string lowered;
      for (char c : uri.substr(0, 6)) lowered.push_back(lower(c));
      if (lowered.starts_with("http:") || lowered.starts_with("https:") ||
          lowered.starts_with("ftp:")) {
        std::string base(uri);
        // Drop a trailing file name ("http://host/dir/index.html" -> "http://host/dir/").
        const std::size_t colon = base.find(':');
        std::size_t host = colon + 1;
        for (int k = 0; k < 2 && host < base.size() && base[host] == '/'; ++k) ++host;
        const std::size_t path = base.find('/', host);
        if (path != std::string::npos && host < path) {
          const std::size_t last_slash = base.rfind('/');
          const std::string_view file = std::string_view(base).substr(last_slash + 1);
          const std::size_t dot = file.rfind('.');
          if (last_slash >= path && dot != std::string_view::npos && dot > 0 &&
              file.size() - dot - 1 >= 2 && file.size() - dot - 1 <= 4 &&
              file.find('.') == dot) {
            base.resize(last_slash + 1);
          }
        }
        if (base.empty() || base.back() != '/') base.push_back('/');
        base_href_ = std::move(base);
      }
    }
  } else if (tag == "meta") {
    const std::string* equiv = find_attr(attrs, "http-equiv");
    const std::string* content = find_attr(attrs, "content");
    if (equiv != nullptr && content != nullptr) {
      std::string le;
      for (char c : *equiv) le.push_back(lower(c));
      std::string lc;
      for (char c : *content) lc.push_back(lower(c));
      std::size_t u = std::string::npos;
      for (std::size_t p = lc.find("url"); p != std::string::npos; p = lc.find("url", p + 1)) {
        if (p > 0 && (is_alpha(lc[p - 1]) || is_digit(lc[p - 1]) || lc[p - 1] == '_')) continue;
        std::size_t q = p + 3;
        while (q < lc.size() && is_ascii_space(lc[q])) ++q;
        if (q < lc.size() && lc[q] == '=') {
          u = q + 1;
          break;
        }
      }
      if (le.find("refresh") != std::string::npos && u != std::string::npos) {
        std::string_view rest = std::string_view(*content).substr(u);
        while (!rest.empty() && is_ascii_space(rest.front())) rest.remove_prefix(1);
        rest = rest.substr(0, rest.find(';'));
        while (!rest.empty() && is_ascii_space(rest.back())) rest.remove_suffix(1);
        push_uri(rest);
      }
    }
  }
}

void Renderer::on_end(std::string_view tag) {
  if (tag == "script" && in_script_ > 0) --in_script_;
  if (tag == "style" && in_style_ > 0) --in_style_;
  whitespace(tag_space(tag));
}

bool is_name_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '/' ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::size_t Renderer::start_tag(std::string_view h, std::size_t i) {
  std::size_t p = i + 1;
  std::string tag;
  while (p < h.size() && is_name_char(h[p])) tag.push_back(lower(h[p++]));
  std::vector<Attr> attrs;
  for (;;) {
    while (p < h.size() && is_ascii_space(h[p])) ++p;
    if (p >= h.size()) return std::string_view::npos;
    if (h[p] == '>') break;
    const std::size_t name_start = p;
    while (p < h.size() && !is_ascii_space(h[p]) && h[p] != '>' && h[p] != '=' &&
           (p == name_start || (h[p] != '"' && h[p] != '\''))) {
      ++p;
    }
    if (p == name_start) ++p;  // a stray '=' or quote: skip it
    Attr a;
    for (char c : h.substr(name_start, p - name_start)) a.name.push_back(lower(c));
    std::size_t q = p;
    while (q < h.size() && is_ascii_space(h[q])) ++q;
    if (q < h.size() && h[q] == '=') {
      q++;
      while (q < h.size() && is_ascii_space(h[q])) ++q;
      if (q >= h.size()) return std::string_view::npos;
      if (h[q] == '"' || h[q] == '\'') {
        const std::size_t close = h.find(h[q], q + 1);
        if (close == std::string_view::npos) return std::string_view::npos;
        append_html_decoded(a.value, h.substr(q + 1, close - q - 1));
        p = close + 1;
      } else {
        std::size_t e = q;
        while (e < h.size() && !is_ascii_space(h[e]) && h[e] != '>') ++e;
        append_html_decoded(a.value, h.substr(q, e - q));
        p = e;
      }
    } else {
      a.value = a.name;
    }
    if (!a.name.empty() && find_attr(attrs, a.name) == nullptr) attrs.push_back(std::move(a));
  }
  on_start(tag, attrs);
  std::size_t next = p + 1;
  if (is_literal(tag)) {
    // Literal content up to </tag (or to the end for plaintext and unclosed elements).
    std::size_t end = std::string_view::npos;
    if (tag != "plaintext") {
      for (std::size_t f = h.find("</", next); f != std::string_view::npos; f = h.find("</", f + 2)) {
        std::size_t k = 0;
        while (k < tag.size() && f + 2 + k < h.size() && lower(h[f + 2 + k]) == tag[k]) ++k;
        if (k == tag.size() && (f + 2 + k >= h.size() || !is_name_char(h[f + 2 + k]))) {
          end = f;
          break;
        }
      }
    }
    const std::string_view content = h.substr(next, end == std::string_view::npos ? h.size() - next : end - next);
    if (!content.empty()) on_text(content, tag == "title" || tag == "textarea");
    next = end == std::string_view::npos ? h.size() : end;
  }
  return next;
}

void Renderer::run(std::string_view h) {
  std::size_t i = 0;
  std::size_t text_start = 0;
  auto flush = [&](std::size_t upto) {
    if (upto > text_start) on_text(h.substr(text_start, upto - text_start), true);
  };
  while (i < h.size()) {
    const std::size_t lt = h.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= h.size()) break;
    const char c = h[lt + 1];
    if (is_alpha(c)) {
      flush(lt);
      const std::size_t next = start_tag(h, lt);
      if (next == std::string_view::npos) {  // unterminated tag at the end: dropped
        text_start = i = h.size();
        break;
      }
      text_start = i = next;
    } else if (c == '/' && lt + 2 < h.size() && is_alpha(h[lt + 2])) {
      flush(lt);
      std::size_t p = lt + 2;
      std::string tag;
      while (p < h.size() && is_name_char(h[p])) tag.push_back(lower(h[p++]));
      const std::size_t gt = h.find('>', p);
      if (gt == std::string_view::npos) {
        text_start = i = h.size();
        break;
      }
      on_end(tag);
      text_start = i = gt + 1;
    } else if (c == '!' || c == '?' || c == '/') {
      flush(lt);
      std::size_t end;
      if (h.substr(lt, 4) == "<!--") {
        const std::size_t close = h.find("-->", lt + 4);
        end = close == std::string_view::npos ? h.size() : close + 3;
      } else if (h.substr(lt, 9) == "<![CDATA[") {
        const std::size_t close = h.find("]]>", lt + 9);
        const std::size_t stop = close == std::string_view::npos ? h.size() : close;
        on_text(h.substr(lt + 9, stop - lt - 9), false);
        end = close == std::string_view::npos ? h.size() : close + 3;
      } else {
        const std::size_t close = h.find('>', lt + 2);
        end = close == std::string_view::npos ? h.size() : close + 1;
      }
      text_start = i = end;
    } else {
      i = lt + 1;  // a lone '<' is text
    }
  }
  flush(h.size());
}

}  // namespace

void append_html_decoded(std::string& out, std::string_view in) {
  std::size_t i = 0;
  while (i < in.size()) {
    const std::size_t amp = in.find('&', i);
    if (amp == std::string_view::npos) break;
    out.append(in.substr(i, amp - i));
    i = amp + 1;
    if (i < in.size() && in[i] == '#') {
      std::size_t p = i + 1;
      const bool hex = p < in.size() && (in[p] == 'x' || in[p] == 'X');
      if (hex) ++p;
      const std::size_t digits = p;
      unsigned long long v = 0;
      while (p < in.size() && (hex ? std::isxdigit(static_cast<unsigned char>(in[p])) != 0 : is_digit(in[p]))) {
        if (v <= 0x10FFFF) {
          const char d = in[p];
          v = v * (hex ? 16 : 10) +
              static_cast<unsigned>(is_digit(d) ? d - '0' : lower(d) - 'a' + 10);
        }
        ++p;
      }
      if (p > digits && v != 0 && v <= 0x10FFFF) {
        if (p < in.size() && in[p] == ';') ++p;
        append_code_point(out, (v >= 0xD800 && v <= 0xDFFF) ? kReplacementChar : static_cast<char32_t>(v));
        i = p;
        continue;
      }
      out.push_back('&');
      continue;
    }
    std::size_t p = i;
    while (p < in.size() && is_alpha(in[p]) && p - i < 16) ++p;
    if (p > i) {
      if (const auto cp = lookup_entity(in.substr(i, p - i))) {
        if (p < in.size() && in[p] == ';') ++p;
        append_code_point(out, *cp);
        i = p;
        continue;
      }
    }
    out.push_back('&');
  }
  out.append(in.substr(i));
}

std::string resolve_uri(std::string_view base, std::string_view ref) {
  struct Parts {
    std::optional<std::string_view> scheme, authority, query, fragment;
    std::string_view path;
  };
  // ^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?
  auto parse = [](std::string_view u) {
    Parts r;
    const std::size_t stop = u.find_first_of(":/?#");
    if (stop != std::string_view::npos && stop > 0 && u[stop] == ':') {
      r.scheme = u.substr(0, stop);
      u.remove_prefix(stop + 1);
    }
    if (u.starts_with("//")) {
      const std::size_t e = u.find_first_of("/?#", 2);
      r.authority = u.substr(2, (e == std::string_view::npos ? u.size() : e) - 2);
      u.remove_prefix(e == std::string_view::npos ? u.size() : e);
    }
    const std::size_t pe = u.find_first_of("?#");
    r.path = u.substr(0, pe == std::string_view::npos ? u.size() : pe);
    u.remove_prefix(r.path.size());
    if (u.starts_with("?")) {
      const std::size_t e = u.find('#');
      r.query = u.substr(1, (e == std::string_view::npos ? u.size() : e) - 1);
      u.remove_prefix(e == std::string_view::npos ? u.size() : e);
    }
    if (u.starts_with("#")) r.fragment = u.substr(1);
    return r;
  };
  auto remove_dots = [](std::string_view in) {
    std::string input(in);
    if (input.starts_with("./")) {
      input.replace(0, 2, "/");
    } else if (input.starts_with("../")) {
      input.replace(0, 3, "/");
    }
    std::string output;
    std::size_t pos = 0;
    std::string_view s = input;
    while (pos < s.size()) {
      std::string_view rest = s.substr(pos);
      if (rest == "/." || rest.starts_with("/./")) {
        pos += 2;
        if (rest == "/.") {
          output += "/";
          break;
        }
      } else if (rest == "/.." || rest.starts_with("/../")) {
        const std::size_t cut = output.rfind('/');
        output.resize(cut == std::string::npos ? 0 : cut);
        pos += 3;
        if (rest == "/..") {
          output += "/";
          break;
        }
      } else {
        const std::size_t next = s.find('/', pos + 1);
        const std::size_t end = next == std::string_view::npos ? s.size() : next;
        output.append(s.substr(pos, end - pos));
        pos = end;
      }
    }
    return output;
  };
  Parts r = parse(ref);
  const Parts b = parse(base);
  auto iequal = [](std::string_view x, std::string_view y) { return x == y; };
  if (r.scheme && b.scheme && iequal(*r.scheme, *b.scheme)) r.scheme.reset();
  std::optional<std::string_view> scheme, authority, query;
  std::string path;
  if (r.scheme) {
    scheme = r.scheme;
    authority = r.authority;
    path = remove_dots(r.path);
    query = r.query;
  } else {
    if (r.authority) {
      authority = r.authority;
      path = remove_dots(r.path);
      query = r.query;
    } else {
      if (r.path.empty()) {
        path = std::string(b.path);
        query = r.query ? r.query : b.query;
      } else {
        if (r.path.starts_with("/")) {
          path = remove_dots(r.path);
        } else {
          std::string merged;
          if (b.authority && b.path.empty()) {
            merged = "/" + std::string(r.path);
          } else {
            const std::size_t slash = b.path.rfind('/');
            merged = slash == std::string_view::npos ? std::string() : std::string(b.path.substr(0, slash + 1));
            merged.append(r.path);
          }
          path = remove_dots(merged);
        }
        query = r.query;
      }
      authority = b.authority;
    }
    scheme = b.scheme;
  }
  std::string out;
  if (scheme && !scheme->empty()) {
    out.append(*scheme);
    out.push_back(':');
  } else if (authority) {
    std::string la;
    for (char c : authority->substr(0, 4)) la.push_back(lower(c));
    std::size_t k = 3;
    if (la.starts_with("www")) {
      while (k < authority->size() && is_digit((*authority)[k])) ++k;
      if (k < authority->size() && (*authority)[k] == '.') out.append("http:");
    } else if (la.starts_with("ftp")) {
      while (k < authority->size() && is_digit((*authority)[k])) ++k;
      if (k < authority->size() && (*authority)[k] == '.') out.append("ftp:");
    }
  }
  if (authority) {
    out.append("//");
    out.append(*authority);
  }
  out.append(path);
  if (query) {
    out.push_back('?');
    out.append(*query);
  }
  if (r.fragment) {
    out.push_back('#');
    out.append(*r.fragment);
  }
  return out;
}

void render_html(std::string_view html, std::string& text, std::vector<std::string>& urls,
                 std::size_t max_urls) {
  // SA rewrites the source before parsing: &nbsp; -> ' ', <tag/> and <tag /> -> <tag>,
  // curly double quotes -> '"' (so they delimit attribute values).
  std::string pre;
  const bool needs = html.find("&nbsp;") != std::string_view::npos ||
                     html.find("/>") != std::string_view::npos ||
                     html.find("\xE2\x80\x9C") != std::string_view::npos ||
                     html.find("\xE2\x80\x9D") != std::string_view::npos;
  if (needs) {
    pre.reserve(html.size());
    for (std::size_t i = 0; i < html.size();) {
      if (html.compare(i, 6, "&nbsp;") == 0) {
        pre.push_back(' ');
        i += 6;
      } else if (html.compare(i, 3, "\xE2\x80\x9C") == 0 || html.compare(i, 3, "\xE2\x80\x9D") == 0) {
        pre.push_back('"');
        i += 3;
      } else if (html[i] == '<' && i + 1 < html.size() &&
                 (is_alpha(html[i + 1]) || is_digit(html[i + 1]) || html[i + 1] == '_')) {
        // <(\w+)\s*/>  ->  <$1>
        std::size_t p = i + 1;
        while (p < html.size() && (is_alpha(html[p]) || is_digit(html[p]) || html[p] == '_')) ++p;
        std::size_t q = p;
        while (q < html.size() && is_ascii_space(html[q])) ++q;
        if (html.compare(q, 2, "/>") == 0) {
          pre.append(html.substr(i, p - i));
          pre.push_back('>');
          i = q + 2;
        } else {
          pre.append(html.substr(i, p - i));
          i = p;
        }
      } else {
        pre.push_back(html[i]);
        ++i;
      }
    }
    html = pre;
  }
  Renderer r(text, urls, max_urls);
  r.run(html);
}

}  // namespace portcullis::mime
