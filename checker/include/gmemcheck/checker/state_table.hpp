// The set of explored state hashes: open addressing over 64-bit keys, 8 bytes
// a slot, growing by doubling up to a memory limit. Once it cannot grow, it
// stops taking new states (and says so) but still answers for those it holds:
// a full table costs speed, never soundness.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gmemcheck/checker/mix.hpp"
#include "gmemcheck/checker/prefetch.hpp"

namespace gmemcheck::checker {

class StateTable {
 public:
  explicit StateTable(std::uint64_t max_bytes = 0) : max_bytes_(max_bytes) { slots_.assign(1u << 12, 0); }

  // True when `hash` was not in the table (and is now, unless the table is full).
  bool insert(std::uint64_t hash) {
    const std::uint64_t key = key_of(hash);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(key);; i = (i + 1) & mask) {
      if (slots_[i] == key) return false;
      if (slots_[i] == 0) {
        if (full_) return true;
        slots_[i] = key;
        if (++size_ * 4 > slots_.size() * 3) grow();
        return true;
      }
    }
  }

  // Inserts each of `hashes` in order, fetching the slots of the next ones
  // while it inserts: for states that are only counted, whose inserts would
  // otherwise each wait for memory. Callers gather kBatch at a time.
  static constexpr std::size_t kBatch = 64;
  void insert_all(std::span<const std::uint64_t> hashes) {
    constexpr std::size_t kAhead = 16;
    for (std::size_t i = 0; i < hashes.size() && i < kAhead; ++i) prefetch(hashes[i]);
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      if (i + kAhead < hashes.size()) prefetch(hashes[i + kAhead]);
      insert(hashes[i]);
    }
  }

  // Starts loading the slot where `hash` goes (a lookup of a new state is a
  // miss to memory: several started together overlap).
  void prefetch(std::uint64_t hash) const { prefetch_line(&slots_[home(key_of(hash))]); }

  bool contains(std::uint64_t hash) const {
    const std::uint64_t key = key_of(hash);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(key);; i = (i + 1) & mask) {
      if (slots_[i] == key) return true;
      if (slots_[i] == 0) return false;
    }
  }

  // Calls f(key) for every key held (in slot order: for counting, not output).
  template <class F>
  void for_each(F f) const {
    for (std::uint64_t key : slots_)
      if (key) f(key);
  }

  std::uint64_t size() const { return size_; }
  bool full() const { return full_; }
  std::uint64_t bytes() const { return slots_.size() * sizeof(std::uint64_t); }

 private:
  static std::uint64_t key_of(std::uint64_t hash) { return hash ? hash : 1; }  // 0 marks an empty slot
  // The first slot a key's probe looks at.
  std::size_t home(std::uint64_t key) const {
    return static_cast<std::size_t>(mix64(key)) & (slots_.size() - 1);
  }

  void grow() {
    if (max_bytes_ && bytes() * 2 > max_bytes_) {
      full_ = true;
      return;
    }
    std::vector<std::uint64_t> old(slots_.size() * 2, 0);
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (std::uint64_t key : old) {
      if (!key) continue;
      std::size_t i = home(key);
      while (slots_[i]) i = (i + 1) & mask;
      slots_[i] = key;
    }
  }

  std::vector<std::uint64_t> slots_;
  std::uint64_t size_ = 0;
  std::uint64_t max_bytes_;
  bool full_ = false;
};

}  // namespace gmemcheck::checker
