#include "gmemcheck/tools/trace.hpp"

#include <algorithm>
#include <sstream>

#include "gmemcheck/model/machine.hpp"

namespace gmemcheck::tools {

using nlohmann::json;
using model::ScenarioError;

namespace {

json bounds_json(const model::Scenario& sc, const checker::Bounds& b) {
  json j = json::object();
  j["fault_retries"] = sc.fault_retries;
  if (b.steps) j["steps"] = b.steps;
  if (b.executions) j["executions"] = b.executions;
  if (b.preemptions_set) j["preemptions"] = b.preemptions;
  if (b.seconds > 0) j["seconds"] = b.seconds;
  return j;
}

[[noreturn]] void fail(const std::string& ptr, const std::string& what) { throw ScenarioError(ptr, what); }

const json& need(const json& j, const std::string& key, const std::string& ptr) {
  if (!j.is_object() || !j.contains(key)) fail(ptr + "/" + key, "missing required field \"" + key + "\"");
  return j.at(key);
}

int thread_index(const model::Scenario& sc, const json& v, const std::string& ptr) {
  if (!v.is_string()) fail(ptr, "expected a thread name");
  std::string n = v.get<std::string>();
  for (std::size_t t = 0; t < sc.threads.size(); ++t)
    if (sc.threads[t].name == n) return static_cast<int>(t);
  fail(ptr, "unknown thread \"" + n + "\"; the scenario's threads are named in /scenario/threads");
}

// Each fixing variant must be one the trace's mutations apply to.
std::vector<std::string> fixed_by_list(const json& v, const model::Mutations& mutations) {
  if (!v.is_array()) fail("/fixed_by", "expected an array of variant names");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string ptr = "/fixed_by/" + std::to_string(i);
    const model::Variant* variant = v[i].is_string() ? model::find_variant(v[i].get<std::string>()) : nullptr;
    if (!variant) fail(ptr, "expected a variant name (gmemcheck list variants)");
    std::string misfit = mutations.misfit(*variant);
    if (!misfit.empty()) fail(ptr, misfit);
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

model::Scenario embedded_scenario(const json& j) {
  const json& embedded = need(j, "scenario", "");
  try {
    return model::parse_scenario(embedded);
  } catch (const ScenarioError& e) {
    throw ScenarioError("/scenario" + e.pointer(), e.what());
  }
}

}  // namespace

StepRecorder::StepRecorder(model::Machine& m, std::vector<TraceStep>& steps) : m_(m), steps_(steps) {}

void StepRecorder::before_step(checker::ThreadId t, const std::vector<checker::ThreadId>& enabled) {
  steps_.push_back({t, m_.step_label(t), "", enabled});
  m_.mark();
}

void StepRecorder::after_step(checker::ThreadId, const std::vector<checker::Finding>&) {
  steps_.back().changes = m_.changes_since_mark();
}

void run_prelude(model::Machine& m, const checker::Schedule& prelude) {
  if (prelude.empty()) return;
  checker::ReplayStrategy replay(prelude);
  checker::run_once(m, replay, nullptr, false);
}

Trace record_trace(const model::Scenario& sc, const checker::Schedule& schedule, const checker::Finding& violation,
                   bool liveness, const checker::Bounds& bounds) {
  Trace t;
  t.scenario = sc;
  t.liveness = liveness;
  t.bounds = bounds;
  t.violation = violation;
  t.prelude = violation.prelude;
  model::Machine m(sc);
  run_prelude(m, t.prelude);
  StepRecorder rec(m, t.steps);
  checker::ReplayStrategy replay(schedule);
  checker::SingleRun run = checker::run_once(m, replay, &rec, liveness || violation.liveness);
  for (const checker::Finding& f : run.findings)
    if (f.invariant != violation.invariant) t.also.push_back(f);
  return t;
}

std::string trace_file_name(const std::string& scenario, const std::string& invariant) {
  return scenario + "." + invariant + ".json";
}

json trace_to_json(const Trace& t, const std::string& replay_command) {
  const model::Scenario& sc = t.scenario;
  json j;
  j["format_version"] = 1;
  j["kind"] = "gmemcheck-trace";
  j["scenario"] = sc.source;
  j["variant"] = std::string(sc.variant->name);
  j["mutations"] = sc.mutations.names();
  j["strategy"] = t.strategy;
  j["liveness"] = t.liveness;
  j["bounds"] = bounds_json(sc, t.bounds);
  json threads = json::array();
  for (const model::ThreadSpec& th : sc.threads) threads.push_back(th.name + " " + th.describe());
  j["threads"] = threads;
  json schedule = json::array(), steps = json::array();
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    const TraceStep& s = t.steps[i];
    schedule.push_back(sc.threads[s.thread].name);
    json runnable = json::array();
    for (int r : s.runnable) runnable.push_back(sc.threads[r].name);
    steps.push_back({{"step", i + 1}, {"thread", sc.threads[s.thread].name}, {"name", s.name},
                     {"changes", s.changes}, {"runnable", runnable}});
  }
  j["schedule"] = schedule;
  j["steps"] = steps;
  json also = json::array();
  for (const checker::Finding& f : t.also) also.push_back({{"invariant", f.invariant}, {"message", f.message}});
  j["violation"] = {{"invariant", t.violation.invariant},
                    {"message", t.violation.message},
                    {"step", t.steps.size()},
                    {"also", also}};
  j["replay"] = replay_command;
  if (!t.fixed_by.empty()) j["fixed_by"] = t.fixed_by;
  if (!t.prelude.empty()) {
    json prelude = json::array();
    for (int th : t.prelude) prelude.push_back(sc.threads[th].name);
    j["prelude"] = prelude;
  }
  return j;
}

Trace trace_from_json(const json& j) {
  if (!j.is_object()) fail("", "expected a JSON object (a gmemcheck trace)");
  const json& fv = need(j, "format_version", "");
  if (!fv.is_number_integer() || fv.get<long long>() != 1) fail("/format_version", "expected 1");
  Trace t;
  t.scenario = embedded_scenario(j);
  if (j.contains("liveness")) {
    if (!j.at("liveness").is_boolean()) fail("/liveness", "expected true or false");
    t.liveness = j.at("liveness").get<bool>();
  }
  const json& sched = need(j, "schedule", "");
  if (!sched.is_array() || sched.empty()) fail("/schedule", "expected a non-empty array of thread names");
  for (std::size_t i = 0; i < sched.size(); ++i)
    t.steps.push_back({thread_index(t.scenario, sched[i], "/schedule/" + std::to_string(i)), "", "", {}});
  const json& v = need(j, "violation", "");
  const json& inv = need(v, "invariant", "/violation");
  if (!inv.is_string() || !model::is_invariant(inv.get<std::string>()))
    fail("/violation/invariant", "expected an invariant id (gmemcheck list invariants)");
  t.violation.invariant = inv.get<std::string>();
  const json& step = need(v, "step", "/violation");
  if (!step.is_number_integer() || step.get<long long>() < 1 || step.get<long long>() > static_cast<long long>(sched.size()))
    fail("/violation/step", "expected a step number in 1.." + std::to_string(sched.size()) + " (the schedule's length)");
  if (static_cast<std::size_t>(step.get<long long>()) != sched.size())
    fail("/violation/step", "expected the last step of the schedule (" + std::to_string(sched.size()) + ")");
  if (v.contains("message") && v.at("message").is_string()) t.violation.message = v.at("message").get<std::string>();
  t.violation.liveness = t.violation.invariant == "retry_bound";
  t.bounds = t.scenario.bounds;
  if (j.contains("fixed_by")) t.fixed_by = fixed_by_list(j.at("fixed_by"), t.scenario.mutations);
  if (j.contains("strategy") && j.at("strategy").is_string()) t.strategy = j.at("strategy").get<std::string>();
  if (j.contains("prelude")) {
    const json& p = j.at("prelude");
    if (!p.is_array()) fail("/prelude", "expected an array of thread names");
    for (std::size_t i = 0; i < p.size(); ++i)
      t.prelude.push_back(thread_index(t.scenario, p[i], "/prelude/" + std::to_string(i)));
  }
  return t;
}

std::string render_columns(const Trace& t) {
  constexpr std::size_t kWidth = 44;
  const model::Scenario& sc = t.scenario;
  std::ostringstream out;
  std::string header;
  for (std::size_t i = 0; i < sc.threads.size(); ++i) {
    std::string h = sc.threads[i].name + " " + sc.threads[i].describe();
    if (i + 1 < sc.threads.size()) h.resize(std::max(kWidth, h.size() + 1), ' ');
    header += h;
  }
  out << header << "\n";
  if (!t.prelude.empty()) {
    std::string who;
    for (int th : t.prelude) who += " " + sc.threads[th].name;
    out << "(after an earlier execution, which lockdep remembers and replay runs first:" << who << ")\n";
  }
  for (const TraceStep& s : t.steps) {
    std::string pad(kWidth * s.thread, ' ');
    out << pad << s.name << "\n";
    if (!s.changes.empty()) out << pad << "  (" << s.changes << ")\n";
  }
  if (!t.violation.invariant.empty()) out << "  VIOLATION " << t.violation.invariant << ": " << t.violation.message << "\n";
  for (const checker::Finding& f : t.also) out << "  also " << f.invariant << ": " << f.message << "\n";
  return out.str();
}

}  // namespace gmemcheck::tools
