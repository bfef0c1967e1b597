// One Hyperscan block-mode database (all patterns of one target) with its scratch space, and
// the on-disk cache of compiled databases (hs_serialize_database) so restarts and reloads of
// an unchanged rule set skip compilation. The cache key is a SHA-256 over hs_version(), the
// platform Hyperscan compiles for, and every (id, flags, pattern), and holds the database with
// the list of patterns Hyperscan refused in that set; a cache file that does
// not deserialize is recompiled and replaced (written to a temporary name, then renamed).
// Scratch: a pool, one scratch per concurrent scan (Hyperscan's rule: never share one
// between threads), grown by cloning on demand. Untrusted input: the texts scanned (any
// bytes; patterns with HS_FLAG_UTF8 only get valid UTF-8 from the caller).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct hs_database;
struct hs_scratch;

namespace portcullis::rules {

struct HsPattern {
  std::string expression;
  unsigned int flags = 0;  // HS_FLAG_*
  unsigned int id = 0;
};

// Whether Hyperscan accepts one pattern alone with these flags; the reason if not.
bool hs_accepts(const std::string& expression, unsigned int flags, std::string* reason);
// Whether the pattern's minimum match width is zero (it may match the empty string).
bool hs_matches_empty(const std::string& expression, unsigned int flags);
// "5.4.0 2023-..." — for cache keys and `--version`.
std::string hs_version_text();

class HsDatabase {
 public:
  // Compiles `patterns` (or loads them from `cache_dir` when given and present). A pattern
  // that makes the whole compile fail is dropped and reported in `rejected` (index into
  // `patterns`, reason), and the rest compiled again — so one bad pattern never costs the
  // others. nullptr only when nothing compiled (no patterns or every one rejected).
  struct Rejected {
    std::size_t index;
    std::string reason;
  };
  static std::shared_ptr<HsDatabase> build(const std::vector<HsPattern>& patterns,
                                           const std::filesystem::path& cache_dir,
                                           std::vector<Rejected>& rejected, bool* from_cache);
  ~HsDatabase();
  HsDatabase(const HsDatabase&) = delete;
  HsDatabase& operator=(const HsDatabase&) = delete;

  // Calls on_match(id) for each pattern id that matches `text` (once per id when the
  // patterns have HS_FLAG_SINGLEMATCH). Returns false if Hyperscan reported an error.
  using OnMatch = void (*)(unsigned int id, void* context);
  bool scan(std::string_view text, OnMatch on_match, void* context) const;
  // The same with the caller's scratch, which must have been grown for this database
  // (grow_scratch) and must not be in use by another thread.
  bool scan(std::string_view text, hs_scratch* scratch, OnMatch on_match, void* context) const;
  // Allocates *scratch or grows it so that it also serves this database (one scratch can
  // serve many databases: a rule set takes one per scan instead of one per database).
  bool grow_scratch(hs_scratch** scratch) const;

  std::size_t size_bytes() const;

 private:
  HsDatabase() = default;
  hs_scratch* acquire() const;
  void release(hs_scratch* scratch) const;

  hs_database* db_ = nullptr;
  hs_scratch* prototype_ = nullptr;
  mutable std::mutex mutex_;
  mutable std::vector<hs_scratch*> free_;
};

}  // namespace portcullis::rules
