#include "filters/mime/type_sniffer.hpp"

namespace portcullis::mime {

namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_ci(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (lower(s[i]) != p[i]) return false;
  }
  return true;
}

std::string_view zip_kind(std::string_view head) {
  // The first local file header's name (offset 30, length at 26) says most.
  if (head.size() >= 30) {
    const std::size_t len = static_cast<unsigned char>(head[26]) |
                            (static_cast<std::size_t>(static_cast<unsigned char>(head[27])) << 8);
    const std::string_view name = head.substr(30, len);
    if (name == "mimetype") {
      const std::string_view rest = head.substr(30 + name.size());
      if (rest.find("application/vnd.oasis.opendocument.text") != std::string_view::npos) {
        return "application/vnd.oasis.opendocument.text";
      }
      if (rest.find("application/vnd.oasis.opendocument.spreadsheet") != std::string_view::npos) {
        return "application/vnd.oasis.opendocument.spreadsheet";
      }
    }
    if (starts(name, "META-INF/")) return "application/java-archive";
  }
  if (head.find("[Content_Types].xml") != std::string_view::npos ||
      head.find("_rels/.rels") != std::string_view::npos) {
    if (head.find("word/") != std::string_view::npos) {
      return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    }
    if (head.find("xl/") != std::string_view::npos) {
      return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    }
    if (head.find("ppt/") != std::string_view::npos) {
      return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    }
  }
  return "application/zip";
}

std::string_view script_kind(std::string_view head) {
  const std::string_view line = head.substr(0, head.find('\n'));
  if (line.find("python") != std::string_view::npos) return "text/x-python";
  if (line.find("perl") != std::string_view::npos) return "text/x-perl";
  if (line.find("ruby") != std::string_view::npos) return "text/x-ruby";
  if (line.find("node") != std::string_view::npos) return "application/javascript";
  return "text/x-shellscript";
}

bool looks_like_html(std::string_view head) {
  std::size_t i = 0;
  if (starts(head, "\xEF\xBB\xBF")) i = 3;
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) ++i;
  const std::string_view s = head.substr(i);
  for (std::string_view tag : {"<!doctype html", "<html", "<head", "<body", "<script", "<iframe",
                               "<title", "<meta", "<!--"}) {
    if (starts_ci(s, tag)) return true;
  }
  return false;
}

}  // namespace

std::string_view sniff_type(std::string_view head) {
  head = head.substr(0, kSniffBytes);
  if (starts(head, "MZ")) return "application/x-dosexec";
  if (starts(head, "\x7f" "ELF")) return "application/x-executable";
  if (starts(head, "\xCF\xFA\xED\xFE") || starts(head, "\xCE\xFA\xED\xFE") ||
      starts(head, "\xFE\xED\xFA\xCF") || starts(head, "\xFE\xED\xFA\xCE")) {
    return "application/x-mach-binary";
  }
  if (starts(head, "\xCA\xFE\xBA\xBE")) return "application/java-vm";
  if (starts(head, "PK\x03\x04") || starts(head, std::string_view("PK\x05\x06", 4)) ||
      starts(head, "PK\x07\x08")) {
    return zip_kind(head);
  }
  if (starts(head, "Rar!\x1A\x07")) return "application/vnd.rar";
  if (starts(head, "7z\xBC\xAF\x27\x1C")) return "application/x-7z-compressed";
  if (starts(head, "\x1F\x8B")) return "application/gzip";
  if (starts(head, "BZh")) return "application/x-bzip2";
  if (starts(head, std::string_view("\xFD" "7zXZ\x00", 6))) return "application/x-xz";
  if (starts(head, "MSCF")) return "application/vnd.ms-cab-compressed";
  if (head.size() >= 262 && head.substr(257, 5) == "ustar") return "application/x-tar";
  if (head.substr(0, 1024).find("%PDF-") != std::string_view::npos) return "application/pdf";
  if (starts(head, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return "application/x-ole-storage";
  if (starts(head, "{\\rtf")) return "text/rtf";
  if (starts(head, "\x89PNG\r\n\x1A\n")) return "image/png";
  if (starts(head, "\xFF\xD8\xFF")) return "image/jpeg";
  if (starts(head, "GIF87a") || starts(head, "GIF89a")) return "image/gif";
  if (starts(head, "BM") && head.size() >= 14 && head.substr(6, 4) == std::string_view("\0\0\0\0", 4)) {
    return "image/bmp";
  }
  if (starts(head, "#!")) return script_kind(head);
  if (looks_like_html(head)) return "text/html";
  return "application/octet-stream";
}

bool is_executable_type(std::string_view t) {
  return t == "application/x-dosexec" || t == "application/x-executable" ||
         t == "application/x-mach-binary" || t == "application/java-vm" ||
         t == "application/java-archive" || t == "text/x-shellscript" || t == "text/x-python" ||
         t == "text/x-perl" || t == "text/x-ruby" || t == "application/javascript";
}

}  // namespace portcullis::mime
