// gmemcheck-bench: measures the engine against the floor of the machine (a raw
// Boost.Context switch) and the search on the corpus's 4-thread scenarios.
// It prints figures; nothing here asserts a time.
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gmemcheck/checker/fiber.hpp"
#include "gmemcheck/checker/schedule_count.hpp"
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

// The corpus's 4-thread scenarios, with their files.
std::vector<std::pair<std::string, model::Scenario>> four_thread_scenarios() {
  std::vector<std::pair<std::string, model::Scenario>> out;
  for (const std::string& f : tools::expand_inputs({"scenarios"})) {
    model::Scenario sc = tools::load_scenario_file(f);
    if (sc.threads.size() == 4) out.emplace_back(f, std::move(sc));
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

// One search of a scenario as the CLI runs it.
Run check(const model::Scenario& sc, const std::string& strategy, bool cache, int jobs, std::size_t units,
          std::uint64_t executions) {
  tools::RunOptions opt;
  opt.strategy = strategy;
  opt.no_cache = !cache;
  opt.search_jobs = jobs;
  opt.units = units;
  if (executions) opt.max_executions = executions;
  auto t0 = Clock::now();
  tools::ScenarioResult r = tools::check_scenario("", sc, opt);
  return {r.result, since(t0)};
}

std::string execs(const Run& r) {
  return std::to_string(r.r.executions) + (r.r.complete || r.r.stopped_early ? " " : "+");
}

// The executions stateless DFS would run, counted over the state graph.
double dfs_schedules(const model::Scenario& sc) {
  model::Machine m(sc);
  checker::ScheduleCountStrategy count;
  checker::Result r = checker::explore(m, count, checker::Options{});
  return r.complete ? count.schedules() : std::nan("");
}

void scenario_figures() {
  std::printf("\n4-thread scenarios: executions and seconds per search (+: cut at 100k executions, unfinished;\n"
              "dfs: the executions of stateless DFS, counted over the state graph, not run)\n");
  std::printf("%-40s %9s %8s %9s %6s %8s %6s %9s %6s %6s %6s %6s\n", "scenario", "dfs", "dpor", "dfs+cache",
              "s", "dpor+c", "s", "dfs/dpor+c", "dfs+c/", "8u j1", "8u j2", "j1/j2");
  for (const auto& [file, sc] : four_thread_scenarios()) {
    double dfs = dfs_schedules(sc);
    Run dpor = check(sc, "dpor", false, 1, 0, 100'000);
    Run dfs_cache = check(sc, "dfs", true, 1, 0, 0);
    Run dpor_cache = check(sc, "dpor", true, 1, 0, 0);
    Run ahead = check(sc, "dpor", true, 2, 0, 0);  // timed apart, in jobs_figures()
    if (ahead.r.executions != dpor_cache.r.executions || ahead.r.states != dpor_cache.r.states)
      std::printf("  (%s: --jobs 2 changed the counts: a bug)\n", sc.name.c_str());
    Run split1 = check(sc, "dpor", true, 1, 8, 0);
    Run split2 = check(sc, "dpor", true, 2, 8, 0);
    auto dpor_c = static_cast<double>(dpor_cache.r.executions);
    std::printf("%-40s %9.2e %8s %9llu %6.2f %8llu %6.2f %9.1e %6.1f %6.2f %6.2f %6.2f\n",
                sc.name.substr(0, 40).c_str(), dfs, execs(dpor).c_str(),
                static_cast<unsigned long long>(dfs_cache.r.executions), dfs_cache.seconds,
                static_cast<unsigned long long>(dpor_cache.r.executions), dpor_cache.seconds, dfs / dpor_c,
                static_cast<double>(dfs_cache.r.executions) / dpor_c, split1.seconds, split2.seconds,
                split1.seconds / split2.seconds);
  }
  std::printf(
      "(dpor+c: the default search, on one worker (with --jobs 2 the counts were the same); dfs/dpor+c:\n"
      " executions of every schedule / dpor+cache executions; dfs+c/: dfs+cache / dpor+cache executions;\n"
      " 8u: dpor+cache split into 8 units, on 1 and 2 workers, identical counts; j1/j2: the speed-up of the\n"
      " second worker on that split)\n");
}

// Where the stateless searches finish: how many executions DPOR saves.
void reduction_figures() {
  std::printf("\nscenarios the stateless searches finish (2M executions at most): dfs vs dpor executions\n");
  std::vector<std::string> errors;
  auto scenarios = tools::load_scenarios(tools::expand_inputs({"scenarios"}), errors);
  double product = 1;
  int n = 0;
  for (const auto& [file, sc] : scenarios) {
    if (sc.expect.violation) continue;  // a search stopped at its violation says nothing about reduction
    Run dfs = check(sc, "dfs", false, 1, 0, 2'000'000);
    if (!dfs.r.complete || dfs.r.executions < 2) continue;  // one schedule: nothing to reduce
    Run dpor = check(sc, "dpor", false, 1, 0, 0);
    double ratio = static_cast<double>(dfs.r.executions) / static_cast<double>(dpor.r.executions);
    product *= ratio;
    ++n;
    std::printf("  %-50s %10llu %8llu %8.1fx\n", sc.name.substr(0, 50).c_str(),
                static_cast<unsigned long long>(dfs.r.executions), static_cast<unsigned long long>(dpor.r.executions),
                ratio);
  }
  if (n) std::printf("  geometric mean: %.1fx fewer executions under dpor\n", std::pow(product, 1.0 / n));
}

// The gmemcheck binary built beside this one.
std::string cli_path() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "gmemcheck").string();
}

// Wall seconds of `gmemcheck run -q -j N file` in a process of its own, as a
// user runs it (no heap or cache left over from the searches before).
double cli_seconds(const std::string& cli, const std::string& file, int jobs, const std::string& trace_dir) {
  const std::string cmd = "'" + cli + "' run -q -j " + std::to_string(jobs) + " --trace-dir '" + trace_dir +
                          "' '" + file + "' >/dev/null 2>&1";
  auto t0 = Clock::now();
  int status = std::system(cmd.c_str());
  double s = since(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    std::printf("  (%s with --jobs %d: exit status %d, not as expected)\n", file.c_str(), jobs,
                WEXITSTATUS(status));
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The median time for one core to hand a cache line to the other and get
// it back: what each hand-over of a copy costs per line it moves. On a
// virtual machine it changes with where the host runs the two virtual CPUs.
double core_round_trip_ns() {
  constexpr int kBatches = 101, kPerBatch = 1000;
  alignas(64) std::atomic<int> ping{0};
  alignas(64) std::atomic<int> pong{0};
  std::thread other([&] {
    for (int i = 1; i <= kBatches * kPerBatch; ++i) {
      while (ping.load(std::memory_order_acquire) != i) {
      }
      pong.store(i, std::memory_order_release);
    }
  });
  std::vector<double> batches;
  for (int b = 0, i = 0; b < kBatches; ++b) {
    auto t0 = Clock::now();
    for (int k = 0; k < kPerBatch; ++k) {
      ping.store(++i, std::memory_order_release);
      while (pong.load(std::memory_order_acquire) != i) {
      }
    }
    batches.push_back(since(t0) * 1e9 / kPerBatch);
  }
  other.join();
  return median(batches);
}

// --jobs 2 against --jobs 1 on each 4-thread scenario: the CLI, alternating,
// several rounds. A machine shared with others slows some runs at random;
// the best of each shows the machine unhindered, the median a typical run.
void jobs_figures() {
  constexpr int kRounds = 5;
  const std::string cli = cli_path();
  char dir_template[] = "/tmp/gmemcheck-bench-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir || !std::filesystem::exists(cli)) {
    std::printf("\n--jobs figures skipped: no %s or no temporary directory\n", cli.c_str());
    return;
  }
  std::printf(
      "\n--jobs 2 against --jobs 1 (the default search): gmemcheck run, a process per run, alternating,\n"
      "%d rounds; seconds, best and median\n",
      kRounds);
  std::printf("%-40s %7s %7s %7s %7s %10s %8s %9s\n", "scenario", "j1 best", "j1 med", "j2 best", "j2 med",
              "best/best", "med/med", "rt ns");
  std::string largest;
  double largest_j1 = 0, largest_best = 0, largest_median = 0;
  std::vector<double> rts;  // core-to-core round trips, one before each round
  for (const auto& [file, sc] : four_thread_scenarios()) {
    std::vector<double> j1, j2, rt;
    for (int round = 0; round < kRounds; ++round) {
      rt.push_back(core_round_trip_ns());
      j1.push_back(cli_seconds(cli, file, 1, dir));
      j2.push_back(cli_seconds(cli, file, 2, dir));
    }
    const auto [rt_low, rt_high] = std::minmax_element(rt.begin(), rt.end());
    rts.insert(rts.end(), rt.begin(), rt.end());
    const double b1 = *std::min_element(j1.begin(), j1.end()), b2 = *std::min_element(j2.begin(), j2.end());
    const double m1 = median(j1), m2 = median(j2);
    std::printf("%-40s %7.2f %7.2f %7.2f %7.2f %9.2fx %7.2fx %4.0f-%-4.0f\n", sc.name.substr(0, 40).c_str(),
                b1, m1, b2, m2, b1 / b2, m1 / m2, *rt_low, *rt_high);
    std::fflush(stdout);
    if (m1 > largest_j1) {
      largest = sc.name;
      largest_j1 = m1;
      largest_best = b1 / b2;
      largest_median = m1 / m2;
    }
  }
  std::filesystem::remove_all(dir);
  std::printf(
      "the largest, %s: --jobs 2 is %.2fx faster best against best, %.2fx median against median\n"
      "  (target >= 1.8x)\n"
      "rt ns: a cache line's round trip between the two cores (median of 101 batches of 1000), measured\n"
      "before each round: %.0f ns median over the section. Each hand-over of a copy brings about 40 cache\n"
      "lines to the search's core (and the helper's restart of the copy takes them back), so the --jobs 2\n"
      "speed-up falls as this rises (on a virtual machine it changes with where the host runs the two\n"
      "virtual CPUs)\n",
      largest.c_str(), largest_best, largest_median, median(rts));
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

// gmemcheck-bench [DIR [SECTION...]]: every section, or those named (engine,
// memory, scenarios, jobs, reduction, corpus), run in DIR.
int main(int argc, char** argv) {
  if (argc > 1) std::filesystem::current_path(argv[1]);
  const std::vector<std::string> only(argv + std::min(argc, 2), argv + argc);
  auto wanted = [&](const std::string& section) {
    return only.empty() || std::find(only.begin(), only.end(), section) != only.end();
  };
  std::printf("gmemcheck-bench (%u hardware threads)\n\n", std::thread::hardware_concurrency());
  if (wanted("engine")) engine_figures(raw_switch_ns());
  if (wanted("memory")) memory_figures();
  if (wanted("scenarios")) scenario_figures();
  if (wanted("jobs")) jobs_figures();
  if (wanted("reduction")) reduction_figures();
  if (wanted("corpus")) {
    std::printf("\n");
    corpus_jobs_figures();
  }
  std::printf("peak memory: %ld KiB\n", peak_rss_kib());
  return 0;
}
