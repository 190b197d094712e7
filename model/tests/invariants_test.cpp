// The invariants of protocol-model.md section 5: for every id, a state or run
// that breaks it and a legal neighbour that does not. State invariants are
// judged on states written directly; step invariants (raised by the step that
// breaks them) on small scenarios run through the engine. The explicit
// non-invariants of section 5 must stay silent: asserting them would be a
// false alarm on legal executions.
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

// One private page, faulted in: populated, RMP-private, mapped private. The
// thread only gives the machine a thread; it never runs in state tests.
model::Machine private_mapped_page(const std::string& variant = "v7.0") {
  return model::Machine(
      scenario(variant, 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])", punch_hole(0, 1)));
}

// The same page, not mapped (nothing for the SPTE invariants to look at).
model::Machine private_page(const std::string& variant = "v7.0") {
  return model::Machine(
      scenario(variant, 1, R"("mem_attr_array":["private"],"populated":[0])", punch_hole(0, 1)));
}

// Truncate has removed pfn 0 from the page cache and not yet freed it.
void remove_from_page_cache(model::State& s) {
  s.page_cache[0] = model::Folio{};
  s.pfn[0].owner = Owner::in_flight;
}

// The page is back in the allocator.
void free_pfn0(model::State& s) {
  s.page_cache[0] = model::Folio{};
  s.pfn[0].owner = Owner::free;
  s.pfn[0].refs = 0;
}

// A fault thread holding its reference on pfn 0 (between folio_get and release).
void fault_holds_ref_on_pfn0(model::State& s) {
  s.threads[0].pfn = 0;
  s.threads[0].holds_ref = true;
  ++s.pfn[0].refs;
}

}  // namespace

// Section 5's list is closed: these ids, no more, no fewer (scenarios name
// them in `expect`, output prints them).
TEST_GROUP(InvariantIds){};

TEST(InvariantIds, ExactlyTheSpecifiedList) {
  std::string got;
  for (const model::InvariantInfo& i : model::invariants())
    got += (got.empty() ? "" : ",") + std::string(i.id);
  CHECK_EQUAL(
      std::string("freed_private,host_write_private,stale_spte,attr_mismatch,private_spte_shared_rmp,"
                  "sleep_in_atomic,invalidate_balance,deadlock,lock_misuse,retry_bound,ref_leak,lock_order"),
      got);
  CHECK_EQUAL(std::string(checker::kDeadlock), std::string("deadlock"));
  CHECK_FALSE(model::is_invariant("use_after_free"));
}

TEST_GROUP(FreedPrivate){};

TEST(FreedPrivate, FiresOnAFreePfnThatIsRmpPrivate) {
  model::Machine m = private_page();
  free_pfn0(m.state());
  CHECK_EQUAL(std::string("freed_private"), check_ids(m));
}

// Between filemap_remove_folio and .free_folio the pfn is out of the page
// cache but not yet in the allocator: still private is fine.
TEST(FreedPrivate, SilentWhileThePfnIsInFlight) {
  model::Machine m = private_page();
  remove_from_page_cache(m.state());
  CHECK_EQUAL(std::string(""), check_ids(m));
}

TEST(FreedPrivate, SilentOnAFreePfnOnceShared) {
  model::Machine m = private_page();
  free_pfn0(m.state());
  m.state().pfn[0].rmp = Rmp::shared;
  CHECK_EQUAL(std::string(""), check_ids(m));
}

namespace {
// The May 2023 race (protocol-model.md section 6): punch_hole vs
// set_attributes(private) on one private page.
model::Machine seed(const std::string& variant) {
  return model::Machine(scenario(variant, 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])",
                                 punch_hole(0, 1) + "," + set_attributes(0, 1, "private")));
}
}  // namespace

// CPU0 runs to its hook's RMPUPDATE -> shared (7 steps), CPU1 runs
// set_attributes up to its hook's RMPUPDATE -> private (9 steps), then CPU0
// restores the directmap and truncate frees pfn 0 (4 steps).
TEST(FreedPrivate, FiresInTheSeedInterleaving) {
  model::Machine m = seed("roth2023");
  checker::Schedule schedule(7, 0);
  schedule.insert(schedule.end(), 9, 1);
  schedule.insert(schedule.end(), 4, 0);
  Run run = run_schedule(m, schedule);
  CHECK(run.result.end == checker::EndReason::violation);
  CHECK_EQUAL(std::string("freed_private"), ids(run.result.findings));
  CHECK_EQUAL(std::string("folio_put pfn 0 (page cache reference)"), run.labels.back());
  CHECK_EQUAL(std::string("rmpupdate pfn 0 -> private"), run.labels[15]);
}

TEST(FreedPrivate, FoundByTheSearchInTheSeed) {
  model::Machine m = seed("roth2023");
  CHECK_EQUAL(std::string("freed_private"), keys(explore_all(m).violations));
}

// slots_lock held by punch_hole over its hook and truncate closes the seed race.
TEST(FreedPrivate, SilentInTheSeedUnderSlotsLock) {
  model::Machine m = seed("roth2023+slots_lock");
  checker::Result r = explore_all(m);
  CHECK(r.complete);
  CHECK_EQUAL(std::string(""), keys(r.violations));
}

TEST_GROUP(HostWritePrivate){};

// v6.10 prepared every folio at allocation, so truncate's partial-folio
// zeroing (zero_partial_folio) writes a private page before .free_folio.
TEST(HostWritePrivate, FiresWhenTruncateZeroesAPrivateFolio) {
  model::Machine m(scenario("v6.10", 1, R"("populated":[0],"mapped":[0])", punch_hole(0, 1),
                            R"("mutations":["zero_partial_folio"])"));
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::violation);
  CHECK_EQUAL(std::string("host_write_private"), ids(run.result.findings));
  CHECK_EQUAL(std::string("truncate_inode_partial_folio: folio_zero_range pfn 0"), run.labels.back());
}

// The same zeroing of a page that is RMP-shared (v7.0 leaves a shared-attribute
// populated folio shared) is an ordinary host write.
TEST(HostWritePrivate, SilentWhenTruncateZeroesASharedFolio) {
  model::Machine m(scenario("v7.0", 1, R"("populated":[0],"mapped":[0])", punch_hole(0, 1),
                            R"("mutations":["zero_partial_folio"])"));
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::finished);
  CHECK_EQUAL(std::string(""), ids(run.result.findings));
}

// The fault zeroes the folio it allocates before preparing it: shared then.
TEST(HostWritePrivate, SilentWhenAFaultZeroesItsNewFolio) {
  model::Machine m(scenario("v7.0", 1, R"("mem_attr_array":["private"])", page_fault(0, "private")));
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::finished);
  CHECK_EQUAL(std::string(""), ids(run.result.findings));
}

TEST_GROUP(StaleSpte){};

TEST(StaleSpte, FiresOnAPrivateSpteToAFreedPfn) {
  model::Machine m = private_mapped_page();
  free_pfn0(m.state());
  m.state().pfn[0].rmp = Rmp::shared;  // so freed_private stays out of it
  // A freed pfn is also RMP-shared by then: both SPTE invariants see it.
  CHECK_EQUAL(std::string("private_spte_shared_rmp,stale_spte"), check_ids(m));
}

TEST(StaleSpte, FiresOnAPrivateSpteToAPfnNoLongerTheFolio) {
  model::Machine m = private_mapped_page();
  remove_from_page_cache(m.state());
  CHECK_EQUAL(std::string("stale_spte"), check_ids(m));
}

// A fault that still holds its reference keeps the pfn alive: not stale yet.
TEST(StaleSpte, SilentWhileAFaultHoldsAReference) {
  model::Machine m = private_mapped_page();
  remove_from_page_cache(m.state());
  fault_holds_ref_on_pfn0(m.state());
  CHECK_EQUAL(std::string(""), check_ids(m));
}

// A shared SPTE maps ordinary host memory, never the gmem pfn.
TEST(StaleSpte, SilentOnASharedSpteOverAnEmptyIndex) {
  model::Machine m(scenario("v7.0", 1, R"("mapped":[0])", punch_hole(0, 1)));
  CHECK_EQUAL(std::string(""), check_ids(m));
}

TEST_GROUP(AttrMismatch){};

TEST(AttrMismatch, FiresOnAPrivateSpteOfASharedGfnOutsideInvalidations) {
  model::Machine m = private_mapped_page();
  m.state().mem_attr_array[0] = model::Attr::shared;
  CHECK_EQUAL(std::string("attr_mismatch"), check_ids(m));
}

TEST(AttrMismatch, FiresOnASharedSpteOfAPrivateGfn) {
  model::Machine m(scenario("v7.0", 1, R"("mapped":[0])", punch_hole(0, 1)));
  m.state().mem_attr_array[0] = model::Attr::private_;
  CHECK_EQUAL(std::string("attr_mismatch"), check_ids(m));
}

// set_attributes stores the attribute inside its invalidation, before the
// zapped gfn could be re-faulted: a mismatch there is in flight, not a bug.
TEST(AttrMismatch, SilentInsideAnOpenInvalidationOverTheGfn) {
  model::Machine m = private_mapped_page();
  model::State& s = m.state();
  s.mem_attr_array[0] = model::Attr::shared;
  s.mmu_invalidate_in_progress = 1;
  s.range_start = 0;
  s.range_end = 1;
  CHECK_EQUAL(std::string(""), check_ids(m));
}

// An open invalidation covers only its range.
TEST(AttrMismatch, FiresWhenTheOpenInvalidationDoesNotCoverTheGfn) {
  model::Machine m(scenario(
      "v7.0", 2, R"("mem_attr_array":["private","shared"],"populated":[0],"mapped":[0])", punch_hole(0, 1)));
  model::State& s = m.state();
  s.mem_attr_array[0] = model::Attr::shared;
  s.mmu_invalidate_in_progress = 1;
  s.range_start = 1;
  s.range_end = 2;
  CHECK_EQUAL(std::string("attr_mismatch"), check_ids(m));
}

TEST_GROUP(PrivateSpteSharedRmp){};

TEST(PrivateSpteSharedRmp, FiresOnAPrivateSpteToAnRmpSharedPfn) {
  model::Machine m = private_mapped_page();
  m.state().pfn[0].rmp = Rmp::shared;
  CHECK_EQUAL(std::string("private_spte_shared_rmp"), check_ids(m));
}

TEST(PrivateSpteSharedRmp, SilentOnAFaultedInPrivatePage) {
  model::Machine m = private_mapped_page();
  CHECK_EQUAL(std::string(""), check_ids(m));
}

TEST_GROUP(SleepInAtomic){};

// The 2023 hook run under mmu_lock: restore_direct_map may sleep.
TEST(SleepInAtomic, FiresWhenTheHookRunsUnderMmuLock) {
  model::Machine m = private_mapped_page("roth2023+rmp_under_mmu_lock");
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::violation);
  CHECK_EQUAL(std::string("sleep_in_atomic"), ids(run.result.findings));
  CHECK_EQUAL(std::string("restore_direct_map pfn 0"), run.labels.back());
  CHECK(m.state().threads[0].atomic());
}

// The same hook outside mmu_lock (plain roth2023) may sleep.
TEST(SleepInAtomic, SilentWhenTheHookRunsOutsideMmuLock) {
  model::Machine m = private_mapped_page("roth2023");
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::finished);
  CHECK_EQUAL(std::string(""), ids(run.result.findings));
}

// Under mmu_lock the hook's look-up of an empty index does not sleep.
TEST(SleepInAtomic, SilentWhenTheHookUnderMmuLockFindsNoFolio) {
  model::Machine m(scenario("roth2023+rmp_under_mmu_lock", 1, "", punch_hole(0, 1)));
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::finished);
  CHECK_EQUAL(std::string(""), ids(run.result.findings));
}

TEST_GROUP(InvalidateBalance){};

TEST(InvalidateBalance, FiresOnAnOpenInvalidationWithNoRangeOnceMmuLockIsFree) {
  model::Machine m = private_page();
  m.state().mmu_invalidate_in_progress = 1;  // range stays INVALID
  CHECK_EQUAL(std::string("invalidate_balance"), check_ids(m));
}

// Inside invalidate_begin's mmu_lock section the range may still be INVALID.
TEST(InvalidateBalance, SilentOnAnOpenInvalidationWithNoRangeUnderTheWriter) {
  model::Machine m = private_page();
  model::State& s = m.state();
  s.mmu_invalidate_in_progress = 1;
  s.locks.mmu_writer = 0;
  s.threads[0].held = 1u << static_cast<unsigned>(model::LockId::mmu);
  CHECK_EQUAL(std::string(""), check_ids(m));
}

TEST(InvalidateBalance, FiresOnANegativeCount) {
  model::Machine m = private_page();
  m.state().mmu_invalidate_in_progress = -1;
  CHECK_EQUAL(std::string("invalidate_balance"), check_ids(m));
}

TEST(InvalidateBalance, SilentOnAnOpenInvalidationWithItsRange) {
  model::Machine m = private_page();
  model::State& s = m.state();
  s.mmu_invalidate_in_progress = 1;
  s.range_start = 0;
  s.range_end = 1;
  CHECK_EQUAL(std::string(""), check_ids(m));
}

TEST(InvalidateBalance, FinalFiresWhenAnInvalidationIsLeftOpen) {
  model::Machine m = private_page();
  model::State& s = m.state();
  s.mmu_invalidate_in_progress = 1;
  s.range_start = 0;
  s.range_end = 1;
  CHECK_EQUAL(std::string("invalidate_balance"), check_final_ids(m));
}

TEST(InvalidateBalance, FinalSilentWhenEveryInvalidationEnded) {
  model::Machine m = private_page();
  m.state().mmu_invalidate_seq = 2;  // two invalidations ran and ended
  CHECK_EQUAL(std::string(""), check_final_ids(m));
}

// unlock_before_range_add: invalidate_begin drops mmu_lock after in_progress++
// and before range_add, leaving an open invalidation with no range.
TEST(InvalidateBalance, FiresWhenBeginDropsMmuLockBeforeRangeAdd) {
  model::Machine m(scenario("v6.11", 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])",
                            punch_hole(0, 1), R"("mutations":["unlock_before_range_add"])"));
  Run run = run_alone(m);
  Labels want = {"filemap_invalidate_lock", "write_lock(mmu_lock)", "kvm_mmu_invalidate_begin",
                 "write_unlock(mmu_lock) (unlock_before_range_add)"};
  CHECK_EQUAL(want, run.labels);
  CHECK(run.result.end == checker::EndReason::violation);
  CHECK_EQUAL(std::string("invalidate_balance"), ids(run.result.findings));
}

TEST(InvalidateBalance, SilentWhenBeginAddsTheRangeUnderMmuLock) {
  model::Machine m(scenario("v6.11", 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])",
                            punch_hole(0, 1) + "," + page_fault(0, "private")));
  checker::Result r = explore_all(m);
  CHECK(r.complete);
  CHECK_EQUAL(std::string(""), keys(r.violations));
}

TEST_GROUP(Deadlock){};

// lock_inversion: punch-hole takes filemap_invalidate_lock then slots_lock,
// set-attributes slots_lock then filemap_invalidate_lock.
namespace {
model::Machine inverted_pair(bool inverted) {
  return model::Machine(scenario("v7.0", 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])",
                                 punch_hole(0, 1) + "," + set_attributes(0, 1, "private"),
                                 inverted ? R"("mutations":["lock_inversion"])" : ""));
}
}  // namespace

TEST(Deadlock, FiresWhenEachThreadHoldsTheLockTheOtherWaitsFor) {
  model::Machine m = inverted_pair(true);
  Run run = run_schedule(m, {0, 1});  // each takes its first lock
  CHECK(run.result.end == checker::EndReason::deadlock_found);
  CHECK_EQUAL(std::string("deadlock"), ids(run.result.findings));
  STRCMP_CONTAINS("mutex_lock(slots_lock)", run.result.findings[0].message.c_str());
  STRCMP_CONTAINS("filemap_invalidate_lock (lock_inversion)", run.result.findings[0].message.c_str());
}

TEST(Deadlock, FoundByTheSearchUnderLockInversion) {
  model::Machine m = inverted_pair(true);
  checker::Result r = explore_all(m);
  CHECK_EQUAL(std::string("deadlock,lock_order"), keys(r.violations));
}

// Without the mutation the two lock sets are disjoint in order: nothing blocks
// forever, and no other invariant breaks either.
TEST(Deadlock, SilentWithoutLockInversion) {
  model::Machine m = inverted_pair(false);
  checker::Result r = explore_all(m);
  CHECK(r.complete);
  CHECK_EQUAL(std::string(""), keys(r.violations));
}

// A fault that exited to userspace is finished, not stuck.
TEST(Deadlock, SilentWhenAFaultExitsToUserspace) {
  model::Machine m(scenario("v7.0", 1, "", page_fault(0, "private")));
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::finished);
  CHECK(m.state().threads[0].status == model::Status::exited_to_userspace);
  CHECK_EQUAL(std::string(""), ids(run.result.findings));
}

TEST_GROUP(LockOrder){};

TEST(LockOrder, FiresWhenTwoLocksAreTakenInBothOrders) {
  model::Machine m = inverted_pair(true);
  checker::Result r = explore_all(m);
  CHECK_EQUAL(std::string("deadlock,lock_order"), keys(r.violations));
  const std::string& msg = r.violations.at("lock_order").finding.message;
  // Both acquisition sites are named.
  STRCMP_CONTAINS("CPU0 at mutex_lock(slots_lock)", msg.c_str());
  STRCMP_CONTAINS("CPU1 at filemap_invalidate_lock (lock_inversion)", msg.c_str());
}

// One order seen many times is no inversion (punch_hole alone nests
// filemap_invalidate_lock -> mmu_lock and -> folio lock every execution).
TEST(LockOrder, SilentWhenEveryPairIsTakenInOneOrder) {
  model::Machine m = inverted_pair(false);
  checker::Result r = explore_all(m);
  CHECK(r.violations.count("lock_order") == 0);
}

TEST_GROUP(LockMisuse){};

// A thread about to acquire a lock it already holds (a recursive acquire).
TEST(LockMisuse, FiresOnAnAnnouncedAcquireOfAHeldLock) {
  model::Machine m = private_page();
  model::Regs& r = m.state().threads[0];
  r.wait = model::Wait::lock;
  r.wait_lock = model::LockId::slots;
  r.held = 1u << static_cast<unsigned>(model::LockId::slots);
  m.state().locks.slots = 0;
  CHECK_EQUAL(std::string("lock_misuse"), check_ids(m));
}

// Waiting for a lock while holding another is ordinary nesting.
TEST(LockMisuse, SilentOnAnAnnouncedAcquireOfAnotherLock) {
  model::Machine m = private_page();
  model::Regs& r = m.state().threads[0];
  r.wait = model::Wait::lock;
  r.wait_lock = model::LockId::slots;
  r.held = 1u << static_cast<unsigned>(model::LockId::filemap_invalidate);
  m.state().locks.filemap_invalidate = 0;
  CHECK_EQUAL(std::string(""), check_ids(m));
}

// double_folio_unlock: kvm_gmem_get_pfn unlocks the folio, then its caller
// unlocks it again, releasing a lock the fault no longer holds.
TEST(LockMisuse, FiresOnAReleaseOfALockNotHeld) {
  model::Machine m(scenario("v7.0", 1, R"("mem_attr_array":["private"])", page_fault(0, "private"),
                            R"("mutations":["double_folio_unlock"])"));
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::violation);
  CHECK_EQUAL(std::string("lock_misuse"), ids(run.result.findings));
  CHECK_EQUAL(std::string("folio_unlock pfn 0 (again, in the caller)"), run.labels.back());
}

// The unmutated fault unlocks its folio exactly once.
TEST(LockMisuse, SilentWhenTheFolioIsUnlockedOnce) {
  model::Machine m(scenario("v7.0", 1, R"("mem_attr_array":["private"])", page_fault(0, "private")));
  Run run = run_alone(m);
  CHECK(run.result.end == checker::EndReason::finished);
  CHECK_EQUAL(std::string(""), ids(run.result.findings));
}

TEST_GROUP(RetryBound){};

namespace {
// A private fault racing set-attributes over its gfn.
model::Machine fault_vs_set_attributes(int retries, bool with_invalidator = true) {
  std::string threads = page_fault(0, "private");
  if (with_invalidator) threads = set_attributes(0, 1, "private") + "," + threads;
  return model::Machine(scenario("v6.11", 1, R"("mem_attr_array":["private"],"populated":[0])", threads,
                                 R"("bounds":{"fault_retries":)" + std::to_string(retries) + "}"));
}
}  // namespace

// With no retries allowed, one failed stale check makes the fault give up. It
// is bounded liveness: counted, not a safety violation.
TEST(RetryBound, FiresWhenAFaultWithNoRetriesFailsItsStaleCheck) {
  model::Machine m = fault_vs_set_attributes(0);
  checker::Result r = explore_all(m);
  CHECK_EQUAL(std::string("retry_bound"), keys(r.liveness_examples));
  CHECK(r.liveness_executions.at("retry_bound") > 0);
  CHECK(r.liveness_examples.at("retry_bound").finding.liveness);
  CHECK_EQUAL(std::string(""), keys(r.violations));
}

// The replayed example ends with the fault given up, its reference dropped.
TEST(RetryBound, TheGivenUpFaultLeavesNoReferenceBehind) {
  model::Machine m = fault_vs_set_attributes(0);
  checker::Result r = explore_all(m);
  model::Machine replay = fault_vs_set_attributes(0);
  run_schedule(replay, r.liveness_examples.at("retry_bound").schedule);
  CHECK(replay.state().threads[1].status == model::Status::gave_up);
  CHECK_FALSE(replay.state().threads[1].holds_ref);
  CHECK_EQUAL(1, replay.state().pfn[0].refs);
  CHECK_FALSE(replay.state().threads[1].holds(model::LockId::mmu));
}

// Nothing invalidates the gfn: the first pass installs.
TEST(RetryBound, SilentForAFaultNothingRaces) {
  model::Machine m = fault_vs_set_attributes(0, false);
  checker::Result r = explore_all(m);
  CHECK_EQUAL(std::string(""), keys(r.liveness_examples));
  CHECK_EQUAL(std::string(""), keys(r.violations));
}

// Asked to count liveness, the same give-up ends its execution as a violation.
TEST(RetryBound, CountsAsAViolationWhenLivenessCounts) {
  model::Machine m = fault_vs_set_attributes(0);
  checker::DfsStrategy dfs;
  checker::Options options;
  options.cache = true;
  options.liveness_is_violation = true;
  checker::Result r = checker::explore(m, dfs, options);
  CHECK_EQUAL(std::string("retry_bound"), keys(r.violations));
}

TEST_GROUP(RefLeak){};

TEST(RefLeak, FiresOnAReferenceNobodyAccountsFor) {
  model::Machine m = private_page();
  m.state().pfn[0].refs = 2;  // page cache + a reference no fault holds
  CHECK_EQUAL(std::string("ref_leak"), check_final_ids(m));
}

TEST(RefLeak, FiresOnAnUnreferencedPfnNeverFreed) {
  model::Machine m = private_page();
  model::State& s = m.state();
  s.page_cache[0] = model::Folio{};
  s.pfn[0].refs = 0;
  s.pfn[0].rmp = Rmp::shared;  // owner stays gmem
  CHECK_EQUAL(std::string("ref_leak"), check_final_ids(m));
}

TEST(RefLeak, SilentWhenAFaultAccountsForTheExtraReference) {
  model::Machine m = private_page();
  fault_holds_ref_on_pfn0(m.state());
  CHECK_EQUAL(std::string(""), check_final_ids(m));
}

TEST(RefLeak, SilentOnAPunchedPfnBackInTheAllocator) {
  model::Machine m = private_page();
  free_pfn0(m.state());
  m.state().pfn[0].rmp = Rmp::shared;
  CHECK_EQUAL(std::string(""), check_final_ids(m));
}

namespace {
model::Machine punch_vs_fault(bool leaky) {
  return model::Machine(scenario("v6.11", 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])",
                                 punch_hole(0, 1) + "," + page_fault(0, "private"),
                                 leaky ? R"("mutations":["retry_leaks_ref"])" : ""));
}
}  // namespace

// retry_leaks_ref: the retrying fault forgets the reference it took.
TEST(RefLeak, FoundByTheSearchUnderRetryLeaksRef) {
  model::Machine m = punch_vs_fault(true);
  checker::Result r = explore_all(m);
  CHECK_EQUAL(std::string("ref_leak"), keys(r.violations));
}

TEST(RefLeak, SilentInTheSameRaceWithoutTheMutation) {
  model::Machine m = punch_vs_fault(false);
  checker::Result r = explore_all(m);
  CHECK(r.complete);
  CHECK_EQUAL(std::string(""), keys(r.violations));
}

// Section 5's explicit non-invariants: legal states an over-eager check would flag.
TEST_GROUP(NonInvariants){};

// After set_attributes(shared) and before the punch-hole that discards it, the
// old gmem pfn is still RMP-private and in the page cache.
TEST(NonInvariants, SharedAttributeOverAnRmpPrivatePageCacheFolio) {
  model::Machine m = private_page();
  m.state().mem_attr_array[0] = model::Attr::shared;
  CHECK_EQUAL(std::string(""), check_ids(m));
  CHECK_EQUAL(std::string(""), check_final_ids(m));
}

TEST(NonInvariants, SetAttributesToSharedLeavesThePagePrivateWithoutFinding) {
  // v7.0: set_attributes does not touch the RMP.
  model::Machine sa(scenario("v7.0", 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])",
                             set_attributes(0, 1, "shared")));
  Run run = run_alone(sa);
  CHECK(run.result.end == checker::EndReason::finished);
  CHECK_EQUAL(std::string(""), ids(run.result.findings));
  CHECK(sa.state().pfn[0].rmp == Rmp::private_);
  CHECK_EQUAL(0, sa.state().page_cache[0].pfn);
}

// A fault refilled index 0 (new pfn 1) while the punch-hole that emptied it is
// still open; the old pfn went back to the allocator shared.
TEST(NonInvariants, RefilledPunchedIndex) {
  model::Machine m = private_page();
  model::State& s = m.state();
  free_pfn0(s);
  s.pfn[0].rmp = Rmp::shared;
  s.pfns_used = 2;
  s.pfn[1] = model::Page{Owner::gmem, 1, Rmp::private_, false, kNone};
  s.page_cache[0] = model::Folio{1, true};
  s.mmu_invalidate_in_progress = 1;
  s.range_start = 0;
  s.range_end = 1;
  CHECK_EQUAL(std::string(""), check_ids(m));
}

TEST(NonInvariants, AFaultRacingPunchHoleIsNoViolation) {
  model::Machine m(scenario("v7.0", 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])",
                            punch_hole(0, 1) + "," + page_fault(0, "private")));
  checker::Result r = explore_all(m);
  CHECK(r.complete);
  CHECK_EQUAL(std::string(""), keys(r.violations));
}

// Invalidators do not exclude each other: two overlapping punch-holes.
TEST(NonInvariants, OverlappingInvalidationsAreNoViolation) {
  model::Machine m(scenario("v7.0", 2, R"("mem_attr_array":["private","private"],"populated":[0,1])",
                            punch_hole(0, 2) + "," + punch_hole(1, 2, "CPU1")));
  checker::Result r = explore_all(m);
  CHECK(r.complete);
  CHECK_EQUAL(std::string(""), keys(r.violations));
}

TEST(NonInvariants, TwoOpenInvalidationsAtOnce) {
  model::Machine m = private_page();
  model::State& s = m.state();
  s.mmu_invalidate_in_progress = 2;
  s.range_start = 0;
  s.range_end = 1;
  CHECK_EQUAL(std::string(""), check_ids(m));
}

// v6.11: .free_folio made the page shared; the folio's uptodate flag stays.
TEST(NonInvariants, UptodateFolioWhoseRmpIsShared) {
  model::Machine m = private_page("v6.11");
  m.state().pfn[0].rmp = Rmp::shared;
  CHECK(m.state().page_cache[0].uptodate);
  CHECK_EQUAL(std::string(""), check_ids(m));
}
