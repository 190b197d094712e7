// The engine: runs a Program's threads on fibers, asks a Strategy for every
// choice, checks invariants after every step and counts what it explored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gmemcheck/checker/program.hpp"
#include "gmemcheck/checker/strategy.hpp"

namespace gmemcheck::checker {

// Exploration bounds. Zero means unbounded. A bound that stops the search
// before it covered everything makes the result inconclusive.
struct Bounds {
  std::uint64_t steps = 0;        // per execution
  std::uint64_t preemptions = 0;  // switches away from a still-enabled thread
  std::uint64_t executions = 0;
  double seconds = 0;
  bool preemptions_set = false;   // 0 preemptions is a meaningful bound
  // Context switches of any kind per execution (used to find the most readable
  // counterexample: the one with the fewest switches between threads).
  std::uint64_t switches = 0;
  bool switches_set = false;
};

struct Progress {
  std::uint64_t executions = 0;
  std::uint64_t steps = 0;
  std::uint64_t states = 0;
  std::size_t max_depth = 0;
  double seconds = 0;
};

struct Options {
  Bounds bounds;
  // Stateful search: a step that reaches a full-state hash already explored
  // ends its execution there, since everything after it was or will be explored
  // from the first visit. Sound for safety (every reachable state and step is
  // still checked); counts then measure the pruned search.
  bool cache = false;
  // Memory for the table of explored states (0: unlimited). A full table
  // stops taking new states; the search goes on, uncached beyond them.
  std::uint64_t cache_bytes = 0;
  // Stop the whole search once this invariant is found (empty: never stop early).
  std::string stop_on;
  // Liveness findings count as violations (and stop their execution).
  bool liveness_is_violation = false;
  // Called about every quarter second of exploration; never affects the result.
  std::function<void(const Progress&)> progress;
  // An execution goes back to the program's checkpoint after the steps it
  // repeats instead of running them again, when the program keeps
  // checkpoints (and no bound on switches counts them). Counts and findings
  // are the same either way; off only to measure what a step costs.
  bool checkpoints = true;
  // When the search this run is part of began (the units of a split search
  // share one): bounds.seconds counts from it. Unset: from this run's start.
  std::optional<std::chrono::steady_clock::time_point> began;
};

// The first execution that broke an invariant.
struct Counterexample {
  Finding finding;
  Schedule schedule;  // the thread of every step, the violating step last
};

struct Result {
  std::uint64_t executions = 0;
  std::uint64_t steps = 0;
  std::uint64_t states = 0;  // distinct full-state hashes, initial state included
  std::size_t max_depth = 0;
  std::uint64_t cache_hits = 0;  // executions ended at an already explored state
  // Executions a partial-order reduction stopped early because they could only
  // repeat an explored class of schedules (included in executions).
  std::uint64_t redundant_executions = 0;
  bool state_table_full = false; // states counts only those the table could hold
  std::uint64_t state_table_bytes = 0;
  double seconds = 0;
  // Keyed by invariant id (ordered: deterministic output).
  std::map<std::string, Counterexample> violations;
  // Liveness findings counted apart from safety: executions and one example.
  std::map<std::string, std::uint64_t> liveness_executions;
  std::map<std::string, Counterexample> liveness_examples;
  bool complete = false;        // the strategy covered everything it set out to
  std::string cut_reason;       // why not, when a bound stopped it
  std::string cut_bound;        // which bound: steps, preemptions, executions, seconds
  bool stopped_early = false;   // stopped on purpose once stop_on was found
};

// Observes one execution step by step (traces, the column view).
class Observer {
 public:
  virtual void before_step(ThreadId t, const std::vector<ThreadId>& enabled) = 0;
  virtual void after_step(ThreadId t, const std::vector<Finding>& findings) = 0;

 protected:
  ~Observer() = default;
};

// Why a single observed execution ended.
enum class EndReason { finished, violation, deadlock_found, strategy_stopped, step_bound };

Result explore(Program& program, Strategy& strategy, const Options& options);
// Makes a fresh program (each unit of a split search runs on its own).
using ProgramFactory = std::function<std::unique_ptr<Program>()>;

// The reason given when the seconds bound (`seconds`, as the user set it) cut
// a search.
std::string seconds_cut_reason(double seconds);

// Runs exactly one execution (normally under a ReplayStrategy) with an observer.
// Returns the findings of the last step and why the execution ended.
struct SingleRun {
  EndReason end = EndReason::finished;
  std::vector<Finding> findings;
  std::size_t steps = 0;
  std::vector<ThreadId> enabled_at_end;  // what could run when it stopped
  std::vector<bool> finished;            // per thread, at the end
};
SingleRun run_once(Program& program, Strategy& strategy, Observer* observer,
                   bool liveness_is_violation);

// The deadlock finding the engine itself raises.
inline constexpr const char* kDeadlock = "deadlock";

}  // namespace gmemcheck::checker
