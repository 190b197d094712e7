// `gmemcheck replay`: a recorded trace reproduces on its own variant, not on
// the fixed ones, and a bad trace or option is an input error (exit status 2)
// that names the file and the JSON location.
#include <string>
#include <vector>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace cli;

TEST_GROUP(Replay) {
  TempDir* dir = nullptr;
  std::string trace;  // the seed's freed_private trace, freshly written

  void setup() override {
    dir = new TempDir;
    tools::RunOptions opt = quiet_options(*dir);
    Outcome o = run_cli({seed_path()}, opt);
    LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
    trace = *dir / "traces/seed-roth2023.freed_private.json";
  }
  void teardown() override { delete dir; }

  // The trace with one change, written to `name`; its path.
  template <class Edit>
  std::string edited(const std::string& name, Edit edit) {
    json j = read_json(trace);
    edit(j);
    std::string path = *dir / name;
    write_json(path, j);
    return path;
  }

  void expect_rejected(const std::string& path, const std::string& pointer, const std::string& what) {
    Outcome o = replay_cli({path});
    LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
    STRCMP_CONTAINS((path + ": " + pointer + ":").c_str(), o.err.c_str());
    STRCMP_CONTAINS(what.c_str(), o.err.c_str());
    STRCMP_EQUAL("", o.out.c_str());
  }

  std::size_t recorded_steps() { return read_json(trace)["steps"].size(); }
};

TEST(Replay, ReproducesOnItsOwnVariant) {
  Outcome o = replay_cli({trace});
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS(("replay " + trace + ": seed-roth2023 on roth2023\n").c_str(), o.out.c_str());
  STRCMP_CONTAINS(("reproduced: freed_private at step " + std::to_string(recorded_steps()) + "\n").c_str(),
                  o.out.c_str());
  CHECK(o.out.find("not reproduced") == std::string::npos);
  CHECK(has_line_starting(o.out, "  VIOLATION freed_private: "));
  STRCMP_EQUAL("", o.err.c_str());
}

TEST(Replay, QuietPrintsOnlyTheVerdict) {
  tools::ReplayOptions opt;
  opt.quiet = true;
  Outcome o = replay_cli({trace}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_EQUAL(("replay " + trace + ": seed-roth2023 on roth2023\nreproduced: freed_private at step " +
                std::to_string(recorded_steps()) + "\n")
                   .c_str(),
               o.out.c_str());
}

TEST(Replay, FreeFolioVariantClosesIt) {
  tools::ReplayOptions opt;
  opt.variant = "v6.11";
  Outcome o = replay_cli({trace}, opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("seed-roth2023 on v6.11", o.out.c_str());
  // The whole recorded schedule runs (nothing blocks) and breaks nothing.
  STRCMP_CONTAINS("not reproduced: ", o.out.c_str());
  STRCMP_CONTAINS(("all " + std::to_string(recorded_steps()) + " recorded steps ran and no invariant was violated")
                      .c_str(),
                  o.out.c_str());
  CHECK(o.out.find("diverged") == std::string::npos);
  CHECK(o.out.find("VIOLATION") == std::string::npos);
}

TEST(Replay, SlotsLockVariantDivergesWhereSetAttributesBlocks) {
  // punch_hole now holds slots_lock, so set_attributes' first step (taking it)
  // cannot run where the schedule first switches to CPU1.
  json j = read_json(trace);
  std::size_t first_cpu1 = 0;
  while (first_cpu1 < j["schedule"].size() && j["schedule"][first_cpu1] != "CPU1") ++first_cpu1;
  CHECK(first_cpu1 < j["schedule"].size());

  tools::ReplayOptions opt;
  opt.variant = "roth2023+slots_lock";
  Outcome o = replay_cli({trace}, opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("seed-roth2023 on roth2023+slots_lock", o.out.c_str());
  STRCMP_CONTAINS(("not reproduced: the schedule diverged at step " + std::to_string(first_cpu1 + 1) +
                   ": it runs CPU1, which is blocked here; runnable were [CPU0]")
                      .c_str(),
                  o.out.c_str());
}

TEST(Replay, MutationsOverrideReplacesTheTraceList) {
  tools::ReplayOptions opt;
  opt.mutations = std::vector<std::string>{"none"};
  Outcome o = replay_cli({trace}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());

  opt.mutations = std::vector<std::string>{"uptodate_before_prepare"};  // v6.11 only
  o = replay_cli({trace}, opt);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("applies only to variant v6.11", o.err.c_str());

  opt.mutations = std::vector<std::string>{"no_such_mutation"};
  o = replay_cli({trace}, opt);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("unknown mutation \"no_such_mutation\"", o.err.c_str());
}

TEST(Replay, UnknownVariantOption) {
  tools::ReplayOptions opt;
  opt.variant = "v9.9";
  Outcome o = replay_cli({trace}, opt);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("unknown variant \"v9.9\"", o.err.c_str());
  STRCMP_EQUAL("", o.out.c_str());
}

TEST(Replay, ScheduleNamesUnknownThread) {
  std::string path = edited("unknown-thread.json", [](json& j) { j["schedule"][3] = "CPU7"; });
  expect_rejected(path, "/schedule/3", "unknown thread \"CPU7\"");
}

TEST(Replay, MalformedJson) {
  std::string path = *dir / "malformed.json";
  write_text(path, read_text(trace).substr(0, 200));
  Outcome o = replay_cli({path});
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS((path + ": malformed JSON").c_str(), o.err.c_str());
  STRCMP_EQUAL("", o.out.c_str());
}

TEST(Replay, ViolationStepOutOfRange) {
  std::string path = edited("step-too-big.json", [](json& j) { j["violation"]["step"] = j["schedule"].size() + 1; });
  expect_rejected(path, "/violation/step", "expected a step number in 1..");
  path = edited("step-zero.json", [](json& j) { j["violation"]["step"] = 0; });
  expect_rejected(path, "/violation/step", "expected a step number in 1..");
}

TEST(Replay, MissingScenario) {
  std::string path = edited("no-scenario.json", [](json& j) { j.erase("scenario"); });
  expect_rejected(path, "/scenario", "missing required field \"scenario\"");
}

TEST(Replay, BadEmbeddedScenarioNamesItsLocation) {
  std::string path = edited("bad-scenario.json", [](json& j) { j["scenario"]["threads"][1]["end"] = 5; });
  expect_rejected(path, "/scenario/threads/1/end", "out of range");
  path = edited("bad-variant.json", [](json& j) { j["scenario"]["variant"] = "roth2024"; });
  expect_rejected(path, "/scenario/variant", "unknown variant");
}

TEST(Replay, MissingTraceFile) {
  std::string path = *dir / "no-such-trace.json";
  Outcome o = replay_cli({path});
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS(path.c_str(), o.err.c_str());
}

TEST(Replay, OneBadTraceReplaysNone) {
  std::string bad = edited("unknown-thread.json", [](json& j) { j["schedule"][0] = "CPU7"; });
  Outcome o = replay_cli({trace, bad});
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS((bad + ": /schedule/0:").c_str(), o.err.c_str());
  STRCMP_EQUAL("", o.out.c_str());
}
