#include "gmemcheck/checker/strategy.hpp"

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
    const Choice& c = stack_[depth];
    if (c.count != enabled.size())
      throw std::logic_error("dfs: the program is nondeterministic: " + std::to_string(enabled.size()) +
                             " threads enabled at depth " + std::to_string(depth) + ", " +
                             std::to_string(c.count) + " before");
    return enabled[c.index];
  }
  stack_.push_back({0, static_cast<std::uint8_t>(enabled.size())});
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

std::unique_ptr<Strategy> make_strategy(const std::string& name) {
  if (name == "dfs") return std::make_unique<DfsStrategy>();
  return nullptr;
}

}  // namespace gmemcheck::checker
