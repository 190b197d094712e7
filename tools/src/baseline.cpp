#include "baseline.hpp"

#include <nlohmann/json.hpp>

namespace gmemcheck::tools {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& ptr, const std::string& what) {
  throw InputError(path + ": " + ptr + ": " + what);
}

std::uint64_t count(const std::string& path, const json& e, const std::string& ptr, const char* key) {
  if (!e.contains(key) || !e.at(key).is_number_unsigned())
    bad(path, ptr + "/" + key, "expected a non-negative integer");
  return e.at(key).get<std::uint64_t>();
}

// RFC 6901: '~' and '/' in a key are written ~0 and ~1.
std::string pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

BaselineEntry entry(const std::string& path, const json& e, const std::string& ptr) {
  if (!e.is_object()) bad(path, ptr, "expected an object with verdict, invariants, executions, states");
  BaselineEntry b;
  if (!e.contains("verdict") || !e.at("verdict").is_string()) bad(path, ptr + "/verdict", "expected a string");
  b.verdict = e.at("verdict").get<std::string>();
  if (!e.contains("invariants") || !e.at("invariants").is_array())
    bad(path, ptr + "/invariants", "expected an array of invariant ids");
  for (const json& i : e.at("invariants")) {
    if (!i.is_string()) bad(path, ptr + "/invariants", "expected an array of invariant ids");
    b.invariants.push_back(i.get<std::string>());
  }
  b.executions = count(path, e, ptr, "executions");
  b.states = count(path, e, ptr, "states");
  if (e.contains("strategy")) {
    if (!e.at("strategy").is_string()) bad(path, ptr + "/strategy", "expected a string such as \"dpor+cache\"");
    b.strategy = e.at("strategy").get<std::string>();
  }
  return b;
}

}  // namespace

Baseline read_baseline(const std::string& path) {
  json j = read_json_file(path);
  if (!j.is_object() || !j.contains("format_version") || j.at("format_version") != 1)
    bad(path, "/format_version", "expected 1");
  if (!j.contains("scenarios") || !j.at("scenarios").is_object())
    bad(path, "/scenarios", "expected an object keyed by scenario name");
  Baseline b;
  for (auto it = j.at("scenarios").begin(); it != j.at("scenarios").end(); ++it)
    b[it.key()] = entry(path, it.value(), "/scenarios/" + pointer_token(it.key()));
  return b;
}

std::string baseline_text(const Baseline& old, const std::vector<ScenarioResult>& results) {
  Baseline next = old;
  for (const ScenarioResult& r : results) {
    if (r.status == Status::inconclusive) continue;
    BaselineEntry& e = next[r.scenario.name];
    e.verdict = r.verdict;
    e.invariants.clear();
    for (const auto& [id, cx] : r.result.violations) e.invariants.push_back(id);
    e.executions = r.result.executions;
    e.states = r.result.states;
    e.strategy = search_label(r);
  }
  json scenarios = json::object();
  for (const auto& [name, e] : next)
    scenarios[name] = {{"verdict", e.verdict}, {"invariants", e.invariants}, {"executions", e.executions},
                       {"states", e.states},     {"strategy", e.strategy}};
  // nlohmann's objects keep their keys sorted: the file diffs well in review.
  return json{{"format_version", 1}, {"scenarios", scenarios}}.dump(2) + "\n";
}

}  // namespace gmemcheck::tools
