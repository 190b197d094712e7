// parse_scenario / parse_scenario_text: every input error names the JSON
// location (a JSON pointer) and what was expected there (scenario-format.md).
// Each test starts from one valid scenario and breaks exactly one thing.
#include <nlohmann/json.hpp>
#include <string>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace gmt;
using nlohmann::json;

namespace {

json valid() {
  return json::parse(R"({
    "format_version": 1,
    "name": "loader",
    "variant": "v7.0",
    "mutations": [],
    "pages": 2,
    "initial": {"mem_attr_array": ["private", "shared"], "populated": [0], "mapped": [0]},
    "threads": [
      {"name": "CPU0", "path": "punch_hole", "start": 0, "end": 1},
      {"name": "CPU1", "path": "set_attributes", "start": 0, "end": 2, "attribute": "private"},
      {"name": "VCPU0", "path": "page_fault", "gfn": 1, "access": "shared"}
    ],
    "bounds": {"fault_retries": 2},
    "expect": {"verdict": "pass"}
  })");
}

struct Error {
  std::string pointer = "(none)";
  std::string message = "(the scenario loaded)";
};

Error error_of(const json& j) {
  try {
    model::parse_scenario(j);
  } catch (const model::ScenarioError& e) {
    return {e.pointer(), e.what()};
  }
  return {};
}

Error error_of_text(const std::string& text) {
  try {
    model::parse_scenario_text(text);
  } catch (const model::ScenarioError& e) {
    return {e.pointer(), e.what()};
  }
  return {};
}

void expect_error(const Error& e, const std::string& pointer, const char* phrase) {
  CHECK_EQUAL(pointer, e.pointer);
  STRCMP_CONTAINS(phrase, e.message.c_str());
}

}  // namespace

TEST_GROUP(ScenarioLoader){};

TEST(ScenarioLoader, TheBaseScenarioIsValid) {
  CHECK_EQUAL(std::string("(none)"), error_of(valid()).pointer);
}

// A syntax error has no location inside the document: pointer "", with the
// parser's line and column in the message.
TEST(ScenarioLoader, MalformedJson) {
  Error e = error_of_text("{\"format_version\": 1,\n \"name\": }");
  expect_error(e, "", "malformed JSON");
  STRCMP_CONTAINS("line 2", e.message.c_str());
}

TEST(ScenarioLoader, NotAnObject) {
  expect_error(error_of(json::array()), "", "expected a JSON object");
}

TEST(ScenarioLoader, MissingThreadField) {
  json j = valid();
  j["threads"][1].erase("end");
  expect_error(error_of(j), "/threads/1/end", "missing required field \"end\"");
}

TEST(ScenarioLoader, MissingTopLevelField) {
  json j = valid();
  j.erase("variant");
  expect_error(error_of(j), "/variant", "missing required field");
}

TEST(ScenarioLoader, UnknownThreadField) {
  json j = valid();
  j["threads"][0]["colour"] = "red";
  expect_error(error_of(j), "/threads/0/colour", "unknown field \"colour\"");
}

// A field of another path is unknown too: a page_fault has no "start".
TEST(ScenarioLoader, FieldOfAnotherPath) {
  json j = valid();
  j["threads"][2]["start"] = 0;
  expect_error(error_of(j), "/threads/2/start", "unknown field");
}

TEST(ScenarioLoader, UnknownBoundsField) {
  json j = valid();
  j["bounds"]["foo"] = 1;
  expect_error(error_of(j), "/bounds/foo", "unknown field \"foo\"");
}

TEST(ScenarioLoader, UnknownTopLevelField) {
  json j = valid();
  j["colour"] = "red";
  expect_error(error_of(j), "/colour", "unknown field \"colour\"");
}

TEST(ScenarioLoader, UnknownInitialField) {
  json j = valid();
  j["initial"]["uptodate"] = json::array();
  expect_error(error_of(j), "/initial/uptodate", "unknown field");
}

TEST(ScenarioLoader, WrongType) {
  json j = valid();
  j["pages"] = "2";
  expect_error(error_of(j), "/pages", "expected an integer");
}

TEST(ScenarioLoader, WrongTypeOfAttribute) {
  json j = valid();
  j["threads"][1]["attribute"] = true;
  expect_error(error_of(j), "/threads/1/attribute", "expected a string");
}

TEST(ScenarioLoader, PagesOutOfRange) {
  json j = valid();
  j["pages"] = 9;
  expect_error(error_of(j), "/pages", "out of range");
}

TEST(ScenarioLoader, RangeEndBeyondPages) {
  json j = valid();
  j["threads"][0]["end"] = 3;
  expect_error(error_of(j), "/threads/0/end", "out of range");
}

TEST(ScenarioLoader, GfnOutOfRange) {
  json j = valid();
  j["threads"][0] = json::parse(R"({"name": "VCPU1", "path": "page_fault", "gfn": 2, "access": "private"})");
  expect_error(error_of(j), "/threads/0/gfn", "out of range");
}

TEST(ScenarioLoader, FaultRetriesOutOfRange) {
  json j = valid();
  j["bounds"]["fault_retries"] = 9;
  expect_error(error_of(j), "/bounds/fault_retries", "out of range");
}

TEST(ScenarioLoader, EmptyRange) {
  json j = valid();
  j["threads"][0]["start"] = 1;
  j["threads"][0]["end"] = 1;
  expect_error(error_of(j), "/threads/0/end", "empty range");
}

TEST(ScenarioLoader, DuplicateThreadName) {
  json j = valid();
  j["threads"][1]["name"] = "CPU0";
  expect_error(error_of(j), "/threads/1/name", "duplicate thread name");
}

TEST(ScenarioLoader, UnknownVariant) {
  json j = valid();
  j["variant"] = "v6.12";
  expect_error(error_of(j), "/variant", "unknown variant \"v6.12\"");
}

TEST(ScenarioLoader, UnknownMutation) {
  json j = valid();
  j["mutations"] = {"no_such_bug"};
  expect_error(error_of(j), "/mutations/0", "unknown mutation");
}

TEST(ScenarioLoader, DuplicateMutation) {
  json j = valid();
  j["mutations"] = {"range_overwrite", "range_overwrite"};
  expect_error(error_of(j), "/mutations/1", "listed twice");
}

// uptodate_before_prepare re-injects a v6.11 bug; naming it for v7.0 is an error.
TEST(ScenarioLoader, MutationNotApplicableToTheVariant) {
  json j = valid();
  j["mutations"] = {"uptodate_before_prepare"};
  expect_error(error_of(j), "/mutations/0", "applies only to variant v6.11");
}

TEST(ScenarioLoader, MutationApplicableToItsVariant) {
  json j = valid();
  j["variant"] = "v6.11";
  j["mutations"] = {"uptodate_before_prepare"};
  CHECK_EQUAL(std::string("(none)"), error_of(j).pointer);
}

TEST(ScenarioLoader, UnknownPath) {
  json j = valid();
  j["threads"][0]["path"] = "fallocate";
  expect_error(error_of(j), "/threads/0/path", "unknown path \"fallocate\"");
}

TEST(ScenarioLoader, UnknownInvariantInExpect) {
  json j = valid();
  j["expect"] = {{"verdict", "violation"}, {"invariant", "use_after_free"}};
  expect_error(error_of(j), "/expect/invariant", "unknown invariant");
}

TEST(ScenarioLoader, PassWithAnInvariant) {
  json j = valid();
  j["expect"] = {{"verdict", "pass"}, {"invariant", "freed_private"}};
  expect_error(error_of(j), "/expect/invariant", "names no invariant");
}

TEST(ScenarioLoader, ViolationWithoutAnInvariant) {
  json j = valid();
  j["expect"] = {{"verdict", "violation"}};
  expect_error(error_of(j), "/expect/invariant", "missing required field");
}

TEST(ScenarioLoader, UnknownVerdict) {
  json j = valid();
  j["expect"] = {{"verdict", "fail"}};
  expect_error(error_of(j), "/expect/verdict", "unknown verdict");
}

TEST(ScenarioLoader, MemAttrArrayOfTheWrongLength) {
  json j = valid();
  j["initial"]["mem_attr_array"] = {"private"};
  expect_error(error_of(j), "/initial/mem_attr_array", "one per page");
}

TEST(ScenarioLoader, UnknownAttributeValue) {
  json j = valid();
  j["initial"]["mem_attr_array"][1] = "encrypted";
  expect_error(error_of(j), "/initial/mem_attr_array/1", "expected \"private\" or \"shared\"");
}

// A private mapping needs a page behind it: no execution reaches that state.
TEST(ScenarioLoader, PrivateMappingOfAnUnpopulatedPage) {
  json j = valid();
  j["initial"]["populated"] = json::array();
  expect_error(error_of(j), "/initial/mapped", "not populated");
}

// A shared mapping points to ordinary host memory: no folio needed.
TEST(ScenarioLoader, SharedMappingOfAnUnpopulatedPageIsFine) {
  json j = valid();
  j["initial"]["mapped"] = {0, 1};
  CHECK_EQUAL(std::string("(none)"), error_of(j).pointer);
}

TEST(ScenarioLoader, DuplicatePopulatedIndex) {
  json j = valid();
  j["initial"]["populated"] = {0, 0};
  expect_error(error_of(j), "/initial/populated/1", "listed twice");
}

TEST(ScenarioLoader, FormatVersion2) {
  json j = valid();
  j["format_version"] = 2;
  expect_error(error_of(j), "/format_version", "out of range");
}

TEST(ScenarioLoader, TooManyThreads) {
  json j = valid();
  j["threads"] = json::array();
  for (int t = 0; t < 7; ++t)
    j["threads"].push_back(
        {{"name", "CPU" + std::to_string(t)}, {"path", "punch_hole"}, {"start", 0}, {"end", 1}});
  expect_error(error_of(j), "/threads", "1..6 threads");
}

TEST(ScenarioLoader, NoThreads) {
  json j = valid();
  j["threads"] = json::array();
  expect_error(error_of(j), "/threads", "1..6 threads");
}

// The smallest scenario: every optional field takes its documented default.
TEST(ScenarioLoader, ValidScenarioLoadsWithDefaults) {
  model::Scenario s = model::parse_scenario_text(R"({
    "format_version": 1, "name": "minimal", "variant": "roth2023", "pages": 3,
    "threads": [{"name": "QEMU", "path": "convert", "start": 1, "end": 3, "to": "shared"}]
  })");
  CHECK_EQUAL(std::string("minimal"), s.name);
  CHECK_EQUAL(std::string("roth2023"), std::string(s.variant->name));
  CHECK(s.mutations.empty());
  CHECK_EQUAL(3, s.pages);
  CHECK_EQUAL(3u, s.mem_attr_array.size());
  for (model::Attr a : s.mem_attr_array) CHECK(a == model::Attr::shared);
  CHECK(s.populated.empty());
  CHECK(s.mapped.empty());
  CHECK_EQUAL(2, s.fault_retries);
  CHECK_FALSE(s.expect.violation);
  CHECK(s.expect.invariant.empty());
  CHECK_EQUAL(0u, s.bounds.steps);
  CHECK_EQUAL(0u, s.bounds.executions);
  CHECK_FALSE(s.bounds.preemptions_set);
  CHECK_EQUAL(1u, s.threads.size());
  CHECK(s.threads[0].path == model::PathKind::convert);
  CHECK_EQUAL(1, s.threads[0].start);
  CHECK_EQUAL(3, s.threads[0].end);
  CHECK(s.threads[0].attr == model::Attr::shared);
  CHECK_EQUAL(std::string("convert(1,3,shared)"), s.threads[0].describe());
}

// Every field of the base scenario lands where the model reads it.
TEST(ScenarioLoader, ValidScenarioFields) {
  model::Scenario s = model::parse_scenario(valid());
  CHECK(s.mem_attr_array[0] == model::Attr::private_);
  CHECK(s.mem_attr_array[1] == model::Attr::shared);
  CHECK_EQUAL(1u, s.populated.size());
  CHECK_EQUAL(1u, s.mapped.size());
  CHECK_EQUAL(std::string("set_attributes(0,2,private)"), s.threads[1].describe());
  CHECK_EQUAL(std::string("page_fault(1,shared)"), s.threads[2].describe());
  CHECK(s.source == valid());
}

TEST(ScenarioLoader, ViolationExpectation) {
  json j = valid();
  j["expect"] = {{"verdict", "violation"}, {"invariant", "retry_bound"}};
  model::Scenario s = model::parse_scenario(j);
  CHECK(s.expect.violation);
  CHECK_EQUAL(std::string("retry_bound"), s.expect.invariant);
}
