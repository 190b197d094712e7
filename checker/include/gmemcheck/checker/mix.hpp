// The one bit mixer of the checker and the model: MurmurHash3's 64-bit
// finalizer, a bijection in which every input bit reaches every output bit.
// Tables take slots from it; hashes of several words fold each word in and
// mix again.
#pragma once

#include <cstdint>

namespace gmemcheck::checker {

inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

// A hash of words so far, `h`, with one more word folded in.
inline std::uint64_t mix64(std::uint64_t h, std::uint64_t word) { return mix64(h ^ word); }

inline constexpr std::uint64_t kMixSeed = 0x9e3779b97f4a7c15ull;

}  // namespace gmemcheck::checker
