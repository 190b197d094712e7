// One search split into units and run by many workers (`run --jobs`) or on
// many machines (`run --shard K/N`, then `merge`): the counts, verdicts,
// invariants and traces are those of one run over the same units, whoever ran
// which unit; merge refuses (exit 2, writing nothing) a set of shard files
// that is incomplete, repeated, from different inputs or damaged.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmemcheck/tools/shard.hpp"
#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>
// (after TestHarness.h, which it needs)
#include <CppUTest/MemoryLeakWarningPlugin.h>

using namespace cli;

namespace {

// A pass with thousands of executions over at least 8 units, and a violation no
// single unit sees: lock_order is revealed only when units are combined.
const std::string kConvertName = "v7.0-convert-two-pages-four-threads";
const std::string kLockName = "v6.10-lock-order-across-executions";

std::string convert_file() { return source_path("scenarios/" + kConvertName + ".json"); }
std::string lock_file() { return source_path("scenarios/" + kLockName + ".json"); }

// A result of the JSON report without its timing, the only field that may
// differ between two runs of the same search.
json comparable(json result) {
  result.erase("seconds");
  return result;
}

// Every result of a JSON report by scenario name: merge reports scenarios in
// file-name order, run in input order.
std::map<std::string, json> results_by_name(const json& report) {
  std::map<std::string, json> out;
  for (const json& r : report.at("results")) out[r.at("scenario").get<std::string>()] = comparable(r);
  return out;
}

// The trace files in `dir`, by name, with their bytes; the directory is then
// removed so the next run writes into the same path (trace files name their
// own path in the replay command, so only same-path traces compare bytewise).
std::map<std::string, std::string> take_traces(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const std::string& f : json_files(dir)) out[fs::path(f).filename().string()] = read_text(f);
  fs::remove_all(dir);
  return out;
}

std::string shard_name(const std::string& scenario, std::size_t k, std::size_t n) {
  return scenario + ".shard-" + std::to_string(k) + "-of-" + std::to_string(n) + ".json";
}

// The counts a report's consumer acts on, compared one by one so a failure
// names the field; the whole result is compared afterwards.
void check_same_result(const json& want, const json& have, const std::string& what) {
  for (const char* key : {"executions", "steps", "states", "max_depth", "cache_hits", "redundant_executions",
                          "verdict", "invariants", "status", "complete", "units", "liveness_executions",
                          "violations"}) {
    std::string msg = what + ": " + key + ": want " + want.at(key).dump() + ", have " + have.at(key).dump();
    CHECK_TEXT(want.at(key) == have.at(key), msg.c_str());
  }
  CHECK_TEXT(want == have, (what + ": want " + want.dump() + "\nhave " + have.dump()).c_str());
}

void check_same_traces(const std::map<std::string, std::string>& want,
                       const std::map<std::string, std::string>& have, const std::string& what) {
  LONGS_EQUAL_TEXT(want.size(), have.size(), (what + ": trace files").c_str());
  for (const auto& [name, bytes] : want) {
    auto it = have.find(name);
    CHECK_TEXT(it != have.end(), (what + ": no trace " + name).c_str());
    CHECK_TEXT(it->second == bytes, (what + ": trace " + name + " differs").c_str());
  }
}

struct Observed {
  json result;
  std::map<std::string, std::string> traces;
};

}  // namespace

// ---------------------------------------------------------------------------
// --jobs on one scenario: the workers share its 8+ units; the result is that
// of one worker over the same units.

TEST_GROUP(ShardJobs) {
  TempDir* dir = nullptr;

  void setup() override {
    // The workers allocate too: the leak detector must take a lock.
    MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads();
    dir = new TempDir;
  }
  void teardown() override {
    delete dir;
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }

  Observed run_alone(const std::string& file, int jobs, std::size_t units) {
    tools::RunOptions opt = quiet_options(*dir);
    opt.json_out = *dir / "report.json";
    opt.jobs = jobs;
    opt.units = units;
    Outcome o = run_cli({file}, opt);
    LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
    json report = read_json(opt.json_out);
    fs::remove(opt.json_out);
    LONGS_EQUAL(1, report.at("results").size());
    return {comparable(report["results"][0]), take_traces(opt.trace_dir)};
  }

  void check_jobs_match_one_worker(const std::string& file) {
    Observed one = run_alone(file, 1, checker::kDefaultMinUnits);
    // Repeated: a race between workers shows only in some interleavings.
    for (int round = 0; round < 3; ++round)
      for (int jobs : {2, 3}) {
        Observed many = run_alone(file, jobs, checker::kDefaultMinUnits);
        std::string what = fs::path(file).filename().string() + " --jobs " + std::to_string(jobs) + " (round " +
                           std::to_string(round) + ")";
        check_same_result(one.result, many.result, what);
        check_same_traces(one.traces, many.traces, what);
      }
  }
};

TEST(ShardJobs, PassOverManyUnitsCountsAsOneWorker) {
  check_jobs_match_one_worker(convert_file());
}

TEST(ShardJobs, ViolationAcrossUnitsCountsAsOneWorker) {
  check_jobs_match_one_worker(lock_file());
}

TEST(ShardJobs, JobsAloneNeverChangeTheSearch) {
  // Without --units the search is one unit whatever --jobs says, so its
  // counts are those of one worker.
  for (const std::string& file : {convert_file(), lock_file()}) {
    Observed one = run_alone(file, 1, 0);
    LONGS_EQUAL(1, one.result["units"].get<std::size_t>());
    Observed two = run_alone(file, 2, 0);
    check_same_result(one.result, two.result, fs::path(file).filename().string() + " --jobs 2");
    check_same_traces(one.traces, two.traces, fs::path(file).filename().string() + " --jobs 2");
  }
}

TEST(ShardJobs, JobsOnAnUnsplitSearchSaysHowToSplitIt) {
  tools::RunOptions opt = quiet_options(*dir);
  opt.quiet = false;
  Outcome one = run_cli({convert_file()}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, one.status, one.err.c_str());
  CHECK_TEXT(one.err.find("note:") == std::string::npos, one.err.c_str());

  opt.jobs = 2;
  Outcome unsplit = run_cli({convert_file()}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, unsplit.status, unsplit.err.c_str());
  CHECK_TEXT(unsplit.err.find("note: one scenario is one search") != std::string::npos, unsplit.err.c_str());
  CHECK_TEXT(unsplit.err.find("--units N") != std::string::npos, unsplit.err.c_str());

  opt.units = checker::kDefaultMinUnits;
  Outcome split = run_cli({convert_file()}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, split.status, split.err.c_str());
  CHECK_TEXT(split.err.find("note:") == std::string::npos, split.err.c_str());
}

TEST(ShardJobs, ScenariosAreReallySplit) {
  // Without this the comparisons above could hold trivially: both searches
  // are split, the pass into at least the 8 units asked for, and lock_order
  // is found although only a combination of units shows it.
  Observed convert = run_alone(convert_file(), 2, checker::kDefaultMinUnits);
  CHECK(convert.result["units"].get<std::size_t>() >= checker::kDefaultMinUnits);
  STRCMP_EQUAL("pass", convert.result["verdict"].get<std::string>().c_str());
  CHECK(convert.traces.empty());

  Observed lock = run_alone(lock_file(), 3, checker::kDefaultMinUnits);
  CHECK(lock.result["units"].get<std::size_t>() > 1);
  STRCMP_EQUAL("violation", lock.result["verdict"].get<std::string>().c_str());
  const json& inv = lock.result["invariants"];
  CHECK_TEXT(std::find(inv.begin(), inv.end(), "lock_order") != inv.end(), inv.dump().c_str());
  CHECK(lock.traces.count(kLockName + ".lock_order.json"));
}

// ---------------------------------------------------------------------------
// --shard K/N for every K, then merge: the result of one run over the same
// max(8, 2N) units.

TEST_GROUP(Shards) {
  TempDir* dir = nullptr;

  void setup() override { dir = new TempDir; }
  void teardown() override { delete dir; }

  std::string run_all_shards(std::size_t n) {
    std::string shard_dir = *dir / ("shards-" + std::to_string(n));
    for (std::size_t k = 1; k <= n; ++k) {
      tools::RunOptions opt = quiet_options(*dir);
      opt.shard = k - 1;
      opt.shards = n;
      opt.shard_dir = shard_dir;
      Outcome o = run_cli({convert_file(), lock_file()}, opt);
      LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
      for (const std::string& name : {kConvertName, kLockName})
        STRCMP_CONTAINS((shard_dir + "/" + shard_name(name, k, n)).c_str(), o.out.c_str());
      // A shard writes its result file only: counterexamples come from merge.
      CHECK_FALSE(fs::exists(opt.trace_dir));
    }
    return shard_dir;
  }

  // The shard files of `name`: one per K under the documented names, each
  // holding exactly the units i with i % N == K - 1, together every unit once.
  void check_shard_files(const std::string& shard_dir, const std::string& name, const std::string& file,
                         std::size_t n) {
    std::size_t units = 0;
    std::set<std::size_t> seen;
    for (std::size_t k = 1; k <= n; ++k) {
      std::string path = shard_dir + "/" + shard_name(name, k, n);
      CHECK_TEXT(fs::exists(path), path.c_str());
      json j = read_json(path);
      STRCMP_EQUAL("gmemcheck-shard", j["kind"].get<std::string>().c_str());
      STRCMP_EQUAL(name.c_str(), j["scenario"].get<std::string>().c_str());
      STRCMP_EQUAL(file.c_str(), j["file"].get<std::string>().c_str());
      LONGS_EQUAL(k, j["shard"].get<std::size_t>());
      LONGS_EQUAL(n, j["shards"].get<std::size_t>());
      if (k == 1) units = j["units"].get<std::size_t>();
      LONGS_EQUAL(units, j["units"].get<std::size_t>());
      std::vector<std::size_t> want, have;
      for (std::size_t i = k - 1; i < units; i += n) want.push_back(i);
      for (const json& u : j["unit_results"]) have.push_back(u["index"].get<std::size_t>());
      CHECK_TEXT(want == have, (path + ": unit indices " + json(have).dump()).c_str());
      seen.insert(have.begin(), have.end());
    }
    LONGS_EQUAL(units, seen.size());
  }

  void check_merge_equals_run(std::size_t n) {
    std::string shard_dir = run_all_shards(n);

    std::vector<std::string> want_files;
    for (const std::string& name : {kConvertName, kLockName})
      for (std::size_t k = 1; k <= n; ++k) want_files.push_back(shard_name(name, k, n));
    std::sort(want_files.begin(), want_files.end());
    std::vector<std::string> have_files;
    for (const std::string& f : json_files(shard_dir)) have_files.push_back(fs::path(f).filename().string());
    CHECK_TEXT(want_files == have_files, json(have_files).dump().c_str());
    check_shard_files(shard_dir, kConvertName, convert_file(), n);
    check_shard_files(shard_dir, kLockName, lock_file(), n);

    tools::RunOptions mopt = quiet_options(*dir);
    mopt.json_out = *dir / "merged.json";
    Outcome m = merge_cli({shard_dir}, mopt);
    LONGS_EQUAL_TEXT(tools::kExitOk, m.status, (m.out + m.err).c_str());
    json merged_report = read_json(mopt.json_out);
    std::map<std::string, json> merged = results_by_name(merged_report);
    std::map<std::string, std::string> merged_traces = take_traces(mopt.trace_dir);

    tools::RunOptions popt = quiet_options(*dir);
    popt.json_out = *dir / "plain.json";
    popt.units = std::max<std::size_t>(checker::kDefaultMinUnits, 2 * n);
    Outcome p = run_cli({convert_file(), lock_file()}, popt);
    LONGS_EQUAL_TEXT(tools::kExitOk, p.status, (p.out + p.err).c_str());
    json plain_report = read_json(popt.json_out);
    std::map<std::string, json> plain = results_by_name(plain_report);
    std::map<std::string, std::string> plain_traces = take_traces(popt.trace_dir);

    LONGS_EQUAL(2, merged.size());
    LONGS_EQUAL(2, plain.size());
    for (const std::string& name : {kConvertName, kLockName})
      check_same_result(plain[name], merged[name], name + " merged from " + std::to_string(n) + " shards");
    const json& inv = merged[kLockName]["invariants"];
    CHECK_TEXT(std::find(inv.begin(), inv.end(), "lock_order") != inv.end(), inv.dump().c_str());
    CHECK(merged_report["summary"] == plain_report["summary"]);
    LONGS_EQUAL(plain_report["exit_status"].get<int>(), merged_report["exit_status"].get<int>());
    check_same_traces(plain_traces, merged_traces, "traces merged from " + std::to_string(n) + " shards");
    CHECK(merged_traces.count(kLockName + ".lock_order.json"));
  }
};

TEST(Shards, TwoShardsMergeToOneRun) { check_merge_equals_run(2); }

TEST(Shards, ThreeShardsMergeToOneRun) { check_merge_equals_run(3); }

TEST(Shards, OnlyDporIsSharded) {
  // dfs, random and pct are one sequential search each: no units to divide.
  for (const char* strategy : {"dfs", "random", "pct"}) {
    tools::RunOptions opt = quiet_options(*dir);
    opt.strategy = strategy;
    opt.shard = 0;
    opt.shards = 2;
    opt.shard_dir = *dir / "shards";
    Outcome o = run_cli({convert_file()}, opt);
    LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
    STRCMP_CONTAINS((std::string("--strategy ") + strategy).c_str(), o.err.c_str());
    CHECK_FALSE(fs::exists(opt.shard_dir));
    CHECK_FALSE(fs::exists(opt.trace_dir));
  }
}

namespace {

// The InputError parse_shard throws for `text`, or "" when it accepts it; a
// rejected text leaves the options as they were.
std::string shard_rejection(const std::string& text) {
  tools::RunOptions opt;
  try {
    tools::parse_shard(text, opt);
  } catch (const tools::InputError& e) {
    LONGS_EQUAL_TEXT(0, opt.shard, text.c_str());
    LONGS_EQUAL_TEXT(0, opt.shards, text.c_str());
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Shards, ParseShardCountsFromOne) {
  for (const char* bad : {"0/2", "3/2", "x", "1/0", "", "1/", "/2", "2/4x", "1/2/3"}) {
    std::string what = shard_rejection(bad);
    CHECK_TEXT(!what.empty(), (std::string("accepted \"") + bad + "\"").c_str());
    STRCMP_CONTAINS((std::string("--shard ") + bad).c_str(), what.c_str());
  }
  tools::RunOptions opt;
  tools::parse_shard("2/4", opt);
  LONGS_EQUAL(1, opt.shard);
  LONGS_EQUAL(4, opt.shards);
  tools::parse_shard("1/1", opt);
  LONGS_EQUAL(0, opt.shard);
  LONGS_EQUAL(1, opt.shards);
}

// ---------------------------------------------------------------------------
// merge on a bad set of shard files: exit 2, a message saying which file and
// what to do, and nothing written, not even for the scenario whose shards are
// fine.

TEST_GROUP(ShardMergeRejects) {
  TempDir* dir = nullptr;
  std::string shard_dir;
  tools::RunOptions mopt;

  void setup() override {
    dir = new TempDir;
    shard_dir = *dir / "shards";
    for (std::size_t k = 0; k < 3; ++k) run_shard({convert_file(), lock_file()}, k, 3, {});
    mopt = quiet_options(*dir);
    mopt.trace_dir = *dir / "merged-traces";
    mopt.json_out = *dir / "merged.json";
  }
  void teardown() override { delete dir; }

  void run_shard(const std::vector<std::string>& files, std::size_t shard, std::size_t shards,
                 std::optional<std::uint64_t> max_executions) {
    tools::RunOptions opt = quiet_options(*dir);
    opt.shard = shard;
    opt.shards = shards;
    opt.shard_dir = shard_dir;
    opt.max_executions = max_executions;
    Outcome o = run_cli(files, opt);
    LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  }

  std::string shard_path(const std::string& name, std::size_t k, std::size_t n = 3) const {
    return shard_dir + "/" + shard_name(name, k, n);
  }

  // Merges `files`: asserts exit 2, that stderr contains every one of `needles`,
  // and that nothing was written.
  void expect_rejected(const std::vector<std::string>& files, const std::vector<std::string>& needles) {
    Outcome o = merge_cli(files, mopt);
    LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
    for (const std::string& n : needles) STRCMP_CONTAINS(n.c_str(), o.err.c_str());
    STRCMP_EQUAL("", o.out.c_str());
    CHECK_FALSE(fs::exists(mopt.json_out));
    CHECK_FALSE(fs::exists(mopt.trace_dir));
  }
};

TEST(ShardMergeRejects, TheSetAsWrittenMerges) {
  // The baseline the other tests break one thing of: it merges, and the
  // lock-order scenario writes its trace, which a rejected merge must not.
  Outcome o = merge_cli({shard_dir}, mopt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  CHECK(fs::exists(mopt.json_out));
  CHECK(fs::exists(mopt.trace_dir + "/" + kLockName + ".lock_order.json"));
}

TEST(ShardMergeRejects, MissingShardSaysWhichAndHowToRunIt) {
  fs::remove(shard_path(kLockName, 2));
  expect_rejected({shard_dir}, {"shard 2/3 of \"" + kLockName + "\" is missing",
                                "gmemcheck run " + lock_file() + " --shard 2/3"});
}

TEST(ShardMergeRejects, MissingShardOfOneScenarioAmongComplete) {
  // Shards named one by one: the convert scenario is complete, the lock-order
  // one lacks its first shard.
  expect_rejected({shard_path(kConvertName, 1), shard_path(kConvertName, 2), shard_path(kConvertName, 3),
                   shard_path(kLockName, 2), shard_path(kLockName, 3)},
                  {"shard 1/3 of \"" + kLockName + "\" is missing", "--shard 1/3"});
}

TEST(ShardMergeRejects, SameShardTwice) {
  std::string copy = *dir / "copy.json";
  fs::copy_file(shard_path(kConvertName, 1), copy);
  expect_rejected({shard_dir, copy}, {copy + ": /shard: shard 1/3 of \"" + kConvertName + "\" is also given as " +
                                      shard_path(kConvertName, 1)});
}

TEST(ShardMergeRejects, SameFileTwice) {
  expect_rejected({shard_dir, shard_path(kLockName, 3)},
                  {"shard 3/3 of \"" + kLockName + "\" is also given as " + shard_path(kLockName, 3)});
}

TEST(ShardMergeRejects, ShardRunWithOtherOptions) {
  // A bound high enough to cut nothing still names another search.
  run_shard({convert_file()}, 1, 3, 1000000);
  expect_rejected({shard_dir}, {"/search_hash", "\"" + kConvertName + "\"", "ran a different scenario or options",
                                "rerun every shard with the same inputs"});
}

TEST(ShardMergeRejects, ShardRunOnEditedScenario) {
  // Same name, another description: the scenario as written differs.
  json j = read_json(lock_file());
  j["description"] = j["description"].get<std::string>() + " (edited)";
  std::string edited = *dir / "edited.json";
  write_json(edited, j);
  run_shard({edited}, 2, 3, {});
  expect_rejected({shard_dir}, {shard_path(kLockName, 3) + ": /search_hash", "\"" + kLockName + "\"",
                                "rerun every shard with the same inputs"});
}

TEST(ShardMergeRejects, ShardOfAnotherCount) {
  // Shard 2 of a two-way split in place of shard 2 of the three-way one.
  std::string other_dir = *dir / "two";
  tools::RunOptions opt = quiet_options(*dir);
  opt.shard = 1;
  opt.shards = 2;
  opt.shard_dir = other_dir;
  Outcome o = run_cli({convert_file()}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  fs::remove(shard_path(kConvertName, 2));
  expect_rejected({shard_dir, other_dir + "/" + shard_name(kConvertName, 2, 2)},
                  {"\"" + kConvertName + "\"", "rerun every shard with the same inputs"});
}

TEST(ShardMergeRejects, ScenarioFileIsNotAShardFile) {
  expect_rejected({shard_dir, convert_file()},
                  {convert_file() + ": /kind: not a shard result file", "run --shard"});
}

TEST(ShardMergeRejects, TruncatedShardFile) {
  std::string path = shard_path(kLockName, 2);
  std::string text = read_text(path);
  write_text(path, text.substr(0, text.size() / 2));
  expect_rejected({shard_dir}, {path + ": malformed JSON"});
}

TEST(ShardMergeRejects, ShardFileWithoutAUnitCount) {
  std::string path = shard_path(kConvertName, 3);
  json j = read_json(path);
  j["unit_results"][0].erase("steps");
  write_json(path, j);
  expect_rejected({shard_dir}, {path + ": not a complete shard result file"});
}

TEST(ShardMergeRejects, ScenarioEditedInsideEveryShardFile) {
  // Consistent across the shards, but no longer the scenario they explored.
  for (std::size_t k = 1; k <= 3; ++k) {
    std::string path = shard_path(kLockName, k);
    json j = read_json(path);
    j["source"]["description"] = "edited after the run";
    write_json(path, j);
  }
  expect_rejected({shard_dir}, {shard_path(kLockName, 1) + ": /search_hash: does not match the scenario"});
}
