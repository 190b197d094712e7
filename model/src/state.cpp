#include "gmemcheck/model/state.hpp"

#include "gmemcheck/checker/mix.hpp"

namespace gmemcheck::model {

namespace {

// Over field values (never over raw bytes: padding is not data), a word at a
// time, each folded in with the checker's mixer. Words are dealt in turn to
// four chains, folded together at the end: one chain would make each mix
// wait for the one before, and hashing is on the search's critical path
// (once per new state).
class Hasher {
 public:
  void add(std::uint64_t v) {
    const std::uint64_t x = checker::mix64(a_, v);
    a_ = b_;
    b_ = c_;
    c_ = d_;
    d_ = x;
  }
  std::uint64_t value() const { return checker::mix64(checker::mix64(checker::mix64(a_, b_), c_), d_); }

 private:
  std::uint64_t a_ = checker::kMixSeed, b_ = checker::mix64(a_), c_ = checker::mix64(b_),
                d_ = checker::mix64(c_);
};

void hash_regs(Hasher& h, const Regs& r) {
  h.add(r.pc);
  h.add(static_cast<std::uint64_t>(r.wait) | static_cast<std::uint64_t>(r.wait_lock) << 8 |
        static_cast<std::uint64_t>(r.wait_mode) << 16 | static_cast<std::uint64_t>(r.wait_index) << 24 |
        static_cast<std::uint64_t>(r.i) << 32 | static_cast<std::uint64_t>(r.phase) << 40 |
        static_cast<std::uint64_t>(static_cast<std::uint8_t>(r.pfn)) << 48 |
        static_cast<std::uint64_t>(r.retries) << 56);
  h.add(static_cast<std::uint64_t>(r.mmu_seq) | static_cast<std::uint64_t>(r.holds_ref) << 32 |
        static_cast<std::uint64_t>(r.allocated) << 33 | static_cast<std::uint64_t>(r.held) << 40 |
        static_cast<std::uint64_t>(r.status) << 48);
}

}  // namespace

std::uint64_t hash_state(const State& s, int pages, int threads) {
  Hasher h;
  for (int i = 0; i < pages; ++i) {
    const Spte& e = s.spte[i];
    h.add(static_cast<std::uint8_t>(s.page_cache[i].pfn) | s.page_cache[i].uptodate << 8 |
          static_cast<unsigned>(s.mem_attr_array[i]) << 16 | e.present << 24 | e.private_ << 25 |
          static_cast<std::uint64_t>(static_cast<std::uint8_t>(e.pfn)) << 32);
  }
  h.add(s.pfns_used);
  for (int p = 0; p < s.pfns_used; ++p) {
    const Page& g = s.pfn[p];
    h.add(static_cast<unsigned>(g.owner) | g.refs << 8 | static_cast<unsigned>(g.rmp) << 16 |
          g.directmap_unmapped << 24 | static_cast<std::uint64_t>(static_cast<std::uint8_t>(g.locked_by)) << 32);
  }
  h.add(s.mmu_invalidate_seq);
  h.add(static_cast<std::uint32_t>(s.mmu_invalidate_in_progress));
  h.add(static_cast<std::uint16_t>(s.range_start) | static_cast<std::uint32_t>(static_cast<std::uint16_t>(s.range_end)) << 16);
  const Locks& l = s.locks;
  // Widen every byte before shifting: an int shift of 0xff << 24 goes negative
  // and its sign extension would wipe out the fields above it.
  auto byte = [](std::int8_t v) { return static_cast<std::uint64_t>(static_cast<std::uint8_t>(v)); };
  h.add(byte(l.slots) | byte(l.filemap_invalidate) << 8 | byte(l.gmem) << 16 | byte(l.mmu_writer) << 24 |
        static_cast<std::uint64_t>(l.mmu_readers) << 32);
  for (int t = 0; t < threads; ++t) hash_regs(h, s.threads[t]);
  return h.value();
}

const char* name(Attr a) { return a == Attr::private_ ? "private" : "shared"; }
const char* name(Rmp r) { return r == Rmp::private_ ? "private" : "shared"; }

const char* name(LockId l) {
  switch (l) {
    case LockId::slots: return "slots_lock";
    case LockId::filemap_invalidate: return "filemap_invalidate_lock";
    case LockId::gmem: return "gmem_lock";
    case LockId::folio: return "folio lock";
    case LockId::mmu: return "mmu_lock";
    case LockId::count: break;
  }
  return "?";
}

}  // namespace gmemcheck::model
