// Content-rule scan throughput (issue 6): the compiled RuleSet (Hyperscan databases per target,
// PCRE2 fallback) against the same rules evaluated one by one with PCRE2-JIT, on the same
// messages in the same run, single thread, CPU time of this thread.
//
//   bench_rules_scan --rules DIR_OR_FILE [--rules …] [MESSAGE_FILE_OR_DIR …]
//
// Messages: files, or directories walked recursively (a directory's EXTERNAL.txt lists more
// files by path, as bench/corpus/sa/ does); default bench/corpus/sa/. Read with CRLF line
// ends, as SMTP delivers them.
// Methods, alternated in rounds (the order rotates every round), medians over rounds:
//   texts      MessageTexts built per message and every target's texts computed (MIME parse,
//              header joins, relay pseudo-headers): the cost both engines share;
//   scan       RuleSet::scan with the MessageTexts built per message (what the filter pays);
//   eval       RuleSet::scan over MessageTexts prepared once: the pure rule evaluation;
//   pcre       every pattern rule's own PcrePattern (jit=true) over its target's items on the
//              same prepared texts, negate / if_unset / exists / meta semantics as the engine's.
// Before timing, `eval` and `pcre` must give identical hits on every message (mismatches are
// printed; exit status 3). Then scaling: the first 100, 1,000 and all pattern rules (file
// order; a meta kept only when everything it references is kept), `eval` and `scan` per
// message for each subset, alternated the same way.
// Output: a readable table, then one line starting `JSON ` with every figure.
// No timed assertions anywhere: this only measures and reports.

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "rules/message_texts.hpp"
#include "rules/meta_expr.hpp"
#include "rules/pcre_pattern.hpp"
#include "rules/rule.hpp"
#include "rules/rule_loader.hpp"
#include "rules/rule_set.hpp"

namespace fs = std::filesystem;
namespace pr = portcullis::rules;

namespace {

// --- timing ------------------------------------------------------------------------------

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double wall_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

volatile std::uint64_t g_sink = 0;  // keeps results observable

const char* const kEngine[] = {"hyperscan", "prefiltered", "pcre", "none"};  // pr::Engine

// --- messages ----------------------------------------------------------------------------

struct Message {
  std::string name;
  std::string bytes;  // CRLF line ends, as SMTP delivers (and as `portcullis rules test` reads)
};

std::string to_crlf(const std::string& raw) {
  std::string out;
  out.reserve(raw.size() + raw.size() / 40);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
    out += raw[i];
  }
  return out;
}

bool looks_like_message_file(const fs::path& p) {
  const std::string name = p.filename().string();
  if (name.empty() || name[0] == '.') return false;
  static const char* kSkip[] = {".md",  ".json", ".yaml", ".yml", ".py",
                                ".pl",  ".sh",   ".cf",   ".pre", ".tsv"};
  for (const char* ext : kSkip) {
    if (p.extension() == ext) return false;
  }
  return !name.starts_with("README") && !name.starts_with("SOURCES");
}

void add_messages(const fs::path& path, std::vector<Message>& out, bool only_eml) {
  std::error_code ec;
  std::vector<fs::path> files;
  std::vector<fs::path> external;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const fs::path& p = it->path();
      if (!only_eml && p.filename() == "EXTERNAL.txt") {
        // A corpus's list of messages kept elsewhere (bench/corpus/sa/EXTERNAL.txt): one path
        // a line, '#' comments, relative paths from the repository root.
        std::ifstream list(p);
        for (std::string line; std::getline(list, line);) {
          while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
          if (line.empty() || line[0] == '#') continue;
          fs::path f(line);
          if (f.is_relative()) f = fs::path(PORTCULLIS_SOURCE_DIR) / f;
          if (fs::is_regular_file(f, ec)) external.push_back(f.lexically_normal());
          else std::fprintf(stderr, "warning: %s: listed in %s, missing\n", f.c_str(), p.c_str());
        }
        continue;
      }
      if (only_eml ? p.extension() == ".eml" : looks_like_message_file(p)) files.push_back(p);
    }
  } else if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
  } else {
    std::fprintf(stderr, "warning: %s: no such file or directory\n", path.c_str());
  }
  std::sort(files.begin(), files.end());
  files.insert(files.end(), external.begin(), external.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    if (s.str().empty()) continue;
    out.push_back({f.string(), to_crlf(s.str())});
  }
}

std::vector<Message> default_corpus(const fs::path& source) {
  std::vector<Message> out;
  const fs::path corpus = source / "bench" / "corpus" / "sa";
  std::error_code ec;
  if (fs::is_directory(corpus, ec) && !fs::is_empty(corpus, ec)) {
    add_messages(corpus, out, false);
    return out;
  }
  add_messages("/work/shared/testdata", out, true);
  for (const char* f : {"/usr/share/doc/spamassassin/examples/sample-nonspam.txt",
                        "/usr/share/doc/spamassassin/examples/sample-spam.txt"}) {
    if (fs::exists(f, ec)) add_messages(f, out, false);
  }
  const fs::path tests = source / "tests" / "rules" / "default" / "messages";
  if (fs::is_directory(tests, ec)) add_messages(tests, out, false);
  return out;
}

// --- the PCRE2-JIT one-by-one baseline -----------------------------------------------------

// Every pattern rule on its own: its PcrePattern (JIT) over each item of its target, in file
// order; then the metas in dependency order. Same semantics as RuleSet::scan (rule.hpp).
class OneByOne {
 public:
  bool build(const std::vector<pr::Rule>& rules, std::string& error) {
    rules_ = &rules;
    const std::size_t n = rules.size();
    std::unordered_map<std::string, std::uint32_t> target_index;
    std::unordered_map<std::string_view, std::uint32_t> id_index;
    for (std::uint32_t i = 0; i < n; ++i) id_index.emplace(rules[i].id, i);
    std::vector<std::optional<pr::MetaExpr>> exprs(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      const pr::Rule& r = rules[i];
      if (r.is_meta()) {
        std::string err;
        auto expr = pr::MetaExpr::parse(r.meta, err);
        if (!expr) {
          error = r.id + ": " + err;
          return false;
        }
        std::vector<std::uint32_t> bound;
        for (const auto& name : expr->references()) {
          auto it = id_index.find(name);
          if (it == id_index.end()) {
            error = r.id + ": no rule " + name;
            return false;
          }
          bound.push_back(it->second);
        }
        expr->bind(std::move(bound));
        exprs[i] = std::move(expr);
        continue;
      }
      auto [it, fresh] = target_index.emplace(r.target.key(), targets_.size());
      if (fresh) targets_.push_back(r.target);
      One one;
      one.rule = i;
      one.target = it->second;
      one.exists = r.exists;
      one.negate = r.negate;
      one.has_unset = r.if_unset.has_value();
      if (!r.exists) {
        std::string err;
        one.re = pr::PcrePattern::compile(r.pattern, r.flags, true, err);
        if (!one.re) {
          error = r.id + ": " + err;
          return false;
        }
        if (!one.re->jit()) ++no_jit_;
        if (one.has_unset) one.unset_hit = one.re->matches(*r.if_unset) != r.negate;
      }
      ones_.push_back(std::move(one));
    }
    // Metas, dependencies first (depth-first post-order; the loader refused cycles).
    std::vector<std::uint8_t> state(n, 0);
    std::function<void(std::uint32_t)> visit = [&](std::uint32_t i) {
      if (state[i] != 0 || !exprs[i]) return;
      state[i] = 1;
      for (const auto& name : exprs[i]->references()) visit(id_index.at(name));
      state[i] = 2;
      metas_.emplace_back(i, std::move(*exprs[i]));
    };
    for (std::uint32_t i = 0; i < n; ++i) visit(i);
    return true;
  }

  std::vector<std::uint8_t> run(pr::MessageTexts& texts) const {
    std::vector<std::uint8_t> hits(rules_->size(), 0);
    // The items of each target (computed once per message by MessageTexts, cached after).
    std::vector<const std::vector<std::string_view>*> items(targets_.size());
    std::vector<std::uint8_t> present(targets_.size(), 0);
    for (std::size_t t = 0; t < targets_.size(); ++t) {
      bool p = true;
      items[t] = &texts.items(targets_[t], p);
      present[t] = p;
    }
    for (const One& one : ones_) {
      if (!present[one.target]) {
        hits[one.rule] = one.exists ? 0 : (one.has_unset ? one.unset_hit : 0);
        continue;
      }
      if (one.exists) {
        hits[one.rule] = 1;
        continue;
      }
      bool matched = false;
      for (std::string_view item : *items[one.target]) {
        if (one.re->matches(item)) {
          matched = true;
          break;
        }
      }
      hits[one.rule] = one.negate ? !matched : matched;
    }
    // `multiple` rules count their matches for metas, as RuleSet::scan does.
    std::vector<std::uint32_t> counts(rules_->size(), 0);
    for (const One& one : ones_) {
      const pr::Rule& rule = (*rules_)[one.rule];
      if (!rule.multiple || !hits[one.rule]) continue;
      std::uint32_t total = 0;
      for (std::string_view item : *items[one.target]) {
        total += one.re->count(item, rule.max_hits - total);
        if (total >= rule.max_hits) break;
      }
      counts[one.rule] = std::max<std::uint32_t>(total, 1);
    }
    for (const auto& [rule, expr] : metas_) {
      hits[rule] = expr.evaluate([&](std::uint32_t i) {
        return counts[i] != 0 ? std::int64_t{counts[i]} : std::int64_t{hits[i]};
      }) != 0;
    }
    return hits;
  }

  std::size_t no_jit() const { return no_jit_; }
  const std::vector<pr::Target>& targets() const { return targets_; }

  // CPU seconds each pattern rule's regex takes over every prepared message (for --by-rule).
  std::vector<std::pair<double, std::uint32_t>> cost_per_rule(
      std::vector<std::unique_ptr<pr::MessageTexts>>& all_texts, int reps) const {
    std::vector<std::pair<double, std::uint32_t>> out;
    std::uint64_t acc = 0;
    for (const One& one : ones_) {
      if (one.exists) continue;
      const double t0 = thread_cpu_seconds();
      for (int r = 0; r < reps; ++r) {
        for (auto& texts : all_texts) {
          bool present = true;
          for (std::string_view item : texts->items(targets_[one.target], present)) {
            acc += one.re->matches(item);
          }
        }
      }
      out.emplace_back((thread_cpu_seconds() - t0) / reps, one.rule);
    }
    g_sink = g_sink + acc;
    std::sort(out.rbegin(), out.rend());
    return out;
  }

 private:
  struct One {
    std::uint32_t rule = 0;
    std::uint32_t target = 0;
    std::optional<pr::PcrePattern> re;
    bool exists = false;
    bool negate = false;
    bool has_unset = false;
    std::uint8_t unset_hit = 0;
  };
  const std::vector<pr::Rule>* rules_ = nullptr;
  std::vector<pr::Target> targets_;
  std::vector<One> ones_;
  std::vector<std::pair<std::uint32_t, pr::MetaExpr>> metas_;
  std::size_t no_jit_ = 0;
};

// --- subsets for the scaling measurement -----------------------------------------------------

// The first `count` non-meta rules in file order, plus every meta whose references are all
// kept (transitively: a meta of metas is kept when those metas are).
std::vector<pr::Rule> first_pattern_rules(const std::vector<pr::Rule>& all, std::size_t count) {
  std::unordered_set<std::string> kept;
  std::size_t taken = 0;
  for (const auto& r : all) {
    if (r.is_meta()) continue;
    if (taken++ >= count) break;
    kept.insert(r.id);
  }
  std::vector<const pr::Rule*> metas;
  for (const auto& r : all) {
    if (r.is_meta()) metas.push_back(&r);
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (const pr::Rule* m : metas) {
      if (kept.contains(m->id)) continue;
      std::string err;
      auto expr = pr::MetaExpr::parse(m->meta, err);
      if (!expr) continue;
      const auto& refs = expr->references();
      if (std::all_of(refs.begin(), refs.end(),
                      [&](const std::string& id) { return kept.contains(id); })) {
        kept.insert(m->id);
        changed = true;
      }
    }
  }
  std::vector<pr::Rule> out;
  for (const auto& r : all) {
    if (kept.contains(r.id)) out.push_back(r);
  }
  return out;
}

// --- measurement ---------------------------------------------------------------------------

struct Prepared {
  std::vector<std::unique_ptr<pr::ScanInput>> inputs;
  std::vector<std::unique_ptr<pr::MessageTexts>> texts;
};

// Runs `pass` (one pass over the corpus) `reps` times; CPU seconds of this thread per pass.
double cpu_per_pass(const std::function<void()>& pass, int reps) {
  const double t0 = thread_cpu_seconds();
  for (int i = 0; i < reps; ++i) pass();
  return (thread_cpu_seconds() - t0) / reps;
}

// How many passes make one timed sample last at least `min_seconds` of CPU.
int calibrate(const std::function<void()>& pass, double min_seconds) {
  const double one = cpu_per_pass(pass, 1);  // also the warm-up
  if (one <= 0) return 1000;
  return std::max(1, static_cast<int>(std::ceil(min_seconds / one)));
}

struct Method {
  Method() = default;
  Method(std::string n, std::function<void()> p) : name(std::move(n)), pass(std::move(p)) {}
  std::string name;
  std::function<void()> pass;
  int reps = 1;
  std::vector<double> samples;  // CPU seconds per pass, one per round
  double wall = 0;              // wall seconds, summed (for the CPU share line)
  double cpu = 0;
};

void run_rounds(std::vector<Method*>& methods, int rounds, double min_seconds) {
  for (Method* m : methods) m->reps = calibrate(m->pass, min_seconds);
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t k = 0; k < methods.size(); ++k) {
      Method* m = methods[(k + static_cast<std::size_t>(round)) % methods.size()];
      const double w0 = wall_seconds();
      const double c = cpu_per_pass(m->pass, m->reps);
      m->wall += wall_seconds() - w0;
      m->cpu += c * m->reps;
      m->samples.push_back(c);
    }
  }
}

struct Figures {
  double cpu_per_pass = 0;  // median
  double us_per_msg = 0;
  double msg_per_s = 0;
  double mb_per_s = 0;
  double spread = 0;  // (max-min)/median over rounds
};

Figures figures(const Method& m, std::size_t messages, std::size_t bytes) {
  Figures f;
  f.cpu_per_pass = median(m.samples);
  if (f.cpu_per_pass <= 0 || messages == 0) return f;
  f.us_per_msg = f.cpu_per_pass / static_cast<double>(messages) * 1e6;
  f.msg_per_s = static_cast<double>(messages) / f.cpu_per_pass;
  f.mb_per_s = static_cast<double>(bytes) / f.cpu_per_pass / 1e6;
  const auto [lo, hi] = std::minmax_element(m.samples.begin(), m.samples.end());
  f.spread = (*hi - *lo) / f.cpu_per_pass;
  return f;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string fig_json(const Figures& f) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"us_per_msg\":%.3f,\"msg_per_s_per_core\":%.1f,\"mb_per_s\":%.3f,"
                "\"spread\":%.3f}",
                f.us_per_msg, f.msg_per_s, f.mb_per_s, f.spread);
  return buf;
}

std::string g_cache_dir;  // --cache-dir: Hyperscan databases cached there (compile_ms then
                          // measures loading, not compiling)

std::shared_ptr<const pr::RuleSet> compile(std::vector<pr::Rule> rules, bool quiet) {
  std::vector<std::string> problems, warnings;
  pr::CompileOptions options;
  options.cache_dir = g_cache_dir;
  auto set = pr::RuleSet::compile(std::move(rules), options, problems, warnings);
  for (const auto& p : problems) std::fprintf(stderr, "error: %s\n", p.c_str());
  if (!quiet && !warnings.empty()) {
    std::fprintf(stderr, "%zu compile warning(s) (first: %s)\n", warnings.size(),
                 warnings.front().c_str());
  }
  return set;
}

void usage() {
  std::fprintf(stderr,
               "usage: bench_rules_scan --rules PATH [--rules PATH…] [options] [MESSAGES…]\n"
               "  MESSAGES       files or directories (recursive); default: bench/corpus/sa/,\n"
               "                 else /work/shared/testdata/**/*.eml, SpamAssassin's sample-*.txt\n"
               "                 and tests/rules/default/messages/\n"
               "  --label NAME   name of the rule set in the output (default: first --rules)\n"
               "  --rounds N     rounds of alternated methods, medians reported (default 7)\n"
               "  --min-ms MS    CPU ms per timed sample at least (default 150)\n"
               "  --no-scaling   skip the 100 / 1,000 / all measurement\n"
               "  --scales LIST  comma-separated subset sizes (default 100,1000)\n"
               "  --max-mismatch N  mismatches printed at most (default 50)\n"
               "  --cache-dir DIR  Hyperscan database cache (default none: compile_ms is a compile)\n"
               "  --only METHOD  time one method alone (texts|scan|eval|pcre), no scaling (for perf)\n"
               "  --by-target    also: per target, eval and PCRE2-JIT µs/msg of its rules alone\n"
               "  --by-rule N    also: the N rules whose regex costs PCRE2-JIT the most\n"
               "  --messages-from FILE  message files, one path a line (adds to MESSAGES)\n"
               "  --hits-out FILE  per message: path, TAB, the ids of the rules hit (no sub-rules),\n"
               "                 comma-separated (for comparing with another scanner)\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress visible when piped (perf, scripts)
  std::vector<fs::path> rule_paths;
  std::vector<fs::path> message_paths;
  std::string label;
  int rounds = 7;
  double min_ms = 150;
  bool scaling = true;
  std::vector<std::size_t> scales{100, 1000};
  std::size_t max_mismatch = 50;
  std::string hits_out;
  std::string only;
  bool by_target = false;
  std::size_t by_rule = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--rules") rule_paths.emplace_back(value());
    else if (a == "--label") label = value();
    else if (a == "--rounds") rounds = std::max(1, std::atoi(value().c_str()));
    else if (a == "--min-ms") min_ms = std::max(1.0, std::atof(value().c_str()));
    else if (a == "--no-scaling") scaling = false;
    else if (a == "--hits-out") hits_out = value();
    else if (a == "--cache-dir") g_cache_dir = value();
    else if (a == "--only") only = value();
    else if (a == "--by-target") by_target = true;
    else if (a == "--by-rule") by_rule = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--messages-from") {
      std::ifstream list(value());
      if (!list) {
        std::fprintf(stderr, "cannot read the message list\n");
        return 2;
      }
      for (std::string line; std::getline(list, line);) {
        if (!line.empty()) message_paths.emplace_back(line);
      }
    } else if (a == "--max-mismatch") max_mismatch = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--scales") {
      scales.clear();
      std::stringstream s(value());
      for (std::string part; std::getline(s, part, ',');) {
        if (!part.empty()) scales.push_back(std::strtoull(part.c_str(), nullptr, 10));
      }
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (a.starts_with("--")) {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      usage();
      return 2;
    } else {
      message_paths.emplace_back(a);
    }
  }
  if (rule_paths.empty()) {
    usage();
    return 2;
  }
  if (label.empty()) label = rule_paths.front().string();

  // Messages.
  std::vector<Message> messages;
  if (message_paths.empty()) {
    messages = default_corpus(PORTCULLIS_SOURCE_DIR);
  } else {
    for (const auto& p : message_paths) add_messages(p, messages, false);
  }
  if (messages.empty()) {
    std::fprintf(stderr, "no messages\n");
    return 2;
  }
  std::size_t bytes = 0;
  for (const auto& m : messages) bytes += m.bytes.size();

  // Rules.
  pr::LoadedRules loaded = pr::load_rule_paths(rule_paths);
  for (const auto& p : loaded.problems) std::fprintf(stderr, "error: %s\n", p.c_str());
  if (!loaded.problems.empty()) return 2;
  const std::vector<pr::Rule> all_rules = loaded.rules;
  auto set = compile(loaded.rules, false);
  if (!set) return 2;
  const auto& st = set->stats();

  OneByOne baseline;
  std::string error;
  const double b0 = wall_seconds();
  if (!baseline.build(set->rules(), error)) {
    std::fprintf(stderr, "baseline: %s\n", error.c_str());
    return 2;
  }
  const double baseline_compile_ms = (wall_seconds() - b0) * 1e3;

  std::printf("rule set %s: %zu rules (%zu pattern, %zu exists, %zu meta); engines: %zu "
              "Hyperscan, %zu prefiltered+PCRE2, %zu PCRE2 only; %zu databases, %zu KiB; "
              "compiled in %.0f ms (PCRE2-JIT baseline: %.0f ms, %zu without JIT)\n",
              label.c_str(), set->rules().size(), st.pattern_rules, st.exists_rules,
              st.meta_rules, st.hyperscan, st.prefiltered, st.pcre_only, st.databases,
              st.database_bytes / 1024, st.compile_ms, baseline_compile_ms, baseline.no_jit());
  std::printf("messages: %zu, %.1f KiB total, %.1f KiB mean\n", messages.size(),
              static_cast<double>(bytes) / 1024,
              static_cast<double>(bytes) / 1024 / static_cast<double>(messages.size()));

  // Prepared texts: one MessageTexts per message with every target computed.
  Prepared prepared;
  for (const auto& m : messages) {
    auto input = std::make_unique<pr::ScanInput>();
    input->message = m.bytes;
    auto texts = std::make_unique<pr::MessageTexts>(*input);
    for (const auto& t : baseline.targets()) {
      bool present = true;
      texts->items(t, present);
    }
    prepared.inputs.push_back(std::move(input));
    prepared.texts.push_back(std::move(texts));
  }

  // Same hits from both, on every message.
  std::ofstream hits_file;
  if (!hits_out.empty()) {
    hits_file.open(hits_out);
    if (!hits_file) {
      std::fprintf(stderr, "cannot write %s\n", hits_out.c_str());
      return 2;
    }
  }
  std::size_t mismatches = 0;
  std::size_t total_hits = 0;
  std::map<std::string, std::size_t> mismatch_rules;
  for (std::size_t k = 0; k < messages.size(); ++k) {
    const auto a = set->scan(*prepared.texts[k]);
    const auto b = baseline.run(*prepared.texts[k]);
    pr::ScanInput fresh_input;
    fresh_input.message = messages[k].bytes;
    pr::MessageTexts fresh(fresh_input);
    const auto c = set->scan(fresh);
    if (hits_file.is_open()) {
      hits_file << messages[k].name << '\t';
      bool first = true;
      for (std::size_t r = 0; r < a.size(); ++r) {
        if (!a[r] || set->rules()[r].is_subrule()) continue;
        hits_file << (first ? "" : ",") << set->rules()[r].id;
        first = false;
      }
      hits_file << '\n';
    }
    for (std::size_t r = 0; r < a.size(); ++r) {
      total_hits += a[r];
      if (a[r] == b[r] && a[r] == c[r]) continue;
      ++mismatches;
      ++mismatch_rules[set->rules()[r].id];
      if (mismatches <= max_mismatch) {
        std::printf("MISMATCH %s: rule %s (%s, target %s): engine %d, engine fresh texts %d, "
                    "pcre-jit %d\n",
                    messages[k].name.c_str(), set->rules()[r].id.c_str(),
                    kEngine[static_cast<int>(set->engine(static_cast<std::uint32_t>(r)))],
                    set->rules()[r].is_meta() ? "meta" : set->rules()[r].target.key().c_str(),
                    a[r], c[r], b[r]);
      }
    }
  }
  std::printf("hits: %zu over %zu messages (%.2f per message); mismatches engine vs PCRE2-JIT: "
              "%zu (%zu rules)\n",
              total_hits, messages.size(),
              static_cast<double>(total_hits) / static_cast<double>(messages.size()), mismatches,
              mismatch_rules.size());

  if (by_rule > 0) {
    const auto costs = baseline.cost_per_rule(prepared.texts, 3);
    double total = 0;
    for (const auto& c : costs) total += c.first;
    std::printf("\nPCRE2-JIT cost per rule (µs/msg; all rules %.1f):\n",
                total / static_cast<double>(messages.size()) * 1e6);
    for (std::size_t k = 0; k < costs.size() && k < by_rule; ++k) {
      const pr::Rule& r = set->rules()[costs[k].second];
      std::printf("  %8.2f  %-11s %-28s %s\n",
                  costs[k].first / static_cast<double>(messages.size()) * 1e6,
                  kEngine[static_cast<int>(set->engine(costs[k].second))], r.id.c_str(),
                  r.target.key().c_str());
    }
  }
  if (by_target) {
    // Each target's rules alone (no metas): where the engine's time goes.
    std::map<std::string, std::vector<pr::Rule>> per_target;
    for (const auto& r : set->rules()) {
      if (!r.is_meta()) per_target[r.target.key()].push_back(r);
    }
    struct Row {
      std::string key;
      std::size_t rules = 0, hs = 0, pre = 0, pcre = 0;
      double eval_us = 0, pcre_us = 0;
    };
    std::vector<Row> rows;
    for (auto& [key, rules] : per_target) {
      Row row;
      row.key = key;
      row.rules = rules.size();
      auto sub = compile(rules, true);
      if (!sub) continue;
      row.hs = sub->stats().hyperscan;
      row.pre = sub->stats().prefiltered;
      row.pcre = sub->stats().pcre_only;
      OneByOne sub_base;
      std::string err;
      if (!sub_base.build(sub->rules(), err)) continue;
      auto eval = [&]() {
        std::uint64_t acc = 0;
        for (auto& t : prepared.texts) acc += sub->scan(*t).size();
        g_sink = g_sink + acc;
      };
      auto pcre = [&]() {
        std::uint64_t acc = 0;
        for (auto& t : prepared.texts) acc += sub_base.run(*t).size();
        g_sink = g_sink + acc;
      };
      const int re = calibrate(eval, 0.05), rp = calibrate(pcre, 0.05);
      std::vector<double> se, sp;
      for (int k = 0; k < 3; ++k) {
        se.push_back(cpu_per_pass(eval, re));
        sp.push_back(cpu_per_pass(pcre, rp));
      }
      row.eval_us = median(se) / static_cast<double>(messages.size()) * 1e6;
      row.pcre_us = median(sp) / static_cast<double>(messages.size()) * 1e6;
      rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end(),
              [](const Row& a, const Row& b) { return a.eval_us > b.eval_us; });
    double sum_eval = 0, sum_pcre = 0;
    for (const auto& r : rows) {
      sum_eval += r.eval_us;
      sum_pcre += r.pcre_us;
    }
    std::printf("\nper target, its rules alone (%zu targets; sums: eval %.1f, pcre %.1f µs/msg)\n"
                "  %-40s %6s %5s %5s %5s %10s %10s %7s\n",
                rows.size(), sum_eval, sum_pcre, "target", "rules", "hs", "pre", "pcre",
                "eval µs", "pcre µs", "ratio");
    for (const auto& r : rows) {
      std::printf("  %-40s %6zu %5zu %5zu %5zu %10.2f %10.2f %6.1fx\n", r.key.c_str(), r.rules,
                  r.hs, r.pre, r.pcre, r.eval_us, r.pcre_us,
                  r.eval_us > 0 ? r.pcre_us / r.eval_us : 0);
    }
  }

  // The methods.
  auto texts_pass = [&]() {
    std::uint64_t acc = 0;
    for (const auto& m : messages) {
      pr::ScanInput input;
      input.message = m.bytes;
      pr::MessageTexts texts(input);
      for (const auto& t : baseline.targets()) {
        bool present = true;
        acc += texts.items(t, present).size();
      }
    }
    g_sink = g_sink + acc;
  };
  auto scan_pass_for = [&](const pr::RuleSet& rs) {
    return [&messages, &rs]() {
      std::uint64_t acc = 0;
      for (const auto& m : messages) {
        pr::ScanInput input;
        input.message = m.bytes;
        pr::MessageTexts texts(input);
        const auto hits = rs.scan(texts);
        acc += hits.size() + (hits.empty() ? 0 : hits[0]);
      }
      g_sink = g_sink + acc;
    };
  };
  auto eval_pass_for = [&](const pr::RuleSet& rs) {
    return [&prepared, &rs]() {
      std::uint64_t acc = 0;
      for (auto& t : prepared.texts) {
        const auto hits = rs.scan(*t);
        acc += hits.size() + (hits.empty() ? 0 : hits[0]);
      }
      g_sink = g_sink + acc;
    };
  };
  auto pcre_pass = [&]() {
    std::uint64_t acc = 0;
    for (auto& t : prepared.texts) {
      const auto hits = baseline.run(*t);
      acc += hits.size() + (hits.empty() ? 0 : hits[0]);
    }
    g_sink = g_sink + acc;
  };

  const double min_seconds = min_ms / 1e3;
  Method m_texts{"texts", texts_pass};
  Method m_scan{"scan", scan_pass_for(*set)};
  Method m_eval{"eval", eval_pass_for(*set)};
  Method m_pcre{"pcre", pcre_pass};
  std::vector<Method*> methods{&m_texts, &m_scan, &m_eval, &m_pcre};
  if (!only.empty()) {
    std::erase_if(methods, [&](Method* m) { return m->name != only; });
    if (methods.empty()) {
      std::fprintf(stderr, "--only: one of texts, scan, eval, pcre\n");
      return 2;
    }
    run_rounds(methods, rounds, min_seconds);
    const Figures f = figures(*methods.front(), messages.size(), bytes);
    std::printf("%s alone: %.1f µs/msg, %.0f msg/s per core, %.2f MB/s\n", only.c_str(),
                f.us_per_msg, f.msg_per_s, f.mb_per_s);
    return mismatches ? 3 : 0;
  }
  run_rounds(methods, rounds, min_seconds);
  const std::size_t n = messages.size();
  const Figures f_texts = figures(m_texts, n, bytes);
  const Figures f_scan = figures(m_scan, n, bytes);
  const Figures f_eval = figures(m_eval, n, bytes);
  const Figures f_pcre = figures(m_pcre, n, bytes);
  const double ratio_eval = f_eval.us_per_msg > 0 ? f_pcre.us_per_msg / f_eval.us_per_msg : 0;
  // End to end: both pay for the texts; the engine's `scan` includes them.
  const double pcre_e2e_us = f_texts.us_per_msg + f_pcre.us_per_msg;
  const double ratio_e2e = f_scan.us_per_msg > 0 ? pcre_e2e_us / f_scan.us_per_msg : 0;
  double cpu_total = 0, wall_total = 0;
  for (Method* m : methods) {
    cpu_total += m->cpu;
    wall_total += m->wall;
  }

  std::printf("\n%-44s %12s %14s %10s %8s\n", "method (single thread, CPU time, medians)",
              "µs/msg", "msg/s per core", "MB/s", "spread");
  auto row = [](const char* name, const Figures& f) {
    std::printf("%-44s %12.1f %14.0f %10.2f %7.0f%%\n", name, f.us_per_msg, f.msg_per_s,
                f.mb_per_s, f.spread * 100);
  };
  row("texts only (MIME parse, target texts)", f_texts);
  row("RuleSet::scan incl. texts per message", f_scan);
  row("RuleSet::scan, texts prepared (eval)", f_eval);
  row("PCRE2-JIT one by one, texts prepared", f_pcre);
  std::printf("%-44s %12.1f %14.0f %10.2f\n", "PCRE2-JIT one by one incl. texts (sum)",
              pcre_e2e_us, 1e6 / pcre_e2e_us,
              static_cast<double>(bytes) / static_cast<double>(n) / pcre_e2e_us);
  std::printf("ratio PCRE2-JIT / RuleSet, pure evaluation: %.1fx   (target >= 10x: %s)\n",
              ratio_eval, ratio_eval >= 10 ? "met" : "MISSED");
  std::printf("ratio PCRE2-JIT / RuleSet, texts included:  %.1fx\n", ratio_e2e);
  std::printf("rounds %d, passes per sample: texts %d, scan %d, eval %d, pcre %d; CPU share of "
              "wall %.0f%%\n",
              rounds, m_texts.reps, m_scan.reps, m_eval.reps, m_pcre.reps,
              wall_total > 0 ? 100 * cpu_total / wall_total : 0);

  // Scaling.
  struct Scale {
    std::size_t requested = 0;
    std::size_t pattern_rules = 0;
    std::size_t metas = 0;
    std::size_t rules = 0;
    std::shared_ptr<const pr::RuleSet> set;
    Method eval;
    Method scan;
    Figures f_eval, f_scan;
  };
  std::vector<std::unique_ptr<Scale>> scale_rows;
  if (scaling) {
    std::size_t total_pattern = 0;
    for (const auto& r : all_rules) total_pattern += r.is_meta() ? 0 : 1;
    std::vector<std::size_t> sizes;
    for (std::size_t s : scales) {
      if (s < total_pattern) sizes.push_back(s);
    }
    sizes.push_back(total_pattern);
    for (std::size_t s : sizes) {
      auto row = std::make_unique<Scale>();
      row->requested = s;
      if (s == total_pattern) {
        row->set = set;
      } else {
        row->set = compile(first_pattern_rules(all_rules, s), true);
        if (!row->set) return 2;
      }
      for (const auto& r : row->set->rules()) {
        (r.is_meta() ? row->metas : row->pattern_rules) += 1;
      }
      row->rules = row->set->rules().size();
      row->eval = Method{"eval", eval_pass_for(*row->set)};
      row->scan = Method{"scan", scan_pass_for(*row->set)};
      scale_rows.push_back(std::move(row));
    }
    std::vector<Method*> scale_methods;
    for (auto& r : scale_rows) {
      scale_methods.push_back(&r->eval);
      scale_methods.push_back(&r->scan);
    }
    run_rounds(scale_methods, rounds, min_seconds);
    std::printf("\n%-34s %8s %8s %14s %14s %10s %10s\n", "scaling (first N pattern rules)",
                "pattern", "metas", "eval µs/msg", "scan µs/msg", "eval ×100", "scan ×100");
    for (auto& r : scale_rows) {
      r->f_eval = figures(r->eval, n, bytes);
      r->f_scan = figures(r->scan, n, bytes);
      const Scale& base = *scale_rows.front();
      std::printf("%-34s %8zu %8zu %14.1f %14.1f %9.2fx %9.2fx\n",
                  (r->requested == total_pattern ? std::string("all")
                                                 : std::to_string(r->requested))
                      .c_str(),
                  r->pattern_rules, r->metas, r->f_eval.us_per_msg, r->f_scan.us_per_msg,
                  r->f_eval.us_per_msg / base.f_eval.us_per_msg,
                  r->f_scan.us_per_msg / base.f_scan.us_per_msg);
    }
    if (scale_rows.size() > 1) {
      const double re = scale_rows.back()->f_eval.us_per_msg /
                        scale_rows.front()->f_eval.us_per_msg;
      const double rs = scale_rows.back()->f_scan.us_per_msg /
                        scale_rows.front()->f_scan.us_per_msg;
      std::printf("all / first %zu: eval %.2fx, scan incl. texts %.2fx   (target <= 2x: eval %s, "
                  "scan %s)\n",
                  scale_rows.front()->requested, re, rs, re <= 2 ? "met" : "MISSED",
                  rs <= 2 ? "met" : "MISSED");
    }
  }

  // One JSON line with every figure.
  std::string json = "JSON {\"bench\":\"rules_scan\",\"label\":\"" + json_escape(label) + "\"";
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                ",\"rules\":{\"total\":%zu,\"pattern\":%zu,\"exists\":%zu,\"meta\":%zu,"
                "\"hyperscan\":%zu,\"prefiltered\":%zu,\"pcre_only\":%zu,\"databases\":%zu,"
                "\"database_kib\":%zu,\"compile_ms\":%.1f,\"baseline_compile_ms\":%.1f,"
                "\"baseline_no_jit\":%zu}",
                set->rules().size(), st.pattern_rules, st.exists_rules, st.meta_rules,
                st.hyperscan, st.prefiltered, st.pcre_only, st.databases,
                st.database_bytes / 1024, st.compile_ms, baseline_compile_ms, baseline.no_jit());
  json += buf;
  std::snprintf(buf, sizeof buf,
                ",\"messages\":%zu,\"bytes\":%zu,\"hits\":%zu,\"mismatches\":%zu,\"rounds\":%d",
                n, bytes, total_hits, mismatches, rounds);
  json += buf;
  json += ",\"texts\":" + fig_json(f_texts) + ",\"scan\":" + fig_json(f_scan) +
          ",\"eval\":" + fig_json(f_eval) + ",\"pcre_jit\":" + fig_json(f_pcre);
  std::snprintf(buf, sizeof buf,
                ",\"pcre_jit_with_texts_us_per_msg\":%.3f,\"ratio_pcre_over_eval\":%.3f,"
                "\"ratio_pcre_over_scan_with_texts\":%.3f",
                pcre_e2e_us, ratio_eval, ratio_e2e);
  json += buf;
  json += ",\"scaling\":[";
  for (std::size_t k = 0; k < scale_rows.size(); ++k) {
    const Scale& r = *scale_rows[k];
    std::snprintf(buf, sizeof buf,
                  "%s{\"first\":%zu,\"pattern\":%zu,\"meta\":%zu,\"eval_us_per_msg\":%.3f,"
                  "\"scan_us_per_msg\":%.3f,\"eval_vs_first\":%.3f,\"scan_vs_first\":%.3f}",
                  k ? "," : "", r.requested, r.pattern_rules, r.metas, r.f_eval.us_per_msg,
                  r.f_scan.us_per_msg,
                  r.f_eval.us_per_msg / scale_rows.front()->f_eval.us_per_msg,
                  r.f_scan.us_per_msg / scale_rows.front()->f_scan.us_per_msg);
    json += buf;
  }
  json += "]}";
  std::printf("\n%s\n", json.c_str());
  if (mismatches != 0) {
    std::fprintf(stderr, "%zu mismatch(es) between RuleSet::scan and the PCRE2-JIT baseline\n",
                 mismatches);
    return 3;
  }
  return 0;
}
