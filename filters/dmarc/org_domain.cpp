#include "filters/dmarc/org_domain.hpp"

#include <libpsl.h>

#include <stdexcept>

#include "filters/dmarc/dmarc_text.hpp"

namespace portcullis::filters::dmarc {
namespace {

constexpr std::size_t kMaxName = 253;
constexpr std::size_t kMaxLabel = 63;

bool ascii_only(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

void OrgDomain::Free::operator()(psl_ctx_st* ctx) const {
  if (owned) psl_free(ctx);
}

OrgDomain OrgDomain::from_file(const std::string& path) {
  psl_ctx_t* ctx = psl_load_file(path.c_str());
  if (ctx == nullptr) throw std::runtime_error("cannot load public suffix list " + path);
  std::unique_ptr<psl_ctx_st, Free> owner(ctx, Free{true});
  if (psl_suffix_count(ctx) <= 0) {
    throw std::runtime_error("public suffix list " + path + " holds no rule");
  }
  return OrgDomain(std::move(owner));
}

OrgDomain OrgDomain::latest() {
  psl_ctx_t* ctx = psl_latest(nullptr);
  if (ctx == nullptr) throw std::runtime_error("no public suffix list available");
  return OrgDomain(std::unique_ptr<psl_ctx_st, Free>(ctx, Free{true}));
}

OrgDomain OrgDomain::builtin() {
  const psl_ctx_t* ctx = psl_builtin();
  if (ctx == nullptr) throw std::runtime_error("libpsl has no builtin public suffix list");
  // The builtin context is static data inside libpsl: never freed.
  return OrgDomain(std::unique_ptr<psl_ctx_st, Free>(const_cast<psl_ctx_t*>(ctx), Free{false}));
}

int OrgDomain::rule_count() const { return psl_suffix_count(ctx_.get()); }

std::optional<std::string> OrgDomain::normalize(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > kMaxName) return std::nullopt;
  std::string out;
  if (ascii_only(domain)) {
    out.assign(domain);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  } else {
    if (!valid_utf8(domain)) return std::nullopt;
    // libpsl does not lowercase for us (DEPENDENCIES.md); it also rejects invalid UTF-8.
    const std::string input(domain);
    char* lower = nullptr;
    if (psl_str_to_utf8lower(input.c_str(), "utf-8", nullptr, &lower) != PSL_SUCCESS ||
        lower == nullptr) {
      return std::nullopt;
    }
    out.assign(lower);
    psl_free_string(lower);
    if (out.size() > kMaxName) return std::nullopt;
  }
  std::size_t label = 0;
  for (char c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return std::nullopt;  // controls, space, NUL
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
    } else if (++label > kMaxLabel) {
      return std::nullopt;
    }
  }
  if (label == 0) return std::nullopt;
  return out;
}

std::optional<std::string> OrgDomain::organizational_domain(std::string_view domain) const {
  auto name = normalize(domain);
  if (!name) return std::nullopt;
  // The result points into the input string (DEPENDENCIES.md): copy before `name` changes.
  const char* reg = psl_registrable_domain(ctx_.get(), name->c_str());
  if (reg == nullptr) return name;  // a public suffix itself
  return std::string(reg);
}

}  // namespace portcullis::filters::dmarc
