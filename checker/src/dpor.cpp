#include "gmemcheck/checker/dpor.hpp"

#include "gmemcheck/checker/explorer.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>
#include <utility>

namespace gmemcheck::checker {

namespace {

using Mask = std::uint64_t;

Mask bit(ThreadId t) { return Mask{1} << t; }
ThreadId lowest(Mask m) { return static_cast<ThreadId>(std::countr_zero(m)); }

Footprint& operator|=(Footprint& a, const Footprint& b) {
  a.reads |= b.reads;
  a.writes |= b.writes;
  return a;
}

bool empty(const Footprint& f) { return f.reads == 0 && f.writes == 0; }

}  // namespace

bool DporStrategy::next_execution() {
  if (!started_) {
    started_ = true;
    return true;
  }
  // Back to the deepest state with a thread still to try there.
  while (size_ > options_.prefix.size()) {
    Node& n = nodes_[size_ - 1];
    if (Mask left = todo(n)) {
      n.chosen = lowest(left);
      n.done |= bit(n.chosen);
      repeated_ = size_ - 1;
      return true;
    }
    complete(size_ - 1);
    --size_;
  }
  return false;
}

// Node `depth` has nothing left to try: its subtree is explored. Remember it
// and pass what happened below it up to its parent.
void DporStrategy::complete(std::size_t depth) {
  Node& n = nodes_[depth];
  if (depth > 0)
    for (std::size_t t = 0; t < threads_; ++t) nodes_[depth - 1].below[t] |= n.below[t];
  if (!options_.cache || n.hit || n.violated || cache_full_) return;
  auto [known, fresh] = summaries_.try_emplace(n.hash, Summary{n.sleep, 0});
  if (fresh) {
    known->first = intern(n.below.data());
  } else {
    // Explored again, for the threads asleep then and awake now: with the
    // first exploration, every class that starts with a thread awake now is
    // covered. The footprints below are those of both explorations.
    if (n.covered || (n.sleep & ~known->sleep) == 0) known->sleep = n.sleep;
    const auto held = pool_.begin() + static_cast<std::ptrdiff_t>(known->first);
    merged_.assign(held, held + static_cast<std::ptrdiff_t>(threads_));
    for (std::size_t t = 0; t < threads_; ++t) merged_[t] |= n.below[t];
    if (!std::equal(merged_.begin(), merged_.end(), held)) known->first = intern(merged_.data());
  }
  std::uint64_t bytes = summaries_.bytes() + interned_.bytes() + pool_.size() * sizeof(Footprint);
  if (options_.cache_bytes && bytes >= options_.cache_bytes) cache_full_ = true;
}

// Where pool_ holds `below` (threads_ footprints, not in pool_ itself),
// added if it holds none equal. Keys are hashes of the arrays; the arrays
// are compared, and a different array under the same key tries the next key
// (so a weak hash costs time, never a wrong answer: words are folded in
// with one multiply each, mixed fully once). Siblings often have the same
// array: the last one interned is compared first.
std::size_t DporStrategy::intern(const Footprint* below) {
  const auto equal_at = [&](std::size_t first) {
    return std::equal(below, below + threads_, pool_.begin() + static_cast<std::ptrdiff_t>(first));
  };
  if (last_interned_ < pool_.size() && equal_at(last_interned_)) return last_interned_;
  std::uint64_t key = kMixSeed;
  for (std::size_t t = 0; t < threads_; ++t) key = ((key ^ below[t].reads) * kFold ^ below[t].writes) * kFold;
  for (key = mix64(key);; ++key) {
    auto [first, fresh] = interned_.try_emplace(key, pool_.size());
    if (fresh) pool_.insert(pool_.end(), below, below + threads_);
    if (fresh || equal_at(*first)) return last_interned_ = *first;
  }
}

// A state explored before: add the backtracks its subtree's steps would have
// raced into. With no thread asleep then that is awake now, end here. Else
// try only those threads: every class that starts with another one and with
// none of them was covered then, and one that starts with both is covered by
// trying them (a covered thread is never put to sleep, so it still follows).
bool DporStrategy::try_hit(std::size_t depth) {
  if (!options_.cache) return false;
  Node& n = nodes_[depth];
  const Summary* known = summaries_.find(n.hash);
  if (!known) return false;
  const Mask awake = known->sleep & ~n.sleep & n.enabled;
  const Footprint* below = &pool_[known->first];
  // First all of it: add_backtrack_below() reads which threads have steps below.
  for (std::size_t pi = 0; pi < threads_; ++pi) n.below[pi] |= below[pi];
  // The steps at or after cp[q] of each other thread q do not happen before
  // p's; any of them that one of p's steps below depends on races with it.
  for (std::size_t pi = 0; pi < threads_; ++pi) {
    if (empty(below[pi])) continue;
    const auto p = static_cast<ThreadId>(pi);
    const std::uint32_t* cp = clock(n, p);
    for (std::size_t q = 0; q < threads_; ++q) {
      if (q == pi) continue;
      const std::size_t from = std::max<std::size_t>(cp[q], options_.prefix.size());
      for (std::size_t j = n.last[q]; j > from; j = nodes_[j - 1].last[q]) {
        const std::size_t i = j - 1;
        if (nodes_[i].next[q].dependent(below[pi])) add_backtrack_below(i, depth, p);
      }
    }
  }
  if (awake) {
    n.covered = n.enabled & ~n.sleep & ~awake;
    n.backtrack = awake;
    return false;  // at_state() notes what is left to try
  }
  ++hits_;
  n.hit = true;
  return true;
}

void DporStrategy::add_counts(Result& r) const {
  r.redundant_executions += redundant_;
  if (!options_.cache) return;
  r.cache_hits += hits_;
  r.state_table_full = r.state_table_full || cache_full_;
  r.state_table_bytes += summaries_.bytes() + interned_.bytes() + pool_.size() * sizeof(Footprint);
}

ThreadId DporStrategy::pick(std::span<const ThreadId> enabled, std::size_t depth) {
  if (depth >= size_) throw std::logic_error("dpor: pick() without at_state() at depth " + std::to_string(depth));
  ThreadId t = nodes_[depth].chosen;
  if (t >= 0 && std::find(enabled.begin(), enabled.end(), t) == enabled.end())
    throw std::logic_error("dpor: the program is nondeterministic: thread " + std::to_string(t) +
                           " is not enabled at depth " + std::to_string(depth) + " on replay");
  return t;
}

void DporStrategy::at_state(const StateView& v) {
  const std::size_t depth = v.depth;
  const auto& next = v.next;
  if (depth != size_) throw std::logic_error("dpor: at_state() out of order");
  if (threads_ == 0) threads_ = next.size();
  if (threads_ > 64) throw std::logic_error("dpor: at most 64 threads");
  if (nodes_.size() <= depth) nodes_.emplace_back();
  Node& n = nodes_[depth];
  n.enabled = 0;
  for (ThreadId t : v.enabled) n.enabled |= bit(t);
  n.next.assign(next.begin(), next.end());
  n.backtrack = n.done = n.covered = 0;
  n.chosen = -1;
  n.clocks.assign(threads_ * threads_, 0);
  n.event.assign(threads_, 0);
  n.below.assign(threads_, Footprint{});
  if (depth == 0) n.last.assign(threads_, 0);
  n.hash = v.hash;
  n.hit = false;
  n.violated = std::exchange(violated_, false);
  if (depth > 0) finish_event(depth - 1);
  if (depth == options_.prefix.size())
    n.sleep = options_.sleep;
  else
    n.sleep = depth > 0 && depth > options_.prefix.size() ? child_sleep(nodes_[depth - 1]) : 0;
  ++size_;
  find_races(depth);

  if (depth < options_.prefix.size())
    n.chosen = options_.prefix[depth];
  else if (n.violated || !try_hit(depth))
    choose_first(n);
}

// A state explored for the first time (or again, for threads asleep then):
// its first thread to try, or none when every enabled thread is asleep.
void DporStrategy::choose_first(Node& n) {
  Mask candidates = n.enabled & ~n.sleep & ~n.covered;
  if (candidates) {
    n.chosen = lowest(candidates);
    n.backtrack |= bit(n.chosen);
    n.done = bit(n.chosen);
  } else if (n.enabled) {
    ++redundant_;  // every enabled thread is asleep: only explored classes lie ahead
  }
  // The execution ends here with threads unfinished (a deadlock, a violation,
  // every enabled thread asleep): their announced steps are never taken, yet
  // they race with the steps before, so a later visit of a state above must
  // know them too.
  if (n.chosen < 0) n.below = n.next;
}

// The other threads' steps before node `n`, from the latest down, each
// thread's along its chain, until what is left of it is in `past` (a vector
// clock): every step that `f` (p's step) depends on is passed to `dependent`
// while still outside `past`, then joined into it. A step already in the past
// has its clock there, and so have its thread's earlier steps.
template <class Dependent>
void DporStrategy::walk_dependent(const Node& n, ThreadId p, const Footprint& f, std::uint32_t* past,
                                  Dependent dependent) {
  cursor_.assign(n.last.begin(), n.last.end());
  cursor_[static_cast<std::size_t>(p)] = 0;
  for (;;) {
    std::size_t top = 0, q = 0;
    for (std::size_t t = 0; t < threads_; ++t)
      if (cursor_[t] > past[t] && cursor_[t] > top) top = cursor_[q = t];
    if (top == 0) break;
    const std::size_t i = top - 1;
    const Node& b = nodes_[i];
    cursor_[q] = b.last[q];
    if (!b.next[q].dependent(f)) continue;
    dependent(i);
    for (std::size_t t = 0; t < threads_; ++t) past[t] = std::max(past[t], b.event[t]);
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
  walk_dependent(e, p, f, e.event.data(), [](std::size_t) {});
  e.event[p] = static_cast<std::uint32_t>(depth + 1);
  e.below[p] |= f;
  Node& after = nodes_[depth + 1];
  after.clocks = e.clocks;
  std::copy(e.event.begin(), e.event.end(), clock(after, p));
  after.last = e.last;
  after.last[p] = static_cast<std::uint32_t>(depth + 1);
}

// For every thread's announced step, each earlier step of another thread that
// it depends on and that does not happen before it: the two race, so the
// state before that step must also try the other order.
//
// A thread whose announced step (and footprint) is the one it had before the
// last step, which was another thread's and independent of it, has exactly
// the races it had then: the same steps, seen from the same clock. Looking
// again would add nothing (its source sets only grow by the last step, and a
// source set that already met the state's backtrack or sleep set still
// does), so only the other threads are looked at.
void DporStrategy::find_races(std::size_t depth) {
  const Node* last = depth > 0 ? &nodes_[depth - 1] : nullptr;
  for (std::size_t p = 0; p < threads_; ++p) {
    const Footprint& f = nodes_[depth].next[p];
    if (last && static_cast<std::size_t>(last->chosen) != p && last->next[p] == f &&
        !last->next[static_cast<std::size_t>(last->chosen)].dependent(f))
      continue;
    find_race(depth, static_cast<ThreadId>(p));
  }
}

void DporStrategy::find_race(std::size_t depth, ThreadId p) {
  Node& n = nodes_[depth];
  const Footprint& f = n.next[static_cast<std::size_t>(p)];
  if (empty(f)) return;  // finished, or touches nothing shared
  // Every race, not only the latest (sleep sets need them all): an earlier
  // step it depends on that does not happen before it through p's past or
  // through a later step it depends on. `past` grows by each such step's.
  const std::uint32_t* cp = clock(n, p);
  past_.assign(cp, cp + threads_);
  walk_dependent(n, p, f, past_.data(), [&](std::size_t i) {
    if (i >= options_.prefix.size())
      add_backtrack(i, depth, p, past_.data());  // a prefix is expanded by its caller
  });
}

// The step at `depth` broke an invariant, which ends the execution: it
// disables every other thread, so it depends on every step. Its races with
// the steps before it are looked for again on that footing; those with the
// other threads' next steps are found at the (final) state after it.
void DporStrategy::violated(std::size_t depth) {
  Node& n = nodes_[depth];
  violated_ = true;
  n.next[static_cast<std::size_t>(n.chosen)] = kTouchesEverything;
  find_race(depth, n.chosen);
}

// Source sets (Abdulla, Aronis, Jonsson and Sagonas, POPL 2014). Reversing
// the race between step i and p's announced step needs, from the state before
// i, a schedule of v: the steps after i that do not happen after it, then p's.
// Every such schedule starts with an initial of v, a step with no predecessor
// in v, so one initial must be tried at i, or be asleep there (its classes
// are explored elsewhere). Trying p itself, as Flanagan and Godefroid do, is
// not enough with sleep sets: p may be asleep at i while its step in v waits
// for another thread's, and then that class is never explored.
void DporStrategy::add_backtrack(std::size_t i, std::size_t depth, ThreadId p, const std::uint32_t* clock_p) {
  if (saturated(i)) return;
  Mask initials = initials_after(i, depth);
  bool p_waits = false;
  for (std::size_t t = 0; t < threads_; ++t) p_waits = p_waits || clock_p[t] > i;
  if (!p_waits) initials |= bit(p);
  try_one_of(i, initials);
}

// The same for a step of p somewhere in the subtree of a cached state, whose
// predecessors in v are unknown: the initials among the steps taken after i,
// or failing those every thread that may have a step in v.
void DporStrategy::add_backtrack_below(std::size_t i, std::size_t depth, ThreadId p) {
  if (saturated(i)) return;
  Mask initials = initials_after(i, depth);
  if (initials == 0) {
    Node& n = nodes_[depth];
    const auto ti = static_cast<std::size_t>(nodes_[i].chosen);
    for (std::size_t t = 0; t < threads_; ++t)
      if (!empty(n.below[t]) && clock(n, static_cast<ThreadId>(t))[ti] <= i) initials |= bit(static_cast<ThreadId>(t));
    initials |= bit(p);
    nodes_[i].backtrack |= initials & nodes_[i].enabled;
    return;
  }
  try_one_of(i, initials);
}

// Threads whose first step after i has no predecessor after i, nor i itself:
// the initials of the steps taken after i that do not happen after it.
DporStrategy::Mask DporStrategy::initials_after(std::size_t i, std::size_t depth) const {
  const ThreadId ti = nodes_[i].chosen;
  Mask initials = 0;
  Mask seen = bit(ti);  // ti's steps after i happen after it
  for (std::size_t j = i + 1; j < depth; ++j) {
    const Node& e = nodes_[j];
    const ThreadId q = e.chosen;
    if (seen & bit(q)) continue;  // only a thread's first step after i can be an initial
    seen |= bit(q);
    bool first = true;
    for (std::size_t t = 0; t < threads_ && first; ++t) first = static_cast<ThreadId>(t) == q || e.event[t] <= i;
    if (first) initials |= bit(q);
  }
  return initials;
}

// One of `initials` must be tried at i: nothing to add if one is tried or
// asleep there. An initial that is not enabled at i would mean a step whose
// footprint misses what enables it; trying everything is then the safe choice.
void DporStrategy::try_one_of(std::size_t i, Mask initials) {
  Node& b = nodes_[i];
  if (initials & (b.backtrack | b.sleep | b.covered)) return;
  Mask enabled = initials & b.enabled;
  b.backtrack |= enabled ? (enabled & -enabled) : b.enabled;
}

// Every enabled thread at i is tried, asleep or covered: a backtrack added
// there could change nothing that is explored.
bool DporStrategy::saturated(std::size_t i) const {
  const Node& b = nodes_[i];
  return (b.enabled & ~(b.backtrack | b.sleep | b.covered)) == 0;
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
