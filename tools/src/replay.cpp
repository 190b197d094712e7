#include "gmemcheck/tools/replay.hpp"

#include <algorithm>
#include <ostream>

#include "gmemcheck/model/machine.hpp"
#include "gmemcheck/tools/run.hpp"
#include "gmemcheck/tools/trace.hpp"

namespace gmemcheck::tools {

Trace load_trace(const std::string& path) {
  nlohmann::json j = read_json_file(path);
  try {
    return trace_from_json(j);
  } catch (const model::ScenarioError& e) {
    throw located_error(path, e);
  }
}

// --variant / --mutations: the same schedule against another protocol version.
void apply_overrides(model::Scenario& sc, const ReplayOptions& opt) {
  if (opt.variant) {
    sc.variant = model::find_variant(*opt.variant);
    if (!sc.variant) throw InputError("--variant: unknown variant \"" + *opt.variant + "\" (gmemcheck list variants)");
  }
  if (opt.mutations) {
    sc.mutations = model::Mutations{};
    for (const std::string& name : *opt.mutations) {
      if (name == "none") continue;
      const model::MutationInfo* m = model::find_mutation(name);
      if (!m) throw InputError("--mutations: unknown mutation \"" + name + "\" (gmemcheck list mutations)");
      sc.mutations.set(m->id);
    }
  }
  std::string misfit = sc.mutations.misfit(*sc.variant);
  if (!misfit.empty()) throw InputError(misfit);
}

namespace {

std::string names(const model::Scenario& sc, const std::vector<int>& threads) {
  std::string s;
  for (int t : threads) s += (s.empty() ? "" : ", ") + sc.threads[t].name;
  return "[" + s + "]";
}

// Why the replay did not end in the recorded violation.
std::string why_not(const Trace& rec, const Trace& got, const checker::SingleRun& run,
                    const checker::ReplayStrategy& replay) {
  const model::Scenario& sc = got.scenario;
  if (replay.diverged()) {
    std::size_t d = replay.divergence_depth();
    int t = replay.schedule()[d];
    bool finished = run.finished.size() > static_cast<std::size_t>(t) && run.finished[t];
    return "the schedule diverged at step " + std::to_string(d + 1) + ": it runs " + sc.threads[t].name + ", which is " +
           (finished ? "finished" : "blocked") + " here; runnable were " + names(sc, run.enabled_at_end) +
           " (a different protocol version, or a model that changed since the trace was written)";
  }
  if (run.end == checker::EndReason::violation || run.end == checker::EndReason::deadlock_found) {
    std::string found;
    for (const checker::Finding& f : run.findings) found += (found.empty() ? "" : ", ") + f.invariant;
    return "the execution violated " + found + " at step " + std::to_string(run.steps) + " instead of " +
           rec.violation.invariant + " at step " + std::to_string(rec.steps.size());
  }
  if (run.end == checker::EndReason::finished)
    return "the run passed: every thread finished after " + std::to_string(run.steps) + " steps with no violation";
  return "no violation: all " + std::to_string(run.steps) + " recorded steps ran and no invariant was violated";
}

}  // namespace

ReplayOutcome replay_trace(const Trace& rec, const model::Scenario& sc) {
  checker::Schedule schedule;
  for (const TraceStep& s : rec.steps) schedule.push_back(s.thread);
  ReplayOutcome o;
  Trace& got = o.replayed;
  got.scenario = sc;
  model::Machine machine(sc);
  run_prelude(machine, rec.prelude);
  got.prelude = rec.prelude;
  StepRecorder recorder(machine, got.steps);
  checker::ReplayStrategy replay(schedule);
  bool liveness = rec.liveness || rec.violation.invariant == "retry_bound";
  checker::SingleRun run = checker::run_once(machine, replay, &recorder, liveness);

  bool stopped = run.end == checker::EndReason::violation || run.end == checker::EndReason::deadlock_found;
  o.reproduced = stopped && run.steps == schedule.size() &&
                 std::any_of(run.findings.begin(), run.findings.end(),
                             [&](const checker::Finding& f) { return f.invariant == rec.violation.invariant; });
  for (const checker::Finding& f : run.findings) {
    if (got.violation.invariant.empty() && (f.invariant == rec.violation.invariant || !o.reproduced))
      got.violation = f;
    else
      got.also.push_back(f);
  }
  o.reason = o.reproduced ? rec.violation.invariant + " at step " + std::to_string(run.steps)
                          : why_not(rec, got, run, replay);
  return o;
}

namespace {

int replay_one(const std::string& path, const Trace& rec, const model::Scenario& sc, const ReplayOptions& opt,
               std::ostream& out) {
  ReplayOutcome o = replay_trace(rec, sc);
  out << "replay " << path << ": " << sc.name << " on " << sc.variant->name;
  for (const std::string& m : sc.mutations.names()) out << "+" << m;
  out << "\n";
  if (!opt.quiet) out << "\n" << render_columns(o.replayed) << "\n";
  out << (o.reproduced ? "reproduced: " : "not reproduced: ") << o.reason << "\n";
  return o.reproduced ? kExitOk : kExitDiffers;
}

}  // namespace

int replay_command(const std::vector<std::string>& traces, const ReplayOptions& opt, std::ostream& out,
                   std::ostream& err) {
  // Every trace is read and validated before any is replayed.
  std::vector<std::pair<Trace, model::Scenario>> loaded;
  try {
    for (const std::string& path : traces) {
      Trace rec = load_trace(path);
      model::Scenario sc = rec.scenario;
      try {
        apply_overrides(sc, opt);
      } catch (const InputError& e) {
        throw InputError(path + ": " + e.what());
      }
      loaded.emplace_back(std::move(rec), std::move(sc));
    }
  } catch (const InputError& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  }
  int status = kExitOk;
  for (std::size_t i = 0; i < traces.size(); ++i)
    if (replay_one(traces[i], loaded[i].first, loaded[i].second, opt, out) != kExitOk) status = kExitDiffers;
  return status;
}

}  // namespace gmemcheck::tools
