// A scenario (scenario-format.md, format_version 1): variant, initial state,
// threads, bounds, expectation. Loading validates everything; an error names
// the JSON location (a JSON pointer) and what was expected.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmemcheck/checker/explorer.hpp"
#include "gmemcheck/model/state.hpp"
#include "gmemcheck/model/variant.hpp"

namespace gmemcheck::model {

enum class PathKind : std::uint8_t { punch_hole, set_attributes, page_fault, rmpupdate, convert };

struct PathInfo {
  PathKind kind;
  std::string_view name;
  std::string_view summary;
};
const std::vector<PathInfo>& paths();

struct ThreadSpec {
  std::string name;
  PathKind path = PathKind::punch_hole;
  int start = 0, end = 0;     // punch_hole, set_attributes, convert
  int gfn = 0;                // page_fault
  int index = 0;              // rmpupdate
  Attr attr = Attr::shared;   // attribute / access / to
  std::string describe() const;  // e.g. "punch_hole(0,1)"
};

struct Expect {
  bool violation = false;
  std::string invariant;  // with violation
};

struct Scenario {
  std::string name;
  std::string description;
  const Variant* variant = nullptr;
  Mutations mutations;
  int pages = 1;
  std::vector<Attr> mem_attr_array;
  std::vector<int> populated;
  std::vector<int> mapped;
  std::vector<ThreadSpec> threads;
  int fault_retries = 2;
  checker::Bounds bounds;  // exploration bounds
  Expect expect;
  nlohmann::json source;   // the file's JSON, embedded in traces
};

// An input error: where in the JSON, and what was expected there.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string pointer, const std::string& what)
      : std::runtime_error(what), pointer_(std::move(pointer)) {}
  const std::string& pointer() const { return pointer_; }

 private:
  std::string pointer_;
};

Scenario parse_scenario(const nlohmann::json& j);
// Parses text; a syntax error is reported at pointer "" with line and column.
Scenario parse_scenario_text(const std::string& text);

inline constexpr int kMaxFaultRetries = 8;

}  // namespace gmemcheck::model
