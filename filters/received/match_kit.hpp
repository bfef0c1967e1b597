// Internal to filters/received: a small backtracking matcher assembled from C++ objects
// at compile time, used to state the Received formats with the same leftmost/greedy/lazy
// semantics as the Perl patterns SpamAssassin matches them with. Nothing is compiled at
// run time and nothing allocates.
// Untrusted input: the text matched (one normalised Received value).
// Limits: every backtracking choice costs one step from a budget shared by all patterns
// tried on one value; once it is spent every further match fails, so a hostile value
// costs a bounded amount of work (and is then, at worst, read as unparseable). Recursion
// depth is fixed by each pattern's shape (bounded repeats only), never by the input.
// Gaps: only what the Received formats need (no general regex syntax); "whitespace" is the
// single space the normaliser leaves.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include "filters/received/ip_text.hpp"

namespace portcullis::received::kit {

inline constexpr std::size_t kNoLimit = static_cast<std::size_t>(-1);

// Matching state: the text, up to eight captures and the shared step budget.
struct Ctx {
  explicit Ctx(std::string_view text, std::size_t* budget) : s(text), left(budget) {}
  std::string_view s;
  std::array<std::string_view, 8> cap{};
  std::array<bool, 8> got{};
  std::size_t* left;
  bool tick() {
    if (*left == 0) return false;
    --*left;
    return true;
  }
  std::string_view operator[](std::size_t i) const { return cap[i]; }
};

struct Matcher {};  // base tag, so the combining helpers only take matchers
template <class T>
concept IsMatcher = std::is_base_of_v<Matcher, T>;

// A set of bytes, built at compile time.
struct CharSet {
  std::array<bool, 256> in{};
  bool operator()(char c) const { return in[static_cast<unsigned char>(c)]; }
  static constexpr CharSet of(std::string_view chars, bool negate = false) {
    CharSet set;
    for (auto& b : set.in) b = negate;
    for (char c : chars) set.in[static_cast<unsigned char>(c)] = !negate;
    return set;
  }
  static constexpr CharSet none_of(std::string_view chars) { return of(chars, true); }
  constexpr CharSet negated() const {
    CharSet set = *this;
    for (auto& b : set.in) b = !b;
    return set;
  }
  constexpr CharSet with_range(char lo, char hi) const {
    CharSet set = *this;
    for (int c = lo; c <= hi; ++c) set.in[static_cast<unsigned char>(c)] = true;
    return set;
  }
};

inline constexpr CharSet kNotSpace = CharSet::none_of(" ");
inline constexpr CharSet kAnyChar = CharSet::none_of("");
inline constexpr CharSet kDigit = CharSet::of("").with_range('0', '9');
inline constexpr CharSet kNotDigit = CharSet::none_of("0123456789");
inline constexpr CharSet kAlpha = CharSet::of("").with_range('a', 'z').with_range('A', 'Z');
inline constexpr CharSet kNotSpaceSemi = CharSet::none_of(" ;");
inline constexpr CharSet kNotCloseParen = CharSet::none_of(")");
inline constexpr CharSet kNotSpaceParens = CharSet::none_of(" ()");
inline constexpr CharSet kNotSpaceAt = CharSet::none_of(" @");
inline constexpr CharSet kNotDot = CharSet::none_of(".");
inline constexpr CharSet kNotGt = CharSet::none_of(">");
inline constexpr CharSet kDotColon = CharSet::of(".:");
// [-A-Za-z0-9.] and its complement
inline constexpr CharSet kHostChar =
    CharSet::of("-.").with_range('a', 'z').with_range('A', 'Z').with_range('0', '9');
inline constexpr CharSet kNotHostChar = kHostChar.negated();
// an IPv6 zone as the Exchange format spells it: [A-Z0-9._~-]
inline constexpr CharSet kZoneChar = CharSet::of("._~-").with_range('A', 'Z').with_range('0', '9');

inline bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Literal text; ci: ASCII case-insensitive.
struct Lit : Matcher {
  std::string_view t;
  bool ci = false;
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    if (c.s.size() - i < t.size()) return false;
    for (std::size_t n = 0; n < t.size(); ++n) {
      char a = c.s[i + n], b = t[n];
      if (ci) {
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + 32);
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b + 32);
      }
      if (a != b) return false;
    }
    return k(i + t.size());
  }
};

// lo..hi bytes of a set, greedy (longest first) or lazy (shortest first).
struct Run : Matcher {
  const CharSet* set;
  std::size_t lo = 1, hi = kNoLimit;
  bool lazy = false;
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    std::size_t n = 0;
    while (n < hi && i + n < c.s.size() && (*set)(c.s[i + n])) ++n;
    if (n < lo) return false;
    if (lazy) {
      for (std::size_t m = lo; m <= n; ++m) {
        if (!c.tick()) return false;
        if (k(i + m)) return true;
      }
    } else {
      for (std::size_t m = n + 1; m-- > lo;) {
        if (!c.tick()) return false;
        if (k(i + m)) return true;
      }
    }
    return false;
  }
};

template <class A, class B>
struct Seq : Matcher {
  A a;
  B b;
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    return a(c, i, [&](std::size_t j) { return b(c, j, k); });
  }
};

template <class A, class B>
struct Alt : Matcher {
  A a;
  B b;
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    return a(c, i, k) || b(c, i, k);
  }
};

template <class A>
struct Opt : Matcher {  // greedy: with A first, then without
  A a;
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    return a(c, i, k) || k(i);
  }
};

template <std::size_t N, class A>
struct Cap : Matcher {
  A a;
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    return a(c, i, [&](std::size_t j) {
      const std::string_view old = c.cap[N];
      const bool old_got = c.got[N];
      c.cap[N] = c.s.substr(i, j - i);
      c.got[N] = true;
      if (k(j)) return true;
      c.cap[N] = old;
      c.got[N] = old_got;
      return false;
    });
  }
};

// A sub-pattern repeated exactly `times` times (small, fixed counts only).
template <class A>
struct Times : Matcher {
  A a;
  int times;
  template <class K>
  bool step(Ctx& c, std::size_t i, int n, const K& k) const {
    if (n == times) return k(i);
    return a(c, i, [&](std::size_t j) { return step(c, j, n + 1, k); });
  }
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    return step(c, i, 0, k);
  }
};

template <class A>
struct NotAhead : Matcher {
  A a;
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    if (a(c, i, [](std::size_t) { return true; })) return false;
    return k(i);
  }
};

struct WordBoundary : Matcher {
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    const bool before = i > 0 && is_word(c.s[i - 1]);
    const bool after = i < c.s.size() && is_word(c.s[i]);
    return before != after && k(i);
  }
};

struct End : Matcher {
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    return i == c.s.size() && k(i);
  }
};

// SpamAssassin's IP_ADDRESS and LOCALHOST (ip_text.hpp): every end they may stop at, in
// the order the Perl alternation tries them.
struct IpAddr : Matcher {
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    std::array<std::size_t, 3> ends{};
    const std::size_t n = ip_address_ends(c.s, i, ends);
    for (std::size_t e = 0; e < n; ++e) {
      if (!c.tick()) return false;
      if (k(ends[e])) return true;
    }
    return false;
  }
};

struct Localhost : Matcher {
  template <class K>
  bool operator()(Ctx& c, std::size_t i, const K& k) const {
    std::array<std::size_t, 3> ends{};
    const std::size_t n = localhost_ends(c.s, i, ends);
    for (std::size_t e = 0; e < n; ++e) {
      if (!c.tick()) return false;
      if (k(ends[e])) return true;
    }
    return false;
  }
};

// ---- building blocks --------------------------------------------------------------------

constexpr Lit lit(std::string_view t) { return Lit{{}, t, false}; }
constexpr Lit lit_ci(std::string_view t) { return Lit{{}, t, true}; }
constexpr Run run(const CharSet& set, std::size_t lo = 1, std::size_t hi = kNoLimit) {
  return Run{{}, &set, lo, hi, false};
}
constexpr Run lazy_run(const CharSet& set, std::size_t lo = 0, std::size_t hi = kNoLimit) {
  return Run{{}, &set, lo, hi, true};
}

inline constexpr Run S1 = run(kNotSpace);          // \S+
inline constexpr Run S0 = run(kNotSpace, 0);       // \S*
inline constexpr Run Any0 = run(kAnyChar, 0);      // .*
inline constexpr Run Any1 = run(kAnyChar, 1);      // .+
inline constexpr Run LazyAny = lazy_run(kAnyChar); // .*?
inline constexpr Run D1 = run(kDigit);             // \d+
inline constexpr IpAddr IP{};
inline constexpr Localhost LOCALHOST{};
inline constexpr WordBoundary WB{};
inline constexpr End END{};

constexpr Lit as_matcher(const char* t) { return lit(t); }
template <IsMatcher M>
constexpr M as_matcher(M m) {
  return m;
}

template <class A>
constexpr auto seq(A a) {
  return as_matcher(a);
}
template <class A, class B, class... R>
constexpr auto seq(A a, B b, R... rest) {
  using MA = decltype(as_matcher(a));
  auto tail = seq(b, rest...);
  return Seq<MA, decltype(tail)>{{}, as_matcher(a), tail};
}

template <class A>
constexpr auto alt(A a) {
  return as_matcher(a);
}
template <class A, class B, class... R>
constexpr auto alt(A a, B b, R... rest) {
  using MA = decltype(as_matcher(a));
  auto tail = alt(b, rest...);
  return Alt<MA, decltype(tail)>{{}, as_matcher(a), tail};
}

template <class... A>
constexpr auto opt(A... a) {
  auto inner = seq(a...);
  return Opt<decltype(inner)>{{}, inner};
}

template <std::size_t N, class... A>
constexpr auto cap(A... a) {
  auto inner = seq(a...);
  return Cap<N, decltype(inner)>{{}, inner};
}

template <class... A>
constexpr auto times(int n, A... a) {
  auto inner = seq(a...);
  return Times<decltype(inner)>{{}, inner, n};
}

template <class... A>
constexpr auto not_ahead(A... a) {
  auto inner = seq(a...);
  return NotAhead<decltype(inner)>{{}, inner};
}

inline constexpr auto HELO_EHLO = alt("HELO", "EHLO");

// ---- running a pattern ------------------------------------------------------------------

// Anchored at the start of the text (Perl's /^.../).
template <class P>
bool match(Ctx& c, const P& p) {
  c.cap = {};
  c.got = {};
  return p(c, 0, [](std::size_t) { return true; });
}

// Leftmost match anywhere (Perl's unanchored /.../); *at receives where it starts.
template <class P>
bool search(Ctx& c, const P& p, std::size_t* at = nullptr) {
  for (std::size_t i = 0; i <= c.s.size(); ++i) {
    if (!c.tick()) return false;
    c.cap = {};
    c.got = {};
    if (p(c, i, [](std::size_t) { return true; })) {
      if (at) *at = i;
      return true;
    }
  }
  return false;
}

}  // namespace portcullis::received::kit
