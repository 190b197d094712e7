// Result lines, the summary and the JSON report of `gmemcheck run`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gmemcheck/tools/run.hpp"

namespace gmemcheck::tools {

std::string result_line(const ScenarioResult& r);
std::string summary_line(const std::vector<ScenarioResult>& results);
nlohmann::json result_json(const ScenarioResult& r);
nlohmann::json results_json(const std::vector<ScenarioResult>& results);
// A Markdown table: scenario, variant, mutations, expected, found, counts.
// No timings, so the table only changes when the model or corpus does.
std::string results_markdown(const std::vector<ScenarioResult>& results);
int exit_status(const std::vector<ScenarioResult>& results);
std::string status_name(Status s);

}  // namespace gmemcheck::tools
