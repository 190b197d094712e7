// `gmemcheck run`: check scenarios against their expectations.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "gmemcheck/checker/explorer.hpp"
#include "gmemcheck/checker/partition.hpp"
#include "gmemcheck/model/scenario.hpp"
#include "gmemcheck/tools/trace.hpp"

namespace gmemcheck::tools {

struct RunOptions {
  std::string trace_dir = "traces/out";
  std::string json_out;
  std::string markdown_out;  // a Markdown table of the results (README's corpus table)
  std::optional<std::uint64_t> max_steps, max_executions, preemptions;
  std::optional<double> max_seconds;
  bool liveness = false;
  bool no_cache = false;  // stateless: every schedule, not every state
  std::uint64_t cache_mb = 0;  // memory for the explored-state table (0: unlimited)
  std::string strategy = "dpor";  // dpor, dfs (exhaustive), random, pct (bug finding)
  std::uint64_t seed = 1;
  int pct_depth = 3;
  bool quiet = false;     // no stories, no progress
  bool progress = false;  // progress line on stderr (a terminal)
  int jobs = 1;           // scenarios checked at once
  int search_jobs = 1;    // workers inside one scenario's search (dpor)
  // Executions go back to checkpoints (off: each repeats its steps by
  // running them again, slower, with the same counts and findings).
  bool checkpoints = true;
  // Split a dpor search into at least this many units, each with its own
  // cache (0: split only for --shard). The counts
  // of a split search depend on the units only, never on who ran them.
  std::size_t units = 0;
  // Explore only shard `shard` of `shards` (dpor) and write a result file per
  // scenario into shard_dir for `gmemcheck merge`.
  std::size_t shard = 0, shards = 0;
  std::string shard_dir = ".";
};

enum class Status { expected, unexpected, inconclusive };

struct ScenarioResult {
  std::string file;
  model::Scenario scenario;
  checker::Result result;
  std::string verdict;  // pass, violation, inconclusive
  Status status = Status::expected;
  std::vector<Trace> traces;             // per violated invariant, same order as result.violations
  std::vector<std::string> trace_files;  // where they were written
  checker::Bounds bounds;
  bool liveness = false;
  std::string strategy = "dpor+cache";  // as run, e.g. "dfs+cache", "random seed 1"
  std::size_t units = 1;                // what the search was split into
};

// Every *.json in a directory (name order) or the file itself.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs);

// Loads a scenario file; throws InputError naming file and JSON pointer.
model::Scenario load_scenario_file(const std::string& path);

// The counterexample for `invariant` with the fewest context switches, found by
// a small bounded search; `found` when nothing shorter turns up in the budget.
checker::Counterexample fewest_switches(const model::Scenario& sc, const checker::Counterexample& found,
                                        bool liveness);

ScenarioResult check_scenario(const std::string& file, const model::Scenario& sc, const RunOptions& opt);

// The engine options a run of `sc` uses (bounds, stop_on, liveness, cache).
checker::Options search_options(const model::Scenario& sc, const RunOptions& opt);
// DPOR's search of `sc` split into units, and how each unit is explored.
std::vector<checker::Unit> search_units(const model::Scenario& sc, const RunOptions& opt);
std::vector<checker::UnitResult> explore_scenario_units(const model::Scenario& sc, const RunOptions& opt,
                                                        const checker::Options& o, checker::Shard shard);
// The search as run, as reports and the baseline name it: "dpor+cache",
// "dpor+cache, 8 units" (its counts are of that search only).
std::string search_label(const ScenarioResult& r);
// Fills a result's verdict and status from its search result.
void conclude(ScenarioResult& out);

using LoadedScenario = std::pair<std::string, model::Scenario>;
// Loads every file; an error ("FILE: /pointer: what") is appended per bad file,
// and one per scenario name used twice.
std::vector<LoadedScenario> load_scenarios(const std::vector<std::string>& files, std::vector<std::string>& errors);
// Checks every scenario, opt.jobs at a time, with its counterexample traces;
// `done` sees each result in input order.
std::vector<ScenarioResult> check_all(const std::vector<LoadedScenario>& scenarios, const RunOptions& opt,
                                      const std::function<void(ScenarioResult&)>& done);
// A trace per violated invariant, each with the fewest context switches found.
std::vector<Trace> counterexamples(const ScenarioResult& r);
// Writes r.traces into trace_dir (recording r.trace_files); tells the story to `story`.
void write_traces(ScenarioResult& r, const std::string& trace_dir, std::ostream* story);

int run_command(const std::vector<std::string>& inputs, const RunOptions& opt, std::ostream& out, std::ostream& err);

// A bad input: file, JSON pointer (or line:column) and what was expected.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr std::uint64_t kDefaultRandomExecutions = 1000;

// Exit statuses a CI acts on.
inline constexpr int kExitOk = 0;
inline constexpr int kExitDiffers = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInconclusive = 3;
inline constexpr int kExitInternal = 4;

// Writes `text` to `path` through a temporary file and a rename.
void write_atomically(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);
// Parses a JSON file; a syntax error is an InputError with line and column.
nlohmann::json read_json_file(const std::string& path);
// "FILE: /pointer: what was expected".
InputError located_error(const std::string& path, const model::ScenarioError& e);

}  // namespace gmemcheck::tools
