// The paths of protocol-model.md section 3, one thread at a time: the exact
// list of steps each takes (execution and state counts depend on this
// granularity, so it is pinned here step by step) and the state it leaves.
// Conventions of the model's step granularity, read off section 3: acquiring
// and releasing a lock are each one step; invalidate_begin is "take mmu_lock,
// begin (count + range), one zap per gfn, release"; invalidate_end is "take
// mmu_lock, end (seq++, count--), release".
#include <string>
#include <vector>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace gmt;
using model::kNone;
using model::Owner;
using model::Rmp;
using Labels = std::vector<std::string>;

namespace {

const std::string kPrivatePage = R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])";

// Runs the scenario's only thread to its end; it must finish cleanly.
Labels run_clean(model::Machine& m) {
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::finished);
  CHECK_EQUAL(std::string(""), ids(run.result.findings));
  return run.labels;
}

Labels concat(std::initializer_list<Labels> parts) {
  Labels out;
  for (const Labels& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Labels kBegin01 = {"write_lock(mmu_lock)", "kvm_mmu_invalidate_begin [0,1)",
                         "kvm_unmap_gfn_range: zap spte[0]", "write_unlock(mmu_lock)"};
const Labels kEnd = {"write_lock(mmu_lock)", "kvm_mmu_invalidate_end", "write_unlock(mmu_lock)"};

// Truncate of index 0 holding pfn 0, with or without .free_folio (step 4c).
Labels truncate0(bool free_folio) {
  Labels out = {"truncate: folio_lock index 0", "filemap_remove_folio index 0 (pfn 0)"};
  if (free_folio) out.push_back("kvm_gmem_free_folio: rmpupdate pfn 0 -> shared");
  out.push_back("folio_put pfn 0 (page cache reference)");
  out.push_back("folio_unlock pfn 0");
  return out;
}

// The 2023 kvm_arch_gmem_invalidate hook over index 0 holding pfn 0.
const Labels kInvalidateHook0 = {"kvm_arch_gmem_invalidate: filemap_get_folio index 0",
                                 "rmpupdate pfn 0 -> shared", "restore_direct_map pfn 0"};

// Punch-hole over a page left as the test found it: no folio, nothing mapped,
// the pfn back in the allocator and shared, one invalidation completed.
void check_punched(const model::State& s) {
  CHECK_EQUAL(kNone, s.page_cache[0].pfn);
  CHECK(s.pfn[0].owner == Owner::free);
  CHECK_EQUAL(0, s.pfn[0].refs);
  CHECK(s.pfn[0].rmp == Rmp::shared);
  CHECK_EQUAL(kNone, s.pfn[0].locked_by);
  CHECK_FALSE(s.spte[0].present);
  CHECK_EQUAL(1u, s.mmu_invalidate_seq);
  CHECK_EQUAL(0, s.mmu_invalidate_in_progress);
  CHECK(s.locks == model::Locks{});
  CHECK_EQUAL(0, s.threads[0].held);
}

// The shared prefix of a private fault (steps 1, 2, 3a-3c) on an index the
// fault finds empty: it allocates pfn 0, zeroes it, takes its reference.
const Labels kFaultAllocates = {"mmu_seq = mmu_invalidate_seq", "kvm_mem_is_private(gfn 0)",
                                "kvm_gmem_get_folio: filemap_lock_folio index 0", "clear_highpage pfn 0",
                                "folio_get pfn 0"};
// Steps 3e-7 of a private fault on pfn 0 that passes its stale check.
const Labels kFaultInstalls = {"folio_unlock pfn 0",        "read_lock(mmu_lock)",
                               "is_page_fault_stale gfn 0", "kvm_tdp_mmu_map: spte[0] = private",
                               "read_unlock(mmu_lock)",     "kvm_release_pfn_clean pfn 0"};

// A private fault on an unpopulated private-attribute page, run alone.
struct FaultRun {
  model::Machine m;
  Labels labels;
  explicit FaultRun(const std::string& variant)
      : m(scenario(variant, 1, R"("mem_attr_array":["private"])", page_fault(0, "private"))),
        labels(run_clean(m)) {}
};

// Faulted in: the new folio is prepared, mapped private, and the fault's
// reference is gone again (only the page cache's remains).
void check_faulted_in(const model::State& s) {
  CHECK_EQUAL(0, s.page_cache[0].pfn);
  CHECK(s.pfn[0].owner == Owner::gmem);
  CHECK_EQUAL(1, s.pfn[0].refs);
  CHECK(s.pfn[0].rmp == Rmp::private_);
  CHECK_EQUAL(kNone, s.pfn[0].locked_by);
  CHECK(s.spte[0] == (model::Spte{true, true, 0}));
  CHECK_FALSE(s.threads[0].holds_ref);
  CHECK(s.threads[0].status == model::Status::finished);
  CHECK(s.locks == model::Locks{});
}

}  // namespace

TEST_GROUP(PunchHole){};

TEST(PunchHole, V611StepsOverAPopulatedPage) {
  model::Machine m(scenario("v6.11", 1, kPrivatePage, punch_hole(0, 1)));
  Labels want =
      concat({{"filemap_invalidate_lock"}, kBegin01, truncate0(true), kEnd, {"filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
  CHECK_EQUAL(14u, want.size());
  check_punched(m.state());
}

// .free_folio made the pfn shared before folio_put freed it.
TEST(PunchHole, V611LeavesThePfnFreeAndShared) {
  model::Machine m(scenario("v6.11", 1, kPrivatePage, punch_hole(0, 1)));
  run_clean(m);
  CHECK(m.state().pfn[0].owner == Owner::free);
  CHECK(m.state().pfn[0].rmp == Rmp::shared);
}

// Truncate at an empty index is still one step.
TEST(PunchHole, EmptyIndexIsOneTruncateStep) {
  model::Machine m(scenario("v7.0", 1, "", punch_hole(0, 1)));
  Labels want = concat({{"filemap_invalidate_lock"},
                        kBegin01,
                        {"truncate: folio_lock index 0"},
                        kEnd,
                        {"filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
}

// roth2023: the kvm_arch_gmem_invalidate hook (look-up, RMPUPDATE, directmap
// restore) runs between invalidate_begin and truncate; truncate has no
// .free_folio step.
TEST(PunchHole, Roth2023RunsTheHookBeforeTruncate) {
  model::Machine m(scenario("roth2023", 1, kPrivatePage, punch_hole(0, 1)));
  Labels want = concat({{"filemap_invalidate_lock"},
                        kBegin01,
                        kInvalidateHook0,
                        truncate0(false),
                        kEnd,
                        {"filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
  check_punched(m.state());
  CHECK_FALSE(m.state().pfn[0].directmap_unmapped);
}

// An empty index: the hook's look-up is its only step there.
TEST(PunchHole, Roth2023HookLooksUpAnEmptyIndexInOneStep) {
  model::Machine m(scenario("roth2023", 1, "", punch_hole(0, 1)));
  Labels want =
      concat({{"filemap_invalidate_lock"},
              kBegin01,
              {"kvm_arch_gmem_invalidate: filemap_get_folio index 0", "truncate: folio_lock index 0"},
              kEnd,
              {"filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
}

// +slots_lock: slots_lock right after filemap_invalidate_lock, released after
// invalidate_end and before filemap_invalidate_unlock.
TEST(PunchHole, SlotsLockVariantHoldsSlotsLockFromBeginToEnd) {
  model::Machine m(scenario("roth2023+slots_lock", 1, kPrivatePage, punch_hole(0, 1)));
  Labels want = concat({{"filemap_invalidate_lock", "mutex_lock(slots_lock)"},
                        kBegin01,
                        kInvalidateHook0,
                        truncate0(false),
                        kEnd,
                        {"mutex_unlock(slots_lock)", "filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
}

TEST(PunchHole, GmemLockVariantHoldsGmemLockFromBeginToEnd) {
  model::Machine m(scenario("roth2023+gmem_lock", 1, kPrivatePage, punch_hole(0, 1)));
  Labels want = concat({{"filemap_invalidate_lock", "mutex_lock(gmem_lock)"},
                        kBegin01,
                        kInvalidateHook0,
                        truncate0(false),
                        kEnd,
                        {"mutex_unlock(gmem_lock)", "filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
}

// rmp_under_mmu_lock: the hook runs after the zaps and before write_unlock.
// On an empty index its look-up does not sleep, so the path completes.
TEST(PunchHole, RmpUnderMmuLockRunsTheHookBetweenZapsAndUnlock) {
  model::Machine m(scenario("roth2023+rmp_under_mmu_lock", 1, "", punch_hole(0, 1)));
  Labels want =
      concat({{"filemap_invalidate_lock", "write_lock(mmu_lock)", "kvm_mmu_invalidate_begin [0,1)",
               "kvm_unmap_gfn_range: zap spte[0]", "kvm_arch_gmem_invalidate: filemap_get_folio index 0",
               "write_unlock(mmu_lock)", "truncate: folio_lock index 0"},
              kEnd,
              {"filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
}

// With a folio there, the hook's directmap restore sleeps under mmu_lock:
// the execution stops at that step.
TEST(PunchHole, RmpUnderMmuLockStopsAtTheSleepingStep) {
  model::Machine m(scenario("roth2023+rmp_under_mmu_lock", 1, kPrivatePage, punch_hole(0, 1)));
  Run run = run_alone(m);
  Labels want = {"filemap_invalidate_lock",
                 "write_lock(mmu_lock)",
                 "kvm_mmu_invalidate_begin [0,1)",
                 "kvm_unmap_gfn_range: zap spte[0]",
                 "kvm_arch_gmem_invalidate: filemap_get_folio index 0",
                 "rmpupdate pfn 0 -> shared",
                 "restore_direct_map pfn 0"};
  CHECK_EQUAL(want, run.labels);
  CHECK_EQUAL(std::string("sleep_in_atomic"), ids(run.result.findings));
}

// truncate_after_end: the whole truncate runs after invalidate_end, still
// under filemap_invalidate_lock.
TEST(PunchHole, TruncateAfterEndRunsTruncateAfterInvalidateEnd) {
  model::Machine m(
      scenario("v6.11", 1, kPrivatePage, punch_hole(0, 1), R"("mutations":["truncate_after_end"])"));
  Labels want =
      concat({{"filemap_invalidate_lock"}, kBegin01, kEnd, truncate0(true), {"filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
  check_punched(m.state());
}

// zero_partial_folio: a zeroing step between folio_lock and remove.
TEST(PunchHole, ZeroPartialFolioZeroesBetweenLockAndRemove) {
  model::Machine m(
      scenario("v7.0", 1, R"("populated":[0])", punch_hole(0, 1), R"("mutations":["zero_partial_folio"])"));
  Labels trunc = truncate0(true);
  trunc.insert(trunc.begin() + 1, "truncate_inode_partial_folio: folio_zero_range pfn 0");
  Labels want = concat({{"filemap_invalidate_lock"}, kBegin01, trunc, kEnd, {"filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
}

// Two pages: one zap per gfn, one truncate per index, in index order.
TEST(PunchHole, TwoPagesZapAndTruncatePerIndex) {
  model::Machine m(scenario("v7.0", 2, R"("populated":[1],"mapped":[0,1])", punch_hole(0, 2)));
  Labels want = {"filemap_invalidate_lock",
                 "write_lock(mmu_lock)",
                 "kvm_mmu_invalidate_begin [0,2)",
                 "kvm_unmap_gfn_range: zap spte[0]",
                 "kvm_unmap_gfn_range: zap spte[1]",
                 "write_unlock(mmu_lock)",
                 "truncate: folio_lock index 0",
                 "truncate: folio_lock index 1",
                 "filemap_remove_folio index 1 (pfn 1)",
                 "kvm_gmem_free_folio: rmpupdate pfn 1 -> shared",
                 "folio_put pfn 1 (page cache reference)",
                 "folio_unlock pfn 1",
                 "write_lock(mmu_lock)",
                 "kvm_mmu_invalidate_end",
                 "write_unlock(mmu_lock)",
                 "filemap_invalidate_unlock"};
  CHECK_EQUAL(want, run_clean(m));
  CHECK_FALSE(m.state().spte[0].present);
  CHECK_FALSE(m.state().spte[1].present);
}

TEST_GROUP(SetAttributes){};

TEST(SetAttributes, V70StepsOverTwoPages) {
  model::Machine m(scenario("v7.0", 2,
                            R"("mem_attr_array":["private","private"],"populated":[0,1],"mapped":[0,1])",
                            set_attributes(0, 2, "shared")));
  Labels want = {"mutex_lock(slots_lock)",
                 "write_lock(mmu_lock)",
                 "kvm_mmu_invalidate_begin [0,2)",
                 "kvm_unmap_gfn_range: zap spte[0]",
                 "kvm_unmap_gfn_range: zap spte[1]",
                 "write_unlock(mmu_lock)",
                 "xa_store mem_attr_array[0] = shared",
                 "xa_store mem_attr_array[1] = shared",
                 "write_lock(mmu_lock)",
                 "kvm_mmu_invalidate_end",
                 "write_unlock(mmu_lock)",
                 "mutex_unlock(slots_lock)"};
  CHECK_EQUAL(want, run_clean(m));
}

// v7.0 set_attributes changes the VM's view only: the RMP and the page cache
// are untouched (the old private backing stays until a punch-hole).
TEST(SetAttributes, V70ChangesOnlyTheAttributesAndSptes) {
  model::Machine m(scenario("v7.0", 2,
                            R"("mem_attr_array":["private","private"],"populated":[0,1],"mapped":[0,1])",
                            set_attributes(0, 2, "shared")));
  run_clean(m);
  const model::State& s = m.state();
  for (int i = 0; i < 2; ++i) {
    CHECK(s.mem_attr_array[i] == model::Attr::shared);
    CHECK_FALSE(s.spte[i].present);
    CHECK_EQUAL(i, s.page_cache[i].pfn);
    CHECK(s.pfn[i].rmp == Rmp::private_);
    CHECK(s.pfn[i].owner == Owner::gmem);
  }
  CHECK_EQUAL(1u, s.mmu_invalidate_seq);
  CHECK_EQUAL(0, s.mmu_invalidate_in_progress);
  CHECK(s.locks == model::Locks{});
}

// roth2023: the set-attributes hook (look-up, then directmap unmap and
// RMPUPDATE -> private on the folio found) runs after the stores, outside
// mmu_lock, holding slots_lock.
TEST(SetAttributes, Roth2023RunsTheHookAfterTheStores) {
  model::Machine m(scenario("roth2023", 1, R"("populated":[0])", set_attributes(0, 1, "private")));
  Labels want = concat(
      {{"mutex_lock(slots_lock)"},
       kBegin01,
       {"xa_store mem_attr_array[0] = private", "kvm_arch_gmem_set_mem_attributes: filemap_get_folio index 0",
        "invalidate_direct_map pfn 0", "rmpupdate pfn 0 -> private"},
       kEnd,
       {"mutex_unlock(slots_lock)"}});
  CHECK_EQUAL(want, run_clean(m));
  CHECK(m.state().pfn[0].rmp == Rmp::private_);
  CHECK(m.state().pfn[0].directmap_unmapped);
}

// +gmem_lock: set-attributes takes gmem_lock right after slots_lock and drops
// it right before slots_lock.
TEST(SetAttributes, GmemLockVariantNestsGmemLockInsideSlotsLock) {
  model::Machine m(scenario("roth2023+gmem_lock", 1, "", set_attributes(0, 1, "private")));
  Labels want = concat({{"mutex_lock(slots_lock)", "mutex_lock(gmem_lock)"},
                        kBegin01,
                        {"xa_store mem_attr_array[0] = private",
                         "kvm_arch_gmem_set_mem_attributes: filemap_get_folio index 0"},
                        kEnd,
                        {"mutex_unlock(gmem_lock)", "mutex_unlock(slots_lock)"}});
  CHECK_EQUAL(want, run_clean(m));
}

// rmp_under_mmu_lock: the hook runs right after invalidate_end takes
// mmu_lock, before the seq++ step.
TEST(SetAttributes, RmpUnderMmuLockRunsTheHookInsideInvalidateEnd) {
  model::Machine m(scenario("roth2023+rmp_under_mmu_lock", 1, "", set_attributes(0, 1, "private")));
  Labels want = concat({{"mutex_lock(slots_lock)"},
                        kBegin01,
                        {"xa_store mem_attr_array[0] = private", "write_lock(mmu_lock)",
                         "kvm_arch_gmem_set_mem_attributes: filemap_get_folio index 0",
                         "kvm_mmu_invalidate_end", "write_unlock(mmu_lock)", "mutex_unlock(slots_lock)"}});
  CHECK_EQUAL(want, run_clean(m));
}

// lock_inversion: set-attributes takes filemap_invalidate_lock inside slots_lock.
TEST(SetAttributes, LockInversionTakesFilemapInvalidateLockInsideSlotsLock) {
  model::Machine m(
      scenario("v7.0", 1, "", set_attributes(0, 1, "private"), R"("mutations":["lock_inversion"])"));
  Labels want = concat({{"mutex_lock(slots_lock)", "filemap_invalidate_lock (lock_inversion)"},
                        kBegin01,
                        {"xa_store mem_attr_array[0] = private"},
                        kEnd,
                        {"filemap_invalidate_unlock (lock_inversion)", "mutex_unlock(slots_lock)"}});
  CHECK_EQUAL(want, run_clean(m));
}

TEST_GROUP(PageFault){};

// v6.10 prepares a folio it allocated: one RMPUPDATE step.
TEST(PageFault, V610PrivateOnAnEmptyPage) {
  FaultRun f("v6.10");
  CHECK_EQUAL(concat({kFaultAllocates, {"rmpupdate pfn 0 -> private"}, kFaultInstalls}), f.labels);
  check_faulted_in(f.m.state());
}

// v6.11: test uptodate, RMPUPDATE, then mark uptodate in its own step.
TEST(PageFault, V611PrivateOnAnEmptyPage) {
  FaultRun f("v6.11");
  CHECK_EQUAL(
      concat({kFaultAllocates,
              {"folio_test_uptodate pfn 0", "rmpupdate pfn 0 -> private", "folio_mark_uptodate pfn 0"},
              kFaultInstalls}),
      f.labels);
  check_faulted_in(f.m.state());
  CHECK(f.m.state().page_cache[0].uptodate);
}

// v7.0: look up the RMP entry, and since it is shared, RMPUPDATE.
TEST(PageFault, V70PrivateOnAnEmptyPage) {
  FaultRun f("v7.0");
  CHECK_EQUAL(concat({kFaultAllocates,
                      {"sev_gmem_prepare: snp_lookup_rmpentry pfn 0", "rmpupdate pfn 0 -> private"},
                      kFaultInstalls}),
              f.labels);
  check_faulted_in(f.m.state());
}

// roth2023: the directmap unmap (which sleeps) precedes the RMPUPDATE.
TEST(PageFault, Roth2023PrivateOnAnEmptyPage) {
  FaultRun f("roth2023");
  CHECK_EQUAL(
      concat(
          {kFaultAllocates, {"invalidate_direct_map pfn 0", "rmpupdate pfn 0 -> private"}, kFaultInstalls}),
      f.labels);
  check_faulted_in(f.m.state());
  CHECK(f.m.state().pfn[0].directmap_unmapped);
}

// A folio found in the page cache is locked, never zeroed, never re-prepared
// by v7.0 once its RMP entry is private.
TEST(PageFault, V70PrivateOnAPopulatedPageFindsThePreparedFolio) {
  model::Machine m(
      scenario("v7.0", 1, R"("mem_attr_array":["private"],"populated":[0])", page_fault(0, "private")));
  Labels want = concat({{"mmu_seq = mmu_invalidate_seq", "kvm_mem_is_private(gfn 0)",
                         "kvm_gmem_get_folio: filemap_lock_folio index 0", "folio_get pfn 0",
                         "sev_gmem_prepare: snp_lookup_rmpentry pfn 0"},
                        kFaultInstalls});
  CHECK_EQUAL(want, run_clean(m));
  check_faulted_in(m.state());
}

// A found folio: v6.10 and roth2023 prepare only what the fault allocated,
// v6.11 only tests uptodate (a populated private folio is prepared).
TEST(PageFault, FoundFolioIsNotPreparedAgain) {
  const Labels find = {"mmu_seq = mmu_invalidate_seq", "kvm_mem_is_private(gfn 0)",
                       "kvm_gmem_get_folio: filemap_lock_folio index 0", "folio_get pfn 0"};
  for (const char* v : {"v6.10", "roth2023", "v6.11"}) {
    model::Machine m(
        scenario(v, 1, R"("mem_attr_array":["private"],"populated":[0])", page_fault(0, "private")));
    Labels want = find;
    if (std::string(v) == "v6.11") want.push_back("folio_test_uptodate pfn 0");
    want = concat({want, kFaultInstalls});
    CHECK_EQUAL(want, run_clean(m));
    check_faulted_in(m.state());
  }
}

// A shared access has no kvm_gmem_get_pfn: a shared mapping, no reference.
TEST(PageFault, SharedAccess) {
  model::Machine m(scenario("v7.0", 1, "", page_fault(0, "shared")));
  Labels want = {
      "mmu_seq = mmu_invalidate_seq", "kvm_mem_is_private(gfn 0)",         "read_lock(mmu_lock)",
      "is_page_fault_stale gfn 0",    "kvm_tdp_mmu_map: spte[0] = shared", "read_unlock(mmu_lock)"};
  CHECK_EQUAL(want, run_clean(m));
  const model::State& s = m.state();
  CHECK(s.spte[0] == (model::Spte{true, false, kNone}));
  CHECK_EQUAL(kNone, s.page_cache[0].pfn);
  CHECK(s.pfn[0] == model::Page{});
}

// The attribute disagrees with the access: KVM_EXIT_MEMORY_FAULT after step 2.
TEST(PageFault, MismatchedAccessExitsToUserspace) {
  model::Machine m(scenario("v7.0", 1, "", page_fault(0, "private")));
  Labels want = {"mmu_seq = mmu_invalidate_seq", "kvm_mem_is_private(gfn 0)"};
  CHECK_EQUAL(want, run_clean(m));
  CHECK(m.state().threads[0].status == model::Status::exited_to_userspace);
  CHECK_FALSE(m.state().spte[0].present);
}

TEST_GROUP(Convert){};

// convert(shared) = set_attributes(shared), then punch_hole of the same range.
TEST(Convert, ToSharedIsSetAttributesThenPunchHole) {
  model::Machine m(scenario("v7.0", 1, kPrivatePage, convert(0, 1, "shared")));
  Labels want = concat({{"mutex_lock(slots_lock)"},
                        kBegin01,
                        {"xa_store mem_attr_array[0] = shared"},
                        kEnd,
                        {"mutex_unlock(slots_lock)", "filemap_invalidate_lock"},
                        kBegin01,
                        truncate0(true),
                        kEnd,
                        {"filemap_invalidate_unlock"}});
  CHECK_EQUAL(want, run_clean(m));
  const model::State& s = m.state();
  CHECK(s.mem_attr_array[0] == model::Attr::shared);
  CHECK_EQUAL(kNone, s.page_cache[0].pfn);
  CHECK(s.pfn[0].owner == Owner::free);
  CHECK(s.pfn[0].rmp == Rmp::shared);
  CHECK_EQUAL(2u, s.mmu_invalidate_seq);
}

// Converting to private keeps the (shared) backing: no punch-hole.
TEST(Convert, ToPrivateIsSetAttributesOnly) {
  model::Machine m(scenario("v7.0", 1, R"("populated":[0])", convert(0, 1, "private")));
  Labels want = concat({{"mutex_lock(slots_lock)"},
                        kBegin01,
                        {"xa_store mem_attr_array[0] = private"},
                        kEnd,
                        {"mutex_unlock(slots_lock)"}});
  CHECK_EQUAL(want, run_clean(m));
  CHECK_EQUAL(0, m.state().page_cache[0].pfn);
}

TEST_GROUP(RmpUpdate){};

// 2023-era make shared: RMPUPDATE, then the directmap restore.
TEST(RmpUpdate, Roth2023ToSharedRestoresTheDirectmap) {
  model::Machine m(
      scenario("roth2023", 1, R"("mem_attr_array":["private"],"populated":[0])", rmpupdate(0, "shared")));
  Labels want = {"filemap_get_folio index 0", "rmpupdate pfn 0 -> shared", "restore_direct_map pfn 0"};
  CHECK_EQUAL(want, run_clean(m));
  CHECK(m.state().pfn[0].rmp == Rmp::shared);
  CHECK_FALSE(m.state().pfn[0].directmap_unmapped);
}

// 2023-era make private: the directmap unmap first, then RMPUPDATE.
TEST(RmpUpdate, Roth2023ToPrivateUnmapsTheDirectmapFirst) {
  model::Machine m(scenario("roth2023", 1, R"("populated":[0])", rmpupdate(0, "private")));
  Labels want = {"filemap_get_folio index 0", "invalidate_direct_map pfn 0", "rmpupdate pfn 0 -> private"};
  CHECK_EQUAL(want, run_clean(m));
  CHECK(m.state().pfn[0].rmp == Rmp::private_);
  CHECK(m.state().pfn[0].directmap_unmapped);
}

// Merged variants: one RMPUPDATE step, no directmap work.
TEST(RmpUpdate, V70IsOneStep) {
  model::Machine m(scenario("v7.0", 1, R"("populated":[0])", rmpupdate(0, "private")));
  Labels want = {"filemap_get_folio index 0", "rmpupdate pfn 0 -> private"};
  CHECK_EQUAL(want, run_clean(m));
  CHECK(m.state().pfn[0].rmp == Rmp::private_);
  CHECK_FALSE(m.state().pfn[0].directmap_unmapped);
}

// No folio at the index: the look-up is the thread's only step.
TEST(RmpUpdate, EmptyIndexFinishesAfterTheLookUp) {
  model::Machine m(scenario("v7.0", 1, "", rmpupdate(0, "private")));
  Labels want = {"filemap_get_folio index 0"};
  CHECK_EQUAL(want, run_clean(m));
  CHECK(m.state().pfn[0] == model::Page{});
}
