#include "filters/dkim/canonicalization.hpp"

#include <algorithm>

#include "filters/dkim/text.hpp"

namespace portcullis::filters::dkim {

void canonicalize_header(Canonicalization canon, std::string_view field, std::string& out) {
  if (canon == Canonicalization::kSimple) {
    out.append(field);
    return;
  }
  const std::size_t colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && is_fws(name.back())) name.remove_suffix(1);
  for (char c : name) out.push_back(ascii_lower(c));
  if (colon == std::string_view::npos) return;
  out.push_back(':');
  // Unfold (drop CR/LF), collapse WSP runs, drop WSP at both ends of the value.
  bool pending_space = false;
  bool started = false;
  for (char c : field.substr(colon + 1)) {
    if (c == '\r' || c == '\n') {
      // Unfolding removes the CRLF of folding (RFC 6376 3.4.2); a lone CR or LF (which the
      // SMTP layer never lets through) is removed the same way rather than kept as data.
      continue;
    }
    if (is_wsp(c)) {
      pending_space = started;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    started = true;
    out.push_back(c);
  }
}

BodyCanonicalizer::BodyCanonicalizer(Canonicalization canon, std::optional<std::uint64_t> limit,
                                     Sink sink)
    : canon_(canon), limit_(limit), sink_(std::move(sink)) {}

void BodyCanonicalizer::flush() {
  if (buffered_ > 0) {
    sink_(std::string_view(buffer_.data(), buffered_));
    buffered_ = 0;
  }
}

void BodyCanonicalizer::put(char c) {
  if (!limit_ || length_ < *limit_) {
    buffer_[buffered_++] = c;
    if (buffered_ == buffer_.size()) flush();
  }
  ++length_;
}

void BodyCanonicalizer::put_crlfs() {
  // Bounded by the body size: each held CRLF came from two input bytes.
  for (; pending_crlfs_ > 0; --pending_crlfs_) {
    put('\r');
    put('\n');
  }
}

void BodyCanonicalizer::put_run(std::string_view run) {
  std::size_t take = run.size();
  if (limit_) take = length_ >= *limit_ ? 0 : std::min<std::uint64_t>(take, *limit_ - length_);
  for (std::size_t done = 0; done < take;) {
    const std::size_t n = std::min(take - done, buffer_.size() - buffered_);
    std::copy_n(run.data() + done, n, buffer_.data() + buffered_);
    buffered_ += n;
    done += n;
    if (buffered_ == buffer_.size()) flush();
  }
  length_ += run.size();
}

void BodyCanonicalizer::feed(std::string_view raw) {
  const bool relaxed = canon_ == Canonicalization::kRelaxed;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    // Fast path: with nothing held back, a run of bytes that are neither CR nor (relaxed)
    // WSP is copied as it is.
    if (!pending_cr_ && !pending_wsp_ && pending_crlfs_ == 0) {
      std::size_t end = i;
      while (end < raw.size() && raw[end] != '\r' && !(relaxed && is_wsp(raw[end]))) ++end;
      if (end > i) {
        put_run(raw.substr(i, end - i));
        i = end;
        if (i == raw.size()) break;
      }
    }
    const char c = raw[i];
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') {
        pending_wsp_ = false;  // WSP at the end of a line goes (relaxed)
        ++pending_crlfs_;
        continue;
      }
      // A bare CR is data.
      put_crlfs();
      if (pending_wsp_) put(' ');
      pending_wsp_ = false;
      put('\r');
    }
    if (c == '\r') {
      pending_cr_ = true;
      continue;
    }
    if (relaxed && is_wsp(c)) {
      pending_wsp_ = true;
      continue;
    }
    put_crlfs();
    if (pending_wsp_) put(' ');
    pending_wsp_ = false;
    put(c);
  }
}

void BodyCanonicalizer::finish() {
  if (finished_) return;
  finished_ = true;
  if (pending_cr_) {
    pending_cr_ = false;
    put_crlfs();
    if (pending_wsp_) put(' ');
    pending_wsp_ = false;
    put('\r');
  }
  // Trailing WSP of an unterminated last line is dropped (relaxed), held CRLFs are empty
  // lines at the end except one that terminates the last non-empty line.
  pending_wsp_ = false;
  if (canon_ == Canonicalization::kSimple || length_ > 0) {
    pending_crlfs_ = 1;
    put_crlfs();
  }
  flush();
}

}  // namespace portcullis::filters::dkim
