// Counting schedules over the state graph must give exactly the number of
// executions the stateless search of every schedule runs.
#include <string>
#include <vector>

#include "gmemcheck/checker/explorer.hpp"
#include "gmemcheck/checker/schedule_count.hpp"
#include "toy_program.hpp"

#include <CppUTest/TestHarness.h>

namespace ck = gmemcheck::checker;

namespace {

struct Counted {
  double schedules;
  ck::Result result;
};

Counted count(const toy::Spec& spec) {
  toy::ToyProgram program(spec);
  ck::ScheduleCountStrategy strategy;
  ck::Result r = ck::explore(program, strategy, ck::Options{});
  return {strategy.schedules(), r};
}

std::uint64_t stateless_dfs(const toy::Spec& spec) {
  toy::ToyProgram program(spec);
  ck::DfsStrategy strategy;
  return ck::explore(program, strategy, ck::Options{}).executions;
}

}  // namespace

TEST_GROUP(ScheduleCount){};

TEST(ScheduleCount, TwoCountersGiveTheBinomial) {
  // Two threads of 2k steps each: C(4k, 2k) schedules; 6, 70, 924.
  const double expected[] = {6, 70, 924};
  for (int k = 1; k <= 3; ++k) {
    toy::Spec s;
    s.variables = 1;
    s.threads = {{"A", toy::increments(0, k)}, {"B", toy::increments(0, k)}};
    Counted c = count(s);
    DOUBLES_EQUAL(expected[k - 1], c.schedules, 0);
    DOUBLES_EQUAL(static_cast<double>(stateless_dfs(s)), c.schedules, 0);
    CHECK_TRUE(c.result.complete);
    CHECK_TRUE(c.result.executions < stateless_dfs(s));  // each state visited once
  }
}

TEST(ScheduleCount, IndependentThreadsConvergeAndAreCountedOnce) {
  // Three threads of two steps on their own variables: 6! / (2! 2! 2!) = 90
  // schedules through 27 states.
  toy::Spec s;
  s.variables = 3;
  for (int t = 0; t < 3; ++t)
    s.threads.push_back({std::string(1, static_cast<char>('A' + t)), {toy::write(t, 1), toy::write(t, 2)}});
  Counted c = count(s);
  DOUBLES_EQUAL(90, c.schedules, 0);
  DOUBLES_EQUAL(static_cast<double>(stateless_dfs(s)), c.schedules, 0);
}

TEST(ScheduleCount, LocksViolationsAndDeadlocksEndSchedulesAsTheSearchDoes) {
  toy::Spec locked;
  locked.variables = 1;
  locked.mutexes = 1;
  std::vector<toy::Op> section = {toy::lock(0), toy::load(0), toy::store_inc(0), toy::unlock(0)};
  locked.threads = {{"A", section}, {"B", section}, {"C", {toy::write(0, 7)}}};

  toy::Spec early;  // A's violation ends every execution it is scheduled in
  early.variables = 2;
  early.threads = {{"A", {toy::expect(1, 1, "early")}}, {"B", toy::increments(0, 2)}, {"C", toy::increments(0, 1)}};

  toy::Spec inversion;  // some schedules deadlock, the others finish
  inversion.variables = 1;
  inversion.mutexes = 2;
  inversion.threads = {{"A", {toy::lock(0), toy::lock(1), toy::unlock(1), toy::unlock(0)}},
                       {"B", {toy::lock(1), toy::lock(0), toy::unlock(0), toy::unlock(1)}}};

  for (const toy::Spec& s : {locked, early, inversion}) {
    Counted c = count(s);
    DOUBLES_EQUAL(static_cast<double>(stateless_dfs(s)), c.schedules, 0);
    CHECK_TRUE(c.result.complete);
  }
}
