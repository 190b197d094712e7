// A strategy only decides: which enabled thread takes the next step.
// Recording, bounds, invariant checks and deadlock detection are the engine's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gmemcheck/checker/program.hpp"

namespace gmemcheck::checker {

// The one schedule representation: which thread takes each step.
using Schedule = std::vector<ThreadId>;

struct Result;

// A state as a reducing strategy sees it.
struct StateView {
  std::size_t depth = 0;
  std::span<const ThreadId> enabled;
  std::span<const Footprint> next;  // every thread's announced step ({} once finished)
  std::uint64_t hash = 0;           // of the full state
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Begin the next execution; false when the strategy has nothing left to run.
  virtual bool next_execution() = 0;
  // Pick one of `enabled` (sorted, non-empty) for the step at `depth`, or -1
  // to end this execution here (a replay that ran out or diverged).
  virtual ThreadId pick(std::span<const ThreadId> enabled, std::size_t depth) = 0;
  // True when next_execution() returning false means every schedule was run.
  virtual bool exhaustive() const = 0;
  virtual std::string name() const = 0;
  // How many leading steps of this execution repeat the previous one (their
  // states were explored already, so the state cache must not cut them).
  virtual std::size_t repeated_prefix() const { return 0; }
  // The thread of step `depth` of the repeated prefix, when the strategy
  // knows it without being shown the enabled threads (-1: ask pick()). The
  // engine then replays the step without computing every thread's enabledness.
  virtual ThreadId repeated_step(std::size_t /*depth*/) const { return -1; }

  // Partial-order reduction. When wants_footprints(depth), the engine calls
  // at_state() at that depth, before pick() and also where the execution ends
  // (enabled empty).
  virtual bool wants_footprints(std::size_t /*depth*/) const { return false; }
  virtual void at_state(const StateView& /*state*/) {}
  // A hint, as early as the engine knows it: the next state at_state() will
  // show has this hash (a strategy with a table may start loading its slot).
  virtual void expect_state(std::uint64_t /*hash*/) {}
  // The step at `depth` broke an invariant and ends the execution (reducing
  // strategies are then shown the state after it, with nothing enabled).
  virtual void violated(std::size_t /*depth*/) {}
  // The strategy's own counts (redundant executions, cache hits) into r.
  virtual void add_counts(Result& /*r*/) const {}
};

// Exhaustive depth-first search: an odometer over the choice at each depth.
class DfsStrategy final : public Strategy {
 public:
  bool next_execution() override;
  ThreadId pick(std::span<const ThreadId> enabled, std::size_t depth) override;
  bool exhaustive() const override { return true; }
  std::string name() const override { return "dfs"; }
  std::size_t repeated_prefix() const override { return repeated_; }
  ThreadId repeated_step(std::size_t depth) const override {
    return depth < repeated_ ? stack_[depth].thread : -1;
  }

 private:
  struct Choice {
    std::uint8_t index;  // which enabled thread was taken
    std::uint8_t count;  // how many were enabled
    ThreadId thread;     // the thread taken
  };
  std::vector<Choice> stack_;
  std::size_t repeated_ = 0;
  bool started_ = false;
};

// Follows a recorded schedule; the engine reports where it stops matching.
class ReplayStrategy final : public Strategy {
 public:
  explicit ReplayStrategy(Schedule schedule) : schedule_(std::move(schedule)) {}
  bool next_execution() override;
  ThreadId pick(std::span<const ThreadId> enabled, std::size_t depth) override;
  bool exhaustive() const override { return false; }
  std::string name() const override { return "replay"; }

  // Set when the recorded thread was not enabled: the depth where it diverged.
  bool diverged() const { return diverged_; }
  std::size_t divergence_depth() const { return divergence_depth_; }
  const Schedule& schedule() const { return schedule_; }

 private:
  Schedule schedule_;
  bool done_ = false;
  bool diverged_ = false;
  std::size_t divergence_depth_ = 0;
};

// A deterministic random number generator (splitmix64): the same seed gives
// the same schedules on every machine.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

// Uniformly random choices; never exhaustive, so it never proves a pass.
class RandomStrategy final : public Strategy {
 public:
  explicit RandomStrategy(std::uint64_t seed) : rng_(seed) {}
  bool next_execution() override { return true; }
  ThreadId pick(std::span<const ThreadId> enabled, std::size_t) override { return enabled[rng_.below(enabled.size())]; }
  bool exhaustive() const override { return false; }
  std::string name() const override { return "random"; }

 private:
  Rng rng_;
};

// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): random
// distinct thread priorities, the highest-priority enabled thread runs, and at
// depth-1 random change points the running thread drops below all others. A
// bug of depth d is found with probability at least 1/(n k^(d-1)) per execution.
class PctStrategy final : public Strategy {
 public:
  PctStrategy(std::uint64_t seed, int threads, int depth) : rng_(seed), threads_(threads), depth_(depth) {}
  bool next_execution() override;
  ThreadId pick(std::span<const ThreadId> enabled, std::size_t depth) override;
  bool exhaustive() const override { return false; }
  std::string name() const override { return "pct"; }

 private:
  Rng rng_;
  int threads_;
  int depth_;
  std::size_t steps_estimate_ = 64;  // k: grows to the longest execution seen
  std::size_t longest_ = 0;
  std::vector<int> priority_;
  std::vector<std::size_t> change_points_;
};


}  // namespace gmemcheck::checker
