// Replaces global operator new/delete to record the largest single allocation made while
// tracking is on, so tests can prove a parser's memory stays bounded however much input it
// is fed. Include in exactly one translation unit per test binary.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace portcullis::smtp::test {

inline std::atomic<bool> g_track_allocations{false};
inline std::atomic<std::size_t> g_largest_allocation{0};

// Largest single allocation made while the scope was alive.
class AllocationScope {
 public:
  AllocationScope() {
    g_largest_allocation = 0;
    g_track_allocations = true;
  }
  ~AllocationScope() { g_track_allocations = false; }
  std::size_t largest() const { return g_largest_allocation; }
};

}  // namespace portcullis::smtp::test

void* operator new(std::size_t size) {
  using namespace portcullis::smtp::test;
  if (g_track_allocations && size > g_largest_allocation) g_largest_allocation = size;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
// Not inlined: g++ would otherwise see free() on a pointer from operator new and warn
// (-Wmismatched-new-delete), although this pair is exactly what matches.
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
