// The cached search, the explored-state table, and the bug-finding strategies.
// Schedules are written as thread letters, as in engine_test.cpp.
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "gmemcheck/checker/dpor.hpp"
#include "gmemcheck/checker/explorer.hpp"
#include "gmemcheck/checker/state_table.hpp"
#include "gmemcheck/checker/strategy.hpp"
#include "toy_program.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

#include "same_result.hpp"

namespace ck = gmemcheck::checker;

namespace {

// A: write x=1, x=2.  B: write y=1, y=2. States are (A's pc, B's pc), 3 x 3.
toy::Spec two_by_two() {
  toy::Spec s;
  s.variables = 2;
  s.threads = {{"A", {toy::write(0, 1), toy::write(0, 2)}}, {"B", {toy::write(1, 1), toy::write(1, 2)}}};
  return s;
}

// A and B each add one to x without a lock; the final check wants x == 2.
toy::Spec lost_update() {
  std::vector<toy::Op> ops = {toy::load(0), toy::store_inc(0)};
  toy::Spec s;
  s.variables = 1;
  s.threads = {{"A", ops}, {"B", ops}};
  s.final_checks = {{0, 2, "lost_update", false}};
  return s;
}

ck::Result search(const toy::Spec& spec, ck::Strategy& strategy, ck::Options o) {
  toy::ToyProgram program(spec);
  return ck::explore(program, strategy, o);
}

}  // namespace

TEST_GROUP(Cache){};

// With the cache, an execution ends at the first state already explored:
//   AABB   (1,0) (2,0) (2,1) (2,2)  all new                  4 steps
//   AB|A   (1,1) new, then (2,1) seen                        3 steps
//   ABB|A  (1,2) new, then (2,2) seen                        4 steps
//   B|A    (0,1) new, then (1,1) seen                        2 steps
//   BB|A   (0,2) new, then (1,2) seen                        3 steps
// 5 executions, 16 steps, 4 cache hits, all 9 states.
TEST(Cache, EndsExecutionsAtExploredStates) {
  ck::DfsStrategy dfs;
  ck::Options o;
  o.cache = true;
  ck::Result r = search(two_by_two(), dfs, o);
  LONGS_EQUAL(5, r.executions);
  LONGS_EQUAL(16, r.steps);
  LONGS_EQUAL(4, r.cache_hits);
  LONGS_EQUAL(9, r.states);
  CHECK(r.complete);
}

// The cache prunes, it does not lose findings: the lost update is still found.
TEST(Cache, StillFindsTheLostUpdate) {
  ck::DfsStrategy dfs;
  ck::Options o;
  o.cache = true;
  ck::Result r = search(lost_update(), dfs, o);
  CHECK(r.violations.count("lost_update"));
}

// A table too small to grow still answers for what it holds, and the search
// goes on complete (uncached beyond it) with the same verdict.
TEST(Cache, FullTableKeepsTheSearchComplete) {
  ck::DfsStrategy dfs;
  ck::Options o;
  o.cache = true;
  o.cache_bytes = 1;  // no growth at all
  ck::Result r = search(lost_update(), dfs, o);
  CHECK(r.complete);
  CHECK(r.violations.count("lost_update"));
}

TEST_GROUP(StateTable){};

TEST(StateTable, InsertsOnce) {
  ck::StateTable t;
  CHECK(t.insert(42));
  CHECK(!t.insert(42));
  CHECK(t.insert(0));  // 0 is a key like any other
  CHECK(!t.insert(0));
  LONGS_EQUAL(2, t.size());
}

TEST(StateTable, GrowsAndKeepsEveryKey) {
  ck::StateTable t;
  for (std::uint64_t k = 1; k <= 100000; ++k) CHECK(t.insert(k * 0x9e3779b97f4a7c15ull));
  LONGS_EQUAL(100000, t.size());
  for (std::uint64_t k = 1; k <= 100000; ++k) CHECK(!t.insert(k * 0x9e3779b97f4a7c15ull));
  CHECK(!t.full());
}

// Full: new keys are reported new (the search must explore them) but not kept.
TEST(StateTable, FullTableStopsTakingKeys) {
  ck::StateTable t(1 << 15);  // 32 KiB: 4096 slots, no doubling beyond
  std::uint64_t k = 1;
  while (!t.full()) CHECK(t.insert(k++));
  std::uint64_t kept = t.size();
  CHECK(t.insert(1ull << 60));
  CHECK(t.insert(1ull << 60));
  LONGS_EQUAL(kept, t.size());
  CHECK(!t.insert(1));  // still answers for what it holds
}

// A batch is the same inserts in the same order: repeats within it and
// keys held before it count once, and a table that fills up midway keeps
// exactly the keys one-by-one inserts would have kept.
TEST(StateTable, InsertAllIsInsertInOrder) {
  std::vector<std::uint64_t> keys;
  for (std::uint64_t k = 1; k <= 6000; ++k) keys.push_back((k % 4500) * 0x9e3779b97f4a7c15ull);
  for (std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{1} << 15}) {
    ck::StateTable one(limit), all(limit);
    CHECK(one.insert(keys[7]));
    CHECK(all.insert(keys[7]));
    for (std::uint64_t k : keys) one.insert(k);
    all.insert_all(std::span<const std::uint64_t>(keys).first(100));
    all.insert_all(std::span<const std::uint64_t>(keys).subspan(100));
    LONGS_EQUAL(one.size(), all.size());
    CHECK_EQUAL(one.full(), all.full());
    for (std::uint64_t k : keys) CHECK_EQUAL(one.contains(k), all.contains(k));
  }
  ck::StateTable t;
  t.insert_all({});
  LONGS_EQUAL(0, t.size());
}

TEST_GROUP(Random){};

// Exactly `executions` executions, never complete: a random search never proves a pass.
TEST(Random, RunsTheBoundAndIsNeverComplete) {
  ck::RandomStrategy random(7);
  ck::Options o;
  o.bounds.executions = 50;
  ck::Result r = search(two_by_two(), random, o);
  LONGS_EQUAL(50, r.executions);
  CHECK(!r.complete);
  STRCMP_EQUAL("executions", r.cut_bound.c_str());
}

TEST(Random, SameSeedSameSearch) {
  ck::Options o;
  o.bounds.executions = 200;
  ck::RandomStrategy a(3), b(3);
  ck::Result ra = search(lost_update(), a, o);
  ck::Result rb = search(lost_update(), b, o);
  LONGS_EQUAL(ra.steps, rb.steps);
  LONGS_EQUAL(ra.states, rb.states);
  CHECK(ra.violations.count("lost_update"));
  CHECK(ra.violations.at("lost_update").schedule == rb.violations.at("lost_update").schedule);
}

TEST(Random, FindsTheLostUpdate) {
  ck::RandomStrategy random(1);
  ck::Options o;
  o.bounds.executions = 100;
  o.stop_on = "lost_update";
  ck::Result r = search(lost_update(), random, o);
  CHECK(r.stopped_early);
  CHECK(r.executions < 100);
}

TEST_GROUP(Pct){};

TEST(Pct, SameSeedSameSearch) {
  ck::Options o;
  o.bounds.executions = 200;
  ck::PctStrategy a(5, 2, 2), b(5, 2, 2);
  ck::Result ra = search(lost_update(), a, o);
  ck::Result rb = search(lost_update(), b, o);
  LONGS_EQUAL(ra.steps, rb.steps);
  CHECK(ra.violations.count("lost_update"));
  CHECK(ra.violations.at("lost_update").schedule == rb.violations.at("lost_update").schedule);
}

// Depth 1 has no change point: the highest-priority thread runs to its end
// first, so every execution is one of the two serial orders and never loses
// the update. Depth 2 adds one change point, enough for this depth-2 bug.
TEST(Pct, DepthOneIsSerialDepthTwoFindsTheBug) {
  ck::Options o;
  o.bounds.executions = 300;
  ck::PctStrategy serial(9, 2, 1);
  CHECK(search(lost_update(), serial, o).violations.empty());
  ck::PctStrategy deeper(9, 2, 2);
  CHECK(search(lost_update(), deeper, o).violations.count("lost_update"));
}

TEST_GROUP(Restart){};

// Three ways to start an execution give the same counts, counterexamples
// and final values, on random programs under every exhaustive search: from
// scratch (each thread run up to its first pause); from the saved start (a
// copy of the program and of each thread's stack at that pause), replaying
// the steps it repeats; and going back to the checkpoint after those steps
// (the program's copy, and each thread's stack as of its last step among
// them). The programs of the other tests go back to checkpoints too.
TEST(Restart, FromScratchFromTheSavedStartAndFromCheckpointsAlike) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    const toy::Spec s = toy::random_spec(rng);
    for (int k = 0; k < 4; ++k) {
      const auto strategy = [&]() -> std::unique_ptr<ck::Strategy> {
        if (k < 2) return std::make_unique<ck::DfsStrategy>();
        return std::make_unique<ck::DporStrategy>(ck::DporOptions{k == 3, 0, {}, 0});
      };
      ck::Options o;
      o.cache = k == 1;
      toy::ToyProgram scratch(s), replay(s), back(s);
      scratch.set_rewinds(false);
      replay.set_checkpoints(false);
      auto one = strategy(), two = strategy(), three = strategy();
      ck::Result r0 = ck::explore(scratch, *one, o);
      ck::Result r1 = ck::explore(replay, *two, o);
      ck::Result r2 = ck::explore(back, *three, o);
      check_same_result(r0, r1);
      check_same_result(r0, r2);
      CHECK_EQUAL(r0.cache_hits, r2.cache_hits);
      CHECK(scratch.final_values() == replay.final_values());
      CHECK(scratch.final_values() == back.final_values());
    }
  }
}
