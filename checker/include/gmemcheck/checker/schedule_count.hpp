// How many executions the stateless search of every schedule (DFS without
// the cache) would run, counted without running them.
//
// The maximal schedules from a state are the sum, over its enabled threads, of
// those from the state each one's step leads to: one visit per state is
// enough, memoised by the full-state hash, as the cached DFS visits them (the
// state graph is acyclic: every step advances a thread or spends a bounded
// retry). An execution that stops at a violation is one schedule, and its
// last state is never memoised: another step may reach it cleanly and go on.
// The count is a double: on four threads it passes 2^64 easily.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "gmemcheck/checker/strategy.hpp"

namespace gmemcheck::checker {

class ScheduleCountStrategy final : public Strategy {
 public:
  bool next_execution() override;
  ThreadId pick(std::span<const ThreadId> enabled, std::size_t depth) override;
  bool exhaustive() const override { return true; }
  std::string name() const override { return "count"; }
  std::size_t repeated_prefix() const override { return repeated_; }
  bool wants_footprints(std::size_t depth) const override { return depth >= path_.size(); }
  void at_state(const StateView& state) override;
  void violated(std::size_t) override { violated_ = true; }

  // The schedules from the initial state; complete once explore() returned
  // with a complete result.
  double schedules() const { return root_; }

 private:
  // A state on the current path whose successors are being counted.
  struct Frame {
    std::uint64_t hash;
    std::vector<ThreadId> enabled;
    std::size_t at;  // enabled[at] is the step being explored
    double sum;      // schedules through enabled[0..at)
  };
  void add(double schedules);

  std::vector<Frame> path_;
  std::unordered_map<std::uint64_t, double> known_;
  double root_ = 0;
  std::size_t repeated_ = 0;
  bool violated_ = false;
  bool started_ = false;
};

}  // namespace gmemcheck::checker
