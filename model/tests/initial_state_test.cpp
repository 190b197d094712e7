// initial_state(): the state a scenario's `initial` block stands for, per
// variant (scenario-format.md, `initial.populated` and `initial.mapped`). A
// populated folio starts as the variant leaves a folio allocated before the
// run; every expectation below is written out from that table, field by field.
#include <string>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace gmt;
using model::Attr;
using model::kNone;
using model::Owner;
using model::Rmp;

namespace {

// Four pages covering every combination the rules distinguish:
//   0 private, populated, mapped    1 shared, populated, mapped
//   2 private, unpopulated          3 shared, unpopulated, mapped
model::Scenario four_pages(const std::string& variant) {
  return scenario(
      variant, 4,
      R"("mem_attr_array":["private","shared","private","shared"],"populated":[0,1],"mapped":[0,1,3])",
      punch_hole(0, 1));
}

// What the format table says the state must be, for one variant.
struct Expected {
  bool era2023;               // directmap unmapped exactly when RMP-private
  bool shared_page_private;   // v6.10: every populated folio is RMP-private
  bool uptodate_is_prepared;  // v6.11: uptodate exactly when RMP-private
};

model::State expected_state(const Expected& e) {
  model::State s;
  s.mem_attr_array = {Attr::private_, Attr::shared, Attr::private_, Attr::shared};
  s.pfns_used = 4;  // pfn i stands for index i, populated or not
  const Rmp rmp1 = e.shared_page_private ? Rmp::private_ : Rmp::shared;
  s.pfn[0] = model::Page{Owner::gmem, 1, Rmp::private_, e.era2023, kNone};
  s.pfn[1] = model::Page{Owner::gmem, 1, rmp1, e.era2023 && rmp1 == Rmp::private_, kNone};
  s.page_cache[0] = model::Folio{0, true};
  s.page_cache[1] = model::Folio{1, e.uptodate_is_prepared ? rmp1 == Rmp::private_ : true};
  s.spte[0] = model::Spte{true, true, 0};
  s.spte[1] = model::Spte{true, false, kNone};  // the attribute's type, not the RMP's
  s.spte[3] = model::Spte{true, false, kNone};
  return s;
}

// Field-level checks first (a readable failure), then whole-state equality
// (nothing else differs from a fresh State).
void check_initial(const std::string& variant, const Expected& e) {
  const model::Scenario sc = four_pages(variant);
  const model::State got = model::initial_state(sc);
  const model::State want = expected_state(e);
  for (int i = 0; i < 4; ++i) {
    CHECK_EQUAL(want.page_cache[i].pfn, got.page_cache[i].pfn);
    CHECK_EQUAL(want.page_cache[i].uptodate, got.page_cache[i].uptodate);
    CHECK(want.pfn[i].owner == got.pfn[i].owner);
    CHECK_EQUAL(want.pfn[i].refs, got.pfn[i].refs);
    CHECK(want.pfn[i].rmp == got.pfn[i].rmp);
    CHECK_EQUAL(want.pfn[i].directmap_unmapped, got.pfn[i].directmap_unmapped);
    CHECK(want.spte[i] == got.spte[i]);
    CHECK(want.mem_attr_array[i] == got.mem_attr_array[i]);
  }
  CHECK_EQUAL(want.pfns_used, got.pfns_used);
  CHECK(want == got);
}

}  // namespace

TEST_GROUP(InitialState){};

TEST(InitialState, Roth2023) {
  check_initial("roth2023", {true, false, false});
}
TEST(InitialState, Roth2023SlotsLock) {
  check_initial("roth2023+slots_lock", {true, false, false});
}
TEST(InitialState, Roth2023GmemLock) {
  check_initial("roth2023+gmem_lock", {true, false, false});
}
TEST(InitialState, Roth2023RmpUnderMmuLock) {
  check_initial("roth2023+rmp_under_mmu_lock", {true, false, false});
}

// v6.10 prepared a folio when it allocated it: a shared-attribute page that
// was populated is RMP-private, yet its directmap stays (no 2023 directmap
// work) and its mapping is shared, as the attribute says.
TEST(InitialState, V610EveryPopulatedFolioIsPrivate) {
  check_initial("v6.10", {false, true, false});
}

// v6.11: uptodate means prepared, so the shared page's folio is not uptodate.
TEST(InitialState, V611UptodateMeansPrepared) {
  check_initial("v6.11", {false, false, true});
}

TEST(InitialState, V70) {
  check_initial("v7.0", {false, false, false});
}

// No invalidation open, no lock held, no thread started.
TEST(InitialState, ProtocolCountersAndLocksStartIdle) {
  const model::State s = model::initial_state(four_pages("v7.0"));
  CHECK_EQUAL(0u, s.mmu_invalidate_seq);
  CHECK_EQUAL(0, s.mmu_invalidate_in_progress);
  CHECK_FALSE(s.range_valid());
  CHECK(s.locks == model::Locks{});
  CHECK(s.threads[0] == model::Regs{});
}

// Every variant's initial state is legal: no invariant fires before a step.
TEST(InitialState, IsLegalInEveryVariant) {
  for (const model::Variant& v : model::variants()) {
    model::Machine m(four_pages(std::string(v.name)));
    CHECK_EQUAL(std::string(""), check_ids(m));
    CHECK_EQUAL(std::string(""), check_final_ids(m));
  }
}

// The machine starts at, and reset() returns to, the initial state.
TEST(InitialState, MachineStartsAndResetsThere) {
  model::Machine m(four_pages("v6.11"));
  CHECK(m.state() == model::initial_state(m.scenario()));
  m.state().mmu_invalidate_seq = 7;
  m.state().pfn[0].rmp = Rmp::shared;
  m.reset();
  CHECK(m.state() == m.initial_state());
  CHECK(m.state() == model::initial_state(m.scenario()));
}

// Nothing populated: every pfn of the page range is free and shared.
TEST(InitialState, EmptyFileHasOnlyFreePfns) {
  const model::State s = model::initial_state(scenario("roth2023", 2, "", punch_hole(0, 2)));
  for (int p = 0; p < 2; ++p) {
    CHECK(s.pfn[p] == model::Page{});
    CHECK_EQUAL(kNone, s.page_cache[p].pfn);
    CHECK_FALSE(s.spte[p].present);
  }
}
