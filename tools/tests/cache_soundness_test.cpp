// Neither the state cache nor partial-order reduction may change what is
// found: on scenarios small enough for the stateless search to finish, the
// cached search reaches exactly the same distinct states, and every search
// finds exactly the same invariants. A step whose continuation is not captured
// by the thread's registers (a helper with its own step called from two
// places, say) shows up here as a missing state; a footprint that leaves out
// what a step touches shows up as an invariant DPOR misses.
#include <random>

#include "gmemcheck/model/machine.hpp"
#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

#include "checkpoints.hpp"

namespace cli {
namespace {

const char* const kVariants[] = {"roth2023", "roth2023+slots_lock", "roth2023+gmem_lock", "roth2023+rmp_under_mmu_lock",
                                 "v6.10", "v6.11", "v7.0"};
const char* const kMutations[] = {"range_overwrite", "truncate_after_end", "no_stale_check", "zero_partial_folio",
                                  "retry_leaks_ref", "lock_inversion", "unlock_before_range_add",
                                  "double_folio_unlock"};
const char* const kPaths[] = {"punch_hole", "set_attributes", "page_fault", "rmpupdate", "convert"};

// A small deterministic pseudo-random scenario: 1-2 pages, a fault and other threads.
json random_scenario(std::mt19937_64& rng, int i, int thread_count = 2) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  auto attr = [&] { return pick(2) ? "private" : "shared"; };
  int pages = 1 + pick(2);
  json init = {{"mem_attr_array", json::array()}, {"populated", json::array()}, {"mapped", json::array()}};
  for (int g = 0; g < pages; ++g) {
    init["mem_attr_array"].push_back(attr());
    bool populated = pick(2);
    if (populated) init["populated"].push_back(g);
    if ((populated || init["mem_attr_array"][g] == "shared") && pick(2)) init["mapped"].push_back(g);
  }
  json threads = json::array();
  for (int t = 0; t < thread_count; ++t) {
    // The fault has the most paths through it (exit, retry, give up, map), so one thread always faults.
    std::string path = t == 0 ? "page_fault" : kPaths[pick(5)];
    json th = {{"name", "T" + std::to_string(t)}, {"path", path}};
    int start = pick(pages), end = start + 1 + pick(pages - start);
    if (path == "page_fault") th.update({{"gfn", pick(pages)}, {"access", attr()}});
    else if (path == "rmpupdate") th.update({{"index", pick(pages)}, {"to", attr()}});
    else th.update({{"start", start}, {"end", end}});
    if (path == "set_attributes") th["attribute"] = attr();
    if (path == "convert") th["to"] = attr();
    threads.push_back(th);
  }
  json mutations = json::array();
  if (pick(3) == 0) mutations.push_back(kMutations[pick(8)]);
  return {{"format_version", 1}, {"name", "r" + std::to_string(i)}, {"variant", kVariants[pick(7)]},
          {"mutations", mutations}, {"pages", pages}, {"initial", init}, {"threads", threads},
          {"bounds", {{"fault_retries", pick(2)}}}};
}

tools::ScenarioResult check(const model::Scenario& sc, bool cache, const std::string& strategy = "dfs",
                            std::uint64_t max_executions = 400000) {
  tools::RunOptions opt;
  opt.no_cache = !cache;
  opt.strategy = strategy;
  opt.max_executions = max_executions;
  return tools::check_scenario("", sc, opt);
}

std::string invariants(const tools::ScenarioResult& r) {
  std::string out;
  for (const auto& [inv, cx] : r.result.violations) out += inv + " ";
  return out;
}

}  // namespace

TEST_GROUP(CacheSoundness){};

TEST(CacheSoundness, CachedAndStatelessSearchesReachTheSameStates) {
  std::mt19937_64 rng(20261126);
  int compared = 0;
  for (int i = 0; i < 60; ++i) {
    model::Scenario sc = model::parse_scenario(random_scenario(rng, i));
    tools::ScenarioResult stateless = check(sc, false);
    if (!stateless.result.complete) continue;  // too big to enumerate every schedule
    tools::ScenarioResult cached = check(sc, true);
    std::string what = sc.source.dump();
    CHECK_TEXT(cached.result.complete, what.c_str());
    LONGS_EQUAL_TEXT(stateless.result.states, cached.result.states, what.c_str());
    std::string a, b;
    for (const auto& [inv, cx] : stateless.result.violations) a += inv + " ";
    for (const auto& [inv, cx] : cached.result.violations) b += inv + " ";
    STRCMP_EQUAL_TEXT(a.c_str(), b.c_str(), what.c_str());
    ++compared;
  }
  CHECK_TEXT(compared >= 30, ("only " + std::to_string(compared) + " scenarios were small enough").c_str());
}

// DPOR, with and without its cache, against the stateless DFS, with two and
// three threads (three is where a missed race hides behind a third thread).
TEST(CacheSoundness, DporFindsWhatEveryScheduleFinds) {
  std::mt19937_64 rng(20261127);
  int compared = 0;
  for (int i = 0; i < 80; ++i) {
    model::Scenario sc = model::parse_scenario(random_scenario(rng, i, 2 + i % 2));
    tools::ScenarioResult every = check(sc, false, "dfs", 40000);
    if (!every.result.complete) continue;
    std::string what = sc.source.dump();
    for (bool cache : {false, true}) {
      tools::ScenarioResult dpor = check(sc, cache, "dpor");
      CHECK_TEXT(dpor.result.complete, what.c_str());
      STRCMP_EQUAL_TEXT(invariants(every).c_str(), invariants(dpor).c_str(), what.c_str());
      // DFS stops at a violation, DPOR runs on past it to see every race.
      if (every.result.violations.empty()) CHECK_TEXT(dpor.result.executions <= every.result.executions, what.c_str());
    }
    ++compared;
  }
  CHECK_TEXT(compared >= 50, ("only " + std::to_string(compared) + " scenarios were small enough").c_str());
}

// Three threads, half of them with lockdep's lock inversion, on which going
// back to checkpoints and replaying agree; and lockdep's pairs, some first
// seen by executions that went back to a checkpoint, with the same witness
// (the steps up to the pair, which a lock_order counterexample carries).
TEST(CacheSoundness, GoingBackToCheckpointsIsReplaying) {
  std::mt19937_64 rng(20261127);
  for (int i = 0; i < 40; ++i) {
    json j = random_scenario(rng, i, 3);
    if (i % 2) j["mutations"] = json::array({"lock_inversion", "unlock_before_range_add"});
    const model::Scenario sc = model::parse_scenario(j);
    for (const char* strategy : {"dfs", "dpor"}) {
      tools::RunOptions opt;
      opt.strategy = strategy;
      opt.max_executions = 20000;
      check_checkpoints_change_nothing("", sc, opt);
    }
    check_lockdep_witnesses_alike(sc);
  }
}

}  // namespace cli
