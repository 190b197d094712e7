// Starting cache-line loads early. Inline assembly, not __builtin_prefetch:
// GCC 12 drops the builtin when the address comes out of mix64() (its
// output then has no prefetch instruction), so slots found by hash could
// never be prefetched.
#pragma once

namespace gmemcheck::checker {

// Starts loading the cache line at `p`.
inline void prefetch_line(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

}  // namespace gmemcheck::checker
