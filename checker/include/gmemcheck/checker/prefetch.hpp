// Starting cache-line loads early. Inline assembly, not __builtin_prefetch:
// GCC 12 drops the builtin when the address comes out of mix64() (its
// output then has no prefetch instruction), so slots found by hash could
// never be prefetched.
#pragma once

#include <cstddef>

namespace gmemcheck::checker {

inline constexpr std::size_t kCacheLine = 64;

// Starts loading the cache line at `p`.
inline void prefetch_line(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

// Starts loading, to write them, the lines of [p, p + bytes). For memory
// another core wrote last: fetched one at a time as the code reaches them,
// each line costs a round trip between the cores; fetched together, the
// round trips overlap.
inline void prefetch_for_write(const void* p, std::size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (std::size_t at = 0; at < bytes; at += kCacheLine) {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetchw %0" : : "m"(c[at]));
#else
    __builtin_prefetch(c + at, 1);
#endif
  }
}

}  // namespace gmemcheck::checker
