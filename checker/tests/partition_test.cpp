// A search split into units: whoever runs which unit, the merged result is
// the same, and DPOR still completes exactly one execution per class.
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmemcheck/checker/dpor.hpp"
#include "gmemcheck/checker/partition.hpp"
#include "toy_program.hpp"

#include <CppUTest/TestHarness.h>
#include "thread_safe_leaks.hpp"

#include "same_result.hpp"

namespace ck = gmemcheck::checker;

namespace {

// Two threads each adding one to x, k times, as load then store; C writes y.
toy::Spec counters(int k) {
  toy::Spec s;
  s.variables = 2;
  s.threads = {{"A", toy::increments(0, k)}, {"B", toy::increments(0, k)}, {"C", {toy::write(1, 1), toy::write(1, 2)}}};
  s.final_checks = {{0, 2 * k, "lost_update", false}};
  return s;
}

struct Split {
  std::vector<ck::Unit> units;
  std::vector<ck::UnitResult> results;
};

Split explore_split(const toy::Spec& spec, std::size_t min_units, int jobs, ck::Shard shard = {},
                    const ck::Options& options = {}) {
  toy::ToyProgram probe(spec);
  Split out;
  out.units = ck::split(probe, min_units);
  auto make_program = [&spec] { return std::make_unique<toy::ToyProgram>(spec); };
  auto make_strategy = [](const ck::Unit& u) {
    return std::make_unique<ck::DporStrategy>(ck::DporOptions{false, 0, u.prefix, u.sleep});
  };
  out.results = ck::explore_units(make_program, make_strategy, out.units, options, jobs, shard);
  return out;
}

ck::Result merged(const toy::Spec& spec, std::vector<ck::UnitResult> results, const ck::Options& options = {}) {
  toy::ToyProgram fresh(spec);
  return ck::merge(std::move(results), fresh, options);
}

ck::Result unsplit(const toy::Spec& spec, const ck::Options& options = {}) {
  toy::ToyProgram program(spec);
  ck::DporStrategy dpor;
  return ck::explore(program, dpor, options);
}

std::string schedule_text(const ck::Schedule& s) {
  std::string out;
  for (ck::ThreadId t : s) out += static_cast<char>('A' + t);
  return out;
}

void check_same(const ck::Result& a, const ck::Result& b) { check_same_result(a, b); }

}  // namespace

// Units run on worker threads.
TEST_GROUP_BASE(Partition, ThreadSafeLeakChecks){};

TEST(Partition, SplitsIntoPrefixesInDepthFirstOrder) {
  toy::ToyProgram probe(counters(1));
  std::vector<ck::Unit> units = ck::split(probe, 3);
  // The root has A, B and C enabled: three prefixes; after A, B's load and C's
  // write commute with A's load, so they sleep under the later prefixes.
  LONGS_EQUAL(3, units.size());
  STRCMP_EQUAL("A", schedule_text(units[0].prefix).c_str());
  STRCMP_EQUAL("B", schedule_text(units[1].prefix).c_str());
  STRCMP_EQUAL("C", schedule_text(units[2].prefix).c_str());
  LONGS_EQUAL(0, units[0].sleep);
  LONGS_EQUAL(0b001, units[1].sleep);  // A's load commutes with B's
  LONGS_EQUAL(0b011, units[2].sleep);  // and both with C's write of y
}

TEST(Partition, OneUnitIsTheUnsplitSearch) {
  toy::Spec s = counters(2);
  Split one = explore_split(s, 1, 1);
  LONGS_EQUAL(1, one.units.size());
  check_same(unsplit(s), merged(s, one.results));
}

TEST(Partition, StillOneCompleteExecutionPerClass) {
  for (int k = 1; k <= 2; ++k) {
    toy::Spec s = counters(k);
    ck::Result whole = unsplit(s);
    for (std::size_t units : {2u, 5u, 12u, 40u}) {
      ck::Result r = merged(s, explore_split(s, units, 1).results);
      LONGS_EQUAL(whole.executions - whole.redundant_executions, r.executions - r.redundant_executions);
      CHECK_TRUE(r.complete);
      CHECK_EQUAL(1u, r.violations.count("lost_update"));
    }
  }
}

TEST(Partition, WorkersDoNotChangeTheResult) {
  toy::Spec s = counters(2);
  ck::Result one = merged(s, explore_split(s, 12, 1).results);
  for (int jobs : {2, 3, 8}) check_same(one, merged(s, explore_split(s, 12, jobs).results));
}

TEST(Partition, MergedShardsAreTheWholeSearch) {
  toy::Spec s = counters(2);
  ck::Result whole = merged(s, explore_split(s, 12, 1).results);
  for (std::size_t n : {2u, 3u, 5u}) {
    std::vector<ck::UnitResult> all;
    std::size_t units = 0;
    for (std::size_t k = 0; k < n; ++k) {
      Split part = explore_split(s, 12, 2, ck::Shard{k, n});
      units = part.units.size();
      for (ck::UnitResult& u : part.results) {
        LONGS_EQUAL(k, u.index % n);  // a shard explores only its own units
        all.push_back(std::move(u));
      }
    }
    LONGS_EQUAL(units, all.size());
    check_same(whole, merged(s, std::move(all)));
  }
}

TEST(Partition, TheExecutionsBoundAppliesToTheSum) {
  toy::Spec s = counters(2);
  ck::Result whole = merged(s, explore_split(s, 12, 1).results);
  ck::Options o;
  o.bounds.executions = whole.executions - 1;
  ck::Result cut = merged(s, explore_split(s, 12, 2, {}, o).results, o);
  CHECK_FALSE(cut.complete);
  STRCMP_EQUAL("executions", cut.cut_bound.c_str());
  CHECK_TRUE(cut.executions <= o.bounds.executions);
}

TEST(Partition, StoppingOnAFindingIsTheSameForAnyWorkers) {
  toy::Spec s = counters(2);
  ck::Options o;
  o.stop_on = "lost_update";
  ck::Result one = merged(s, explore_split(s, 12, 1, {}, o).results, o);
  CHECK_TRUE(one.stopped_early);
  for (int jobs : {2, 4}) check_same(one, merged(s, explore_split(s, 12, jobs, {}, o).results, o));
}

TEST(Partition, UnitsTogetherReachEveryFinalStateOfRandomToys) {
  // A split search covers every class too: the units' final states, with or
  // without their caches, are all those of the search of every schedule.
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    toy::Spec s = toy::random_spec(rng);
    toy::ToyProgram every(s);
    ck::DfsStrategy dfs;
    ck::explore(every, dfs, ck::Options{});
    for (std::size_t min_units : {3u, 8u, 20u})
      for (bool cache : {false, true}) {
        toy::ToyProgram probe(s);
        std::set<std::vector<int>> reached;
        for (const ck::Unit& u : ck::split(probe, min_units)) {
          toy::ToyProgram program(s);
          ck::DporStrategy dpor(ck::DporOptions{cache, 0, u.prefix, u.sleep});
          ck::explore(program, dpor, ck::Options{});
          reached.insert(program.final_values().begin(), program.final_values().end());
        }
        std::string what = "round " + std::to_string(round) + ", " + std::to_string(min_units) + " units" +
                           (cache ? ", cached" : "");
        CHECK_TEXT(every.final_values() == reached, what.c_str());
      }
  }
}
