#include "gmemcheck/checker/strategy.hpp"

#include <algorithm>
#include <stdexcept>

namespace gmemcheck::checker {

bool DfsStrategy::next_execution() {
  if (!started_) {
    started_ = true;
    return true;
  }
  // Advance the odometer: drop exhausted choices from the end, bump the last.
  while (!stack_.empty() && stack_.back().index + 1 >= stack_.back().count) stack_.pop_back();
  if (stack_.empty()) return false;
  ++stack_.back().index;
  repeated_ = stack_.size() - 1;
  return true;
}

ThreadId DfsStrategy::pick(std::span<const ThreadId> enabled, std::size_t depth) {
  if (depth < stack_.size()) {
    Choice& c = stack_[depth];
    if (c.count != enabled.size())
      throw std::logic_error("dfs: the program is nondeterministic: " + std::to_string(enabled.size()) +
                             " threads enabled at depth " + std::to_string(depth) + ", " +
                             std::to_string(c.count) + " before");
    c.thread = enabled[c.index];
    return c.thread;
  }
  stack_.push_back({0, static_cast<std::uint8_t>(enabled.size()), enabled[0]});
  return enabled[0];
}

bool ReplayStrategy::next_execution() {
  if (done_) return false;
  done_ = true;
  return true;
}

ThreadId ReplayStrategy::pick(std::span<const ThreadId> enabled, std::size_t depth) {
  if (depth >= schedule_.size()) return -1;  // the recording ends here
  for (ThreadId t : enabled)
    if (t == schedule_[depth]) return t;
  diverged_ = true;
  divergence_depth_ = depth;
  return -1;
}

bool PctStrategy::next_execution() {
  steps_estimate_ = std::max(steps_estimate_, longest_);
  longest_ = 0;
  // Priorities depth_ .. depth_+n-1 in random order (Fisher-Yates).
  priority_.resize(threads_);
  for (int t = 0; t < threads_; ++t) priority_[t] = depth_ + t;
  for (int t = threads_ - 1; t > 0; --t) std::swap(priority_[t], priority_[rng_.below(t + 1)]);
  change_points_.clear();
  for (int i = 1; i < depth_; ++i) change_points_.push_back(rng_.below(steps_estimate_));
  return true;
}

ThreadId PctStrategy::pick(std::span<const ThreadId> enabled, std::size_t depth) {
  longest_ = std::max(longest_, depth + 1);
  ThreadId best = enabled[0];
  for (ThreadId t : enabled)
    if (priority_[t] > priority_[best]) best = t;
  // At change point i the running thread's priority drops to i (< depth_).
  for (std::size_t i = 0; i < change_points_.size(); ++i)
    if (change_points_[i] == depth) priority_[best] = static_cast<int>(i) + 1;
  return best;
}


}  // namespace gmemcheck::checker
