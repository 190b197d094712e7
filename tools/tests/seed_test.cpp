// The seed scenario end to end: `gmemcheck run` finds freed_private, writes a
// trace that tells the story of protocol-model.md section 6 and prints it in
// columns; the same input writes the same bytes.
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace cli;

namespace {

constexpr std::size_t kColumn = 44;  // width of one thread's column

std::string trace_path(const TempDir& dir) { return dir / "traces/seed-roth2023.freed_private.json"; }

}  // namespace

TEST_GROUP(Seed) {
  TempDir* dir = nullptr;
  tools::RunOptions opt;

  void setup() override {
    dir = new TempDir;
    opt.trace_dir = *dir / "traces";
  }
  void teardown() override { delete dir; }
};

TEST(Seed, RunFindsFreedPrivateAndWritesTheStory) {
  Outcome o = run_cli({seed_path()}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("seed-roth2023  roth2023  violation freed_private  [expected; expected violation freed_private]",
                  o.out.c_str());

  json j = read_json(trace_path(*dir));
  tools::Trace parsed = tools::trace_from_json(j);
  STRCMP_EQUAL("freed_private", parsed.violation.invariant.c_str());
  STRCMP_EQUAL("freed_private", j["violation"]["invariant"].get<std::string>().c_str());
  STRCMP_EQUAL("roth2023", j["variant"].get<std::string>().c_str());
  LONGS_EQUAL(j["steps"].size(), j["violation"]["step"].get<std::size_t>());

  // Section 6, in this order (other steps may come between).
  const std::vector<std::pair<std::string, std::string>> story = {
      {"CPU0", "filemap_invalidate_lock"},
      {"CPU0", "kvm_mmu_invalidate_begin [0,1)"},
      {"CPU0", "rmpupdate pfn 0 -> shared"},
      {"CPU1", "mutex_lock(slots_lock)"},
      {"CPU1", "kvm_mmu_invalidate_begin [0,1)"},
      {"CPU1", "xa_store mem_attr_array[0] = private"},
      {"CPU1", "rmpupdate pfn 0 -> private"},
      {"CPU0", "folio_put pfn 0 (page cache reference)"},
  };
  std::size_t next = 0;
  for (const json& s : j["steps"])
    if (next < story.size() && s["thread"] == story[next].first && s["name"] == story[next].second) ++next;
  std::string missing = next < story.size() ? story[next].first + " " + story[next].second : "";
  STRCMP_EQUAL("", missing.c_str());

  // The free is the last step: the execution stops where the invariant breaks.
  const json& last = j["steps"].back();
  STRCMP_EQUAL("CPU0", last["thread"].get<std::string>().c_str());
  STRCMP_EQUAL("folio_put pfn 0 (page cache reference)", last["name"].get<std::string>().c_str());

  // The schedule is the steps' threads.
  LONGS_EQUAL(j["steps"].size(), j["schedule"].size());
  for (std::size_t i = 0; i < j["steps"].size(); ++i) CHECK(j["schedule"][i] == j["steps"][i]["thread"]);

  // Columns: CPU0 at column 0, CPU1 indented by one column width.
  std::string pad(kColumn, ' ');
  CHECK(has_line(o.out, "filemap_invalidate_lock"));
  CHECK(has_line(o.out, "kvm_mmu_invalidate_begin [0,1)"));
  CHECK(has_line(o.out, "rmpupdate pfn 0 -> shared"));
  CHECK(has_line(o.out, pad + "mutex_lock(slots_lock)"));
  CHECK(has_line(o.out, pad + "kvm_mmu_invalidate_begin [0,1)"));
  CHECK(has_line(o.out, pad + "xa_store mem_attr_array[0] = private"));
  CHECK(has_line(o.out, pad + "rmpupdate pfn 0 -> private"));
  CHECK(has_line(o.out, "folio_put pfn 0 (page cache reference)"));
  CHECK(has_line_starting(o.out, "CPU0 punch_hole(0,1)" + std::string(kColumn - 20, ' ') +
                                     "CPU1 set_attributes(0,1,private)"));
  CHECK(has_line_starting(o.out, "  VIOLATION freed_private: "));
  CHECK(has_line(o.out, "  trace: " + trace_path(*dir)));
  CHECK(has_line(o.out, "  replay: gmemcheck replay " + trace_path(*dir)));
  STRCMP_CONTAINS("summary: 1 scenario(s): 1 as expected, 0 not as expected, 0 inconclusive", o.out.c_str());
}

TEST(Seed, RenderColumnsOfARecordedTrace) {
  Outcome o = run_cli({seed_path()}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  json j = read_json(trace_path(*dir));
  tools::Trace parsed = tools::trace_from_json(j);
  checker::Schedule schedule;
  for (const tools::TraceStep& s : parsed.steps) schedule.push_back(s.thread);
  tools::Trace t = tools::record_trace(parsed.scenario, schedule, parsed.violation, false, parsed.scenario.bounds);
  t.strategy = parsed.strategy;
  LONGS_EQUAL(j["steps"].size(), t.steps.size());
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    STRCMP_EQUAL(j["steps"][i]["name"].get<std::string>().c_str(), t.steps[i].name.c_str());
    STRCMP_EQUAL(j["steps"][i]["changes"].get<std::string>().c_str(), t.steps[i].changes.c_str());
  }
  std::string columns = tools::render_columns(t);
  // The printed story is exactly what render_columns makes of the trace.
  STRCMP_CONTAINS(columns.c_str(), o.out.c_str());
  // Written back, the trace is the file that was read.
  std::string replay = "gmemcheck replay " + trace_path(*dir);
  STRCMP_EQUAL(read_text(trace_path(*dir)).c_str(), (tools::trace_to_json(t, replay).dump(2) + "\n").c_str());
}

TEST(Seed, SameInputSameTraceBytes) {
  Outcome first = run_cli({seed_path()}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, first.status, (first.out + first.err).c_str());
  std::string bytes = read_text(trace_path(*dir));
  fs::remove_all(opt.trace_dir);
  CHECK_FALSE(fs::exists(trace_path(*dir)));

  Outcome second = run_cli({seed_path()}, opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, second.status, (second.out + second.err).c_str());
  std::string again = read_text(trace_path(*dir));
  CHECK(!bytes.empty());
  CHECK(bytes == again);
  // Only the trace was written, under its fixed name.
  LONGS_EQUAL(1, json_files(opt.trace_dir).size());
}
