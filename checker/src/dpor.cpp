#include "gmemcheck/checker/dpor.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>

namespace gmemcheck::checker {

namespace {

using Mask = std::uint64_t;

Mask bit(ThreadId t) { return Mask{1} << t; }
ThreadId lowest(Mask m) { return static_cast<ThreadId>(std::countr_zero(m)); }

}  // namespace

bool DporStrategy::next_execution() {
  if (!started_) {
    started_ = true;
    return true;
  }
  // Back to the deepest state with a thread still to try there.
  while (size_ > prefix_.size()) {
    Node& n = nodes_[size_ - 1];
    Mask todo = n.backtrack & n.enabled & ~n.done & ~n.sleep;
    if (todo) {
      n.chosen = lowest(todo);
      n.done |= bit(n.chosen);
      repeated_ = size_ - 1;
      return true;
    }
    --size_;
  }
  return false;
}

ThreadId DporStrategy::pick(std::span<const ThreadId> enabled, std::size_t depth) {
  if (depth >= size_) throw std::logic_error("dpor: pick() without at_state() at depth " + std::to_string(depth));
  ThreadId t = nodes_[depth].chosen;
  if (t >= 0 && std::find(enabled.begin(), enabled.end(), t) == enabled.end())
    throw std::logic_error("dpor: the program is nondeterministic: thread " + std::to_string(t) +
                           " is not enabled at depth " + std::to_string(depth) + " on replay");
  return t;
}

void DporStrategy::at_state(std::size_t depth, std::span<const ThreadId> enabled, std::span<const Footprint> next) {
  if (depth != size_) throw std::logic_error("dpor: at_state() out of order");
  if (threads_ == 0) threads_ = next.size();
  if (threads_ > 64) throw std::logic_error("dpor: at most 64 threads");
  if (nodes_.size() <= depth) nodes_.emplace_back();
  Node& n = nodes_[depth];
  n.enabled = 0;
  for (ThreadId t : enabled) n.enabled |= bit(t);
  n.next.assign(next.begin(), next.end());
  n.backtrack = n.done = 0;
  n.chosen = -1;
  n.clocks.assign(threads_ * threads_, 0);
  n.event.assign(threads_, 0);
  if (depth > 0) finish_event(depth - 1);
  if (depth == prefix_.size())
    n.sleep = initial_sleep_;
  else
    n.sleep = depth > 0 && depth > prefix_.size() ? child_sleep(nodes_[depth - 1]) : 0;
  ++size_;
  find_races(depth);

  if (depth < prefix_.size()) {
    n.chosen = prefix_[depth];
    return;
  }
  Mask candidates = n.enabled & ~n.sleep;
  if (candidates) {
    n.chosen = lowest(candidates);
    n.backtrack = n.done = bit(n.chosen);
  } else if (n.enabled) {
    ++redundant_;  // every enabled thread is asleep: only explored classes lie ahead
  }
}

// The vector clock of the step taken at `depth`: after its thread's previous
// step and after every earlier step it depends on. Clock entries are step
// indexes plus one, so "i happened before" reads clock[thread(i)] > i.
void DporStrategy::finish_event(std::size_t depth) {
  Node& e = nodes_[depth];
  const ThreadId p = e.chosen;
  const Footprint& f = e.next[p];
  std::copy_n(clock(e, p), threads_, e.event.begin());
  for (std::size_t i = 0; i < depth; ++i) {
    const Node& b = nodes_[i];
    const ThreadId q = b.chosen;
    if (q == p || e.event[q] > i || !b.next[q].dependent(f)) continue;
    for (std::size_t t = 0; t < threads_; ++t) e.event[t] = std::max(e.event[t], b.event[t]);
  }
  e.event[p] = static_cast<std::uint32_t>(depth + 1);
  Node& after = nodes_[depth + 1];
  after.clocks = e.clocks;
  std::copy(e.event.begin(), e.event.end(), clock(after, p));
}

// For every thread's announced step, the latest earlier step of another thread
// that it depends on and that does not happen before it: the two race, so the
// state before that step must also try the other order.
void DporStrategy::find_races(std::size_t depth) {
  Node& n = nodes_[depth];
  for (std::size_t pi = 0; pi < threads_; ++pi) {
    const auto p = static_cast<ThreadId>(pi);
    const Footprint& f = n.next[pi];
    if (f.reads == 0 && f.writes == 0) continue;  // finished, or touches nothing shared
    const std::uint32_t* cp = clock(n, p);
    for (std::size_t i = depth; i-- > 0;) {
      const Node& b = nodes_[i];
      const ThreadId q = b.chosen;
      if (q == p || cp[q] > i || !b.next[q].dependent(f)) continue;
      if (i >= prefix_.size()) add_backtrack(i, p, cp);  // a prefix is expanded fully by its caller
      break;
    }
  }
}

// Try p at node i if it was enabled there; otherwise a thread whose later
// step leads to p's; failing that, everything.
void DporStrategy::add_backtrack(std::size_t i, ThreadId p, const std::uint32_t* clock_p) {
  Node& b = nodes_[i];
  if (b.enabled & bit(p)) {
    b.backtrack |= bit(p);
    return;
  }
  for (std::size_t q = 0; q < threads_; ++q)
    if ((b.enabled & bit(static_cast<ThreadId>(q))) && clock_p[q] > i + 1) {
      b.backtrack |= bit(static_cast<ThreadId>(q));
      return;
    }
  b.backtrack |= b.enabled;
}

// Threads asleep after the parent's step: those asleep or already tried at the
// parent whose announced step is independent of the step taken.
DporStrategy::Mask DporStrategy::child_sleep(const Node& parent) const {
  const Footprint& taken = parent.next[parent.chosen];
  Mask candidates = (parent.sleep | parent.done) & ~bit(parent.chosen);
  Mask sleep = 0;
  for (; candidates; candidates &= candidates - 1) {
    ThreadId q = lowest(candidates);
    if (!parent.next[q].dependent(taken)) sleep |= bit(q);
  }
  return sleep;
}

}  // namespace gmemcheck::checker
