// One search on many machines: `gmemcheck run --shard K/N` explores shard K
// of N and writes a result file per scenario; `gmemcheck merge` combines the
// N files of each scenario into the result one run would have given.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "gmemcheck/tools/run.hpp"

namespace gmemcheck::tools {

// Identifies a search: the scenario as written and every option that changes
// what is explored. Shards of one search carry the same hash.
std::string search_hash(const model::Scenario& sc, const RunOptions& opt);

// "2/4" -> shard 1 of 4 (the user counts from 1). Throws InputError.
void parse_shard(const std::string& text, RunOptions& opt);

// Runs this shard of every scenario and writes one result file each.
int shard_command(const std::vector<LoadedScenario>& scenarios, const RunOptions& opt, std::ostream& out,
                  std::ostream& err);

// Combines shard result files; prints, writes traces and exits as `run` does.
int merge_command(const std::vector<std::string>& files, const RunOptions& opt, std::ostream& out,
                  std::ostream& err);

}  // namespace gmemcheck::tools
