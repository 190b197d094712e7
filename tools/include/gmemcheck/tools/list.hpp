// `gmemcheck list variants|mutations|invariants|paths`.
#pragma once

#include <iosfwd>
#include <string>

namespace gmemcheck::tools {

int list_command(const std::string& what, std::ostream& out, std::ostream& err);

}  // namespace gmemcheck::tools
