// The footprints the steps declare (Touch, obj::) against what the steps do.
// Partial-order reduction explores one schedule of each class of schedules
// that differ only in the order of independent steps, so it is sound only if
// two steps whose footprints are independent commute: either order reaches
// the same state, neither enables, disables or changes the other's announced
// step, and check() cannot tell the orders apart. And a step that writes an
// object it did not declare can race with a step the reduction thinks it
// cannot. Both are checked at a sample of the states that random schedules of
// every checked-in scenario reach. The engine stops an execution at a
// violation, so the states past one are not reached here.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace gmt;
using checker::Footprint;
using checker::Schedule;
using checker::ThreadId;
using model::kNone;
using model::LockId;
using model::State;
namespace obj = model::obj;

namespace {

// Enough to run every step a scenario reaches before a violation, at several
// states each, while the whole test stays within a few seconds.
constexpr int kSchedulesPerScenario = 30;
constexpr int kStatesPerSchedule = 5;
constexpr std::uint64_t kSeed = 0x676d656d;

// ---------------------------------------------------------------------------
// What a step changed, as the objects of its footprint.

// One field that differs between two states, and what a step that changed it
// must have declared.
struct Change {
  std::string field;
  std::uint64_t writes = 0;   // declared written
  std::uint64_t touches = 0;  // declared read or written
  ThreadId thread = -1;       // a register of this thread: no object
};
using Changes = std::vector<Change>;

template <class T>
void compare(Changes& out, const T& a, const T& b, const std::string& field, std::uint64_t writes) {
  if (!(a == b)) out.push_back({field, writes});
}

std::string at(int i) {
  return "[" + std::to_string(i) + "]";
}

std::uint64_t pfn_object(int pfn) {
  return pfn == kNone ? 0 : obj::pfn(pfn);
}

void page_changes(const State& a, const State& b, Changes& out) {
  for (int i = 0; i < model::kMaxPages; ++i) {
    compare(out, a.page_cache[i], b.page_cache[i], "page_cache" + at(i), obj::cache(i));
    compare(out, a.mem_attr_array[i], b.mem_attr_array[i], "mem_attr_array" + at(i), obj::attr(i));
    compare(out, a.spte[i], b.spte[i], "spte" + at(i), obj::spte(i));
  }
}

// A host page is obj::pfn(p), except its folio lock: obj::folio_locks.
void pfn_changes(const State& a, const State& b, Changes& out) {
  for (int p = 0; p < model::kMaxPfns; ++p) {
    model::Page pa = a.pfn[p], pb = b.pfn[p];
    compare(out, pa.locked_by, pb.locked_by, "pfn" + at(p) + ".locked_by", obj::folio_locks);
    pa.locked_by = pb.locked_by = kNone;
    compare(out, pa, pb, "pfn" + at(p), obj::pfn(p));
  }
  // Only the first allocation of a pfn raises pfns_used: it belongs to that pfn.
  std::uint64_t fresh = 0;
  for (int p = std::min(a.pfns_used, b.pfns_used); p < std::max(a.pfns_used, b.pfns_used); ++p)
    fresh |= obj::pfn(p);
  compare(out, a.pfns_used, b.pfns_used, "pfns_used", fresh);
}

void invalidation_changes(const State& a, const State& b, Changes& out) {
  compare(out, a.mmu_invalidate_seq, b.mmu_invalidate_seq, "mmu_invalidate_seq", obj::invalidation);
  compare(out, a.mmu_invalidate_in_progress, b.mmu_invalidate_in_progress, "mmu_invalidate_in_progress",
          obj::invalidation);
  compare(out, a.range_start, b.range_start, "range_start", obj::invalidation);
  compare(out, a.range_end, b.range_end, "range_end", obj::invalidation);
}

// A reader of mmu_lock flips only its own bit and declares a read of the lock:
// readers commute with each other, and every step that tests the readers
// (a writer's acquire) writes the lock, so it still conflicts with them.
void lock_changes(const State& a, const State& b, ThreadId self, Changes& out) {
  compare(out, a.locks.slots, b.locks.slots, "locks.slots", obj::lock(LockId::slots));
  compare(out, a.locks.filemap_invalidate, b.locks.filemap_invalidate, "locks.filemap_invalidate",
          obj::lock(LockId::filemap_invalidate));
  compare(out, a.locks.gmem, b.locks.gmem, "locks.gmem", obj::lock(LockId::gmem));
  compare(out, a.locks.mmu_writer, b.locks.mmu_writer, "locks.mmu_writer", obj::lock(LockId::mmu));
  for (int t = 0; t < model::kMaxThreads; ++t) {
    if (((a.locks.mmu_readers ^ b.locks.mmu_readers) >> t & 1u) == 0) continue;
    Change c{"locks.mmu_readers bit " + std::to_string(t)};
    (t == self ? c.touches : c.writes) = obj::lock(LockId::mmu);
    out.push_back(c);
  }
}

// The pfn whose reference a fault holds: check() reads it with that pfn.
int held_reference(const model::Regs& r) {
  return r.holds_ref ? r.pfn : kNone;
}

void register_changes(const State& a, const State& b, Changes& out) {
  for (int t = 0; t < model::kMaxThreads; ++t) {
    if (a.threads[t] == b.threads[t]) continue;
    out.push_back({"threads" + at(t), 0, 0, t});
    const int before = held_reference(a.threads[t]), after = held_reference(b.threads[t]);
    if (before != after)
      out.push_back({"threads" + at(t) + " held reference", pfn_object(before) | pfn_object(after)});
  }
}

// Every field in which b differs from a, as a step of `self` would have
// changed it (self < 0: no thread stepped).
Changes changes(const State& a, const State& b, ThreadId self) {
  Changes out;
  page_changes(a, b, out);
  pfn_changes(a, b, out);
  invalidation_changes(a, b, out);
  lock_changes(a, b, self, out);
  register_changes(a, b, out);
  return out;
}

std::string fields(const Changes& cs) {
  std::string out;
  for (const Change& c : cs) out += (out.empty() ? "" : ", ") + c.field;
  return out;
}

// What a step of `self` with footprint `fp` changed without declaring it. The
// stepping thread's registers are its own; other threads' never change.
std::string undeclared(const Changes& cs, ThreadId self, const Footprint& fp) {
  Changes out;
  for (const Change& c : cs) {
    if (c.thread == self) continue;
    if (c.thread >= 0 || (c.writes & ~fp.writes) || (c.touches & ~(fp.reads | fp.writes))) out.push_back(c);
  }
  return fields(out);
}

// ---------------------------------------------------------------------------
// Reaching states through the engine.

// Findings written "invariant: message".
using Seen = std::set<std::string>;

Seen texts(const std::vector<checker::Finding>& findings) {
  Seen out;
  for (const checker::Finding& f : findings) out.insert(f.invariant + ": " + f.message);
  return out;
}

// Each step's thread and what check() found after it.
class Recorder final : public checker::Observer {
 public:
  void before_step(ThreadId t, const std::vector<ThreadId>&) override { schedule.push_back(t); }
  void after_step(ThreadId, const std::vector<checker::Finding>& findings) override {
    checked.push_back(texts(findings));
  }

  Schedule schedule;
  std::vector<Seen> checked;  // per step, step events included
};

// Where a schedule leads: the state, each thread's announced step there, and
// what check() found on the way.
struct Reached {
  bool complete = false;  // every step of the schedule ran
  bool cut = false;       // a step broke an invariant, which ended the execution
  State state;
  std::vector<bool> live;  // unfinished
  std::vector<bool> enabled;
  std::vector<Footprint> next;
  std::vector<std::string> labels;
  std::vector<Seen> checked;  // per step, step events included
  Seen findings;              // read off the state reached (no step events)

  // What check() found after the steps from `depth` on, together.
  Seen since(std::size_t depth) const {
    Seen out;
    for (std::size_t i = depth; i < checked.size(); ++i) out.insert(checked[i].begin(), checked[i].end());
    return out;
  }
};

Reached reach(model::Machine& m, const Schedule& schedule) {
  checker::ReplayStrategy replay(schedule);
  Recorder recorder;
  checker::SingleRun run = checker::run_once(m, replay, &recorder, false);
  Reached r;
  r.complete = run.steps == schedule.size();
  r.cut = !r.complete && run.end == checker::EndReason::violation;
  r.state = m.state();
  for (ThreadId t = 0; t < m.thread_count(); ++t) {
    r.live.push_back(!run.finished[t]);
    r.enabled.push_back(!run.finished[t] && m.enabled(t));
    r.next.push_back(m.footprint(t));
    r.labels.push_back(m.step_label(t));
  }
  r.checked = std::move(recorder.checked);
  std::vector<checker::Finding> from_state;
  m.check(from_state);  // the last step's events are taken: only the state's are left
  r.findings = texts(from_state);
  return r;
}

// A random schedule, up to the last state that can still be stepped from:
// run_once stops at a violation, so the state after one is left out.
Schedule random_schedule(model::Machine& m, std::uint64_t seed) {
  checker::RandomStrategy random(seed);
  Recorder recorder;
  checker::SingleRun run = checker::run_once(m, random, &recorder, false);
  if (run.end == checker::EndReason::violation) recorder.schedule.pop_back();
  return recorder.schedule;
}

Schedule then(Schedule s, std::initializer_list<ThreadId> steps) {
  s.insert(s.end(), steps);
  return s;
}

// ---------------------------------------------------------------------------
// The checks, with what they found kept for one report.

struct Counts {
  int scenarios = 0;
  int states = 0;
  int steps = 0;      // single steps whose writes were compared
  int pairs = 0;      // independent pairs run in both orders
  int pairs_cut = 0;  // both orders stopped at a violation after their first step
};

// Problems by kind and step labels: the same wrong declaration shows up at
// many states of many scenarios, and one example of each is enough to act on.
class Problems {
 public:
  void add(const std::string& key, const std::string& message) {
    auto [it, fresh] = seen_.try_emplace(key, message, 0);
    ++it->second.second;
    if (fresh) order_.push_back(key);
  }
  bool empty() const { return order_.empty(); }
  std::string text() const {
    std::string out = std::to_string(order_.size()) + " distinct problems:\n";
    for (const std::string& key : order_) {
      const auto& [message, count] = seen_.at(key);
      out += "- " + message + " (at " + std::to_string(count) + " state(s) in all)\n";
    }
    return out;
  }

 private:
  std::map<std::string, std::pair<std::string, int>> seen_;
  std::vector<std::string> order_;
};

std::string list(const Seen& seen) {
  std::string out;
  for (const std::string& s : seen) out += (out.empty() ? "" : "; ") + s;
  return "[" + out + "]";
}

Seen minus(const Seen& a, const Seen& b) {
  Seen out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

// The ids of findings written "invariant: message".
Seen invariant_ids(const Seen& findings) {
  Seen out;
  for (const std::string& f : findings) out.insert(f.substr(0, f.find(':')));
  return out;
}

std::string join(const Schedule& s) {
  std::string out;
  for (ThreadId t : s) out += (out.empty() ? "" : ",") + std::to_string(t);
  return out;
}

class StateChecker {
 public:
  StateChecker(const model::Scenario& sc, Counts& counts, Problems& problems)
      : m_(sc), name_(sc.name), counts_(counts), problems_(problems) {
    // lockdep kept across executions would make one replay's findings depend
    // on the replays before it.
    m_.set_lockdep_per_execution(true);
  }

  model::Machine& machine() { return m_; }

  void check(const Schedule& prefix) {
    const Reached here = reach(m_, prefix);
    if (!here.complete) {
      problem(prefix, "replay", "the schedule does not replay: the model is not deterministic");
      return;
    }
    // Random schedules keep coming back to the same states: check each once.
    if (!checked_.insert(m_.state_hash()).second) return;
    ++counts_.states;
    for (ThreadId t = 0; t < m_.thread_count(); ++t)
      if (here.enabled[t]) check_step(prefix, here, t);
    for (ThreadId t = 0; t < m_.thread_count(); ++t)
      for (ThreadId u = t + 1; u < m_.thread_count(); ++u)
        if (here.enabled[t] && here.enabled[u] && !here.next[t].dependent(here.next[u]))
          check_pair(prefix, here, t, u);
  }

  // Properties 1 and 3: both orders reach the same state, and check() cannot
  // tell them apart, neither at the end nor on the way (a finding seen only
  // in the order a reduction skips would be missed).
  void check_pair(const Schedule& prefix, const Reached& here, ThreadId t, ThreadId u) {
    const Reached tu = reach(m_, then(prefix, {t, u}));
    const Reached ut = reach(m_, then(prefix, {u, t}));
    // Not replayable: check_untouched has reported why.
    if ((!tu.complete && !tu.cut) || (!ut.complete && !ut.cut)) return;
    if (tu.cut && ut.cut) {
      ++counts_.pairs_cut;
      return;
    }
    ++counts_.pairs;
    const std::string pair = step(here, t) + " and " + step(here, u);
    const std::string key = here.labels[t] + "|" + here.labels[u];
    if (tu.complete && ut.complete) check_same_end(prefix, pair, key, tu, ut);
    check_same_findings(prefix, pair, key, tu, ut);
  }

 private:
  std::string step(const Reached& here, ThreadId t) const {
    return m_.thread_name(t) + " \"" + here.labels[t] + "\"";
  }

  void problem(const Schedule& prefix, const std::string& key, const std::string& what) {
    problems_.add(key, name_ + " after schedule [" + join(prefix) + "]: " + what);
  }

  // One step of t, against its footprint and the other threads' steps.
  void check_step(const Schedule& prefix, const Reached& here, ThreadId t) {
    const Reached after = reach(m_, then(prefix, {t}));
    check_writes(prefix, here, t, after);
    for (ThreadId u = 0; u < m_.thread_count(); ++u)
      if (u != t && here.live[u] && !here.next[t].dependent(here.next[u]))
        check_untouched(prefix, here, t, u, after);
  }

  // Property 4: the step wrote nothing it did not declare.
  void check_writes(const Schedule& prefix, const Reached& here, ThreadId t, const Reached& after) {
    ++counts_.steps;
    const std::string extra = undeclared(changes(here.state, after.state, t), t, here.next[t]);
    if (!extra.empty())
      problem(prefix, "writes|" + here.labels[t],
              step(here, t) + " changed " + extra + ", beyond its footprint");
  }

  // Property 2: a step leaves an independent thread's announced step as it was
  // (still enabled or still blocked, with the same footprint).
  void check_untouched(const Schedule& prefix, const Reached& here, ThreadId t, ThreadId u,
                       const Reached& after) {
    std::string what;
    if (!after.live[u])
      what = "finished";
    else if (after.enabled[u] != here.enabled[u])
      what = here.enabled[u] ? "disabled" : "enabled";
    else if (!(after.next[u] == here.next[u]) || after.labels[u] != here.labels[u])
      what = "changed the announced step (now \"" + after.labels[u] + "\") or footprint of";
    if (what.empty()) return;
    problem(prefix, "untouched|" + here.labels[t] + "|" + here.labels[u],
            step(here, t) + " " + what + " " + step(here, u) + ", though their footprints are independent");
  }

  void check_same_end(const Schedule& prefix, const std::string& pair, const std::string& key,
                      const Reached& tu, const Reached& ut) {
    if (!(tu.state == ut.state))
      problem(prefix, "commute|" + key,
              pair + " do not commute: the orders differ in " + fields(changes(tu.state, ut.state, -1)));
    if (invariant_ids(tu.findings) != invariant_ids(ut.findings))
      problem(prefix, "check|" + key,
              pair + ": check() finds " + list(invariant_ids(tu.findings)) + " after this order, " +
                  list(invariant_ids(ut.findings)) + " after the other");
  }

  // What each order's two steps raised and left, step events included. An
  // order cut short by a violation shows only what it reached, but that much
  // must show in the other order too.
  void check_same_findings(const Schedule& prefix, const std::string& pair, const std::string& key,
                           const Reached& tu, const Reached& ut) {
    const Seen a = tu.since(prefix.size()), b = ut.since(prefix.size());
    const bool same = tu.cut   ? std::includes(b.begin(), b.end(), a.begin(), a.end())
                      : ut.cut ? std::includes(a.begin(), a.end(), b.begin(), b.end())
                               : a == b;
    if (!same)
      problem(prefix, "findings|" + key,
              pair + ": check() tells the orders apart: only in this order " + list(minus(a, b)) +
                  ", only in the other " + list(minus(b, a)));
  }

  model::Machine m_;
  std::string name_;
  std::set<std::uint64_t> checked_;  // full-state hashes
  Counts& counts_;
  Problems& problems_;
};

// Distinct depths of a schedule of `length` steps (0: the initial state).
std::set<std::size_t> sample_depths(std::size_t length, std::mt19937_64& rng) {
  std::set<std::size_t> out;
  for (int k = 0; k < kStatesPerSchedule; ++k) out.insert(rng() % (length + 1));
  return out;
}

void check_scenario(const model::Scenario& sc, Counts& counts, Problems& problems) {
  ++counts.scenarios;
  StateChecker checker(sc, counts, problems);
  // One generator per scenario: adding a scenario leaves the others' schedules alone.
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < kSchedulesPerScenario; ++i) {
    const Schedule schedule = random_schedule(checker.machine(), rng());
    for (std::size_t depth : sample_depths(schedule.size(), rng))
      checker.check(Schedule(schedule.begin(), schedule.begin() + static_cast<std::ptrdiff_t>(depth)));
  }
}

std::vector<std::filesystem::path> scenario_files() {
  std::vector<std::filesystem::path> out;
  for (const char* dir : {"/scenarios", "/scenarios/reference"})
    for (const auto& entry : std::filesystem::directory_iterator(std::string(GMC_SOURCE_DIR) + dir))
      if (entry.is_regular_file() && entry.path().extension() == ".json") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

model::Scenario load(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return model::parse_scenario_text(text.str());
}

// The problems the pair check reports for the announced steps of threads 0
// and 1 after `prefix`, whatever their footprints say.
std::string pair_problems(const model::Scenario& sc, const Schedule& prefix, const std::string& label0,
                          const std::string& label1) {
  Counts counts;
  Problems problems;
  StateChecker checker(sc, counts, problems);
  const Reached here = reach(checker.machine(), prefix);
  CHECK_EQUAL(label0, here.labels[0]);
  CHECK_EQUAL(label1, here.labels[1]);
  CHECK(here.next[0].dependent(here.next[1]));
  checker.check_pair(prefix, here, 0, 1);
  return problems.text();
}

}  // namespace

TEST_GROUP(Footprint){};

// The write check on states written directly: each field maps to its object.
TEST(Footprint, ChangedFieldsMapToTheirObjects) {
  State a;
  a.threads[0].pfn = 3;
  State b = a;
  b.page_cache[1].uptodate = true;
  b.pfn[2].refs = 1;
  b.pfn[2].locked_by = 0;
  b.range_end = 1;
  b.locks.mmu_readers = 0b01;
  b.threads[0].holds_ref = true;
  const Footprint declared{obj::lock(LockId::mmu),
                           obj::cache(1) | obj::pfn(2) | obj::folio_locks | obj::invalidation | obj::pfn(3)};
  CHECK_EQUAL(std::string(""), undeclared(changes(a, b, 0), 0, declared));
  // The same changes, one object short each time.
  CHECK_EQUAL(std::string("page_cache[1]"),
              undeclared(changes(a, b, 0), 0, {declared.reads, declared.writes & ~obj::cache(1)}));
  CHECK_EQUAL(std::string("pfn[2].locked_by"),
              undeclared(changes(a, b, 0), 0, {declared.reads, declared.writes & ~obj::folio_locks}));
  CHECK_EQUAL(std::string("threads[0] held reference"),
              undeclared(changes(a, b, 0), 0, {declared.reads, declared.writes & ~obj::pfn(3)}));
  CHECK_EQUAL(std::string("locks.mmu_readers bit 0"), undeclared(changes(a, b, 0), 0, {0, declared.writes}));
  // Stepped by another thread: thread 0's registers and reader bit are not its own.
  CHECK_EQUAL(std::string("locks.mmu_readers bit 0, threads[0]"), undeclared(changes(a, b, 1), 1, declared));
}

// The pair check on dependent steps. The set-attributes store decides what
// the fault reads next: the orders end in different states.
TEST(Footprint, DependentStepsDoNotCommute) {
  const model::Scenario sc =
      scenario("v7.0", 1, R"("mem_attr_array":["shared"])",
               set_attributes(0, 1, "private", "QEMU") + "," + page_fault(0, "shared"));
  const std::string text = pair_problems(sc, {1, 0, 0, 0, 0, 0}, "xa_store mem_attr_array[0] = private",
                                         "kvm_mem_is_private(gfn 0)");
  CHECK_TEXT(text.find("do not commute: the orders differ in threads[1]") != std::string::npos, text.c_str());
}

// RMPUPDATE to shared under a private mapping breaks an invariant, unless the
// zap ran first: only one order shows the finding.
TEST(Footprint, DependentStepsShowDifferentFindings) {
  const model::Scenario sc =
      scenario("v7.0", 1, R"("mem_attr_array":["private"],"populated":[0],"mapped":[0])",
               punch_hole(0, 1) + "," + rmpupdate(0, "shared"));
  const std::string text =
      pair_problems(sc, {0, 0, 0, 1}, "kvm_unmap_gfn_range: zap spte[0]", "rmpupdate pfn 0 -> shared");
  CHECK_TEXT(text.find("only in the other [private_spte_shared_rmp: ") != std::string::npos, text.c_str());
}

// Every step of every checked-in scenario, at sampled states of random
// schedules: independent steps commute, and each step writes only what it declares.
TEST(Footprint, IndependentStepsCommuteAndWritesAreDeclared) {
  const auto start = std::chrono::steady_clock::now();
  Counts counts;
  Problems problems;
  for (const std::filesystem::path& file : scenario_files()) check_scenario(load(file), counts, problems);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  UT_PRINT(("footprints: " + std::to_string(counts.scenarios) + " scenarios, " +
            std::to_string(counts.states) + " states, " + std::to_string(counts.steps) + " steps, " +
            std::to_string(counts.pairs) + " independent pairs (" + std::to_string(counts.pairs_cut) +
            " more cut short by a violation in both orders), " + std::to_string(seconds) + " s")
               .c_str());
  // A walk that reached nothing would pass vacuously.
  CHECK(counts.scenarios > 40);
  CHECK(counts.pairs > 1000);
  if (!problems.empty()) FAIL(problems.text().c_str());
}

// What check() adds to a write, page by page: a write of one page's spte,
// attribute or cache entry reads the other objects its invariants read for
// that page, and nothing of any other page.
TEST(Footprint, CheckReadsArePerPage) {
  for (int g = 0; g < model::kMaxPages; ++g) {
    const std::uint64_t spte = obj::spte(g), attr = obj::attr(g), cache = obj::cache(g);
    Footprint s = model::footprint_of(model::writes(spte));
    CHECK_EQUAL(attr | cache | obj::all_pfns | obj::invalidation, s.reads);
    Footprint c = model::footprint_of(model::writes(cache));
    CHECK_EQUAL(spte | obj::all_pfns, c.reads);
    Footprint a = model::footprint_of(model::writes(attr));
    CHECK_EQUAL(spte | obj::invalidation, a.reads);
    // Written objects are never listed as read too.
    Footprint both = model::footprint_of(model::writes(spte | attr));
    CHECK_EQUAL(cache | obj::all_pfns | obj::invalidation, both.reads);
    CHECK_EQUAL(spte | attr, both.writes);
  }
  Footprint lock = model::footprint_of(model::writes(obj::lock(LockId::mmu)));
  CHECK_EQUAL(obj::invalidation, lock.reads);
  Footprint inv = model::footprint_of(model::writes(obj::invalidation) | model::reads(obj::spte(1)));
  CHECK_EQUAL(obj::all_sptes | obj::all_attrs | obj::lock(LockId::mmu), inv.reads);
}
