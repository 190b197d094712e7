// hash_state(): the stateful search ends an execution at a state whose hash it
// has seen, so two states that differ in any field must hash apart (or the
// search would skip a state it never explored), and equal states must hash
// alike (or the cache would never hit). Each test changes one field of a
// state in which every field has a non-default value, so a field the hash
// ignored, or packed over another, would show up.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace gmt;
using model::kNone;
using model::LockId;
using model::State;

namespace {

constexpr int kPages = 2;
constexpr int kThreads = 2;

std::uint64_t hash(const State& s) {
  return model::hash_state(s, kPages, kThreads);
}

// A busy state: two pages, three pfns in use, an invalidation open, locks and
// registers set. Every field differs from its default.
State busy() {
  State s;
  s.page_cache[0] = model::Folio{0, true};
  s.page_cache[1] = model::Folio{2, false};
  s.mem_attr_array = {model::Attr::private_, model::Attr::shared};
  s.spte[0] = model::Spte{true, true, 0};
  s.spte[1] = model::Spte{true, false, kNone};
  s.pfns_used = 3;
  s.pfn[0] = model::Page{model::Owner::gmem, 2, model::Rmp::private_, true, 1};
  s.pfn[1] = model::Page{model::Owner::in_flight, 1, model::Rmp::shared, false, 0};
  s.pfn[2] = model::Page{model::Owner::gmem, 1, model::Rmp::shared, false, kNone};
  s.mmu_invalidate_seq = 3;
  s.mmu_invalidate_in_progress = 1;
  s.range_start = 0;
  s.range_end = 1;
  s.locks = model::Locks{0, 0, 1, kNone, 0b10};
  s.threads[0] = model::Regs{
      0x1234, model::Wait::lock,     LockId::slots, model::Mode::exclusive, 1, 1, 1, 2, 1, true, true, 1,
      0b11,   model::Status::running};
  s.threads[1] = model::Regs{
      0x5679,  model::Wait::folio_at_index, LockId::mmu, model::Mode::read, 0, 0, 0, 3, 0, true, false, 2,
      0b10000, model::Status::running};
  return s;
}

using Change = std::function<void(State&)>;

// Every change must move the hash away from the busy state's, and away from
// every other change's (one field must not be confusable with another).
void check_all_distinct(const std::vector<Change>& changes) {
  const std::uint64_t base = hash(busy());
  std::vector<std::uint64_t> seen;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    State s = busy();
    changes[i](s);
    CHECK_TEXT(!(s == busy()), ("change " + std::to_string(i) + " changed nothing").c_str());
    const std::uint64_t h = hash(s);
    CHECK_TEXT(h != base, ("change " + std::to_string(i) + " kept the hash").c_str());
    for (std::size_t k = 0; k < seen.size(); ++k)
      CHECK_TEXT(h != seen[k],
                 ("changes " + std::to_string(k) + " and " + std::to_string(i) + " collide").c_str());
    seen.push_back(h);
  }
}

}  // namespace

TEST_GROUP(StateHash){};

TEST(StateHash, EqualStatesHashEqual) {
  State a = busy();
  State b = busy();
  CHECK(a == b);
  CHECK_EQUAL(hash(a), hash(b));
}

// Two machines of one scenario start at one hash, and reset() returns to it.
TEST(StateHash, MachinesOfOneScenarioAgree) {
  model::Machine a(
      scenario("v7.0", 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])", punch_hole(0, 1)));
  model::Machine b(a.scenario());
  CHECK_EQUAL(a.state_hash(), b.state_hash());
  run_alone(a);
  CHECK(a.state_hash() != b.state_hash());
  a.reset();
  CHECK_EQUAL(a.state_hash(), b.state_hash());
}

// Two different interleavings that reach one state reach one hash: two
// independent shared faults on different gfns, in either order.
TEST(StateHash, OneStateByTwoInterleavingsHashesAlike) {
  model::Scenario sc =
      scenario("v7.0", 2, "", page_fault(0, "shared") + "," + page_fault(1, "shared", "VCPU1"));
  model::Machine a(sc);
  model::Machine b(sc);
  run_schedule(a, {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1});
  run_schedule(b, {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0});
  CHECK(a.state() == b.state());
  CHECK_EQUAL(a.state_hash(), b.state_hash());
}

TEST(StateHash, PageCacheFields) {
  check_all_distinct({
      [](State& s) { s.page_cache[0].pfn = 1; },
      [](State& s) { s.page_cache[0].pfn = kNone; },
      [](State& s) { s.page_cache[1].pfn = 1; },
      [](State& s) { s.page_cache[0].uptodate = false; },
      [](State& s) { s.page_cache[1].uptodate = true; },
  });
}

TEST(StateHash, MemAttrArray) {
  check_all_distinct({
      [](State& s) { s.mem_attr_array[0] = model::Attr::shared; },
      [](State& s) { s.mem_attr_array[1] = model::Attr::private_; },
  });
}

TEST(StateHash, SpteFields) {
  check_all_distinct({
      [](State& s) { s.spte[0].present = false; },
      [](State& s) { s.spte[0].private_ = false; },
      [](State& s) { s.spte[0].pfn = 1; },
      [](State& s) { s.spte[1].present = false; },
      [](State& s) { s.spte[1].private_ = true; },
      [](State& s) { s.spte[1].pfn = 2; },
  });
}

TEST(StateHash, PfnFields) {
  check_all_distinct({
      [](State& s) { s.pfn[0].owner = model::Owner::free; },
      [](State& s) { s.pfn[0].owner = model::Owner::in_flight; },
      [](State& s) { s.pfn[0].refs = 1; },
      [](State& s) { s.pfn[0].rmp = model::Rmp::shared; },
      [](State& s) { s.pfn[0].directmap_unmapped = false; },
      [](State& s) { s.pfn[0].locked_by = kNone; },
      [](State& s) { s.pfn[0].locked_by = 0; },
      [](State& s) { s.pfn[1].owner = model::Owner::gmem; },
      [](State& s) { s.pfn[1].refs = 2; },
      [](State& s) { s.pfn[1].rmp = model::Rmp::private_; },
      [](State& s) { s.pfn[1].directmap_unmapped = true; },
      [](State& s) { s.pfn[1].locked_by = 1; },
      [](State& s) { s.pfn[2].owner = model::Owner::free; },
      [](State& s) { s.pfn[2].refs = 0; },
  });
}

// A pfn allocated for the first time (pfns_used grows) is a new state even
// when the new pfn's entry still looks like a default one.
TEST(StateHash, PfnsUsed) {
  check_all_distinct({
      [](State& s) { s.pfns_used = 4; },
      [](State& s) {
        s.pfns_used = 4;
        s.pfn[3].owner = model::Owner::gmem;
      },
  });
}

TEST(StateHash, InvalidationCounters) {
  check_all_distinct({
      [](State& s) { s.mmu_invalidate_seq = 4; },
      [](State& s) { s.mmu_invalidate_seq = 0; },
      [](State& s) { s.mmu_invalidate_in_progress = 2; },
      [](State& s) { s.mmu_invalidate_in_progress = 0; },
  });
}

TEST(StateHash, InvalidationRange) {
  check_all_distinct({
      [](State& s) { s.range_start = 1; },
      [](State& s) { s.range_end = 2; },
      [](State& s) { s.range_start = s.range_end = model::kInvalidGfn; },
      [](State& s) {
        s.range_start = 1;
        s.range_end = 0;  // start and end swapped
      },
  });
}

TEST(StateHash, LockOwners) {
  check_all_distinct({
      [](State& s) { s.locks.slots = kNone; },
      [](State& s) { s.locks.slots = 1; },
      [](State& s) { s.locks.filemap_invalidate = kNone; },
      [](State& s) { s.locks.filemap_invalidate = 1; },
      [](State& s) { s.locks.gmem = kNone; },
      [](State& s) { s.locks.gmem = 0; },
      [](State& s) { s.locks.mmu_writer = 0; },
      [](State& s) { s.locks.mmu_writer = 1; },
  });
}

// Which threads read-hold mmu_lock, while no writer holds it (the only time
// readers hold it). Ignored because it fails: hash_state packs the lock owners
// into one word in which mmu_writer == kNone (0xff) << 24 is a negative int,
// sign-extended over bits 32-63 where mmu_readers goes, so the readers mask
// never reaches the hash. Reachable states stay apart today only because each
// reader's regs.held carries the same bit; enable this test once fixed.
TEST(StateHash, MmuReadersWithoutAWriter) {
  check_all_distinct({
      [](State& s) { s.locks.mmu_readers = 0; },
      [](State& s) { s.locks.mmu_readers = 0b01; },
      [](State& s) { s.locks.mmu_readers = 0b11; },
  });
}

// The same mask beside a writer does reach the hash.
TEST(StateHash, MmuReadersBesideAWriter) {
  check_all_distinct({
      [](State& s) {
        s.locks.mmu_writer = 0;
        s.locks.mmu_readers = 0;
      },
      [](State& s) {
        s.locks.mmu_writer = 0;
        s.locks.mmu_readers = 0b01;
      },
      [](State& s) {
        s.locks.mmu_writer = 0;
        s.locks.mmu_readers = 0b11;
      },
  });
}

TEST(StateHash, RegisterFields) {
  check_all_distinct({
      [](State& s) { s.threads[0].pc = 0x1235; },
      [](State& s) { s.threads[0].wait = model::Wait::none; },
      [](State& s) { s.threads[0].wait = model::Wait::folio_at_index; },
      [](State& s) { s.threads[0].wait_lock = LockId::filemap_invalidate; },
      [](State& s) { s.threads[0].wait_mode = model::Mode::write; },
      [](State& s) { s.threads[0].wait_index = 0; },
      [](State& s) { s.threads[0].i = 0; },
      [](State& s) { s.threads[0].phase = 0; },
      [](State& s) { s.threads[0].mmu_seq = 3; },
      [](State& s) { s.threads[0].pfn = kNone; },
      [](State& s) { s.threads[0].pfn = 2; },
      [](State& s) { s.threads[0].holds_ref = false; },
      [](State& s) { s.threads[0].allocated = false; },
      [](State& s) { s.threads[0].retries = 2; },
      [](State& s) { s.threads[0].held = 0b01; },
      [](State& s) { s.threads[0].status = model::Status::finished; },
      [](State& s) { s.threads[0].status = model::Status::exited_to_userspace; },
      [](State& s) { s.threads[0].status = model::Status::gave_up; },
  });
}

// Which thread holds what matters: the second thread's registers count too,
// and swapping two threads' registers is a different state.
TEST(StateHash, RegistersOfEveryThread) {
  check_all_distinct({
      [](State& s) { s.threads[1].pc = 0x567a; },
      [](State& s) { s.threads[1].mmu_seq = 2; },
      [](State& s) { s.threads[1].held = 0; },
      [](State& s) { s.threads[1].retries = 0; },
      [](State& s) { std::swap(s.threads[0], s.threads[1]); },
  });
}
