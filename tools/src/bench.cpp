// gmemcheck-bench: measures the engine against the floor of the machine (a raw
// Boost.Context switch) and the search on the corpus's 4-thread scenarios.
// It prints figures; nothing here asserts a time.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gmemcheck/checker/fiber.hpp"
#include "gmemcheck/model/machine.hpp"
#include "gmemcheck/tools/run.hpp"

using namespace gmemcheck;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// A coroutine that only pauses: each round trip is two context switches.
void pause_forever(void*, checker::Yield& y) {
  for (;;) y.pause();
}

double raw_switch_ns() {
  checker::Coroutine co;
  co.start(&pause_forever, nullptr);
  const long rounds = 20'000'000;
  auto t0 = Clock::now();
  for (long i = 0; i < rounds; ++i) co.resume();
  double s = since(t0);
  co.abandon();
  return s * 1e9 / (2.0 * rounds);
}

struct Run {
  checker::Result r;
  double seconds;
};

Run explore(const model::Scenario& sc, bool cache, std::uint64_t executions) {
  model::Machine m(sc);
  checker::DfsStrategy dfs;
  checker::Options o;
  o.cache = cache;
  o.bounds.executions = executions;
  auto t0 = Clock::now();
  checker::Result r = checker::explore(m, dfs, o);
  return {r, since(t0)};
}

std::vector<model::Scenario> four_thread_scenarios() {
  std::vector<model::Scenario> out;
  for (const std::string& f : tools::expand_inputs({"scenarios"})) {
    model::Scenario sc = tools::load_scenario_file(f);
    if (sc.threads.size() == 4) out.push_back(sc);
  }
  return out;
}

void engine_figures(double raw_ns) {
  model::Scenario sc = tools::load_scenario_file("scenarios/v7.0-punch-and-convert-four-threads.json");
  Run stateless = explore(sc, false, 200'000);
  double steps_per_s = stateless.r.steps / stateless.seconds;
  double step_ns = 1e9 / steps_per_s;
  std::printf("raw Boost.Context switch:            %8.1f ns (one direction)\n", raw_ns);
  std::printf("gmemcheck scheduling step:           %8.1f ns (stateless dfs, %s)\n", step_ns, sc.name.c_str());
  std::printf("  steps per second, one core:        %8.2f M   (target >= 10 M)\n", steps_per_s / 1e6);
  std::printf("  step cost / raw switch round trip: %8.2f x   (target <= 10 x; a step is two switches)\n",
              step_ns / (2 * raw_ns));
  std::printf("  executions per second:             %8.0f\n", stateless.r.executions / stateless.seconds);
}

void memory_figures() {
  model::Scenario sc = tools::load_scenario_file("scenarios/v6.11-seed-plus-private-fault.json");
  explore(sc, false, 20'000);
  long small = peak_rss_kib();
  explore(sc, false, 200'000);
  long large = peak_rss_kib();
  std::printf("peak memory, stateless dfs: %ld KiB after 20k executions, %ld KiB after 200k (flat: no growth "
              "with run length beyond the state table)\n",
              small, large);
}

void scenario_figures() {
  std::printf("\n%-50s %12s %9s %12s %9s %10s\n", "4-thread scenario", "dfs execs", "dfs s", "cache execs",
              "cache s", "states");
  for (const model::Scenario& sc : four_thread_scenarios()) {
    Run dfs = explore(sc, false, 100'000);
    Run cached = explore(sc, true, 0);
    std::printf("%-50s %11llu%s %9.2f %12llu %9.2f %10llu\n", sc.name.c_str(),
                static_cast<unsigned long long>(dfs.r.executions), dfs.r.complete ? " " : "+", dfs.seconds,
                static_cast<unsigned long long>(cached.r.executions), cached.seconds,
                static_cast<unsigned long long>(cached.r.states));
  }
  std::printf("(dfs is cut at 100k executions, marked +: stateless search of these scenarios does not finish)\n");
}

void corpus_jobs_figures() {
  std::vector<std::string> errors;
  auto scenarios = tools::load_scenarios(tools::expand_inputs({"scenarios", "scenarios/reference"}), errors);
  for (int jobs : {1, 2}) {
    tools::RunOptions opt;
    opt.jobs = jobs;
    auto t0 = Clock::now();
    tools::check_all(scenarios, opt, [](tools::ScenarioResult&) {});
    std::printf("whole corpus (%zu scenarios), --jobs %d: %.2f s\n", scenarios.size(), jobs, since(t0));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) std::filesystem::current_path(argv[1]);
  std::printf("gmemcheck-bench (%u hardware threads)\n\n", std::thread::hardware_concurrency());
  engine_figures(raw_switch_ns());
  memory_figures();
  scenario_figures();
  std::printf("\n");
  corpus_jobs_figures();
  std::printf("peak memory: %ld KiB\n", peak_rss_kib());
  return 0;
}
