#include "rules/rule_set.hpp"

#include <hs/hs.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "rules/hs_database.hpp"
#include "rules/meta_expr.hpp"
#include "rules/pcre_pattern.hpp"

namespace portcullis::rules {
namespace {

unsigned int hs_flags(const PatternFlags& f) {
  unsigned int flags = HS_FLAG_SINGLEMATCH;
  if (f.caseless) flags |= HS_FLAG_CASELESS;
  if (f.multiline) flags |= HS_FLAG_MULTILINE;
  if (f.dotall) flags |= HS_FLAG_DOTALL;
  if (f.utf8) flags |= HS_FLAG_UTF8 | HS_FLAG_UCP;
  return flags;
}

// Hyperscan's prefilter approximation of a long pattern, or of one with a large bounded
// repeat, can take tens of seconds to compile (SpamAssassin's __FILL_THIS_FORM_PARTIAL, ~3 KB
// of alternations: 27 s; __SPOOFED_URL with [^>]{0,2048}: 21 s) — more than the rest of a
// 1,500-rule set together. Those run on PCRE2 alone: slower per message, but bounded by its
// match limit, and the rule set compiles in seconds.
constexpr std::size_t kMaxPrefilterLength = 1500;
constexpr std::size_t kChunkPatterns = 128;
constexpr unsigned long kMaxPrefilterRepeat = 500;

bool prefilter_affordable(const std::string& pattern) {
  if (pattern.size() > kMaxPrefilterLength) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
      continue;
    }
    if (pattern[i] != '{') continue;
    // {n}, {n,} or {n,m}: any bound above the limit.
    std::size_t j = i + 1;
    unsigned long value = 0;
    for (; j < pattern.size(); ++j) {
      const char c = pattern[j];
      if (c >= '0' && c <= '9') {
        value = value * 10 + static_cast<unsigned long>(c - '0');
        if (value > kMaxPrefilterRepeat) return false;
      } else if (c == ',') {
        value = 0;
      } else {
        break;
      }
    }
  }
  return true;
}

std::string where(const Rule& rule) { return rule.file + ":" + std::to_string(rule.line) + ": "; }

}  // namespace

struct RuleSet::Group {
  Target target;
  std::string key;  // target.key(), computed once
  std::vector<std::shared_ptr<HsDatabase>> dbs;  // chunks of the group's patterns
  struct Slot {
    std::uint32_t rule;
    bool prefilter;
  };
  std::vector<Slot> slots;                 // Hyperscan id = slot index
  std::vector<std::uint32_t> pattern_rules;
  std::vector<std::uint32_t> exists_rules;
  std::vector<std::uint32_t> confirm;      // prefiltered: PCRE2 when Hyperscan says maybe
  std::vector<std::uint32_t> pcre_only;    // PCRE2 on every scan
};

// Scratch for every database of the set: one per concurrent scan, taken once per scan.
class ScratchPool {
 public:
  ~ScratchPool() {
    for (hs_scratch_t* s : free_) hs_free_scratch(s);
    hs_free_scratch(prototype_);
  }
  bool add(const HsDatabase& db) { return db.grow_scratch(&prototype_); }
  hs_scratch_t* acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        hs_scratch_t* s = free_.back();
        free_.pop_back();
        return s;
      }
    }
    hs_scratch_t* s = nullptr;
    if (prototype_ == nullptr || hs_clone_scratch(prototype_, &s) != HS_SUCCESS) return nullptr;
    return s;
  }
  void release(hs_scratch_t* s) {
    if (s == nullptr) return;
    std::lock_guard lock(mutex_);
    free_.push_back(s);
  }

 private:
  hs_scratch_t* prototype_ = nullptr;
  std::mutex mutex_;
  std::vector<hs_scratch_t*> free_;
};

struct RuleSet::Impl {
  ScratchPool scratch;
  std::vector<std::optional<PcrePattern>> pcre;  // per rule (pattern rules)
  std::vector<std::uint8_t> unset_hit;           // per rule: the hit when the header is missing
  std::vector<Group> groups;
  std::vector<std::uint32_t> group_of;           // per rule
  std::vector<std::pair<std::uint32_t, MetaExpr>> metas;  // dependencies first
  std::vector<std::uint32_t> multiple;           // rules whose metas value is a count
};

RuleSet::~RuleSet() = default;

std::shared_ptr<const RuleSet> RuleSet::compile(std::vector<Rule> rules,
                                                const CompileOptions& options,
                                                std::vector<std::string>& problems,
                                                std::vector<std::string>& warnings) {
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<RuleSet> set(new RuleSet());
  set->rules_ = std::move(rules);
  set->impl_ = std::make_unique<Impl>();
  Impl& impl = *set->impl_;
  const auto& all = set->rules_;
  const std::size_t n = all.size();
  impl.pcre.resize(n);
  impl.unset_hit.assign(n, 0);
  impl.group_of.assign(n, 0);
  set->engine_.assign(n, Engine::kNone);
  CompileStats& stats = set->stats_;
  const std::size_t problems_before = problems.size();

  std::unordered_map<std::string_view, std::uint32_t> index;
  for (std::uint32_t i = 0; i < n; ++i) index.emplace(all[i].id, i);
  std::unordered_map<std::string, std::uint32_t> group_index;
  auto group_for = [&](const Target& target) -> Group& {
    auto [it, fresh] = group_index.emplace(target.key(), impl.groups.size());
    if (fresh) impl.groups.push_back(Group{target, it->first, {}, {}, {}, {}, {}, {}});
    return impl.groups[it->second];
  };

  std::vector<std::pair<std::uint32_t, MetaExpr>> metas;
  for (std::uint32_t i = 0; i < n; ++i) {
    const Rule& rule = all[i];
    if (rule.is_meta()) {
      ++stats.meta_rules;
      std::string error;
      auto expr = MetaExpr::parse(rule.meta, error);
      if (!expr) {
        problems.push_back(where(rule) + rule.id + ".meta: " + error);
        continue;
      }
      std::vector<std::uint32_t> bound;
      for (const auto& name : expr->references()) {
        auto it = index.find(name);
        if (it == index.end()) {
          problems.push_back(where(rule) + rule.id + ".meta: no rule '" + name + "'");
          continue;
        }
        bound.push_back(it->second);
      }
      if (bound.size() != expr->references().size()) continue;
      expr->bind(std::move(bound));
      metas.emplace_back(i, std::move(*expr));
      continue;
    }
    if (rule.target.kind != TargetKind::kFull && rule.target.kind != TargetKind::kAllHeaders) {
      set->needs_mime_ = true;
    }
    if (rule.target.kind == TargetKind::kAllHeaders && rule.target.form != HeaderForm::kRaw) {
      set->needs_mime_ = true;
    }
    Group& group = group_for(rule.target);
    impl.group_of[i] = static_cast<std::uint32_t>(&group - impl.groups.data());
    if (rule.exists) {
      ++stats.exists_rules;
      group.exists_rules.push_back(i);
      continue;
    }
    ++stats.pattern_rules;
    std::string error;
    auto pcre = PcrePattern::compile(rule.pattern, rule.flags, false, error);
    if (!pcre) {
      problems.push_back(where(rule) + rule.id + ".pattern: bad regex: " + error);
      continue;
    }
    group.pattern_rules.push_back(i);
    if (rule.multiple) impl.multiple.push_back(i);
    if (rule.if_unset) impl.unset_hit[i] = (pcre->matches(*rule.if_unset) != rule.negate);
    const unsigned int flags = hs_flags(rule.flags);
    std::string reason;
    if (hs_accepts(rule.pattern, flags, &reason)) {
      if (pcre->matches_empty()) {
        warnings.push_back(where(rule) + rule.id + ": the pattern matches the empty string");
      }
      set->engine_[i] = Engine::kHyperscan;
      group.slots.push_back({i, false});
    } else if (options.prefilter && prefilter_affordable(rule.pattern) &&
               hs_accepts(rule.pattern, flags | HS_FLAG_PREFILTER, nullptr)) {
      set->engine_[i] = Engine::kPrefiltered;
      group.slots.push_back({i, true});
    } else {
      set->engine_[i] = Engine::kPcre;
      group.pcre_only.push_back(i);
      warnings.push_back(where(rule) + rule.id + ": runs on PCRE2 for every message (" +
                         reason + ")");
    }
    impl.pcre[i] = std::move(pcre);
  }
  if (problems.size() != problems_before) return nullptr;

  for (Group& group : impl.groups) {
    std::vector<HsPattern> patterns;
    for (std::size_t s = 0; s < group.slots.size(); ++s) {
      const Rule& rule = all[group.slots[s].rule];
      unsigned int flags = hs_flags(rule.flags);
      if (group.slots[s].prefilter) flags |= HS_FLAG_PREFILTER;
      if (hs_matches_empty(rule.pattern, flags)) flags |= HS_FLAG_ALLOWEMPTY;
      patterns.push_back({rule.pattern, flags, static_cast<unsigned int>(s)});
    }
    if (patterns.empty()) continue;
    // Compiled in chunks of 128: Hyperscan's compile time grows faster than linearly with
    // the number of patterns in one database, while each extra database costs one more pass
    // over the text. SpamAssassin's set: one database per target 26.5 s to compile and
    // 194 µs/message; chunks of 128: 19.6 s and 203 µs; chunks of 16: 24 s and 247 µs.
    std::vector<std::uint8_t> dead(group.slots.size(), 0);
    for (std::size_t begin = 0; begin < patterns.size(); begin += kChunkPatterns) {
      const std::size_t end = std::min(patterns.size(), begin + kChunkPatterns);
      const std::vector<HsPattern> chunk(patterns.begin() + static_cast<std::ptrdiff_t>(begin),
                                         patterns.begin() + static_cast<std::ptrdiff_t>(end));
      std::vector<HsDatabase::Rejected> rejected;
      bool cached = false;
      auto db = HsDatabase::build(chunk, options.cache_dir, rejected, &cached);
      for (const auto& r : rejected) {
        dead[begin + r.index] = 1;
        const Rule& rule = all[group.slots[begin + r.index].rule];
        warnings.push_back(where(rule) + rule.id + ": runs on PCRE2 for every message (" +
                           r.reason + ")");
      }
      if (!db) {
        for (std::size_t k = begin; k < end; ++k) dead[k] = 1;
        continue;
      }
      if (!impl.scratch.add(*db)) {
        for (std::size_t k = begin; k < end; ++k) dead[k] = 1;
        continue;
      }
      ++stats.databases;
      if (cached) ++stats.databases_from_cache;
      stats.database_bytes += db->size_bytes();
      group.dbs.push_back(std::move(db));
    }
    // A slot Hyperscan refused in its chunk: PCRE2 alone (its id is never reported).
    for (std::size_t s = 0; s < group.slots.size(); ++s) {
      const std::uint32_t i = group.slots[s].rule;
      if (dead[s]) {
        set->engine_[i] = Engine::kPcre;
        group.pcre_only.push_back(i);
      } else if (group.slots[s].prefilter) {
        group.confirm.push_back(i);
      }
    }
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    switch (set->engine_[i]) {
      case Engine::kHyperscan: ++stats.hyperscan; break;
      case Engine::kPrefiltered: ++stats.prefiltered; break;
      case Engine::kPcre: ++stats.pcre_only; break;
      case Engine::kNone: break;
    }
    if (set->engine_[i] == Engine::kPrefiltered || set->engine_[i] == Engine::kPcre ||
        (all[i].multiple && impl.pcre[i])) {
      std::string error;
      impl.pcre[i] = PcrePattern::compile(all[i].pattern, all[i].flags, true, error);
    }
  }

  // Metas in dependency order (the loader refused cycles): depth-first, post-order.
  std::vector<int> meta_at(n, -1);
  for (std::size_t m = 0; m < metas.size(); ++m) meta_at[metas[m].first] = static_cast<int>(m);
  std::vector<std::uint8_t> state(n, 0);
  for (std::size_t m = 0; m < metas.size(); ++m) {
    std::vector<std::pair<std::uint32_t, std::size_t>> stack{{metas[m].first, 0}};
    if (state[metas[m].first] != 0) continue;
    state[metas[m].first] = 1;
    while (!stack.empty()) {
      auto& [rule, next] = stack.back();
      const auto& refs = metas[static_cast<std::size_t>(meta_at[rule])].second;
      std::vector<std::uint32_t> deps;
      for (std::size_t k = 0; k < refs.references().size(); ++k) {
        deps.push_back(index.at(refs.references()[k]));
      }
      if (next < deps.size()) {
        const std::uint32_t dep = deps[next++];
        if (meta_at[dep] >= 0 && state[dep] == 0) {
          state[dep] = 1;
          stack.emplace_back(dep, 0);
        }
      } else {
        state[rule] = 2;
        impl.metas.push_back(std::move(metas[static_cast<std::size_t>(meta_at[rule])]));
        stack.pop_back();
      }
    }
  }
  stats.compile_ms = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - started).count();
  return set;
}

std::vector<std::uint8_t> RuleSet::scan(MessageTexts& texts) const {
  const std::size_t n = rules_.size();
  std::vector<std::uint8_t> hits(n, 0);
  // matched and maybe share one allocation: this runs for every message.
  std::vector<std::uint8_t> flags(2 * n, 0);
  std::uint8_t* matched = flags.data();
  std::uint8_t* maybe = flags.data() + n;
  hs_scratch_t* scratch = impl_->scratch.acquire();
  struct ScratchRelease {
    ScratchPool& pool;
    hs_scratch_t* s;
    ~ScratchRelease() { pool.release(s); }
  } release_scratch{impl_->scratch, scratch};
  struct Ctx {
    const Group* group;
    std::uint8_t* matched;
    std::uint8_t* maybe;
  };
  for (const Group& group : impl_->groups) {
    bool present = true;
    const auto& items = texts.items(group.target, group.key, present);
    if (!present) {
      for (std::uint32_t r : group.pattern_rules) {
        hits[r] = rules_[r].if_unset ? impl_->unset_hit[r] : 0;
      }
      continue;
    }
    for (std::uint32_t r : group.exists_rules) hits[r] = 1;
    for (const auto& db : group.dbs) {
      Ctx ctx{&group, matched, maybe};
      for (std::string_view item : items) {
        // Without scratch (out of memory) each database takes its own from its pool.
        const auto on_match = [](unsigned int id, void* c) {
          auto* ctx = static_cast<Ctx*>(c);
          const auto& slot = ctx->group->slots[id];
          (slot.prefilter ? ctx->maybe : ctx->matched)[slot.rule] = 1;
        };
        if (scratch != nullptr) {
          db->scan(item, scratch, on_match, &ctx);
        } else {
          db->scan(item, on_match, &ctx);
        }
      }
    }
    auto confirm = [&](std::uint32_t r) {
      for (std::string_view item : items) {
        if (impl_->pcre[r]->matches(item)) {
          matched[r] = 1;
          return;
        }
      }
    };
    for (std::uint32_t r : group.confirm) {
      if (maybe[r]) confirm(r);
    }
    for (std::uint32_t r : group.pcre_only) confirm(r);
    for (std::uint32_t r : group.pattern_rules) {
      hits[r] = rules_[r].negate ? !matched[r] : matched[r];
    }
  }
  // Metas see hit counts: 0/1, or the number of matches of a `multiple` rule (counted with
  // PCRE2 only for those that hit).
  std::vector<std::uint32_t> counts;
  if (!impl_->multiple.empty()) {
    counts.assign(n, 0);
    for (std::uint32_t r : impl_->multiple) {
      if (!hits[r]) continue;
      bool present = true;
      const auto& items = texts.items(impl_->groups[impl_->group_of[r]].target, present);
      std::uint32_t total = 0;
      for (std::string_view item : items) {
        total += impl_->pcre[r]->count(item, rules_[r].max_hits - total);
        if (total >= rules_[r].max_hits) break;
      }
      counts[r] = std::max<std::uint32_t>(total, 1);
    }
  }
  for (const auto& [rule, expr] : impl_->metas) {
    hits[rule] = expr.evaluate([&](std::uint32_t i) {
      return counts.empty() || counts[i] == 0 ? std::int64_t{hits[i]} : std::int64_t{counts[i]};
    }) != 0;
  }
  return hits;
}

std::optional<RuleSet::Location> RuleSet::locate(std::uint32_t rule, MessageTexts& texts) const {
  const Rule& r = rules_[rule];
  if (r.is_meta() || r.exists || r.negate || !impl_->pcre[rule]) return std::nullopt;
  const Group& group = impl_->groups[impl_->group_of[rule]];
  bool present = true;
  const auto& items = texts.items(group.target, present);
  if (!present) return std::nullopt;
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (auto m = impl_->pcre[rule]->find(items[k])) {
      return Location{k, m->start, m->end, items[k]};
    }
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
