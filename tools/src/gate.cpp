#include "gmemcheck/tools/gate.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "baseline.hpp"
#include "gmemcheck/tools/replay.hpp"
#include "gmemcheck/tools/report.hpp"

namespace gmemcheck::tools {

namespace fs = std::filesystem;

namespace {

struct Inputs {
  std::vector<LoadedScenario> scenarios;
  std::vector<std::pair<std::string, Trace>> traces;
};

std::vector<std::string> default_inputs() {
  std::vector<std::string> in;
  for (const char* d : {"scenarios", "scenarios/reference", "traces"})
    if (fs::is_directory(d)) in.push_back(d);
  return in;
}

// A JSON file is a trace when it says so; anything else is a scenario.
bool is_trace_file(const std::string& path) {
  try {
    nlohmann::json j = nlohmann::json::parse(read_file(path));
    return j.is_object() && j.value("kind", "") == "gmemcheck-trace";
  } catch (const nlohmann::json::exception&) {
    return false;  // reported as a malformed scenario
  }
}

Inputs load_inputs(const std::vector<std::string>& files, std::vector<std::string>& errors) {
  Inputs in;
  std::vector<std::string> scenario_files;
  for (const std::string& f : files) {
    if (!is_trace_file(f)) {
      scenario_files.push_back(f);
      continue;
    }
    try {
      in.traces.emplace_back(f, load_trace(f));
    } catch (const InputError& e) {
      errors.push_back(e.what());
    }
  }
  in.scenarios = load_scenarios(scenario_files, errors);
  return in;
}

std::string counts(const checker::Result& r) {
  return std::to_string(r.executions) + " executions, " + std::to_string(r.states) + " states";
}

// The state count must not fall more than `tolerance` percent below the baseline.
void compare_with_baseline(GateItem& item, const ScenarioResult& r, const Baseline& base, double tolerance) {
  auto it = base.find(r.scenario.name);
  if (it == base.end()) {
    item.notes.push_back("not in the baseline (gmemcheck gate --update-baseline adds it)");
    return;
  }
  if (!it->second.strategy.empty() && it->second.strategy != search_label(r)) {
    // Another search explores other states: its counts say nothing here.
    item.notes.push_back("the baseline counts come from " + it->second.strategy + ", this run used " + search_label(r) +
                         ": counts not compared (gmemcheck gate --update-baseline renews them)");
    return;
  }
  double floor = static_cast<double>(it->second.states) * (1.0 - tolerance / 100.0);
  if (static_cast<double>(r.result.states) < floor) {
    item.outcome = Outcome::failed;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%g", tolerance);
    item.summary += "; explored states dropped from " + std::to_string(it->second.states) + " to " +
                    std::to_string(r.result.states) + ", more than " + pct +
                    "% below the baseline: the model no longer explores part of the protocol";
  }
  std::string found = r.verdict;
  for (const auto& [inv, cx] : r.result.violations) found += " " + inv;
  std::string was = it->second.verdict;
  for (const std::string& inv : it->second.invariants) was += " " + inv;
  if (found != was) item.notes.push_back("the baseline says " + was + "; this run found " + found);
  if (r.result.states > it->second.states) {
    item.notes.push_back("explored states grew from " + std::to_string(it->second.states) + " to " +
                         std::to_string(r.result.states));
  }
}

GateItem scenario_item(const ScenarioResult& r, const Baseline* base, double tolerance) {
  GateItem item{"scenario", r.scenario.name, r.file, Outcome::ok, "", {}, "", r.result.seconds};
  std::string found = r.verdict;
  for (const auto& [inv, cx] : r.result.violations) found += " " + inv;
  std::string expected = r.scenario.expect.violation ? "violation " + r.scenario.expect.invariant : "pass";
  item.summary = found + " (expected " + expected + "; " + counts(r.result) + ")";
  if (r.status == Status::unexpected) item.outcome = Outcome::failed;
  if (r.status == Status::inconclusive) {
    item.outcome = Outcome::inconclusive;
    item.summary += "; inconclusive: " + r.result.cut_reason;
  }
  // A counterexample is what a missed expectation needs; an expected violation's is not news.
  if (r.status == Status::unexpected && !r.trace_files.empty()) item.trace = r.trace_files.front();
  if (base && r.status != Status::inconclusive) compare_with_baseline(item, r, *base, tolerance);
  return item;
}

// The trace must reproduce on its own variant and not on any that fixes it.
GateItem trace_item(const std::string& file, const Trace& rec) {
  auto start = std::chrono::steady_clock::now();
  GateItem item{"trace", fs::path(file).filename().string(), file, Outcome::ok, "", {}, file, 0};
  ReplayOutcome own = replay_trace(rec, rec.scenario);
  std::string variant(rec.scenario.variant->name);
  if (own.reproduced) {
    item.summary = "reproduces " + own.reason + " on " + variant;
  } else {
    item.outcome = Outcome::failed;
    item.summary = "no longer reproduces on " + variant + ": " + own.reason;
  }
  for (const std::string& fix : rec.fixed_by) {
    model::Scenario sc = rec.scenario;
    sc.variant = model::find_variant(fix);
    ReplayOutcome o = replay_trace(rec, sc);
    if (o.reproduced) {
      item.outcome = Outcome::failed;
      item.summary += "; still reproduces on " + fix + ", listed in fixed_by";
    } else {
      item.summary += "; fixed by " + fix;
    }
  }
  item.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return item;
}

const char* outcome_word(Outcome o) {
  switch (o) {
    case Outcome::ok: return "ok  ";
    case Outcome::failed: return "FAIL";
    case Outcome::inconclusive: return "INCONCLUSIVE";
  }
  return "?";
}

void print_item(const GateItem& i, std::ostream& out) {
  out << outcome_word(i.outcome) << " " << i.kind << " " << i.name << ": " << i.summary << "\n";
  for (const std::string& n : i.notes) out << "     note: " << n << "\n";
  if (i.outcome == Outcome::failed && i.kind == "scenario" && !i.trace.empty())
    out << "     counterexample: " << i.trace << " (gmemcheck replay " << i.trace << ")\n";
}

nlohmann::json items_json(const std::vector<GateItem>& items, int status) {
  nlohmann::json arr = nlohmann::json::array();
  for (const GateItem& i : items)
    arr.push_back({{"kind", i.kind},
                   {"name", i.name},
                   {"file", i.file},
                   {"outcome", i.outcome == Outcome::ok ? "ok" : i.outcome == Outcome::failed ? "failed" : "inconclusive"},
                   {"summary", i.summary},
                   {"notes", i.notes},
                   {"trace", i.trace.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.trace)}});
  return {{"format_version", 1}, {"items", arr}, {"exit_status", status}};
}

int gate_status(const std::vector<GateItem>& items) {
  bool inconclusive = false;
  for (const GateItem& i : items) {
    if (i.outcome == Outcome::failed) return kExitDiffers;
    inconclusive |= i.outcome == Outcome::inconclusive;
  }
  return inconclusive ? kExitInconclusive : kExitOk;
}

bool load_everything(const GateOptions& opt, Inputs& in, Baseline& base, bool& have_base, std::ostream& err) {
  std::vector<std::string> errors;
  try {
    in = load_inputs(expand_inputs(opt.inputs.empty() ? default_inputs() : opt.inputs), errors);
    have_base = !opt.update_baseline && fs::exists(opt.baseline);
    if (have_base) base = read_baseline(opt.baseline);
  } catch (const InputError& e) {
    errors.push_back(e.what());
  }
  if (opt.annotations != "" && opt.annotations != "github")
    errors.push_back("--annotations: unknown format \"" + opt.annotations + "\"; expected github");
  for (const std::string& e : errors) err << e << "\n";
  if (!errors.empty()) err << "gmemcheck gate: bad input; nothing was run\n";
  return errors.empty();
}

void write_reports(const GateOptions& opt, const std::vector<GateItem>& items, int status, std::ostream& out) {
  if (opt.annotations == "github")
    for (const GateItem& i : items)
      if (i.outcome != Outcome::ok) out << github_annotation(i) << "\n";
  if (!opt.junit_out.empty()) write_atomically(opt.junit_out, junit_xml(items));
  if (!opt.json_out.empty()) write_atomically(opt.json_out, items_json(items, status).dump(2) + "\n");
}

}  // namespace

int gate_command(const GateOptions& opt, std::ostream& out, std::ostream& err) {
  Inputs in;
  Baseline base;
  bool have_base = false;
  if (!load_everything(opt, in, base, have_base, err)) return kExitBadInput;
  RunOptions ro;
  ro.trace_dir = opt.trace_dir;
  ro.jobs = opt.jobs;
  ro.progress = opt.progress;
  std::vector<GateItem> items;
  std::vector<ScenarioResult> results = check_all(in.scenarios, ro, [&](ScenarioResult& r) {
    write_traces(r, opt.trace_dir, nullptr);
    items.push_back(scenario_item(r, have_base ? &base : nullptr, opt.tolerance));
    print_item(items.back(), out);
    out.flush();
  });
  for (const auto& [file, trace] : in.traces) {
    items.push_back(trace_item(file, trace));
    print_item(items.back(), out);
  }
  int status = gate_status(items);
  std::size_t failed = 0, inconclusive = 0;
  for (const GateItem& i : items) {
    failed += i.outcome == Outcome::failed;
    inconclusive += i.outcome == Outcome::inconclusive;
  }
  out << "gate: " << items.size() << " item(s): " << items.size() - failed - inconclusive << " ok, " << failed
      << " failed, " << inconclusive << " inconclusive\n";
  write_reports(opt, items, status, out);
  if (opt.update_baseline) {
    Baseline old;
    try {
      if (fs::exists(opt.baseline)) old = read_baseline(opt.baseline);
    } catch (const InputError&) {
      // a broken baseline is replaced by this run's
    }
    write_atomically(opt.baseline, baseline_text(old, results));
    out << "baseline written: " << opt.baseline << " (" << results.size() << " scenario(s) of this run)\n";
  }
  return status;
}

}  // namespace gmemcheck::tools
