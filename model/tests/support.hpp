// Shared helpers for the model tests: scenarios written in the file format,
// findings as comparable strings, and single executions with their step labels.
// Include before <CppUTest/TestHarness.h> (CppUTest redefines `new` after it).
#pragma once

#include <CppUTest/SimpleString.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmemcheck/checker/explorer.hpp"
#include "gmemcheck/checker/strategy.hpp"
#include "gmemcheck/model/machine.hpp"
#include "gmemcheck/model/scenario.hpp"

// Lets CHECK_EQUAL print step-label lists, one label a line, so a failing
// sequence shows exactly where it departs from the expected one.
inline SimpleString StringFrom(const std::vector<std::string>& v) {
  std::string out = "\n";
  for (const std::string& s : v) out += "  " + s + "\n";
  return SimpleString(out.c_str());
}

namespace gmt {

namespace model = gmemcheck::model;
namespace checker = gmemcheck::checker;

// Thread objects in the scenario format.
inline std::string punch_hole(int start, int end, const std::string& name = "CPU0") {
  return R"({"name":")" + name + R"(","path":"punch_hole","start":)" + std::to_string(start) +
         ",\"end\":" + std::to_string(end) + "}";
}
inline std::string set_attributes(int start, int end, const std::string& attr,
                                  const std::string& name = "CPU1") {
  return R"({"name":")" + name + R"(","path":"set_attributes","start":)" + std::to_string(start) +
         ",\"end\":" + std::to_string(end) + R"(,"attribute":")" + attr + "\"}";
}
inline std::string convert(int start, int end, const std::string& to, const std::string& name = "QEMU") {
  return R"({"name":")" + name + R"(","path":"convert","start":)" + std::to_string(start) +
         ",\"end\":" + std::to_string(end) + R"(,"to":")" + to + "\"}";
}
inline std::string page_fault(int gfn, const std::string& access, const std::string& name = "VCPU0") {
  return R"({"name":")" + name + R"(","path":"page_fault","gfn":)" + std::to_string(gfn) + R"(,"access":")" +
         access + "\"}";
}
inline std::string rmpupdate(int index, const std::string& to, const std::string& name = "RMP") {
  return R"({"name":")" + name + R"(","path":"rmpupdate","index":)" + std::to_string(index) + R"(,"to":")" +
         to + "\"}";
}

// A whole scenario. `initial` is the body of the "initial" object, `threads`
// the comma-separated thread objects, `extra` further top-level members.
inline std::string scenario_text(const std::string& variant, int pages, const std::string& initial,
                                 const std::string& threads, const std::string& extra = "") {
  return R"({"format_version":1,"name":"test","variant":")" + variant + R"(","pages":)" +
         std::to_string(pages) + R"(,"initial":{)" + initial + R"(},"threads":[)" + threads + "]" +
         (extra.empty() ? "" : "," + extra) + "}";
}

inline model::Scenario scenario(const std::string& variant, int pages, const std::string& initial,
                                const std::string& threads, const std::string& extra = "") {
  return model::parse_scenario_text(scenario_text(variant, pages, initial, threads, extra));
}

// Invariant ids of a list of findings, sorted, unique, comma-separated: an
// exact expected set reads better in a failure than a series of lookups.
inline std::string ids(const std::vector<checker::Finding>& findings) {
  std::set<std::string> set;
  for (const checker::Finding& f : findings) set.insert(f.invariant);
  std::string out;
  for (const std::string& s : set) out += (out.empty() ? "" : ",") + s;
  return out;
}

template <class Map>
std::string keys(const Map& m) {
  std::string out;
  for (const auto& kv : m) out += (out.empty() ? "" : ",") + kv.first;
  return out;
}

// What the per-step invariants say about the machine's current state.
inline std::string check_ids(model::Machine& m) {
  std::vector<checker::Finding> out;
  m.check(out);
  return ids(out);
}

// What the end-of-run invariants say about the machine's current state.
inline std::string check_final_ids(model::Machine& m) {
  std::vector<checker::Finding> out;
  m.check_final(out);
  return ids(out);
}

// Records the announced label of every step just before it runs.
class StepRecorder final : public checker::Observer {
 public:
  explicit StepRecorder(const model::Machine& m) : m_(m) {}
  void before_step(checker::ThreadId t, const std::vector<checker::ThreadId>&) override {
    labels.push_back(m_.step_label(t));
  }
  void after_step(checker::ThreadId, const std::vector<checker::Finding>&) override {}
  std::vector<std::string> labels;

 private:
  const model::Machine& m_;
};

struct Run {
  std::vector<std::string> labels;
  checker::SingleRun result;
};

// One execution following `schedule`; the machine keeps the state it ended in.
inline Run run_schedule(model::Machine& m, checker::Schedule schedule) {
  checker::ReplayStrategy replay(std::move(schedule));
  StepRecorder rec(m);
  checker::SingleRun r = checker::run_once(m, replay, &rec, false);
  return {rec.labels, r};
}

// Thread 0 run alone to its end (a schedule longer than any path).
inline Run run_alone(model::Machine& m) {
  return run_schedule(m, checker::Schedule(500, 0));
}

// Every interleaving (stateful search: sound for the invariants checked).
inline checker::Result explore_all(model::Machine& m) {
  checker::DfsStrategy dfs;
  checker::Options options;
  options.cache = true;
  return checker::explore(m, dfs, options);
}

}  // namespace gmt
