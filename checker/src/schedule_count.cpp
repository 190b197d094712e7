#include "gmemcheck/checker/schedule_count.hpp"

namespace gmemcheck::checker {

bool ScheduleCountStrategy::next_execution() {
  if (!started_) {
    started_ = true;
    return true;
  }
  // Back to the deepest state with a step still to count; states whose
  // steps are all counted are memoised on the way.
  while (!path_.empty()) {
    Frame& f = path_.back();
    if (f.at + 1 < f.enabled.size()) {
      ++f.at;
      repeated_ = path_.size() - 1;
      return true;
    }
    double sum = f.sum;
    known_.emplace(f.hash, sum);
    path_.pop_back();
    add(sum);
  }
  return false;
}

ThreadId ScheduleCountStrategy::pick(std::span<const ThreadId>, std::size_t depth) {
  if (depth >= path_.size()) return -1;  // a state counted before: nothing to run below it
  const Frame& f = path_[depth];
  return f.enabled[f.at];
}

void ScheduleCountStrategy::at_state(const StateView& s) {
  if (s.enabled.empty()) {  // finished, deadlocked or stopped at a violation
    if (!violated_) known_.emplace(s.hash, 1.0);
    violated_ = false;
    add(1.0);
    return;
  }
  if (auto it = known_.find(s.hash); it != known_.end()) {
    add(it->second);
    return;
  }
  path_.push_back({s.hash, {s.enabled.begin(), s.enabled.end()}, 0, 0.0});
}

// Schedules below the step being explored at the deepest state of the path.
void ScheduleCountStrategy::add(double schedules) {
  if (path_.empty())
    root_ += schedules;
  else
    path_.back().sum += schedules;
}

}  // namespace gmemcheck::checker
