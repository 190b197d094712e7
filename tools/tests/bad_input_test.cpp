// `gmemcheck run` on bad input: exit status 2, a message naming the file and
// the JSON location, and nothing written (no trace directory, no JSON report),
// not even for the good scenarios given alongside a bad one.
#include <string>
#include <vector>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace cli;

namespace {

// The seed scenario as JSON, to be broken one field at a time.
json seed() { return read_json(seed_path()); }

}  // namespace

TEST_GROUP(BadInput) {
  TempDir* dir = nullptr;
  tools::RunOptions opt;

  void setup() override {
    dir = new TempDir;
    opt.trace_dir = *dir / "traces";
    opt.json_out = *dir / "report.json";
  }
  void teardown() override { delete dir; }

  // Runs `text` as the scenario file bad.json: asserts status 2, that stderr
  // names "<file>: <pointer>:" and contains `what`, and that the directory
  // holds nothing but the input afterwards.
  void expect_rejected(const std::string& text, const std::string& pointer, const std::string& what) {
    std::string file = *dir / "bad.json";
    write_text(file, text);
    Outcome o = run_cli({file}, opt);
    LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
    STRCMP_CONTAINS((file + ": " + pointer + ":").c_str(), o.err.c_str());
    STRCMP_CONTAINS(what.c_str(), o.err.c_str());
    STRCMP_CONTAINS("nothing was run", o.err.c_str());
    STRCMP_EQUAL("", o.out.c_str());
    expect_nothing_written({"bad.json"});
  }

  void expect_rejected(const json& j, const std::string& pointer, const std::string& what) {
    expect_rejected(j.dump(2) + "\n", pointer, what);
  }

  void expect_nothing_written(const std::vector<std::string>& inputs) {
    CHECK_FALSE(fs::exists(opt.trace_dir));
    CHECK_FALSE(fs::exists(opt.json_out));
    std::vector<std::string> want = inputs;
    std::sort(want.begin(), want.end());
    std::vector<std::string> have = dir->entries();
    LONGS_EQUAL(want.size(), have.size());
    for (std::size_t i = 0; i < want.size(); ++i) STRCMP_EQUAL(want[i].c_str(), have[i].c_str());
  }
};

TEST(BadInput, MalformedJsonNamesTheLine) {
  std::string text = "{\n  \"format_version\": 1,\n  \"name\" \"x\"\n}\n";
  std::string file = *dir / "bad.json";
  write_text(file, text);
  Outcome o = run_cli({file}, opt);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS((file + ": malformed JSON").c_str(), o.err.c_str());
  STRCMP_CONTAINS("line 3", o.err.c_str());
  STRCMP_EQUAL("", o.out.c_str());
  expect_nothing_written({"bad.json"});
}

TEST(BadInput, MissingField) {
  json j = seed();
  j.erase("variant");
  expect_rejected(j, "/variant", "missing required field \"variant\"");
}

TEST(BadInput, MissingFieldInThread) {
  json j = seed();
  j["threads"][1].erase("attribute");
  expect_rejected(j, "/threads/1/attribute", "missing required field");
}

TEST(BadInput, UnknownField) {
  json j = seed();
  j["threads"][0]["priority"] = 1;
  expect_rejected(j, "/threads/0/priority", "unknown field \"priority\"");
}

TEST(BadInput, UnknownTopLevelField) {
  json j = seed();
  j["bound"] = json::object();
  expect_rejected(j, "/bound", "unknown field \"bound\"");
}

TEST(BadInput, WrongType) {
  json j = seed();
  j["pages"] = "1";
  expect_rejected(j, "/pages", "expected an integer");
}

TEST(BadInput, OutOfRangeValue) {
  json j = seed();
  j["threads"][1]["end"] = 2;  // one page: end is 1 at most
  expect_rejected(j, "/threads/1/end", "out of range");
}

TEST(BadInput, DuplicateThreadName) {
  json j = seed();
  j["threads"][1]["name"] = "CPU0";
  expect_rejected(j, "/threads/1/name", "duplicate thread name \"CPU0\"");
}

TEST(BadInput, UnknownVariant) {
  json j = seed();
  j["variant"] = "roth2024";
  expect_rejected(j, "/variant", "unknown variant \"roth2024\"");
}

TEST(BadInput, UnknownMutation) {
  json j = seed();
  j["mutations"] = {"range_overwrite", "no_such_mutation"};
  expect_rejected(j, "/mutations/1", "unknown mutation \"no_such_mutation\"");
}

TEST(BadInput, MutationNotApplicableToVariant) {
  json j = seed();
  j["mutations"] = {"uptodate_before_prepare"};  // v6.11 only; the seed is roth2023
  expect_rejected(j, "/mutations/0", "applies only to variant v6.11");
}

TEST(BadInput, UnknownPath) {
  json j = seed();
  j["threads"][0]["path"] = "punch";
  expect_rejected(j, "/threads/0/path", "unknown path \"punch\"");
}

TEST(BadInput, UnknownInvariantInExpect) {
  json j = seed();
  j["expect"]["invariant"] = "freed_privat";
  expect_rejected(j, "/expect/invariant", "unknown invariant \"freed_privat\"");
}

TEST(BadInput, InitialPrivateMappingOfUnpopulatedPage) {
  json j = seed();
  j["initial"]["populated"] = json::array();  // still mapped, private
  expect_rejected(j, "/initial/mapped", "not populated");
}

TEST(BadInput, DirectoryWithOneBadScenarioRunsNothing) {
  std::string inputs = *dir / "inputs";
  fs::create_directory(inputs);
  write_text(inputs + "/a-good.json", read_text(seed_path()));
  json bad = seed();
  bad["name"] = "bad";
  bad["threads"][1]["end"] = 2;
  write_json(inputs + "/b-bad.json", bad);

  Outcome o = run_cli({inputs}, opt);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS((inputs + "/b-bad.json: /threads/1/end:").c_str(), o.err.c_str());
  STRCMP_CONTAINS("1 bad input file(s); nothing was run", o.err.c_str());
  CHECK(o.err.find("a-good.json") == std::string::npos);
  // The good scenario did not run: no result line, no trace.
  STRCMP_EQUAL("", o.out.c_str());
  CHECK_FALSE(fs::exists(opt.trace_dir + "/seed-roth2023.freed_private.json"));
  expect_nothing_written({"inputs", "inputs/a-good.json", "inputs/b-bad.json"});
}

TEST(BadInput, GoodFileBesideBadFileRunsNothing) {
  std::string bad = *dir / "bad.json";
  write_text(bad, "[]");
  Outcome o = run_cli({seed_path(), bad}, opt);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS((bad + ": (document):").c_str(), o.err.c_str());
  STRCMP_EQUAL("", o.out.c_str());
  expect_nothing_written({"bad.json"});
}

TEST(BadInput, NonexistentInputPath) {
  std::string missing = *dir / "no-such-scenario.json";
  Outcome o = run_cli({seed_path(), missing}, opt);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS((missing + ": no such file or directory").c_str(), o.err.c_str());
  STRCMP_EQUAL("", o.out.c_str());
  expect_nothing_written({});
}

TEST(BadInput, LoadScenarioFileThrowsInputError) {
  std::string file = *dir / "bad.json";
  json j = seed();
  j["threads"][1]["end"] = 2;
  write_json(file, j);
  try {
    (void)tools::load_scenario_file(file);
    FAIL("load_scenario_file accepted an out-of-range end");
  } catch (const tools::InputError& e) {
    STRCMP_CONTAINS((file + ": /threads/1/end:").c_str(), e.what());
  }
}
