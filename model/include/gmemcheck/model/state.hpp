// The protocol state (protocol-model.md section 2) as plain, copyable data:
// no pointers, small fixed arrays, so a state can be hashed and compared.
#pragma once

#include <array>
#include <cstdint>

namespace gmemcheck::model {

inline constexpr int kMaxPages = 8;
inline constexpr int kMaxThreads = 6;
inline constexpr int kMaxPfns = 64;
inline constexpr std::int8_t kNone = -1;  // no pfn, no owner, no thread

enum class Attr : std::uint8_t { shared, private_ };
enum class Rmp : std::uint8_t { shared, private_ };
enum class Owner : std::uint8_t { free, gmem, in_flight };

// A guest_memfd page-cache slot: the folio's pfn (kNone: no folio).
struct Folio {
  std::int8_t pfn = kNone;
  bool uptodate = false;
  bool operator==(const Folio&) const = default;
};

// A host page: allocator view, references, RMP entry, directmap, folio lock.
struct Page {
  Owner owner = Owner::free;
  std::uint8_t refs = 0;
  Rmp rmp = Rmp::shared;
  bool directmap_unmapped = false;
  std::int8_t locked_by = kNone;  // the folio lock lives with the page
  bool operator==(const Page&) const = default;
};

struct Spte {
  bool present = false;
  bool private_ = false;
  std::int8_t pfn = kNone;  // a shared mapping points to ordinary host memory
  bool operator==(const Spte&) const = default;
};

enum class LockId : std::uint8_t { slots, filemap_invalidate, gmem, folio, mmu, count };
enum class Mode : std::uint8_t { exclusive, read, write };

struct Locks {
  std::int8_t slots = kNone;
  std::int8_t filemap_invalidate = kNone;
  std::int8_t gmem = kNone;
  std::int8_t mmu_writer = kNone;
  std::uint8_t mmu_readers = 0;  // one bit per thread
  bool operator==(const Locks&) const = default;
};

enum class Status : std::uint8_t { running, finished, exited_to_userspace, gave_up };

// What a thread is waiting to do: its announced step may block on this.
enum class Wait : std::uint8_t { none, lock, folio_at_index };

// A thread's registers: everything a path remembers from one step to the next.
struct Regs {
  std::uint32_t pc = 0;  // the announced step's site
  Wait wait = Wait::none;
  LockId wait_lock = LockId::count;
  Mode wait_mode = Mode::exclusive;
  std::uint8_t wait_index = 0;
  std::uint8_t i = 0;       // loop index of the current per-gfn/per-index loop
  std::uint8_t phase = 0;   // convert: 0 set_attributes, 1 punch_hole
  std::uint32_t mmu_seq = 0;
  std::int8_t pfn = kNone;  // pfn read by a lookup or held by a fault
  bool holds_ref = false;
  bool allocated = false;   // this fault pass allocated its folio
  std::uint8_t retries = 0;
  std::uint8_t held = 0;    // bit per LockId
  Status status = Status::running;
  bool operator==(const Regs&) const = default;

  bool holds(LockId l) const { return held & (1u << static_cast<unsigned>(l)); }
  bool atomic() const { return holds(LockId::mmu); }
};

inline constexpr std::int16_t kInvalidGfn = -1;

struct State {
  std::array<Folio, kMaxPages> page_cache{};
  std::array<Attr, kMaxPages> mem_attr_array{};
  std::array<Spte, kMaxPages> spte{};
  std::uint8_t pfns_used = 0;  // pfns [0, pfns_used) have ever been allocated
  std::uint32_t mmu_invalidate_seq = 0;
  std::int32_t mmu_invalidate_in_progress = 0;
  std::int16_t range_start = kInvalidGfn;  // kInvalidGfn: INVALID
  std::int16_t range_end = kInvalidGfn;
  Locks locks{};
  std::array<Regs, kMaxThreads> threads{};
  // Last: a scenario uses the first few pfns of the pool, so what its steps
  // touch stays on the state's first cache lines.
  std::array<Page, kMaxPfns> pfn{};
  bool operator==(const State&) const = default;

  bool range_valid() const { return range_start != kInvalidGfn; }
  // Is gfn covered by an open invalidation (the fault's retry test)?
  bool invalidation_covers(int gfn) const {
    if (mmu_invalidate_in_progress <= 0) return false;
    return !range_valid() || (range_start <= gfn && gfn < range_end);
  }
};

std::uint64_t hash_state(const State& s, int pages, int threads);

const char* name(Attr a);
const char* name(Rmp r);
const char* name(LockId l);

}  // namespace gmemcheck::model
