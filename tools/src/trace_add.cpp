// `gmemcheck trace add`: keep a counterexample under traces/ for the gate.
#include <algorithm>
#include <filesystem>
#include <ostream>

#include "gmemcheck/tools/gate.hpp"
#include "gmemcheck/tools/replay.hpp"

namespace gmemcheck::tools {

namespace {

// The kept trace must still say what it claims: it reproduces on its own
// variant and on none of the fixing ones.
bool claims_hold(const Trace& t, const ReplayOutcome& own, std::ostream& err) {
  if (!own.reproduced) {
    err << "the trace does not reproduce on " << t.scenario.variant->name << ": " << own.reason << "\n";
    return false;
  }
  for (const std::string& fix : t.fixed_by) {
    model::Scenario sc = t.scenario;
    sc.variant = model::find_variant(fix);
    if (replay_trace(t, sc).reproduced) {
      err << "the trace still reproduces on " << fix << ", so that variant does not fix it\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int trace_add_command(const std::string& trace, const std::vector<std::string>& fixed_by, const std::string& dir,
                      std::ostream& out, std::ostream& err) {
  Trace t;
  try {
    t = load_trace(trace);
    for (const std::string& v : fixed_by) {
      const model::Variant* variant = model::find_variant(v);
      if (!variant) throw InputError("--fixed-by: unknown variant \"" + v + "\" (gmemcheck list variants)");
      std::string misfit = t.scenario.mutations.misfit(*variant);
      if (!misfit.empty()) throw InputError("--fixed-by " + v + ": " + misfit);
    }
  } catch (const InputError& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  }
  for (const std::string& v : fixed_by)
    if (std::find(t.fixed_by.begin(), t.fixed_by.end(), v) == t.fixed_by.end()) t.fixed_by.push_back(v);
  ReplayOutcome own = replay_trace(t, t.scenario);
  if (!claims_hold(t, own, err)) return kExitDiffers;

  Trace kept = own.replayed;  // the steps with their names and changes, as they run now
  kept.violation = t.violation;
  kept.liveness = t.liveness;
  kept.bounds = t.bounds;
  kept.fixed_by = t.fixed_by;
  kept.strategy = t.strategy;
  kept.prelude = t.prelude;
  std::string dest = dir + "/" + std::filesystem::path(trace).filename().string();
  write_atomically(dest, trace_to_json(kept, "gmemcheck replay " + dest).dump(2) + "\n");
  out << "added " << dest << ": reproduces " << t.violation.invariant << " on " << t.scenario.variant->name;
  for (const std::string& v : t.fixed_by) out << "; fixed by " << v;
  out << "\n";
  return kExitOk;
}

}  // namespace gmemcheck::tools
