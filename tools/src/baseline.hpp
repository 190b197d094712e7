// The committed baseline of the gate: per scenario the verdict, invariants,
// executions and states of the default search, as stable sorted JSON.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gmemcheck/tools/run.hpp"

namespace gmemcheck::tools {

struct BaselineEntry {
  std::string verdict;
  std::vector<std::string> invariants;
  std::uint64_t executions = 0;
  std::uint64_t states = 0;
  std::string strategy;  // the search the counts come from (empty: not recorded)
};

using Baseline = std::map<std::string, BaselineEntry>;

// Throws InputError naming the file and JSON pointer.
Baseline read_baseline(const std::string& path);
// The baseline after this run: entries of the scenarios checked to the end
// replace theirs; the others (not run, or cut short) keep what they had.
std::string baseline_text(const Baseline& old, const std::vector<ScenarioResult>& results);

}  // namespace gmemcheck::tools
