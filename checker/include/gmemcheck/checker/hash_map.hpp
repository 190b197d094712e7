// A map from 64-bit state hashes to small values: open addressing with linear
// probing, at most three quarters full. A lookup of a state is one probe into
// one array (the keys are hashes already, mixed once more for the slot), where
// a node container chases a bucket, then a node: with a million states, cache
// misses are what a lookup costs. Beside the slots, a byte per slot holds 7
// bits of the key's mix (0: empty), and probes read those first: a lookup of
// a key that is absent, the common case in a search that mostly meets new
// states, reads a line of an array an eighth the size of the slots' (and
// 24 times smaller for DPOR's summaries) and usually finds it in cache.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "gmemcheck/checker/mix.hpp"
#include "gmemcheck/checker/prefetch.hpp"

namespace gmemcheck::checker {

template <class V>
class HashMap {
 public:
  HashMap() {
    slots_.resize(kInitialSlots);
    tags_.resize(kInitialSlots);
  }

  V* find(std::uint64_t key) { return const_cast<V*>(std::as_const(*this).find(key)); }
  const V* find(std::uint64_t key) const {
    if (key == kEmpty) return has_empty_key_ ? &empty_key_value_ : nullptr;
    std::size_t i = slot_of(key, mix64(key));
    return tags_[i] ? &slots_[i].value : nullptr;
  }

  // The value held for `key`, or `value` newly held (and true).
  std::pair<V*, bool> try_emplace(std::uint64_t key, const V& value) {
    if (key == kEmpty) {
      bool fresh = !has_empty_key_;
      if (fresh) empty_key_value_ = value;
      has_empty_key_ = true;
      return {&empty_key_value_, fresh};
    }
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    const std::uint64_t mixed = mix64(key);
    std::size_t i = slot_of(key, mixed);
    if (tags_[i]) return {&slots_[i].value, false};
    slots_[i] = {key, value};
    tags_[i] = tag_of(mixed);
    ++size_;
    return {&slots_[i].value, true};
  }

  // Starts loading the tag a lookup of `key` reads first, for a lookup soon
  // after (not the slot: most lookups are of absent keys, which never read it).
  void prefetch(std::uint64_t key) const {
    prefetch_line(&tags_[static_cast<std::size_t>(mix64(key)) & mask()]);
  }

  std::size_t size() const { return size_ + (has_empty_key_ ? 1 : 0); }
  std::uint64_t bytes() const { return slots_.size() * (sizeof(Slot) + 1); }

 private:
  static constexpr std::uint64_t kEmpty = 0;
  static constexpr std::size_t kInitialSlots = 1u << 10;
  struct Slot {
    std::uint64_t key = kEmpty;
    V value{};
  };

  std::size_t mask() const { return slots_.size() - 1; }
  // The top 7 bits of a key's mix, never 0 (the slot bits are the low ones).
  static std::uint8_t tag_of(std::uint64_t mixed) { return static_cast<std::uint8_t>(mixed >> 57) | 0x80; }
  // The slot that holds `key` (whose mix64() is `mixed`), or the empty one
  // where it would go.
  std::size_t slot_of(std::uint64_t key, std::uint64_t mixed) const {
    const std::uint8_t tag = tag_of(mixed);
    std::size_t i = static_cast<std::size_t>(mixed) & mask();
    while (tags_[i] != 0 && (tags_[i] != tag || slots_[i].key != key)) i = (i + 1) & mask();
    return i;
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    tags_.assign(slots_.size(), 0);
    for (const Slot& s : old) {
      if (s.key == kEmpty) continue;
      const std::uint64_t mixed = mix64(s.key);
      const std::size_t i = slot_of(s.key, mixed);
      slots_[i] = s;
      tags_[i] = tag_of(mixed);
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::uint8_t> tags_;  // per slot: 0 empty, else tag_of() its key
  std::size_t size_ = 0;  // keys held in slots_
  bool has_empty_key_ = false;
  V empty_key_value_{};
};

}  // namespace gmemcheck::checker
