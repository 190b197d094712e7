// Every search gives every corpus scenario the same verdict and the same
// invariants: DFS and DPOR, with and without their caches, and DPOR split
// over two workers; the default search gives the baseline's exact counts,
// the same whether executions go back to checkpoints or replay. The
// stateless searches cannot finish the largest scenarios; they are compared
// wherever they finish within their budget.
#include "gmemcheck/checker/schedule_count.hpp"
#include "gmemcheck/model/machine.hpp"
#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>
// After the harness, whose declarations it uses.
#include <CppUTest/MemoryLeakWarningPlugin.h>

#include "checkpoints.hpp"

namespace cli {
namespace {

struct Search {
  const char* name;
  std::string strategy;
  bool cache;
  int jobs;
  std::size_t units;
};

const Search kSearches[] = {{"dpor+cache, split over 2 workers", "dpor", true, 2, 8},
                            {"dfs+cache", "dfs", true, 1, 0},
                            {"dpor", "dpor", false, 1, 0},
                            {"dfs", "dfs", false, 1, 0}};

std::string found(const tools::ScenarioResult& r) {
  std::string out = r.verdict;
  for (const auto& [inv, cx] : r.result.violations) out += " " + inv;
  return out;
}

tools::ScenarioResult check(const std::string& file, const model::Scenario& sc, const Search& s) {
  tools::RunOptions opt;
  opt.strategy = s.strategy;
  opt.no_cache = !s.cache;
  opt.search_jobs = s.jobs;
  opt.units = s.units;
  if (!s.cache) opt.max_executions = 20000;  // what the stateless searches may spend
  return tools::check_scenario(file, sc, opt);
}

}  // namespace

// Millions of allocations on two threads: CppUTest's leak-counting operator
// new would dominate the run, and other groups check for leaks already.
TEST_GROUP(CorpusStrategies) {
  void setup() override { MemoryLeakWarningPlugin::saveAndDisableNewDeleteOverloads(); }
  void teardown() override { MemoryLeakWarningPlugin::restoreNewDeleteOverloads(); }
};

TEST(CorpusStrategies, EverySearchAgreesWithTheDefault) {
  std::vector<std::string> errors;
  std::vector<tools::LoadedScenario> corpus = tools::load_scenarios(
      tools::expand_inputs({source_path("scenarios"), source_path("scenarios/reference")}), errors);
  CHECK_TEXT(errors.empty(), errors.empty() ? "" : errors.front().c_str());
  CHECK(corpus.size() >= 59);
  // The default search's counts are exactly the committed baseline's: the
  // gate lets a user's run lose a few states, but a change to the search
  // that shifts a count here must say so by updating the baseline.
  const json baseline = read_json(source_path(".gmemcheck-baseline.json")).at("scenarios");
  int compared = 0, stateless = 0;
  for (const auto& [file, sc] : corpus) {
    tools::ScenarioResult base = tools::check_scenario(file, sc, tools::RunOptions{});
    CHECK_TEXT(base.status == tools::Status::expected, (sc.name + ": " + found(base)).c_str());
    const std::string counts = sc.name + ": executions " + std::to_string(base.result.executions) + ", states " +
                               std::to_string(base.result.states) + "; the baseline has " +
                               baseline.at(sc.name).dump() +
                               " (a search changed on purpose: gmemcheck gate --update-baseline)";
    CHECK_TEXT(baseline.at(sc.name).at("executions") == base.result.executions, counts.c_str());
    CHECK_TEXT(baseline.at(sc.name).at("states") == base.result.states, counts.c_str());
    for (const Search& s : kSearches) {
      tools::ScenarioResult r = check(file, sc, s);
      if (r.status == tools::Status::inconclusive) {
        CHECK_TEXT(!s.cache, (sc.name + " under " + s.name + " did not finish").c_str());
        continue;  // a stateless search out of budget proves nothing either way
      }
      STRCMP_EQUAL_TEXT(found(base).c_str(), found(r).c_str(), (sc.name + " under " + s.name).c_str());
      ++compared;
      stateless += !s.cache;
    }
  }
  CHECK(compared >= 2 * 59);
  CHECK_TEXT(stateless >= 40, std::to_string(stateless).c_str());
}

// On every scenario, the default search and stateless DFS (20k executions
// at most) find the same whether executions go back to checkpoints or not.
TEST(CorpusStrategies, GoingBackToCheckpointsIsReplaying) {
  std::vector<std::string> errors;
  std::vector<tools::LoadedScenario> corpus = tools::load_scenarios(
      tools::expand_inputs({source_path("scenarios"), source_path("scenarios/reference")}), errors);
  CHECK(corpus.size() >= 59);
  for (const auto& [file, sc] : corpus) {
    tools::RunOptions dpor;
    check_checkpoints_change_nothing(file, sc, dpor);
    tools::RunOptions dfs;
    dfs.strategy = "dfs";
    dfs.no_cache = true;
    dfs.max_executions = 20000;
    check_checkpoints_change_nothing(file, sc, dfs);
  }
}

// The benchmark reports DFS's executions on scenarios it cannot run by
// counting them: the count must be exact wherever DFS does finish.
TEST(CorpusStrategies, CountedSchedulesAreTheExecutionsOfTheStatelessSearch) {
  std::vector<std::string> errors;
  std::vector<tools::LoadedScenario> corpus = tools::load_scenarios(
      tools::expand_inputs({source_path("scenarios"), source_path("scenarios/reference")}), errors);
  int compared = 0;
  for (const auto& [file, sc] : corpus) {
    checker::Options o;
    o.bounds.executions = 20000;
    model::Machine stateless(sc);
    checker::DfsStrategy dfs;
    checker::Result r = checker::explore(stateless, dfs, o);
    if (!r.complete) continue;
    model::Machine counted(sc);
    checker::ScheduleCountStrategy count;
    CHECK_TRUE(checker::explore(counted, count, checker::Options{}).complete);
    DOUBLES_EQUAL_TEXT(static_cast<double>(r.executions), count.schedules(), 0, sc.name.c_str());
    ++compared;
  }
  CHECK_TEXT(compared >= 20, std::to_string(compared).c_str());
}

}  // namespace cli
