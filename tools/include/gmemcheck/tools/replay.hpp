// `gmemcheck replay`: re-execute a recorded schedule against the model, on its
// own protocol version or another one (to check that a fix closes it).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace gmemcheck::tools {

struct ReplayOptions {
  std::optional<std::string> variant;
  std::optional<std::vector<std::string>> mutations;  // replaces the trace's list
  bool quiet = false;
};

int replay_command(const std::vector<std::string>& traces, const ReplayOptions& opt, std::ostream& out,
                   std::ostream& err);

}  // namespace gmemcheck::tools
