// Starting cache-line loads early. Inline assembly, not __builtin_prefetch:
// GCC 12 drops the builtin when the address comes out of mix64() (its
// output then has no prefetch instruction), so slots found by hash could
// never be prefetched.
#pragma once

#include <cstddef>
#include <cstdint>

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

// Starts loading, to write them, the lines [p, p + bytes) touches (the
// last one too when p is not on a line boundary). For memory another core
// wrote last: fetched one at a time as the code reaches them, each line
// costs a round trip between the cores; fetched together, the round trips
// overlap.
inline void prefetch_for_write(const void* p, std::size_t bytes) {
  if (bytes == 0) return;
  const auto from = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t{kCacheLine - 1};
  const auto to = reinterpret_cast<std::uintptr_t>(p) + bytes;
  for (std::uintptr_t at = from; at < to; at += kCacheLine) {
    const auto* line = reinterpret_cast<const char*>(at);
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetchw %0" : : "m"(*line));
#else
    __builtin_prefetch(line, 1);
#endif
  }
}

}  // namespace gmemcheck::checker
