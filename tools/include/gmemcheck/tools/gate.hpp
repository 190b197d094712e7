// `gmemcheck gate`: the CI gate on protocol changes. Every scenario must meet
// its expect and keep exploring as much as its baseline says; every checked-in
// trace must still reproduce on its variant and not on the variants that fix it.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "gmemcheck/tools/run.hpp"

namespace gmemcheck::tools {

struct GateOptions {
  std::vector<std::string> inputs;  // empty: scenarios/, scenarios/reference/, traces/
  std::string trace_dir = "traces/out";
  std::string junit_out;
  std::string json_out;
  std::string annotations;  // "" or "github"
  std::string baseline = ".gmemcheck-baseline.json";
  bool update_baseline = false;
  double tolerance = 10;  // percent of a baseline's states a scenario may lose
  int jobs = 1;
  bool progress = false;
};

enum class Outcome { ok, failed, inconclusive };

// One line of the gate: a scenario or a trace.
struct GateItem {
  std::string kind;  // "scenario" or "trace"
  std::string name;
  std::string file;
  Outcome outcome = Outcome::ok;
  std::string summary;             // what happened, one line
  std::vector<std::string> notes;  // growth and other things worth a look
  std::string trace;               // the counterexample written for a failure
  double seconds = 0;
};

int gate_command(const GateOptions& opt, std::ostream& out, std::ostream& err);

// `gmemcheck trace add`: copies a trace into traces/ (optionally with the
// variants that fix it), so the gate replays it from then on.
int trace_add_command(const std::string& trace, const std::vector<std::string>& fixed_by, const std::string& dir,
                      std::ostream& out, std::ostream& err);

// Rendering of gate results (tested on their own).
std::string junit_xml(const std::vector<GateItem>& items);
std::string github_annotation(const GateItem& item);

}  // namespace gmemcheck::tools
