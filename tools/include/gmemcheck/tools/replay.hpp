// `gmemcheck replay`: re-execute a recorded schedule against the model, on its
// own protocol version or another one (to check that a fix closes it).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "gmemcheck/tools/trace.hpp"

namespace gmemcheck::tools {

struct ReplayOptions {
  std::optional<std::string> variant;
  std::optional<std::vector<std::string>> mutations;  // replaces the trace's list
  bool quiet = false;
};

// Reads and validates a trace file (InputError naming file and JSON pointer).
Trace load_trace(const std::string& path);
// Applies --variant / --mutations to the trace's scenario (InputError if unknown).
void apply_overrides(model::Scenario& sc, const ReplayOptions& opt);

struct ReplayOutcome {
  bool reproduced = false;
  std::string reason;  // "freed_private at step 20", or why it did not happen
  Trace replayed;      // the steps as they ran this time
};
// Re-executes the recorded schedule of `rec` against `sc`.
ReplayOutcome replay_trace(const Trace& rec, const model::Scenario& sc);

int replay_command(const std::vector<std::string>& traces, const ReplayOptions& opt, std::ostream& out,
                   std::ostream& err);

}  // namespace gmemcheck::tools
