// Exit statuses of `gmemcheck run` and the JSON report: 1 when a result
// differs from the scenario's expect, 3 when a bound cut the search (never a
// pass), and retry_bound, which fails a run only when expected or asked for.
#include <string>
#include <vector>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace cli;

// A quiet run writing its traces and JSON report inside `dir`.
struct QuietRun : public Utest {
  TempDir* dir = nullptr;
  tools::RunOptions opt;

  void setup() override {
    dir = new TempDir;
    opt = quiet_options(*dir);
    opt.json_out = *dir / "report.json";
  }
  void teardown() override { delete dir; }
};

TEST_GROUP_BASE(ExitStatus, QuietRun){};

TEST(ExitStatus, WrongExpectationIsUnexpected) {
  json j = read_json(seed_path());
  j["expect"] = {{"verdict", "pass"}};
  std::string file = *dir / "seed-expects-pass.json";
  write_json(file, j);

  Outcome o = run_cli({file}, opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("violation freed_private  [NOT AS EXPECTED; expected pass]", o.out.c_str());

  json report = read_json(opt.json_out);
  LONGS_EQUAL(1, report["format_version"].get<int>());
  LONGS_EQUAL(tools::kExitDiffers, report["exit_status"].get<int>());
  LONGS_EQUAL(1, report["results"].size());
  const json& r = report["results"][0];
  STRCMP_EQUAL("unexpected", r["status"].get<std::string>().c_str());
  STRCMP_EQUAL("violation", r["verdict"].get<std::string>().c_str());
  CHECK(r["invariants"] == json::array({"freed_private"}));
  CHECK(r["expect"] == json({{"verdict", "pass"}}));
  CHECK(r["violations"][0]["trace"] == opt.trace_dir + "/seed-roth2023.freed_private.json");
  CHECK(report["summary"] == json({{"expected", 0}, {"unexpected", 1}, {"inconclusive", 0}}));
  // The counterexample is written even when it was not expected.
  CHECK(fs::exists(opt.trace_dir + "/seed-roth2023.freed_private.json"));
}

TEST(ExitStatus, OtherInvariantThanExpectedIsUnexpected) {
  json j = read_json(seed_path());
  j["expect"] = {{"verdict", "violation"}, {"invariant", "stale_spte"}};
  std::string file = *dir / "seed-expects-stale-spte.json";
  write_json(file, j);

  Outcome o = run_cli({file}, opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  const json r = read_json(opt.json_out)["results"][0];
  STRCMP_EQUAL("unexpected", r["status"].get<std::string>().c_str());
  STRCMP_EQUAL("violation", r["verdict"].get<std::string>().c_str());
  CHECK(r["complete"] == true);
  CHECK(r["invariants"] == json::array({"freed_private"}));
}

TEST(ExitStatus, BoundCutPassIsInconclusive) {
  std::string file = source_path("scenarios/v6.11-seed-plus-private-fault.json");
  CHECK(!tools::load_scenario_file(file).expect.violation);
  opt.max_executions = 1;

  Outcome o = run_cli({file}, opt);
  LONGS_EQUAL_TEXT(tools::kExitInconclusive, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("v6.11-seed-plus-private-fault  v6.11  inconclusive  [inconclusive; expected pass]", o.out.c_str());
  STRCMP_CONTAINS("inconclusive: stopped after 1 executions", o.out.c_str());
  STRCMP_CONTAINS("--max-executions", o.out.c_str());
  CHECK(o.out.find("  pass  ") == std::string::npos);

  json report = read_json(opt.json_out);
  LONGS_EQUAL(1, report["format_version"].get<int>());
  LONGS_EQUAL(tools::kExitInconclusive, report["exit_status"].get<int>());
  const json& r = report["results"][0];
  STRCMP_EQUAL("inconclusive", r["verdict"].get<std::string>().c_str());
  STRCMP_EQUAL("inconclusive", r["status"].get<std::string>().c_str());
  CHECK(r["complete"] == false);
  LONGS_EQUAL(1, r["executions"].get<int>());
  LONGS_EQUAL(1, r["bounds"]["executions"].get<int>());
  std::string reason = r["inconclusive_reason"].get<std::string>();
  STRCMP_CONTAINS("executions", reason.c_str());
  STRCMP_CONTAINS("bounds.executions", reason.c_str());
  CHECK(report["summary"] == json({{"expected", 0}, {"unexpected", 0}, {"inconclusive", 1}}));
}

TEST(ExitStatus, BoundCutBeforeTheExpectedViolationIsInconclusive) {
  // Depth-first, CPU0 first: the first execution runs punch_hole to its end
  // before set_attributes starts, and breaks nothing.
  opt.max_executions = 1;
  Outcome o = run_cli({seed_path()}, opt);
  LONGS_EQUAL_TEXT(tools::kExitInconclusive, o.status, (o.out + o.err).c_str());
  json r = read_json(opt.json_out)["results"][0];
  STRCMP_EQUAL("inconclusive", r["verdict"].get<std::string>().c_str());
  STRCMP_EQUAL("inconclusive", r["status"].get<std::string>().c_str());
  CHECK_FALSE(fs::exists(opt.trace_dir));
}

TEST(ExitStatus, StepBoundIsNamed) {
  opt.max_steps = 3;
  Outcome o = run_cli({source_path("scenarios/v6.11-seed-plus-private-fault.json")}, opt);
  LONGS_EQUAL_TEXT(tools::kExitInconclusive, o.status, (o.out + o.err).c_str());
  json r = read_json(opt.json_out)["results"][0];
  STRCMP_EQUAL("inconclusive", r["verdict"].get<std::string>().c_str());
  STRCMP_CONTAINS("steps", r["inconclusive_reason"].get<std::string>().c_str());
}

// A full explored-state table is reported (in the line and the JSON): the
// search goes on uncached beyond it, here until the executions bound, which
// makes the result inconclusive, never a pass. (That a search with a full
// table still finds everything is the checker's FullCacheSaysSoAndGoesOnUncached.)
TEST(ExitStatus, FullStateTableIsReported) {
  opt.cache_mb = 1;  // about 40 000 states: this scenario has 146 918 in 41 052 executions
  opt.max_executions = 20000;
  Outcome o = run_cli({source_path("scenarios/v6.10-punch-two-pages-two-faults.json")}, opt);
  LONGS_EQUAL_TEXT(tools::kExitInconclusive, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("the explored-state table filled", o.out.c_str());
  json r = read_json(opt.json_out)["results"][0];
  STRCMP_EQUAL("inconclusive", r["verdict"].get<std::string>().c_str());
  CHECK_TRUE(r["state_table_full"].get<bool>());
}

// The seconds bound is named as set, though the search inside is given what
// is left of it.
TEST(ExitStatus, SecondsBoundIsNamedAsSet) {
  opt.max_seconds = 0.25;
  Outcome o = run_cli({source_path("scenarios/v7.0-punch-and-convert-four-threads.json")}, opt);
  LONGS_EQUAL_TEXT(tools::kExitInconclusive, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("inconclusive: stopped after 0.25 seconds (bounds.seconds / --max-seconds)", o.out.c_str());
}

TEST(ExitStatus, MixedResultsDifferWins) {
  json j = read_json(seed_path());
  j["expect"] = {{"verdict", "pass"}};
  j["name"] = "seed-expects-pass";
  std::string wrong = *dir / "wrong.json";
  write_json(wrong, j);
  Outcome o = run_cli({seed_path(), wrong}, opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  json report = read_json(opt.json_out);
  CHECK(report["summary"] == json({{"expected", 1}, {"unexpected", 1}, {"inconclusive", 0}}));
  STRCMP_CONTAINS("summary: 2 scenario(s): 1 as expected, 1 not as expected, 0 inconclusive", o.out.c_str());
}

TEST_GROUP_BASE(RetryBound, QuietRun){};

TEST(RetryBound, ExpectedGiveUpIsMet) {
  std::string file = source_path("scenarios/v6.11-set-attributes-vs-fault-no-retries.json");
  model::Scenario sc = tools::load_scenario_file(file);
  CHECK(sc.expect.violation);
  STRCMP_EQUAL("retry_bound", sc.expect.invariant.c_str());

  Outcome o = run_cli({file}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("violation retry_bound  [expected; expected violation retry_bound]", o.out.c_str());
  CHECK(fs::exists(opt.trace_dir + "/v6.11-set-attributes-vs-fault-no-retries.retry_bound.json"));

  // The written trace replays.
  tools::ReplayOptions ropt;
  ropt.quiet = true;
  Outcome r = replay_cli({opt.trace_dir + "/v6.11-set-attributes-vs-fault-no-retries.retry_bound.json"}, ropt);
  LONGS_EQUAL_TEXT(tools::kExitOk, r.status, (r.out + r.err).c_str());
  STRCMP_CONTAINS("reproduced: retry_bound", r.out.c_str());
}

TEST(RetryBound, LivenessOptionChangesNothingWhenExpected) {
  std::string file = source_path("scenarios/v6.11-set-attributes-vs-fault-no-retries.json");
  model::Scenario sc = tools::load_scenario_file(file);
  tools::ScenarioResult plain = tools::check_scenario(file, sc, opt);
  opt.liveness = true;
  tools::ScenarioResult live = tools::check_scenario(file, sc, opt);

  CHECK(plain.status == tools::Status::expected);
  CHECK(live.status == tools::Status::expected);
  STRCMP_EQUAL(plain.verdict.c_str(), live.verdict.c_str());
  STRCMP_EQUAL("violation", live.verdict.c_str());
  LONGS_EQUAL(plain.result.violations.size(), live.result.violations.size());
  CHECK(live.result.violations.count("retry_bound"));
  LONGS_EQUAL(plain.result.executions, live.result.executions);

  Outcome o = run_cli({file}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
}

TEST(RetryBound, GiveUpsInAPassScenarioAreReportedNotFailed) {
  std::string file = source_path("scenarios/reference/v6.11-seed-plus-fault.json");
  CHECK(!tools::load_scenario_file(file).expect.violation);

  Outcome o = run_cli({file}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("  pass  [expected; expected pass]", o.out.c_str());

  json r = read_json(opt.json_out)["results"][0];
  STRCMP_EQUAL("pass", r["verdict"].get<std::string>().c_str());
  STRCMP_EQUAL("expected", r["status"].get<std::string>().c_str());
  CHECK(r["violations"].empty());
  CHECK(r["liveness_executions"].contains("retry_bound"));
  std::uint64_t gave_up = r["liveness_executions"]["retry_bound"].get<std::uint64_t>();
  CHECK(gave_up > 0);
  STRCMP_CONTAINS(("retry_bound: a fault gave up in " + std::to_string(gave_up) + " execution(s)").c_str(),
                  o.out.c_str());
  CHECK_FALSE(fs::exists(opt.trace_dir));
}

TEST(RetryBound, LivenessOptionMakesGiveUpsFailAPassScenario) {
  std::string file = source_path("scenarios/reference/roth2023-punch-vs-fault.json");
  Outcome plain = run_cli({file}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, plain.status, (plain.out + plain.err).c_str());
  STRCMP_CONTAINS("retry_bound: a fault gave up in ", plain.out.c_str());
  CHECK_FALSE(fs::exists(opt.trace_dir));

  opt.liveness = true;
  Outcome live = run_cli({file}, opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, live.status, (live.out + live.err).c_str());
  STRCMP_CONTAINS("violation retry_bound  [NOT AS EXPECTED; expected pass]", live.out.c_str());
  std::string trace = opt.trace_dir + "/roth2023-punch-vs-fault.retry_bound.json";
  CHECK(read_json(trace)["liveness"] == true);

  // The trace records that liveness counted, so it replays without the option.
  tools::ReplayOptions ropt;
  ropt.quiet = true;
  Outcome r = replay_cli({trace}, ropt);
  LONGS_EQUAL_TEXT(tools::kExitOk, r.status, (r.out + r.err).c_str());
  STRCMP_CONTAINS("reproduced: retry_bound", r.out.c_str());
}
