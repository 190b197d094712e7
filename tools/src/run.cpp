#include "gmemcheck/tools/run.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <iostream>
#include <sstream>

#include "gmemcheck/checker/dpor.hpp"
#include "gmemcheck/model/machine.hpp"
#include "gmemcheck/tools/report.hpp"
#include "gmemcheck/tools/shard.hpp"
#include "gmemcheck/tools/trace.hpp"

namespace gmemcheck::tools {

namespace {

checker::Bounds effective_bounds(const model::Scenario& sc, const RunOptions& opt) {
  checker::Bounds b = sc.bounds;
  if (opt.max_steps) b.steps = *opt.max_steps;
  if (opt.max_executions) b.executions = *opt.max_executions;
  if (opt.max_seconds) b.seconds = *opt.max_seconds;
  if (opt.preemptions) {
    b.preemptions = *opt.preemptions;
    b.preemptions_set = true;
  }
  return b;
}

std::string verdict_of(const checker::Result& r) {
  if (!r.violations.empty()) return "violation";
  if (!r.complete && !r.stopped_early) return "inconclusive";
  return "pass";
}

Status status_of(const model::Scenario& sc, const checker::Result& r) {
  bool complete = r.complete || r.stopped_early;
  if (sc.expect.violation) {
    if (r.violations.count(sc.expect.invariant)) return Status::expected;
    return complete ? Status::unexpected : Status::inconclusive;
  }
  if (!r.violations.empty()) return Status::unexpected;
  return complete ? Status::expected : Status::inconclusive;
}

void progress_line(const std::string& name, const checker::Progress& p) {
  if (p.seconds < 1.0) return;
  std::fprintf(stderr, "\r\033[K%s: %llu executions (%.0f/s), %llu states, depth %zu, %.0f s", name.c_str(),
               static_cast<unsigned long long>(p.executions), p.executions / p.seconds,
               static_cast<unsigned long long>(p.states), p.max_depth, p.seconds);
  std::fflush(stderr);
}

std::unique_ptr<checker::Strategy> make_strategy(const RunOptions& opt, const model::Scenario& sc) {
  if (opt.strategy == "random") return std::make_unique<checker::RandomStrategy>(opt.seed);
  if (opt.strategy == "pct")
    return std::make_unique<checker::PctStrategy>(opt.seed, static_cast<int>(sc.threads.size()), opt.pct_depth);
  return std::make_unique<checker::DfsStrategy>();
}

std::string describe_strategy(const RunOptions& opt, bool cache) {
  if (opt.strategy == "random") return "random (seed " + std::to_string(opt.seed) + ")";
  if (opt.strategy == "pct")
    return "pct (depth " + std::to_string(opt.pct_depth) + ", seed " + std::to_string(opt.seed) + ")";
  if (opt.strategy == "dpor") return opt.no_cache ? "dpor" : "dpor+cache";
  return cache ? "dfs+cache" : "dfs";
}

}  // namespace

model::Scenario load_scenario_file(const std::string& path) {
  nlohmann::json j = read_json_file(path);
  try {
    return model::parse_scenario(j);
  } catch (const model::ScenarioError& e) {
    throw located_error(path, e);
  }
}

checker::Options search_options(const model::Scenario& sc, const RunOptions& opt) {
  checker::Options o;
  o.bounds = effective_bounds(sc, opt);
  const bool exhaustive = opt.strategy == "dfs" || opt.strategy == "dpor";
  if (!exhaustive && !o.bounds.executions) o.bounds.executions = kDefaultRandomExecutions;
  o.stop_on = sc.expect.violation ? sc.expect.invariant : "";
  o.liveness_is_violation = opt.liveness || sc.expect.invariant == "retry_bound";
  // The engine's cache prunes DFS; DPOR keeps its own, per unit.
  o.cache = opt.strategy == "dfs" && !opt.no_cache;
  o.cache_bytes = opt.cache_mb << 20;
  o.checkpoints = opt.checkpoints;
  return o;
}

std::vector<checker::Unit> search_units(const model::Scenario& sc, const RunOptions& opt) {
  std::size_t min_units = opt.units;
  if (!min_units && opt.shards) min_units = std::max<std::size_t>(checker::kDefaultMinUnits, 2 * opt.shards);
  // Never from --jobs: the units decide the counts, and the counts must not
  // depend on how many workers ran them.
  if (!min_units) min_units = 1;
  model::Machine probe(sc);
  return checker::split(probe, min_units);
}

std::vector<checker::UnitResult> explore_scenario_units(const model::Scenario& sc, const RunOptions& opt,
                                                        const checker::Options& o, checker::Shard shard) {
  auto make_program = [&sc] { return std::make_unique<model::Machine>(sc); };
  checker::DporOptions d{!opt.no_cache, opt.cache_mb << 20, {}, 0};
  auto make_strategy = [d](const checker::Unit& u) {
    checker::DporOptions mine = d;
    mine.prefix = u.prefix;
    mine.sleep = u.sleep;
    return std::make_unique<checker::DporStrategy>(std::move(mine));
  };
  return checker::explore_units(make_program, make_strategy, search_units(sc, opt), o, opt.search_jobs, shard);
}

std::string search_label(const ScenarioResult& r) {
  return r.units > 1 ? r.strategy + ", " + std::to_string(r.units) + " units" : r.strategy;
}

void conclude(ScenarioResult& out) {
  out.verdict = verdict_of(out.result);
  out.status = status_of(out.scenario, out.result);
}

ScenarioResult check_scenario(const std::string& file, const model::Scenario& sc, const RunOptions& given) {
  RunOptions opt = given;
  // Context bounding cuts schedules DPOR would rely on to cover a class: a
  // preemption-bounded search enumerates schedules (DFS) instead.
  if (opt.strategy == "dpor" && effective_bounds(sc, opt).preemptions_set) opt.strategy = "dfs";
  ScenarioResult out;
  out.file = file;
  out.scenario = sc;
  checker::Options o = search_options(sc, opt);
  out.bounds = o.bounds;
  out.liveness = o.liveness_is_violation;
  out.strategy = describe_strategy(opt, o.cache);
  if (opt.progress && !opt.quiet) o.progress = [&](const checker::Progress& p) { progress_line(sc.name, p); };
  if (opt.strategy == "dpor") {
    auto start = std::chrono::steady_clock::now();
    model::Machine fresh(sc);
    std::vector<checker::UnitResult> units = explore_scenario_units(sc, opt, o, {});
    out.units = units.size();
    out.result = checker::merge(std::move(units), fresh, o);
    out.result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } else {
    model::Machine machine(sc);
    std::unique_ptr<checker::Strategy> strategy = make_strategy(opt, sc);
    out.result = checker::explore(machine, *strategy, o);
    if (!strategy->exhaustive() && out.result.violations.empty() && !out.result.stopped_early)
      out.result.cut_reason = "no violation found in " + std::to_string(out.result.executions) + " executions of " +
                              out.strategy + "; a bug-finding strategy never proves a pass (use --strategy dpor)";
  }
  if (o.progress && out.result.seconds >= 1.0) std::fprintf(stderr, "\r\033[K");
  conclude(out);
  return out;
}

namespace {

std::size_t switches_in(const checker::Schedule& s) {
  std::size_t n = 0;
  for (std::size_t i = 1; i < s.size(); ++i) n += s[i] != s[i - 1];
  return n;
}

}  // namespace

checker::Counterexample fewest_switches(const model::Scenario& sc, const checker::Counterexample& found,
                                        bool liveness) {
  constexpr std::uint64_t kBudget = 200000;  // executions over all switch bounds
  // lockdep's lock_order spans executions; its trace must show one execution
  // that takes both orders, so the search runs with lockdep reset per execution.
  const bool lockdep = found.finding.invariant == "lock_order";
  const std::size_t limit = lockdep ? 2 * sc.threads.size() + 8 : switches_in(found.schedule);
  std::uint64_t spent = 0;
  for (std::size_t k = 0; k < limit && spent < kBudget; ++k) {
    model::Machine machine(sc);
    machine.set_lockdep_per_execution(lockdep);
    checker::DfsStrategy dfs;
    checker::Options o;
    o.bounds.switches = k;
    o.bounds.switches_set = true;
    o.bounds.executions = kBudget - spent;
    o.stop_on = found.finding.invariant;
    o.liveness_is_violation = liveness;
    checker::Result r = checker::explore(machine, dfs, o);
    spent += r.executions;
    auto it = r.violations.find(found.finding.invariant);
    if (it == r.violations.end()) continue;
    checker::Counterexample best = it->second;
    best.finding.prelude.clear();  // one execution takes both orders: nothing to run first
    return best;
  }
  return found;
}

std::vector<Trace> counterexamples(const ScenarioResult& r) {
  std::vector<Trace> out;
  for (const auto& [inv, cx] : r.result.violations) {
    checker::Counterexample best = fewest_switches(r.scenario, cx, r.liveness);
    out.push_back(record_trace(r.scenario, best.schedule, best.finding, r.liveness, r.bounds));
    out.back().strategy = r.strategy;
  }
  return out;
}

void write_traces(ScenarioResult& r, const std::string& trace_dir, std::ostream* story) {
  for (const Trace& t : r.traces) {
    std::string path = trace_dir + "/" + trace_file_name(r.scenario.name, t.violation.invariant);
    std::string replay = "gmemcheck replay " + path;
    write_atomically(path, trace_to_json(t, replay).dump(2) + "\n");
    r.trace_files.push_back(path);
    if (story) *story << "\n" << render_columns(t) << "  trace: " << path << "\n  replay: " << replay << "\n\n";
  }
}

std::vector<LoadedScenario> load_scenarios(const std::vector<std::string>& files, std::vector<std::string>& errors) {
  std::vector<LoadedScenario> scenarios;
  for (const std::string& f : files) {
    try {
      scenarios.emplace_back(f, load_scenario_file(f));
    } catch (const InputError& e) {
      errors.push_back(e.what());
    }
  }
  // Two scenarios of one name would write the same trace files.
  for (std::size_t i = 0; i < scenarios.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (scenarios[i].second.name == scenarios[j].second.name)
        errors.push_back(scenarios[i].first + ": /name: scenario name \"" + scenarios[i].second.name +
                         "\" is already used by " + scenarios[j].first + "; names must be unique in a run");
  return scenarios;
}

std::vector<ScenarioResult> check_all(const std::vector<LoadedScenario>& scenarios, const RunOptions& opt,
                                      const std::function<void(ScenarioResult&)>& done) {
  std::vector<ScenarioResult> results(scenarios.size());
  // One scenario: its search gets the workers. Several: each its own.
  const bool inside = scenarios.size() == 1;
  auto work = [&](std::size_t i) {
    RunOptions o = opt;
    o.progress = opt.progress && (opt.jobs <= 1 || inside);
    if (inside) o.search_jobs = opt.jobs;
    results[i] = check_scenario(scenarios[i].first, scenarios[i].second, o);
    results[i].traces = counterexamples(results[i]);
  };
  if (opt.jobs <= 1 || inside) {
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      work(i);
      done(results[i]);
    }
    return results;
  }
  // Scenarios are independent: workers take the next one; results are
  // reported in input order, so the output does not depend on the timing.
  std::mutex m;
  std::condition_variable cv;
  std::vector<bool> ready(scenarios.size(), false);
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < opt.jobs; ++w)
    workers.emplace_back([&] {
      for (std::size_t i; (i = next++) < scenarios.size();) {
        work(i);
        std::lock_guard<std::mutex> lock(m);
        ready[i] = true;
        cv.notify_all();
      }
    });
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return ready[i]; });
    lock.unlock();
    done(results[i]);
  }
  for (std::thread& t : workers) t.join();
  return results;
}

int run_command(const std::vector<std::string>& inputs, const RunOptions& opt, std::ostream& out, std::ostream& err) {
  // Every input is loaded and validated before anything runs or is written.
  std::vector<std::string> errors;
  std::vector<std::string> files;
  try {
    files = expand_inputs(inputs);
  } catch (const InputError& e) {
    err << "gmemcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  std::vector<LoadedScenario> scenarios = load_scenarios(files, errors);
  if (std::filesystem::exists(opt.trace_dir) && !std::filesystem::is_directory(opt.trace_dir))
    errors.push_back("--trace-dir " + opt.trace_dir + ": exists and is not a directory");
  if (!errors.empty()) {
    for (const std::string& e : errors) err << e << "\n";
    err << "gmemcheck: " << errors.size() << " bad input file(s); nothing was run\n";
    return kExitBadInput;
  }
  if (opt.shards) return shard_command(scenarios, opt, out, err);
  if (scenarios.size() == 1 && opt.jobs > 1 && !opt.quiet && !(opt.strategy == "dpor" && opt.units > 1))
    err << "gmemcheck: note: one scenario is one search, on one worker; several share it only with "
           "--strategy "
           "dpor --units N (N >= 2; each unit has a cache of its own, which may cost executions; the verdict "
           "is the same)\n";
  std::vector<ScenarioResult> results = check_all(scenarios, opt, [&](ScenarioResult& r) {
    out << result_line(r) << "\n";
    write_traces(r, opt.trace_dir, opt.quiet ? nullptr : &out);
    out.flush();
  });
  out << summary_line(results) << "\n";
  if (!opt.json_out.empty()) write_atomically(opt.json_out, results_json(results).dump(2) + "\n");
  if (!opt.markdown_out.empty()) write_atomically(opt.markdown_out, results_markdown(results));
  return exit_status(results);
}

}  // namespace gmemcheck::tools
