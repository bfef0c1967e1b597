#include "rules/hs_database.hpp"

#include <hs/hs.h>
#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace portcullis::rules {
namespace {

constexpr int kMaxRetries = 10'000;

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string cache_key(const std::vector<HsPattern>& patterns) {
  std::string material = "portcullis-hs-1\n";
  material += hs_version();
  hs_platform_info_t platform{};
  hs_populate_platform(&platform);
  material += "\ntune=" + std::to_string(platform.tune) +
              " features=" + std::to_string(platform.cpu_features) + "\n";
  for (const auto& p : patterns) {
    material += std::to_string(p.id) + " " + std::to_string(p.flags) + " " +
                std::to_string(p.expression.size()) + " ";
    material += p.expression;
    material += '\n';
  }
  return sha256_hex(material);
}

// A cache file: "pchs1 <n>\n", then n lines "<index> <reason>" naming the patterns Hyperscan
// refused in this set (so a set with a refused pattern is not compiled again and again),
// then the serialized database.
constexpr std::string_view kCacheMagic = "pchs1 ";

hs_database_t* load_cached(const std::filesystem::path& file,
                           std::vector<HsDatabase::Rejected>& rejected) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string data = bytes.str();
  if (data.compare(0, kCacheMagic.size(), kCacheMagic) != 0) return nullptr;
  std::size_t pos = kCacheMagic.size();
  std::size_t count = 0;
  while (pos < data.size() && data[pos] >= '0' && data[pos] <= '9' && count < 1'000'000) {
    count = count * 10 + static_cast<std::size_t>(data[pos++] - '0');
  }
  if (pos >= data.size() || data[pos++] != '\n') return nullptr;
  std::vector<HsDatabase::Rejected> listed;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t eol = data.find('\n', pos);
    if (eol == std::string::npos) return nullptr;
    const std::string line = data.substr(pos, eol - pos);
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || space == 0) return nullptr;
    std::size_t index = 0;
    for (std::size_t k = 0; k < space; ++k) {
      if (line[k] < '0' || line[k] > '9' || index > 10'000'000) return nullptr;
      index = index * 10 + static_cast<std::size_t>(line[k] - '0');
    }
    listed.push_back({index, line.substr(space + 1)});
    pos = eol + 1;
  }
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(data.data() + pos, data.size() - pos, &db) != HS_SUCCESS) {
    return nullptr;
  }
  rejected = std::move(listed);
  return db;
}

void store_cached(const std::filesystem::path& file, const hs_database_t* db,
                  const std::vector<HsDatabase::Rejected>& rejected) {
  char* bytes = nullptr;
  size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) return;
  std::string head(kCacheMagic);
  head += std::to_string(rejected.size()) + "\n";
  for (const auto& r : rejected) {
    std::string reason = r.reason;
    for (char& c : reason) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    head += std::to_string(r.index) + " " + reason + "\n";
  }
  // A temporary name then rename: a concurrent reader never sees half a file.
  const auto tmp = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    out.write(bytes, static_cast<std::streamsize>(length));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      free(bytes);
      return;
    }
  }
  free(bytes);
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

bool hs_accepts(const std::string& expression, unsigned int flags, std::string* reason) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_expression_info(expression.c_str(), flags, &info, &error) != HS_SUCCESS) {
    if (reason != nullptr) *reason = error != nullptr ? error->message : "rejected";
    hs_free_compile_error(error);
    return false;
  }
  free(info);
  return true;
}

bool hs_matches_empty(const std::string& expression, unsigned int flags) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_expression_info(expression.c_str(), flags, &info, &error) != HS_SUCCESS) {
    hs_free_compile_error(error);
    return false;
  }
  const bool empty = info->min_width == 0;
  free(info);
  return empty;
}

std::string hs_version_text() { return hs_version(); }

std::shared_ptr<HsDatabase> HsDatabase::build(const std::vector<HsPattern>& patterns,
                                              const std::filesystem::path& cache_dir,
                                              std::vector<Rejected>& rejected,
                                              bool* from_cache) {
  if (from_cache != nullptr) *from_cache = false;
  // Indexes into `patterns` still in the set.
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < patterns.size(); ++i) live.push_back(i);
  hs_database_t* db = nullptr;
  std::filesystem::path cache_file;
  bool loaded = false;
  if (!cache_dir.empty() && !patterns.empty()) {
    cache_file = cache_dir / ("rules-" + cache_key(patterns) + ".hsdb");
    db = load_cached(cache_file, rejected);
    loaded = db != nullptr;
    if (loaded && from_cache != nullptr) *from_cache = true;
  }
  for (int attempt = 0; db == nullptr && !live.empty() && attempt < kMaxRetries; ++attempt) {
    std::vector<const char*> expressions;
    std::vector<unsigned int> flags;
    std::vector<unsigned int> ids;
    for (std::size_t i : live) {
      expressions.push_back(patterns[i].expression.c_str());
      flags.push_back(patterns[i].flags);
      ids.push_back(patterns[i].id);
    }
    hs_compile_error_t* error = nullptr;
    const hs_error_t rc =
        hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                         static_cast<unsigned int>(live.size()), HS_MODE_BLOCK, nullptr, &db,
                         &error);
    if (rc == HS_SUCCESS) break;
    db = nullptr;
    const int bad = error != nullptr ? error->expression : -1;
    const std::string why = error != nullptr ? error->message : "compile failed";
    hs_free_compile_error(error);
    if (bad < 0 || static_cast<std::size_t>(bad) >= live.size()) {
      // Not one pattern's fault (e.g. the set as a whole is too large): give up on all.
      for (std::size_t i : live) rejected.push_back({i, why});
      live.clear();
      break;
    }
    rejected.push_back({live[static_cast<std::size_t>(bad)], why});
    live.erase(live.begin() + bad);
  }
  if (db == nullptr) return nullptr;
  // The cache is keyed by the full input list; the patterns refused are stored with it.
  if (!cache_file.empty() && !loaded) {
    std::error_code ec;
    std::filesystem::create_directories(cache_dir, ec);
    store_cached(cache_file, db, rejected);
  }
  std::shared_ptr<HsDatabase> out(new HsDatabase());
  out->db_ = db;
  if (hs_alloc_scratch(db, &out->prototype_) != HS_SUCCESS) return nullptr;
  return out;
}

HsDatabase::~HsDatabase() {
  for (hs_scratch* s : free_) hs_free_scratch(s);
  hs_free_scratch(prototype_);
  hs_free_database(db_);
}

hs_scratch* HsDatabase::acquire() const {
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      hs_scratch* s = free_.back();
      free_.pop_back();
      return s;
    }
  }
  hs_scratch* s = nullptr;
  if (hs_clone_scratch(prototype_, &s) != HS_SUCCESS) return nullptr;
  return s;
}

void HsDatabase::release(hs_scratch* scratch) const {
  std::lock_guard lock(mutex_);
  free_.push_back(scratch);
}

bool HsDatabase::scan(std::string_view text, OnMatch on_match, void* context) const {
  hs_scratch* scratch = acquire();
  if (scratch == nullptr) return false;
  const bool ok = scan(text, scratch, on_match, context);
  release(scratch);
  return ok;
}

bool HsDatabase::grow_scratch(hs_scratch** scratch) const {
  return hs_alloc_scratch(db_, scratch) == HS_SUCCESS;
}

bool HsDatabase::scan(std::string_view text, hs_scratch* scratch, OnMatch on_match,
                      void* context) const {
  struct Ctx {
    OnMatch fn;
    void* context;
  } ctx{on_match, context};
  const auto handler = [](unsigned int id, unsigned long long, unsigned long long, unsigned int,
                          void* c) -> int {
    auto* ctx = static_cast<Ctx*>(c);
    ctx->fn(id, ctx->context);
    return 0;
  };
  const hs_error_t rc = hs_scan(db_, text.data(), static_cast<unsigned int>(text.size()), 0,
                                scratch, handler, &ctx);
  return rc == HS_SUCCESS;
}

std::size_t HsDatabase::size_bytes() const {
  size_t size = 0;
  hs_database_size(db_, &size);
  return size;
}

}  // namespace portcullis::rules
