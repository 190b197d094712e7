// Counterexample traces: the schedule that reached a violation plus what a
// person needs to read it, as a versioned JSON artifact that stands alone (the
// scenario is embedded). No timestamps or host data: same input, same bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gmemcheck/checker/explorer.hpp"
#include "gmemcheck/model/machine.hpp"
#include "gmemcheck/model/scenario.hpp"

namespace gmemcheck::tools {

struct TraceStep {
  int thread = 0;
  std::string name;     // the step, named after the kernel operation
  std::string changes;  // what it changed in the state
  std::vector<int> runnable;
};

struct Trace {
  model::Scenario scenario;  // variant and mutations as run
  std::string strategy = "dfs";
  bool liveness = false;
  checker::Bounds bounds;
  std::vector<TraceStep> steps;
  checker::Finding violation;
  std::vector<checker::Finding> also;  // other invariants broken at the same step
  // Variants on which the schedule must no longer reproduce (the fixes).
  std::vector<std::string> fixed_by;
  // An earlier execution the violation depends on (lockdep), run first.
  checker::Schedule prelude;
};

// Runs the prelude execution on `m`, if any (lockdep remembers its locks).
void run_prelude(model::Machine& m, const checker::Schedule& prelude);

// Records each step's name, what it changed and who could run.
class StepRecorder final : public checker::Observer {
 public:
  StepRecorder(model::Machine& m, std::vector<TraceStep>& steps);
  void before_step(checker::ThreadId t, const std::vector<checker::ThreadId>& enabled) override;
  void after_step(checker::ThreadId t, const std::vector<checker::Finding>& findings) override;

 private:
  model::Machine& m_;
  std::vector<TraceStep>& steps_;
};

// Re-executes `schedule` step by step, recording names and changes.
Trace record_trace(const model::Scenario& sc, const checker::Schedule& schedule, const checker::Finding& violation,
                   bool liveness, const checker::Bounds& bounds);

nlohmann::json trace_to_json(const Trace& t, const std::string& replay_command);

// Reads a trace file's JSON; errors are ScenarioError with a JSON pointer.
Trace trace_from_json(const nlohmann::json& j);

// The column-per-thread story of protocol-model.md section 6.
std::string render_columns(const Trace& t);

std::string trace_file_name(const std::string& scenario, const std::string& invariant);

}  // namespace gmemcheck::tools
