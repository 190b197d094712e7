// Dynamic partial-order reduction, count-exact on toys whose classes of
// equivalent schedules are known or counted here by brute force.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmemcheck/checker/dpor.hpp"
#include "gmemcheck/checker/explorer.hpp"
#include "toy_program.hpp"

#include <CppUTest/TestHarness.h>

namespace ck = gmemcheck::checker;

namespace {

ck::Result dpor(const toy::Spec& spec) {
  toy::ToyProgram program(spec);
  ck::DporStrategy strategy;
  return ck::explore(program, strategy, ck::Options{});
}

ck::Result dfs(const toy::Spec& spec) {
  toy::ToyProgram program(spec);
  ck::DfsStrategy strategy;
  return ck::explore(program, strategy, ck::Options{});
}

std::uint64_t complete_executions(const ck::Result& r) { return r.executions - r.redundant_executions; }

// Two threads each adding one to x, k times, as load then store.
toy::Spec counter(int k) {
  toy::Spec s;
  s.variables = 1;
  s.threads = {{"A", toy::increments(0, k)}, {"B", toy::increments(0, k)}};
  return s;
}

// An oracle independent of the engine: do two toy ops conflict?
bool conflict(const toy::Op& a, const toy::Op& b) {
  auto writes = [](const toy::Op& o) { return o.kind == toy::OpKind::write || o.kind == toy::OpKind::store_inc; };
  if (a.target != b.target) return false;
  return writes(a) || writes(b);
}

// Counts the classes of equivalent schedules of a lock-free toy by listing
// every interleaving and keeping, per interleaving, the order of each
// conflicting pair of ops of different threads.
std::size_t classes(const toy::Spec& spec) {
  const std::size_t n = spec.threads.size();
  std::set<std::vector<bool>> seen;
  std::vector<std::pair<std::size_t, std::size_t>> order;  // (thread, op index)
  std::vector<std::size_t> pc(n, 0);
  std::function<void()> walk = [&] {
    bool any = false;
    for (std::size_t t = 0; t < n; ++t) {
      if (pc[t] == spec.threads[t].ops.size()) continue;
      any = true;
      order.emplace_back(t, pc[t]++);
      walk();
      order.pop_back();
      --pc[t];
    }
    if (any) return;
    // Position of every op, then the order bit of every conflicting pair.
    std::vector<std::vector<std::size_t>> at(n);
    for (std::size_t t = 0; t < n; ++t) at[t].resize(spec.threads[t].ops.size());
    for (std::size_t i = 0; i < order.size(); ++i) at[order[i].first][order[i].second] = i;
    std::vector<bool> signature;
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t u = t + 1; u < n; ++u)
        for (std::size_t i = 0; i < spec.threads[t].ops.size(); ++i)
          for (std::size_t j = 0; j < spec.threads[u].ops.size(); ++j)
            if (conflict(spec.threads[t].ops[i], spec.threads[u].ops[j])) signature.push_back(at[t][i] < at[u][j]);
    seen.insert(signature);
  };
  walk();
  return seen.size();
}

std::uint64_t binomial(int n, int k) {
  std::uint64_t r = 1;
  for (int i = 1; i <= k; ++i) r = r * static_cast<std::uint64_t>(n - k + i) / static_cast<std::uint64_t>(i);
  return r;
}

}  // namespace

TEST_GROUP(Dpor){};

TEST(Dpor, IndependentThreadsGiveOneExecution) {
  for (int n = 1; n <= 5; ++n) {
    toy::Spec s;
    s.variables = n;
    for (int t = 0; t < n; ++t)
      s.threads.push_back({std::string(1, static_cast<char>('A' + t)), {toy::write(t, 1), toy::write(t, 2)}});
    ck::Result r = dpor(s);
    LONGS_EQUAL(1, r.executions);
    LONGS_EQUAL(0, r.redundant_executions);
    LONGS_EQUAL(2 * n, r.steps);
    CHECK_TRUE(r.complete);
  }
}

TEST(Dpor, SharedCounterOneExecutionPerClass) {
  // k = 1: of the 6 interleavings, the two loads commute: 4 classes.
  LONGS_EQUAL(4, classes(counter(1)));
  for (int k = 1; k <= 3; ++k) {
    toy::Spec s = counter(k);
    ck::Result d = dfs(s);
    LONGS_EQUAL(binomial(4 * k, 2 * k), d.executions);
    ck::Result r = dpor(s);
    LONGS_EQUAL(classes(s), complete_executions(r));
    CHECK_TRUE(r.executions < d.executions);
    CHECK_TRUE(r.complete);
  }
}

TEST(Dpor, CounterClassCountsAreExact) {
  // Pinned, so a change to the search shows: the classes (counted by the
  // brute-force oracle), each completed once, and the executions that sleep
  // sets end early because only explored classes lie ahead of them.
  LONGS_EQUAL(4, classes(counter(1)));
  LONGS_EQUAL(34, classes(counter(2)));
  ck::Result one = dpor(counter(1));
  ck::Result two = dpor(counter(2));
  LONGS_EQUAL(4, complete_executions(one));
  LONGS_EQUAL(34, complete_executions(two));
  LONGS_EQUAL(0, one.redundant_executions);
  LONGS_EQUAL(0, two.redundant_executions);
}

TEST(Dpor, ReversesARaceThroughAThreadThatStartsIt) {
  // B's first step commutes with V's, so V is asleep after it. H then reads y
  // before V writes it: reversing that race needs B's write of x first (V's
  // store depends on its load of x, which must follow B's write), not V,
  // which is asleep. Only then does H see y = 6: z = 7 in one class alone.
  toy::Spec s;
  s.variables = 4;  // x, y, z, w
  s.threads = {{"V", {toy::load(0), toy::store_inc(1)}},
               {"H", {toy::load(1), toy::store_inc(2)}},
               {"B", {toy::write(3, 1), toy::write(0, 5)}}};
  ck::Result r = dpor(s);
  LONGS_EQUAL(classes(s), complete_executions(r));
  // A liveness finding is counted per execution: all but one end with z != 7.
  s.final_checks = {{2, 7, "z_is_not_7", true}};
  ck::Result seen = dpor(s);
  LONGS_EQUAL(complete_executions(seen) - 1, seen.liveness_executions["z_is_not_7"]);
}

TEST(Dpor, LockedSectionsGiveTwoClasses) {
  // Each thread also writes a variable of its own before and after.
  auto ops = [](int own) {
    return std::vector<toy::Op>{toy::write(own, 1), toy::lock(0),        toy::load(0),
                                toy::store_inc(0),  toy::unlock(0), toy::write(own, 2)};
  };
  toy::Spec s;
  s.variables = 3;
  s.mutexes = 1;
  s.threads = {{"A", ops(1)}, {"B", ops(2)}};
  s.final_checks = {{0, 2, "lost_update", false}};
  ck::Result r = dpor(s);
  LONGS_EQUAL(2, complete_executions(r));
  CHECK_TRUE(r.violations.empty());
  CHECK_TRUE(r.complete);
  ck::Result d = dfs(s);
  CHECK_TRUE(d.executions > r.executions);
}

TEST(Dpor, FindsTheLostUpdate) {
  toy::Spec s = counter(1);
  s.final_checks = {{0, 2, "lost_update", false}};
  ck::Result r = dpor(s);
  CHECK_EQUAL(1u, r.violations.count("lost_update"));
}

TEST(Dpor, FindsTheDeadlockOfALockInversion) {
  toy::Spec s;
  s.variables = 1;
  s.mutexes = 2;
  s.threads = {{"A", {toy::lock(0), toy::lock(1), toy::unlock(1), toy::unlock(0)}},
               {"B", {toy::lock(1), toy::lock(0), toy::unlock(0), toy::unlock(1)}}};
  ck::Result r = dpor(s);
  CHECK_EQUAL(1u, r.violations.count(ck::kDeadlock));
}

TEST(Dpor, ReachesEveryFinalValueDfsReaches) {
  // Three threads: two increment x, one writes x = 5 once.
  std::vector<toy::Op> inc = {toy::load(0), toy::store_inc(0)};
  toy::Spec s;
  s.variables = 1;
  s.threads = {{"A", inc}, {"B", inc}, {"C", {toy::write(0, 5)}}};
  for (int value : {1, 2, 5, 6, 7}) {
    s.final_checks = {{0, value, "x_is_not_" + std::to_string(value), false}};
    ck::Result d = dfs(s);
    ck::Result r = dpor(s);
    // "x is not v" is violated iff some execution ends with x != v; both agree.
    CHECK_EQUAL(d.violations.count(s.final_checks[0].invariant), r.violations.count(s.final_checks[0].invariant));
  }
  LONGS_EQUAL(classes(s), complete_executions(dpor(s)));
}

TEST(Dpor, CachePrunesBesideAnEarlyViolation) {
  // A breaks its expectation at once, which ends every execution it starts;
  // B and C race on x in the others, and their states converge, so the cache
  // must prune there and still find A's violation.
  std::vector<toy::Op> inc = {toy::load(0), toy::store_inc(0), toy::load(0), toy::store_inc(0)};
  toy::Spec s;
  s.variables = 2;
  s.threads = {{"A", {toy::expect(1, 1, "early")}}, {"B", inc}, {"C", inc}};
  toy::ToyProgram stateless_program(s), cached_program(s);
  ck::DporStrategy stateless, cached(ck::DporOptions{true, 0, {}, 0});
  ck::Result r0 = ck::explore(stateless_program, stateless, ck::Options{});
  ck::Result r1 = ck::explore(cached_program, cached, ck::Options{});
  CHECK_EQUAL(1u, r0.violations.count("early"));
  CHECK_EQUAL(1u, r1.violations.count("early"));
  CHECK_TRUE(r1.cache_hits > 0);
  CHECK_TRUE(r1.executions < r0.executions);
}

TEST(Dpor, CachedAndStatelessReachEveryFinalStateOfRandomToys) {
  // Every final state some schedule reaches is a class's, so each search must
  // reach all of them. States converge often here, and reach the cache with
  // other threads asleep than when first explored.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2000; ++round) {
    toy::Spec s = toy::random_spec(rng);
    toy::ToyProgram every(s), stateless(s), cached(s);
    ck::DfsStrategy dfs;
    ck::DporStrategy plain, with_cache(ck::DporOptions{true, 0, {}, 0});
    ck::explore(every, dfs, ck::Options{});
    ck::explore(stateless, plain, ck::Options{});
    ck::explore(cached, with_cache, ck::Options{});
    CHECK_TEXT(every.final_values() == stateless.final_values(), ("stateless, round " + std::to_string(round)).c_str());
    CHECK_TEXT(every.final_values() == cached.final_values(), ("cached, round " + std::to_string(round)).c_str());
  }
}



TEST(Dpor, FullCacheSaysSoAndGoesOnUncached) {
  // The program of CachedCountsArePinned with room for one explored state:
  // the search reports the full table, completes, reaches every final state,
  // and runs the executions of the search without a cache (338, not 221).
  toy::Spec s = counter(2);
  s.threads.push_back({"C", {toy::write(0, 5)}});
  toy::ToyProgram program(s), stateless_program(s);
  ck::DporStrategy full(ck::DporOptions{true, 1, {}, 0}), stateless;
  ck::Result r = ck::explore(program, full, ck::Options{});
  ck::Result plain = ck::explore(stateless_program, stateless, ck::Options{});
  CHECK_TRUE(r.state_table_full);
  CHECK_FALSE(plain.state_table_full);
  CHECK_TRUE(r.complete);
  LONGS_EQUAL(338, r.executions);
  LONGS_EQUAL(338, plain.executions);
  CHECK_TRUE(program.final_values() == stateless_program.final_values());
}

TEST(Dpor, CachedCountsArePinned) {
  // Pinned, so a change to the cached search shows: on two counters and a
  // writer of x, states converge and are reached again with other threads
  // asleep, which explores them again for the awakened threads only.
  toy::Spec s = counter(2);
  s.threads.push_back({"C", {toy::write(0, 5)}});
  toy::ToyProgram program(s);
  ck::DporStrategy cached(ck::DporOptions{true, 0, {}, 0});
  ck::Result r = ck::explore(program, cached, ck::Options{});
  CHECK_TRUE(r.complete);
  LONGS_EQUAL(221, r.executions);  // 225 if it explored them again in full
  LONGS_EQUAL(174, r.cache_hits);
  LONGS_EQUAL(0, r.redundant_executions);
  std::set<std::vector<int>> finals = program.final_values();
  toy::ToyProgram every(s);
  ck::DfsStrategy dfs;
  ck::explore(every, dfs, ck::Options{});
  CHECK_TRUE(finals == every.final_values());
}
