#include "gmemcheck/tools/list.hpp"

#include <iomanip>
#include <ostream>

#include "gmemcheck/model/scenario.hpp"
#include "gmemcheck/model/variant.hpp"
#include "gmemcheck/tools/run.hpp"

namespace gmemcheck::tools {

namespace {

void row(std::ostream& out, std::string_view name, std::string_view summary) {
  out << std::left << std::setw(30) << name << " " << summary << "\n";
}

}  // namespace

int list_command(const std::string& what, std::ostream& out, std::ostream& err) {
  if (what == "variants") {
    for (const model::Variant& v : model::variants()) row(out, v.name, v.summary);
  } else if (what == "mutations") {
    for (const model::MutationInfo& m : model::mutations())
      row(out, m.name, std::string(m.summary) + (m.applies_to.empty() ? "" : " (" + std::string(m.applies_to) + " only)"));
  } else if (what == "invariants") {
    for (const model::InvariantInfo& i : model::invariants()) row(out, i.id, i.summary);
  } else if (what == "paths") {
    for (const model::PathInfo& p : model::paths()) row(out, p.name, p.summary);
  } else {
    err << "gmemcheck list: unknown list \"" << what << "\"; expected variants, mutations, invariants or paths\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace gmemcheck::tools
