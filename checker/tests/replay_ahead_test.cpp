// One search on two cores: a helper thread replays, on copies of the program,
// the steps the strategy promises the next executions will repeat. Nothing a
// search counts or finds may change, and every promise must hold.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "gmemcheck/checker/dpor.hpp"
#include "gmemcheck/checker/explorer.hpp"
#include "toy_program.hpp"

// After the standard headers: CppUTest redefines new.
#include <CppUTest/TestHarness.h>

#include "same_result.hpp"
#include "thread_safe_leaks.hpp"

namespace ck = gmemcheck::checker;

namespace {

// Copies that replay: a program that keeps checkpoints goes back to them
// instead, on one core.
ck::ProgramFactory copies_of(const toy::Spec& s) {
  return [s] {
    auto copy = std::make_unique<toy::ToyProgram>(s);
    copy->set_checkpoints(false);
    return copy;
  };
}

enum class Search { dfs, dfs_cache, dpor, dpor_cache };

std::unique_ptr<ck::Strategy> strategy(Search s) {
  if (s == Search::dfs || s == Search::dfs_cache) return std::make_unique<ck::DfsStrategy>();
  return std::make_unique<ck::DporStrategy>(ck::DporOptions{s == Search::dpor_cache, 0, {}, 0});
}

ck::Options options(Search s) {
  ck::Options o;
  o.cache = s == Search::dfs_cache;
  return o;
}

// The same search on one core and with the helper.
void check_ahead_agrees(const toy::Spec& spec, Search s) {
  toy::ToyProgram alone(spec), ahead(spec);
  ahead.set_checkpoints(false);
  auto one = strategy(s), two = strategy(s);
  const ck::Options o = options(s);
  ck::Result r0 = ck::explore(alone, *one, o);
  ck::Result r1 = ck::explore(ahead, copies_of(spec), *two, o);
  check_same_result(r0, r1);
  CHECK_EQUAL(r0.cache_hits, r1.cache_hits);
}

toy::Spec counter(int k) {
  toy::Spec s;
  s.variables = 1;
  s.threads = {{"A", toy::increments(0, k)}, {"B", toy::increments(0, k)}};
  return s;
}

// Passes every call on to `inner`, and checks each promise certain_prefixes()
// makes: the execution it names repeats at least that many steps, and they
// are the steps of the execution that made it.
class PromiseChecker final : public ck::Strategy {
 public:
  explicit PromiseChecker(std::unique_ptr<ck::Strategy> inner) : inner_(std::move(inner)) {}

  bool next_execution() override {
    if (!inner_->next_execution()) return false;
    ++execution_;
    picked_.clear();
    for (auto it = promises_.begin(); it != promises_.end() && it->first == execution_;) {
      const ck::Schedule& steps = it->second;
      CHECK_TEXT(inner_->repeated_prefix() >= steps.size(),
                 ("execution " + std::to_string(execution_) + " repeats fewer steps than promised").c_str());
      for (std::size_t d = 0; d < steps.size() && d < inner_->repeated_prefix(); ++d)
        CHECK_EQUAL(steps[d], inner_->repeated_step(d));
      ++kept_;
      it = promises_.erase(it);
    }
    promise();
    return true;
  }
  ck::ThreadId pick(std::span<const ck::ThreadId> enabled, std::size_t depth) override {
    ck::ThreadId t = inner_->pick(enabled, depth);
    if (picked_.size() <= depth) picked_.resize(depth + 1, -1);
    picked_[depth] = t;
    return t;
  }
  void at_state(const ck::StateView& state) override {
    inner_->at_state(state);
    promise();  // a step taken may show the next executions go deeper
  }
  bool exhaustive() const override { return inner_->exhaustive(); }
  std::string name() const override { return inner_->name(); }
  std::size_t repeated_prefix() const override { return inner_->repeated_prefix(); }
  ck::ThreadId repeated_step(std::size_t depth) const override { return inner_->repeated_step(depth); }
  void certain_prefixes(std::span<std::size_t> bounds) const override { inner_->certain_prefixes(bounds); }
  bool wants_footprints(std::size_t depth) const override { return inner_->wants_footprints(depth); }
  void violated(std::size_t depth) override { inner_->violated(depth); }
  void add_counts(ck::Result& r) const override { inner_->add_counts(r); }

  std::size_t kept() const { return kept_; }

 private:
  // Records, for each of the next executions, the steps it must repeat.
  void promise() {
    std::size_t bounds[4];
    inner_->certain_prefixes(bounds);
    for (std::size_t j = 0; j < 4; ++j) {
      ck::Schedule steps;
      for (std::size_t d = 0; d < bounds[j]; ++d)
        steps.push_back(d < inner_->repeated_prefix() ? inner_->repeated_step(d) : picked_.at(d));
      ck::Schedule& held = promises_[execution_ + 1 + j];
      if (steps.size() > held.size()) held = steps;
    }
  }

  std::unique_ptr<ck::Strategy> inner_;
  std::size_t execution_ = 0;
  ck::Schedule picked_;  // this execution's chosen threads, by depth
  // execution -> the steps it must repeat: the longest promise made for it.
  std::map<std::size_t, ck::Schedule> promises_;
  std::size_t kept_ = 0;
};

// A program whose copies replay slowly, 20 ms a step: a helper that has lost
// its core, as on a machine with more threads than cores. So that it is
// caught in such a step, the search waits at a copy's tenth check of a
// state until the helper has begun one (10 s at most).
class SlowWhenReplaying final : public ck::Program {
 public:
  SlowWhenReplaying(const toy::Spec& s, std::atomic<int>& slow_steps) : inner_(s), slow_steps_(slow_steps) {}

  int thread_count() const override { return inner_.thread_count(); }
  std::string thread_name(ck::ThreadId t) const override { return inner_.thread_name(t); }
  void reset() override { inner_.reset(); }
  void run(ck::ThreadId t, ck::Yield& y) override { inner_.run(t, y); }
  bool enabled(ck::ThreadId t) const override { return inner_.enabled(t); }
  ck::Footprint footprint(ck::ThreadId t) const override { return inner_.footprint(t); }
  void check(std::vector<ck::Finding>& out) override {
    if (++checks_ == 10) {
      const auto since = std::chrono::steady_clock::now();
      while (slow_steps_.load() == 0 && std::chrono::steady_clock::now() - since < std::chrono::seconds(10))
        std::this_thread::yield();
    }
    inner_.check(out);
  }
  void step_replayed() override {
    if (replaying_) {
      ++slow_steps_;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    inner_.step_replayed();
  }
  void set_replaying(bool on) override { replaying_ = on; }
  void check_final(std::vector<ck::Finding>& out) override { inner_.check_final(out); }
  std::uint64_t state_hash() const override { return inner_.state_hash(); }
  std::string step_label(ck::ThreadId t) const override { return inner_.step_label(t); }
  void mark() override { inner_.mark(); }
  std::string changes_since_mark() const override { return inner_.changes_since_mark(); }

 private:
  toy::ToyProgram inner_;
  std::atomic<int>& slow_steps_;
  bool replaying_ = false;
  int checks_ = 0;
};

}  // namespace

TEST_GROUP_BASE(ReplayAhead, ThreadSafeLeakChecks){};  // the helper thread allocates too

TEST(ReplayAhead, CounterCountsArePinned) {
  // Two threads incrementing a counter 3 times, a load and a store each:
  // C(12,6) = 924 schedules under DFS, replayed ahead or not.
  toy::ToyProgram program(counter(3));
  program.set_checkpoints(false);
  ck::DfsStrategy dfs;
  ck::Result r = ck::explore(program, copies_of(counter(3)), dfs, ck::Options{});
  LONGS_EQUAL(924, r.executions);
  CHECK_TRUE(r.complete);
  for (Search s : {Search::dfs, Search::dfs_cache, Search::dpor, Search::dpor_cache})
    check_ahead_agrees(counter(3), s);
}

TEST(ReplayAhead, SameCountsAndFindingsOnRandomToys) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    toy::Spec s = toy::random_spec(rng);
    for (Search search : {Search::dfs, Search::dfs_cache, Search::dpor, Search::dpor_cache})
      check_ahead_agrees(s, search);
  }
}

TEST(ReplayAhead, FindingsStopTheSearchWhereTheyWouldAlone) {
  // A lost update: the search stops at the first finding, on either core.
  toy::Spec s = counter(2);
  s.final_checks = {{0, 4, "lost_update", false}};
  for (Search search : {Search::dfs, Search::dpor, Search::dpor_cache}) {
    toy::ToyProgram alone(s), ahead(s);
    ahead.set_checkpoints(false);
    auto one = strategy(search), two = strategy(search);
    ck::Options o = options(search);
    o.stop_on = "lost_update";
    ck::Result r0 = ck::explore(alone, *one, o);
    ck::Result r1 = ck::explore(ahead, copies_of(s), *two, o);
    CHECK_TRUE(r0.stopped_early);
    check_same_result(r0, r1);
  }
}

TEST(ReplayAhead, EveryPromiseOfDfsAndDporHolds) {
  std::mt19937_64 rng(5);
  std::size_t kept = 0;
  for (int round = 0; round < 300; ++round) {
    toy::Spec s = toy::random_spec(rng);
    for (Search search : {Search::dfs, Search::dpor, Search::dpor_cache}) {
      toy::ToyProgram program(s);
      PromiseChecker checked(strategy(search));
      ck::explore(program, checked, ck::Options{});
      kept += checked.kept();
    }
  }
  CHECK_TRUE(kept > 10000);  // the check ran: promises were made and kept
}

TEST(ReplayAhead, ASlowHelperChangesNothing) {
  // 924 schedules (C(12,6)): nearly all run while the helper sleeps, and
  // each of those without it.
  const toy::Spec spec = counter(3);
  for (Search s : {Search::dfs, Search::dpor_cache}) {
    std::atomic<int> slow_steps{0};
    SlowWhenReplaying ahead(spec, slow_steps);
    toy::ToyProgram alone(spec);
    auto one = strategy(s), two = strategy(s);
    const ck::Options o = options(s);
    ck::Result r0 = ck::explore(alone, *one, o);
    ck::Result r1 = ck::explore(
        ahead, [&] { return std::make_unique<SlowWhenReplaying>(spec, slow_steps); }, *two, o);
    check_same_result(r0, r1);
    if (s == Search::dfs) LONGS_EQUAL(924, r1.executions);
    CHECK_TRUE(slow_steps.load() > 0);  // the search was there while the helper slept
  }
}
