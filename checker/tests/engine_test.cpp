// Engine tests on toy programs small enough to enumerate by hand. Every number
// asserted here is derived in the comment next to it.
//
// How steps are counted: every execution re-runs the program from its initial
// state, so Result.steps is the sum of the lengths of all executions (shared
// prefixes are counted again each time they are re-run).
//
// Schedules below are written as thread letters: "ABBA" is the schedule
// {0, 1, 1, 0}. DFS always tries the lowest enabled thread first.
#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gmemcheck/checker/dpor.hpp"
#include "gmemcheck/checker/explorer.hpp"
#include "gmemcheck/checker/strategy.hpp"
#include "toy_program.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

#include "same_result.hpp"

namespace ck = gmemcheck::checker;

// Lets CHECK_EQUAL print schedules and thread lists.
SimpleString StringFrom(const std::vector<int>& v) {
  std::string out = "{";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return SimpleString((out + "}").c_str());
}

namespace {

using toy::Spec;

// Thread t writes its own variable t with 1, 2, ..., steps: no step of one
// thread reads or writes anything another thread touches.
Spec independent(int threads, int steps) {
  Spec s;
  s.variables = threads;
  for (int t = 0; t < threads; ++t) {
    toy::ThreadSpec th{std::string(1, static_cast<char>('A' + t)), {}};
    for (int i = 1; i <= steps; ++i) th.ops.push_back(toy::write(t, i));
    s.threads.push_back(th);
  }
  return s;
}

// Threads A and B each add one to x (load; store x=r+1), optionally inside
// lock m0 ... unlock m0. The final check wants x == 2.
Spec counter(bool locked) {
  std::vector<toy::Op> ops = {toy::load(0), toy::store_inc(0)};
  if (locked) {
    ops.insert(ops.begin(), toy::lock(0));
    ops.push_back(toy::unlock(0));
  }
  Spec s;
  s.variables = 1;
  s.mutexes = locked ? 1 : 0;
  s.threads = {{"A", ops}, {"B", ops}};
  s.final_checks = {{0, 2, "lost_update", false}};
  return s;
}

// "left" takes m0 then m1; "right" takes m1 then m0, or m0 then m1 when
// same_order. Each releases in reverse order: four steps per thread.
Spec two_locks(bool same_order) {
  int first = same_order ? 0 : 1;
  int second = 1 - first;
  Spec s;
  s.mutexes = 2;
  s.threads = {{"left", {toy::lock(0), toy::lock(1), toy::unlock(1), toy::unlock(0)}},
               {"right", {toy::lock(first), toy::lock(second), toy::unlock(second), toy::unlock(first)}}};
  return s;
}

ck::Result explore_dfs(const Spec& spec, const ck::Options& options = {}) {
  toy::ToyProgram program(spec);
  ck::DfsStrategy dfs;
  return ck::explore(program, dfs, options);
}

ck::SingleRun replay(const Spec& spec, ck::Schedule schedule, bool liveness_is_violation = false) {
  toy::ToyProgram program(spec);
  ck::ReplayStrategy strategy(std::move(schedule));
  return ck::run_once(program, strategy, nullptr, liveness_is_violation);
}

// The program's state after replaying `prefix` from the initial state: a
// replay that runs out stops there and leaves the state as it is.
std::uint64_t hash_after(const Spec& spec, ck::Schedule prefix) {
  toy::ToyProgram program(spec);
  ck::ReplayStrategy strategy(std::move(prefix));
  ck::run_once(program, strategy, nullptr, false);
  return program.state_hash();
}

ck::Options bounded(void (*set)(ck::Bounds&)) {
  ck::Options o;
  set(o.bounds);
  return o;
}

}  // namespace

// ---------------------------------------------------------------- counting

TEST_GROUP(Counting){};

// A: write x=1, write x=2.  B: write y=1, write y=2.
// The executions are the orderings of AABB's letters, C(4,2) = 6, in DFS order:
//   AABB ABAB ABBA BAAB BABA BBAA
// each 4 steps long: 6 * 4 = 24 steps. States are fixed by (A's pc, B's pc),
// each 0..2 (x and y follow from them): 3 * 3 = 9.
TEST(Counting, TwoThreadsOfTwoIndependentStepsGiveSixExecutions) {
  ck::Result r = explore_dfs(independent(2, 2));
  CHECK_EQUAL(6u, r.executions);
  CHECK_EQUAL(24u, r.steps);
  CHECK_EQUAL(9u, r.states);
  CHECK_EQUAL(4u, r.max_depth);
  CHECK_TRUE(r.complete);
  CHECK_TRUE(r.cut_bound.empty());
  CHECK_TRUE(r.violations.empty());
}

// A: write x=1.  B: write y=1.  C: write z=1.
// 3! = 6 orders: ABC ACB BAC BCA CAB CBA, 3 steps each: 18 steps.
// States: which of the three threads have run, 2^3 = 8.
TEST(Counting, ThreeThreadsOfOneStepGiveSixExecutions) {
  ck::Result r = explore_dfs(independent(3, 1));
  CHECK_EQUAL(6u, r.executions);
  CHECK_EQUAL(18u, r.steps);
  CHECK_EQUAL(8u, r.states);
  CHECK_EQUAL(3u, r.max_depth);
  CHECK_TRUE(r.complete);
}

// A: write x=1, x=2, x=3. One thread has one schedule, AAA: 3 steps, and the
// states are the initial one plus one after each step: 4.
TEST(Counting, OneThreadOfThreeStepsGivesOneExecution) {
  ck::Result r = explore_dfs(independent(1, 3));
  CHECK_EQUAL(1u, r.executions);
  CHECK_EQUAL(3u, r.steps);
  CHECK_EQUAL(4u, r.states);
  CHECK_TRUE(r.complete);
}

// ---------------------------------------------------------------- states

TEST_GROUP(States){};

// A: write x=1.  B: write y=1.  A state is (x, y, A.pc, A.r, B.pc, B.r); the
// registers stay 0. The hash set must hold exactly:
//   initial      (0,0, 0,0, 0,0)
//   after A      (1,0, 1,0, 0,0)
//   after B      (0,1, 0,0, 1,0)
//   after AB/BA  (1,1, 1,0, 1,0)   both orders reach the same state
TEST(States, TwoIndependentWritesGiveFourStates) {
  Spec s = independent(2, 1);
  std::set<std::uint64_t> expected = {hash_after(s, {}), hash_after(s, {0}), hash_after(s, {1}),
                                      hash_after(s, {0, 1})};
  CHECK_EQUAL(4u, expected.size());
  CHECK_EQUAL(hash_after(s, {0, 1}), hash_after(s, {1, 0}));
  CHECK_EQUAL(4u, explore_dfs(s).states);
}

// A: write x=1.  B: write x=2.  The orders end with different x:
// initial, after A (x=1), after B (x=2), AB (x=2), BA (x=1): 5 states.
TEST(States, ConflictingWritesGiveFiveStates) {
  Spec s = independent(2, 1);
  s.variables = 1;
  s.threads[0].ops = {toy::write(0, 1)};
  s.threads[1].ops = {toy::write(0, 2)};
  CHECK(hash_after(s, {0, 1}) != hash_after(s, {1, 0}));
  CHECK_EQUAL(5u, explore_dfs(s).states);
}

// A: load x.  B: write x=1.  AB and BA both end with x=1 and both threads
// finished; they differ only in A's register (0 after AB, 1 after BA), so the
// hash must include registers: initial, A, B, AB, BA = 5 states.
TEST(States, RegistersAreHashed) {
  Spec s = independent(2, 1);
  s.variables = 1;
  s.threads[0].ops = {toy::load(0)};
  s.threads[1].ops = {toy::write(0, 1)};
  CHECK(hash_after(s, {0, 1}) != hash_after(s, {1, 0}));
  CHECK_EQUAL(5u, explore_dfs(s).states);
}

// A: write x=1.  B: write x=1.  AB and BA converge: 4 states.
TEST(States, EqualWritesConverge) {
  Spec s = independent(2, 1);
  s.variables = 1;
  s.threads[1].ops = {toy::write(0, 1)};
  CHECK_EQUAL(hash_after(s, {0, 1}), hash_after(s, {1, 0}));
  CHECK_EQUAL(4u, explore_dfs(s).states);
}

// The hash is a function of the state only: two programs built alike agree.
TEST(States, HashIsDeterministic) {
  Spec s = counter(true);
  CHECK_EQUAL(hash_after(s, {0, 0, 1}), hash_after(s, {0, 0, 1}));
  CHECK(hash_after(s, {0}) != hash_after(s, {1}));
}

// ---------------------------------------------------------------- safety

TEST_GROUP(Safety){};

// A: write x=1; expect x==1 ("overwritten" otherwise); write y=1.  B: write x=2.
// B's one step goes in one of four places, DFS order:
//   AAAB (4 steps)  AABA (4)  ABAA (B overwrote x before A's check: the
//   violation ends the execution after 3 steps)  BAAA (4)
// 4 executions, 15 steps; the counterexample is ABA.
TEST(Safety, ViolationEndsItsExecution) {
  Spec s = independent(2, 1);
  s.threads[0].ops = {toy::write(0, 1), toy::expect(0, 1, "overwritten"), toy::write(1, 1)};
  s.threads[1].ops = {toy::write(0, 2)};
  ck::Result r = explore_dfs(s);
  CHECK_EQUAL(4u, r.executions);
  CHECK_EQUAL(15u, r.steps);
  CHECK_TRUE(r.complete);
  const ck::Counterexample& cx = r.violations.at("overwritten");
  CHECK_EQUAL((ck::Schedule{0, 1, 0}), cx.schedule);
  CHECK_EQUAL(std::string("A saw x=2, expected 1"), cx.finding.message);
  CHECK_FALSE(cx.finding.liveness);
}

// ---------------------------------------------------------------- mutexes

TEST_GROUP(Mutex){};

// A and B: lock m0; load x; store x=r+1; unlock m0.
// Once a thread has taken m0 the other one is blocked until the unlock, which
// is that thread's last step, so only the first choice is free:
//   AAAABBBB  BBBBAAAA          2 executions, 2 * 8 = 16 steps, x == 2 in both.
// States: the initial one plus 8 per execution (the two executions share no
// state: m0's owner or the registers tell them apart) = 17.
TEST(Mutex, ProtectedCounterNeverLosesAnUpdate) {
  ck::Result r = explore_dfs(counter(true));
  CHECK_EQUAL(2u, r.executions);
  CHECK_EQUAL(16u, r.steps);
  CHECK_EQUAL(17u, r.states);
  CHECK_TRUE(r.violations.empty());
  CHECK_TRUE(r.complete);
}

// A and B: load x; store x=r+1. The 6 orders, in DFS order:
//   AABB ok, ABAB lost, ABBA lost, BAAB lost, BABA lost, BBAA ok
// (lost: both loaded 0 before either stored). 6 * 4 = 24 steps. The first
// counterexample is ABAB. States by (A.pc, B.pc): one each for (0,0) (1,0)
// (0,1) (2,0) (0,2) (1,1); two each for (2,1) and (1,2) (the late loader saw
// 0 or 1); three for (2,2): x=2 with A.r=0, x=2 with B.r=0, and x=1 with both
// registers 0 (reached by all four lost orders). 6 + 4 + 3 = 13.
TEST(Mutex, UnprotectedCounterLosesAnUpdate) {
  ck::Result r = explore_dfs(counter(false));
  CHECK_EQUAL(6u, r.executions);
  CHECK_EQUAL(24u, r.steps);
  CHECK_EQUAL(13u, r.states);
  CHECK_TRUE(r.complete);
  CHECK_EQUAL(1u, r.violations.size());
  const ck::Counterexample& cx = r.violations.at("lost_update");
  CHECK_EQUAL((ck::Schedule{0, 1, 0, 1}), cx.schedule);
  CHECK_EQUAL(std::string("x is 1, expected 2"), cx.finding.message);
}

// The recorded schedule replays to the very same finding.
TEST(Mutex, LostUpdateCounterexampleReplays) {
  ck::Result r = explore_dfs(counter(false));
  const ck::Counterexample& cx = r.violations.at("lost_update");
  ck::SingleRun run = replay(counter(false), cx.schedule);
  CHECK(run.end == ck::EndReason::violation);
  CHECK_EQUAL(4u, run.steps);
  CHECK_EQUAL(1u, run.findings.size());
  CHECK(run.findings[0] == cx.finding);
}

// The toy raises kLockHeld if a lock step ever runs while another thread holds
// the mutex; no execution of any of these programs may raise it.
TEST(Mutex, BlockedThreadIsNeverScheduled) {
  for (bool same_order : {true, false}) {
    ck::Result r = explore_dfs(two_locks(same_order));
    CHECK_EQUAL(0u, r.violations.count(toy::kLockHeld));
  }
  CHECK_EQUAL(0u, explore_dfs(counter(true)).violations.count(toy::kLockHeld));
}

// A, B, C: lock m0; unlock m0. A critical section cannot be interleaved with
// anything (the others are blocked or done), so the executions are the 3! = 6
// orders of the sections, 6 steps each: 36 steps, none running a blocked lock.
TEST(Mutex, ThreeContendersRunTheirSectionsInTurn) {
  Spec s = independent(3, 1);
  s.mutexes = 1;
  for (auto& th : s.threads) th.ops = {toy::lock(0), toy::unlock(0)};
  ck::Result r = explore_dfs(s);
  CHECK_EQUAL(6u, r.executions);
  CHECK_EQUAL(36u, r.steps);
  CHECK_TRUE(r.violations.empty());
}

// Proves the detector above can fire: with enabled() ignoring the mutex, DFS
// runs AABB first (fine) and then AB, where B locks m0 while A holds it.
TEST(Mutex, LockHeldDetectorFiresWhenBlockingIsIgnored) {
  Spec s = independent(2, 1);
  s.mutexes = 1;
  for (auto& th : s.threads) th.ops = {toy::lock(0), toy::unlock(0)};
  s.respect_locks = false;
  ck::Result r = explore_dfs(s);
  const ck::Counterexample& cx = r.violations.at(toy::kLockHeld);
  CHECK_EQUAL((ck::Schedule{0, 1}), cx.schedule);
  CHECK_EQUAL(std::string("B took m0 held by A"), cx.finding.message);
}

// ---------------------------------------------------------------- deadlock

TEST_GROUP(Deadlock){};

// left: lock m0, lock m1, unlock m1, unlock m0.
// right: lock m1, lock m0, unlock m0, unlock m1.
// DFS order (L = left, R = right):
//   LLLLRRRR                  8 steps
//   LLLRLRRR                  8 (R takes m1 after L released it)
//   LR        deadlock        2 (L holds m0 wants m1, R holds m1 wants m0)
//   RRRRLLLL  RRRLRLLL        8 + 8 (mirror images)
//   RL        deadlock        2
// 6 executions, 36 steps; the first deadlock is found on LR.
TEST(Deadlock, OppositeLockOrderDeadlocks) {
  ck::Result r = explore_dfs(two_locks(false));
  CHECK_EQUAL(6u, r.executions);
  CHECK_EQUAL(36u, r.steps);
  CHECK_TRUE(r.complete);
  CHECK_EQUAL(1u, r.violations.size());
  const ck::Counterexample& cx = r.violations.at(ck::kDeadlock);
  CHECK_EQUAL((ck::Schedule{0, 1}), cx.schedule);
  CHECK_EQUAL(std::string("no thread can run: left waits at lock m1; right waits at lock m0"),
              cx.finding.message);
}

// Both take m0 first: whoever wins runs to its end while the other waits, so
// LLLLRRRR and RRRRLLLL: 2 executions, 16 steps, no deadlock.
TEST(Deadlock, SameLockOrderDoesNotDeadlock) {
  ck::Result r = explore_dfs(two_locks(true));
  CHECK_EQUAL(2u, r.executions);
  CHECK_EQUAL(16u, r.steps);
  CHECK_TRUE(r.violations.empty());
  CHECK_TRUE(r.complete);
}

// run_once reports the deadlock too: nothing enabled, nobody finished.
TEST(Deadlock, DeadlockReplays) {
  ck::SingleRun run = replay(two_locks(false), {0, 1});
  CHECK(run.end == ck::EndReason::deadlock_found);
  CHECK_EQUAL(2u, run.steps);
  CHECK_EQUAL(1u, run.findings.size());
  CHECK_EQUAL(std::string(ck::kDeadlock), run.findings[0].invariant);
  CHECK_TRUE(run.enabled_at_end.empty());
  CHECK_TRUE(run.finished == std::vector<bool>({false, false}));
}

// ---------------------------------------------------------------- bounds

TEST_GROUP(Bounds){};

// The 6-execution program stopped after AABB and ABAB: 2 * 4 = 8 steps.
TEST(Bounds, ExecutionBoundCutsTheSearch) {
  ck::Result r = explore_dfs(independent(2, 2), bounded([](ck::Bounds& b) { b.executions = 2; }));
  CHECK_EQUAL(2u, r.executions);
  CHECK_EQUAL(8u, r.steps);
  CHECK_FALSE(r.complete);
  CHECK_EQUAL(std::string("executions"), r.cut_bound);
  CHECK_FALSE(r.cut_reason.empty());
}

// A bound equal to the number of executions cuts nothing.
TEST(Bounds, ExecutionBoundThatIsNotReachedKeepsTheSearchComplete) {
  ck::Result r = explore_dfs(independent(2, 2), bounded([](ck::Bounds& b) { b.executions = 6; }));
  CHECK_EQUAL(6u, r.executions);
  CHECK_TRUE(r.complete);
  CHECK_TRUE(r.cut_bound.empty());
}

// One thread of two steps under a 1-step bound: its one execution stops after
// the first step.
TEST(Bounds, StepBoundCutsAnExecution) {
  ck::Result r = explore_dfs(independent(1, 2), bounded([](ck::Bounds& b) { b.steps = 1; }));
  CHECK_EQUAL(1u, r.executions);
  CHECK_EQUAL(1u, r.steps);
  CHECK_FALSE(r.complete);
  CHECK_EQUAL(std::string("steps"), r.cut_bound);
}

// A 2-step bound lets the 2-step thread finish: nothing was cut.
TEST(Bounds, StepBoundEqualToTheLengthCutsNothing) {
  ck::Result r = explore_dfs(independent(1, 2), bounded([](ck::Bounds& b) { b.steps = 2; }));
  CHECK_EQUAL(2u, r.steps);
  CHECK_TRUE(r.complete);
}

// Preemption = switching away from a thread that could still run. Counts for
// the six orders of two 2-step threads: AABB 0, ABAB 2, ABBA 1, BAAB 1, BABA 2,
// BBAA 0. With no preemption allowed only AABB and BBAA remain: 2 executions,
// 8 steps.
TEST(Bounds, ZeroPreemptionsLeaveTheTwoSerialOrders) {
  ck::Result r = explore_dfs(independent(2, 2), bounded([](ck::Bounds& b) {
                               b.preemptions = 0;
                               b.preemptions_set = true;
                             }));
  CHECK_EQUAL(2u, r.executions);
  CHECK_EQUAL(8u, r.steps);
  CHECK_FALSE(r.complete);
  CHECK_EQUAL(std::string("preemptions"), r.cut_bound);
}

// One preemption: AABB ABBA BAAB BBAA, 4 executions, 16 steps.
TEST(Bounds, OnePreemptionLeavesFourOrders) {
  ck::Result r = explore_dfs(independent(2, 2), bounded([](ck::Bounds& b) {
                               b.preemptions = 1;
                               b.preemptions_set = true;
                             }));
  CHECK_EQUAL(4u, r.executions);
  CHECK_EQUAL(16u, r.steps);
  CHECK_EQUAL(std::string("preemptions"), r.cut_bound);
}

// Two preemptions is what ABAB and BABA need: all 6 run and nothing is cut.
TEST(Bounds, EnoughPreemptionsCutNothing) {
  ck::Result r = explore_dfs(independent(2, 2), bounded([](ck::Bounds& b) {
                               b.preemptions = 2;
                               b.preemptions_set = true;
                             }));
  CHECK_EQUAL(6u, r.executions);
  CHECK_TRUE(r.complete);
  CHECK_TRUE(r.cut_bound.empty());
}

// preemptions = 0 without preemptions_set means unbounded.
TEST(Bounds, UnsetPreemptionBoundIsUnbounded) {
  ck::Result r = explore_dfs(independent(2, 2), bounded([](ck::Bounds& b) { b.preemptions = 0; }));
  CHECK_EQUAL(6u, r.executions);
  CHECK_TRUE(r.complete);
}

// The time bound is checked before each execution; one nanosecond has passed
// by the time the first would start, so none runs.
TEST(Bounds, TimeBoundCutsTheSearch) {
  ck::Result r = explore_dfs(independent(2, 2), bounded([](ck::Bounds& b) { b.seconds = 1e-9; }));
  CHECK_EQUAL(0u, r.executions);
  CHECK_FALSE(r.complete);
  CHECK_EQUAL(std::string("seconds"), r.cut_bound);
}

// ---------------------------------------------------------------- replay

TEST_GROUP(Replay){};

// A: lock m0, unlock m0.  B: lock m0.  After A's first step B is blocked, so a
// schedule asking for B at depth 1 diverges there.
TEST(Replay, DivergesWhereTheNamedThreadIsBlocked) {
  Spec s = independent(2, 1);
  s.mutexes = 1;
  s.threads[0].ops = {toy::lock(0), toy::unlock(0)};
  s.threads[1].ops = {toy::lock(0)};
  toy::ToyProgram program(s);
  ck::ReplayStrategy strategy({0, 1, 0});
  ck::SingleRun run = ck::run_once(program, strategy, nullptr, false);
  CHECK_TRUE(strategy.diverged());
  CHECK_EQUAL(1u, strategy.divergence_depth());
  CHECK(run.end == ck::EndReason::strategy_stopped);
  CHECK_EQUAL(1u, run.steps);
  CHECK_EQUAL((std::vector<int>{0}), run.enabled_at_end);
}

// A: write x=1.  B: write y=1, write y=2.  A has finished after step 0, so a
// schedule naming A again at depth 1 diverges there.
TEST(Replay, DivergesWhereTheNamedThreadHasFinished) {
  Spec s = independent(2, 2);
  s.threads[0].ops.pop_back();
  toy::ToyProgram program(s);
  ck::ReplayStrategy strategy({0, 0, 1, 1});
  ck::SingleRun run = ck::run_once(program, strategy, nullptr, false);
  CHECK_TRUE(strategy.diverged());
  CHECK_EQUAL(1u, strategy.divergence_depth());
  CHECK_EQUAL(1u, run.steps);
  CHECK_TRUE(run.finished == std::vector<bool>({true, false}));
}

// A schedule that ends early is not a divergence: the run just stops.
TEST(Replay, ShortScheduleStopsWithoutDiverging) {
  toy::ToyProgram program(independent(2, 2));
  ck::ReplayStrategy strategy({1});
  ck::SingleRun run = ck::run_once(program, strategy, nullptr, false);
  CHECK_FALSE(strategy.diverged());
  CHECK(run.end == ck::EndReason::strategy_stopped);
  CHECK_EQUAL(1u, run.steps);
  CHECK_EQUAL((std::vector<int>{0, 1}), run.enabled_at_end);
}

// A full schedule runs to the end, and a replay runs only once.
TEST(Replay, FullScheduleFinishesOnce) {
  toy::ToyProgram program(independent(2, 2));
  ck::ReplayStrategy strategy({1, 0, 0, 1});
  ck::SingleRun run = ck::run_once(program, strategy, nullptr, false);
  CHECK(run.end == ck::EndReason::finished);
  CHECK_EQUAL(4u, run.steps);
  CHECK_FALSE(strategy.diverged());
  CHECK_EQUAL(2, program.variable(0));
  CHECK_EQUAL(2, program.variable(1));
  ck::SingleRun again = ck::run_once(program, strategy, nullptr, false);
  CHECK(again.end == ck::EndReason::strategy_stopped);
  CHECK_EQUAL(0u, again.steps);
}

// ---------------------------------------------------------------- stop_on

TEST_GROUP(StopOn){};

// The lost update is first found on the 2nd execution (ABAB, see
// Mutex.UnprotectedCounterLosesAnUpdate): the search stops there, 2 of 6
// executions, 2 * 4 = 8 steps.
TEST(StopOn, StopsAtTheFirstMatchingViolation) {
  ck::Options o;
  o.stop_on = "lost_update";
  ck::Result r = explore_dfs(counter(false), o);
  CHECK_TRUE(r.stopped_early);
  CHECK_FALSE(r.complete);
  CHECK_EQUAL(2u, r.executions);
  CHECK_EQUAL(8u, r.steps);
  CHECK_EQUAL((ck::Schedule{0, 1, 0, 1}), r.violations.at("lost_update").schedule);
  CHECK(r.executions < explore_dfs(counter(false)).executions);
}

// Another invariant's name does not stop the search.
TEST(StopOn, OtherInvariantsDoNotStop) {
  ck::Options o;
  o.stop_on = ck::kDeadlock;
  ck::Result r = explore_dfs(counter(false), o);
  CHECK_FALSE(r.stopped_early);
  CHECK_EQUAL(6u, r.executions);
  CHECK_TRUE(r.complete);
}

// ---------------------------------------------------------------- liveness

TEST_GROUP(Liveness){};

namespace {

// A: expect x==1 (a liveness finding "starved" otherwise).  B: write y=1.
// C: write x=1.  A finds x==0 whenever it runs before C.
Spec starving() {
  Spec s = independent(3, 1);
  s.threads[0].ops = {toy::expect(0, 1, "starved", true)};
  s.threads[1].ops = {toy::write(1, 1)};
  s.threads[2].ops = {toy::write(0, 1)};
  return s;
}

}  // namespace

// All 6 orders run to the end (18 steps: the finding stops nothing). A runs
// before C in ABC, ACB and BAC: 3 executions. The toy repeats the finding
// after every later step; it still counts once per execution. The first
// example is ABC, found right after A's step.
TEST(Liveness, CountedPerExecutionWithoutStopping) {
  ck::Result r = explore_dfs(starving());
  CHECK_EQUAL(6u, r.executions);
  CHECK_EQUAL(18u, r.steps);
  CHECK_TRUE(r.violations.empty());
  CHECK_TRUE(r.complete);
  CHECK_EQUAL(1u, r.liveness_executions.size());
  CHECK_EQUAL(3u, r.liveness_executions.at("starved"));
  CHECK_EQUAL((ck::Schedule{0}), r.liveness_examples.at("starved").schedule);
}

// As a violation the finding ends its execution, so all orders starting with
// A collapse into one. DFS order: A (stop, 1 step), BA (stop, 2), BCA (3),
// CAB (3), CBA (3): 5 executions, 12 steps.
TEST(Liveness, AsViolationStopsTheExecution) {
  ck::Options o;
  o.liveness_is_violation = true;
  ck::Result r = explore_dfs(starving(), o);
  CHECK_EQUAL(5u, r.executions);
  CHECK_EQUAL(12u, r.steps);
  CHECK_TRUE(r.liveness_executions.empty());
  CHECK_EQUAL(1u, r.violations.size());
  CHECK_EQUAL((ck::Schedule{0}), r.violations.at("starved").schedule);
  CHECK_TRUE(r.violations.at("starved").finding.liveness);
}

namespace {

// A: write x=1, and a final liveness check wants x == 2.
Spec unfinished() {
  Spec s = independent(1, 1);
  s.final_checks = {{0, 2, "unfinished", true}};
  return s;
}

}  // namespace

// A liveness finding from check_final is counted apart from safety too.
TEST(Liveness, FinalLivenessFindingIsCountedNotAViolation) {
  ck::Result r = explore_dfs(unfinished());
  CHECK_TRUE(r.violations.empty());
  CHECK_EQUAL(1u, r.liveness_executions.at("unfinished"));
  CHECK_EQUAL((ck::Schedule{0}), r.liveness_examples.at("unfinished").schedule);
  CHECK_TRUE(r.complete);
}

TEST(Liveness, FinalLivenessFindingAsViolation) {
  ck::Options o;
  o.liveness_is_violation = true;
  ck::Result r = explore_dfs(unfinished(), o);
  CHECK_TRUE(r.liveness_executions.empty());
  CHECK_EQUAL((ck::Schedule{0}), r.violations.at("unfinished").schedule);
}

// run_once agrees: the finding is reported, but the run only "finished".
TEST(Liveness, FinalLivenessFindingInASingleRun) {
  ck::SingleRun run = replay(unfinished(), {0});
  CHECK(run.end == ck::EndReason::finished);
  CHECK_EQUAL(1u, run.findings.size());
  CHECK(replay(unfinished(), {0}, true).end == ck::EndReason::violation);
}

// ---------------------------------------------------------------- determinism

TEST_GROUP(Determinism){};

namespace {

void check_same(const ck::Result& a, const ck::Result& b) { check_same_result(a, b); }

}  // namespace

TEST(Determinism, RepeatedSearchesAgree) {
  check_same(explore_dfs(counter(false)), explore_dfs(counter(false)));
  check_same(explore_dfs(two_locks(false)), explore_dfs(two_locks(false)));
  check_same(explore_dfs(starving()), explore_dfs(starving()));
}

// One program object explored twice: reset() really restores everything.
TEST(Determinism, SameProgramExploredTwiceAgrees) {
  toy::ToyProgram program(two_locks(false));
  ck::DfsStrategy first, second;
  check_same(ck::explore(program, first, {}), ck::explore(program, second, {}));
}

// ---------------------------------------------------------------- observer

TEST_GROUP(Observer){};

namespace {

// Writes one line per step: thread, announced step, what the step changed.
class Tracer final : public ck::Observer {
 public:
  explicit Tracer(ck::Program& p) : program_(p) {}
  void before_step(ck::ThreadId t, const std::vector<ck::ThreadId>& enabled) override {
    program_.mark();
    line_ = program_.thread_name(t) + " " + program_.step_label(t) + " " + StringFrom(enabled).asCharString();
  }
  void after_step(ck::ThreadId, const std::vector<ck::Finding>&) override {
    lines.push_back(line_ + ": " + program_.changes_since_mark());
  }
  std::vector<std::string> lines;

 private:
  ck::Program& program_;
  std::string line_;
};

}  // namespace

// A: lock m0; load x; store x=r+1; unlock m0.  B: write x=5.
// Replaying ABAAA: B's write lands between A's lock and load.
TEST(Observer, SeesEveryStepWithLabelAndChanges) {
  Spec s = counter(true);
  s.threads[1].ops = {toy::write(0, 5)};
  s.final_checks.clear();  // x ends at 6 here, not 2
  toy::ToyProgram program(s);
  ck::ReplayStrategy strategy({0, 1, 0, 0, 0});
  Tracer tracer(program);
  ck::SingleRun run = ck::run_once(program, strategy, &tracer, false);
  CHECK(run.end == ck::EndReason::finished);
  std::vector<std::string> expected = {"A lock m0 {0, 1}: m0: free->A", "B write x=5 {0, 1}: x: 0->5",
                                       "A load x {0}: A.r: 0->5", "A store x=r+1 {0}: x: 5->6",
                                       "A unlock m0 {0}: m0: A->free"};
  CHECK_EQUAL(expected.size(), tracer.lines.size());
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK_EQUAL(expected[i], tracer.lines[i]);
  CHECK_EQUAL(6, program.variable(0));
}

// ---------------------------------------------------------------- misc

TEST_GROUP(Engine){};

// An exception in a thread body never crosses a fiber switch; explore turns
// it into an error naming the thread.
TEST(Engine, ThreadBodyExceptionIsReported) {
  Spec s = independent(1, 1);
  s.threads[0].ops.push_back(toy::fail());
  std::string message;
  try {
    explore_dfs(s);
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  CHECK_EQUAL(std::string("thread A: toy op failed on purpose"), message);
}


namespace {

// A writes y; B and C write x, so their steps race. From its second
// execution on, A's step is never enabled: a program that does not repeat
// itself, which a search must refuse rather than explore wrongly.
class ForgetfulProgram final : public ck::Program {
 public:
  int thread_count() const override { return 3; }
  std::string thread_name(ck::ThreadId t) const override { return std::string(1, static_cast<char>('A' + t)); }
  void reset() override {
    ++resets_;
    x_ = y_ = 0;
    done_ = {false, false, false};
  }
  void run(ck::ThreadId t, ck::Yield& y) override {
    y.pause();
    (t == 0 ? y_ : x_) = t + 1;
    done_[t] = true;
  }
  // Resets: one for the initial state's check, one per execution.
  bool enabled(ck::ThreadId t) const override { return t != 0 || resets_ <= 2; }
  ck::Footprint footprint(ck::ThreadId t) const override { return {0, t == 0 ? 2u : 1u}; }
  void check(std::vector<ck::Finding>&) override {}
  void check_final(std::vector<ck::Finding>&) override {}
  std::uint64_t state_hash() const override {
    return static_cast<std::uint64_t>(x_ | y_ << 4 | done_[0] << 8 | done_[1] << 9 | done_[2] << 10);
  }
  std::string step_label(ck::ThreadId) const override { return "write"; }
  void mark() override {}
  std::string changes_since_mark() const override { return ""; }

 private:
  int resets_ = 0;
  int x_ = 0, y_ = 0;
  std::array<bool, 3> done_{};
};

std::string refusal(ck::Strategy& strategy) {
  ForgetfulProgram program;
  try {
    ck::explore(program, strategy, ck::Options{});
  } catch (const std::logic_error& e) {
    return e.what();
  }
  return "explored without a word";
}

}  // namespace

// Replaying the previous execution's prefix finds A's step no longer enabled.
TEST(Engine, ProgramThatDoesNotRepeatItselfIsRefused) {
  ck::DporStrategy dpor;
  std::string message = refusal(dpor);
  CHECK_TEXT(message.find("nondeterministic") != std::string::npos, message.c_str());
  CHECK_TEXT(message.find("depth 0") != std::string::npos, message.c_str());
  ck::DfsStrategy dfs;
  message = refusal(dfs);
  CHECK_TEXT(message.find("nondeterministic") != std::string::npos, message.c_str());
}
