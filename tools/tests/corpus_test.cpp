// The repository's own material: every reference scenario meets its expect,
// and every checked-in trace still replays against the current model.
#include <string>
#include <vector>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace cli;

TEST_GROUP(Corpus){};

TEST(Corpus, ReferenceScenariosMeetTheirExpect) {
  std::vector<std::string> files = json_files(source_path("scenarios/reference"));
  CHECK_TEXT(!files.empty(), "scenarios/reference/ holds no scenario");
  tools::RunOptions opt;  // check_scenario writes nothing
  opt.quiet = true;
  for (const std::string& f : files) {
    model::Scenario sc = tools::load_scenario_file(f);
    tools::ScenarioResult r = tools::check_scenario(f, sc, opt);
    std::string what = f + ": " + tools::result_line(r);
    CHECK_TEXT(r.status == tools::Status::expected, what.c_str());
    if (sc.expect.violation)
      CHECK_TEXT(r.result.violations.count(sc.expect.invariant), what.c_str());
    else
      STRCMP_EQUAL_TEXT("pass", r.verdict.c_str(), what.c_str());
  }
}

TEST(Corpus, CheckedInTracesReplay) {
  std::vector<std::string> files = json_files(source_path("traces"));
  CHECK_TEXT(!files.empty(), "traces/ holds no trace");
  tools::ReplayOptions opt;
  opt.quiet = true;
  for (const std::string& f : files) {
    Outcome o = replay_cli({f}, opt);
    std::string what = f + ":\n" + o.out + o.err;
    LONGS_EQUAL_TEXT(tools::kExitOk, o.status, what.c_str());
    STRCMP_CONTAINS("reproduced: ", o.out.c_str());
  }
}
