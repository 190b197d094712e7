#include "gmemcheck/tools/report.hpp"

#include <cstdio>

namespace gmemcheck::tools {

using nlohmann::json;

namespace {

std::string expectation(const model::Scenario& sc) {
  return sc.expect.violation ? "violation " + sc.expect.invariant : "pass";
}

std::string invariants_found(const checker::Result& r) {
  std::string s;
  for (const auto& [inv, cx] : r.violations) s += (s.empty() ? "" : ",") + inv;
  return s;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  return buf;
}

json bounds_json(const ScenarioResult& r) {
  const checker::Bounds& b = r.bounds;
  json j = json::object();
  j["fault_retries"] = r.scenario.fault_retries;
  j["steps"] = b.steps ? json(b.steps) : json(nullptr);
  j["executions"] = b.executions ? json(b.executions) : json(nullptr);
  j["preemptions"] = b.preemptions_set ? json(b.preemptions) : json(nullptr);
  j["seconds"] = b.seconds > 0 ? json(b.seconds) : json(nullptr);
  return j;
}

}  // namespace

std::string status_name(Status s) {
  switch (s) {
    case Status::expected: return "expected";
    case Status::unexpected: return "NOT AS EXPECTED";
    case Status::inconclusive: return "inconclusive";
  }
  return "?";
}

std::string result_line(const ScenarioResult& r) {
  const checker::Result& x = r.result;
  std::string line = r.scenario.name + "  " + std::string(r.scenario.variant->name);
  for (const std::string& m : r.scenario.mutations.names()) line += "+" + m;
  line += "  " + r.verdict;
  if (!x.violations.empty()) line += " " + invariants_found(x);
  line += "  [" + status_name(r.status) + "; expected " + expectation(r.scenario) + "]";
  if (search_label(r) != "dpor+cache") line += "  [" + search_label(r) + "]";
  line += "  executions " + std::to_string(x.executions) + ", steps " + std::to_string(x.steps) + ", states " +
          std::to_string(x.states) + ", depth " + std::to_string(x.max_depth) + ", " + seconds(x.seconds) + " s";
  for (const auto& [inv, n] : x.liveness_executions)
    line += "\n    " + inv + ": a fault gave up in " + std::to_string(n) + " execution(s) (not a violation; --liveness makes it one)";
  if (x.state_table_full)
    line += "\n    the explored-state table filled: the search went on uncached beyond it, which costs "
            "executions, not findings (--cache-mb raises it)";
  if (r.status == Status::inconclusive)
    line += "\n    inconclusive: " + (x.cut_reason.empty() ? std::string("the search was cut short") : x.cut_reason) +
            (r.strategy.rfind("dfs", 0) == 0 || r.strategy.rfind("dpor", 0) == 0 ? "; raise or remove that bound to finish the search" : "");
  return line;
}

std::string summary_line(const std::vector<ScenarioResult>& results) {
  int expected = 0, unexpected = 0, inconclusive = 0;
  for (const ScenarioResult& r : results) {
    expected += r.status == Status::expected;
    unexpected += r.status == Status::unexpected;
    inconclusive += r.status == Status::inconclusive;
  }
  return "summary: " + std::to_string(results.size()) + " scenario(s): " + std::to_string(expected) + " as expected, " +
         std::to_string(unexpected) + " not as expected, " + std::to_string(inconclusive) + " inconclusive";
}

json result_json(const ScenarioResult& r) {
  const checker::Result& x = r.result;
  json violations = json::array();
  std::size_t i = 0;
  for (const auto& [inv, cx] : x.violations) {
    json v = {{"invariant", inv}, {"message", cx.finding.message}, {"steps", cx.schedule.size()}};
    v["trace"] = i < r.trace_files.size() ? json(r.trace_files[i]) : json(nullptr);
    violations.push_back(v);
    ++i;
  }
  json liveness = json::object();
  for (const auto& [inv, n] : x.liveness_executions) liveness[inv] = n;
  json j = {{"scenario", r.scenario.name},
            {"file", r.file},
            {"variant", std::string(r.scenario.variant->name)},
            {"mutations", r.scenario.mutations.names()},
            {"strategy", r.strategy},
            {"units", r.units},
            {"expect", r.scenario.expect.violation
                           ? json{{"verdict", "violation"}, {"invariant", r.scenario.expect.invariant}}
                           : json{{"verdict", "pass"}}},
            {"verdict", r.verdict},
            {"status", r.status == Status::unexpected ? "unexpected" : status_name(r.status)},
            {"invariants", json::array()},
            {"violations", violations},
            {"liveness_executions", liveness},
            {"executions", x.executions},
            {"steps", x.steps},
            {"states", x.states},
            {"max_depth", x.max_depth},
            {"seconds", x.seconds},
            {"complete", x.complete},
            {"cache_hits", x.cache_hits},
            {"redundant_executions", x.redundant_executions},
            {"state_table_full", x.state_table_full},
            {"stopped_at_expected", x.stopped_early},
            {"bounds", bounds_json(r)},
            {"inconclusive_reason", r.status == Status::inconclusive ? json(x.cut_reason) : json(nullptr)}};
  for (const auto& [inv, cx] : x.violations) j["invariants"].push_back(inv);
  return j;
}

json results_json(const std::vector<ScenarioResult>& results) {
  json arr = json::array();
  int counts[3] = {0, 0, 0};
  for (const ScenarioResult& r : results) {
    arr.push_back(result_json(r));
    ++counts[static_cast<int>(r.status)];
  }
  return {{"format_version", 1},
          {"results", arr},
          {"summary", {{"expected", counts[0]}, {"unexpected", counts[1]}, {"inconclusive", counts[2]}}},
          {"exit_status", exit_status(results)}};
}

std::string results_markdown(const std::vector<ScenarioResult>& results) {
  std::string md =
      "| scenario | variant | mutations | threads | expected | found | executions | states |\n"
      "|---|---|---|---|---|---|---:|---:|\n";
  for (const ScenarioResult& r : results) {
    std::string muts;
    for (const std::string& m : r.scenario.mutations.names()) muts += (muts.empty() ? "" : ", ") + m;
    std::string found = r.verdict;
    if (!r.result.violations.empty()) found += " " + invariants_found(r.result);
    if (r.status != Status::expected) found += " (" + status_name(r.status) + ")";
    md += "| " + r.scenario.name + " | " + std::string(r.scenario.variant->name) + " | " + muts + " | " +
          std::to_string(r.scenario.threads.size()) + " | " + expectation(r.scenario) + " | " + found + " | " +
          std::to_string(r.result.executions) + " | " + std::to_string(r.result.states) + " |\n";
  }
  return md;
}

int exit_status(const std::vector<ScenarioResult>& results) {
  bool inconclusive = false;
  for (const ScenarioResult& r : results) {
    if (r.status == Status::unexpected) return kExitDiffers;
    inconclusive |= r.status == Status::inconclusive;
  }
  return inconclusive ? kExitInconclusive : kExitOk;
}

}  // namespace gmemcheck::tools
