// Content type from the first bytes of a decoded attachment (magic numbers), so a declared
// type or a file name cannot hide what the part is. Untrusted input: the bytes; only the
// first kSniffBytes are looked at.
// Known: PE/MZ executables, ELF, Mach-O, Java class, ZIP (and OOXML word/xl/ppt, ODF, JAR
// by the first entry names), RAR, 7z, gzip, bzip2, xz, CAB, tar, PDF (header in the first
// 1 KiB), OLE2 (doc/xls/msi), RTF, PNG, JPEG, GIF, BMP, HTML (leading markup), script shebangs.
// Gaps: no deeper inspection (OLE2 is not told apart into Word/Excel; archives are not
// listed); anything else is application/octet-stream.
#pragma once

#include <cstddef>
#include <string_view>

namespace portcullis::mime {

inline constexpr std::size_t kSniffBytes = 4096;

// A MIME type string with static storage.
std::string_view sniff_type(std::string_view head);

// True for the types that are programs or scripts (for rules like "executable in disguise").
bool is_executable_type(std::string_view sniffed);

}  // namespace portcullis::mime
