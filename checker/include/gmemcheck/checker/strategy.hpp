// A strategy only decides: which enabled thread takes the next step.
// Recording, bounds, invariant checks and deadlock detection are the engine's.
#pragma once

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
};

// Exhaustive depth-first search: an odometer over the choice at each depth.
class DfsStrategy final : public Strategy {
 public:
  bool next_execution() override;
  ThreadId pick(std::span<const ThreadId> enabled, std::size_t depth) override;
  bool exhaustive() const override { return true; }
  std::string name() const override { return "dfs"; }
  std::size_t repeated_prefix() const override { return repeated_; }

 private:
  struct Choice {
    std::uint8_t index;  // which enabled thread was taken
    std::uint8_t count;  // how many were enabled
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

std::unique_ptr<Strategy> make_strategy(const std::string& name);

}  // namespace gmemcheck::checker
