// Dynamic partial-order reduction with source sets and sleep sets (Abdulla,
// Aronis, Jonsson and Sagonas, POPL 2014; after Flanagan and Godefroid,
// POPL 2005, and Godefroid's sleep sets, 1996).
//
// Two schedules that differ only in the order of independent steps (see
// Footprint) reach the same state through the same per-object histories, so
// exploring one of them is enough. DPOR explores at least one schedule of
// every such class: at each new state it looks, for every thread, for each
// earlier step that its announced step depends on and that is not ordered
// before it through other steps (a race), and marks the state before that
// step to try a thread that can start the reversed order. Every race, not
// only the latest as in Flanagan and Godefroid's algorithm: with sleep sets
// the earlier ones are not always reversed later. Sleep sets stop it from completing two
// schedules of one class: an execution that could only repeat an explored
// class ends early (counted as redundant).
//
// Every execution starts from the initial state, or from the checkpoint
// after the steps it repeats (see Options::checkpoints). Without the cache, memory is
// proportional to the depth of one execution, never to the number run.
//
// With the cache, a state whose subtree was explored already ends the
// execution that reaches it again. The subtree's steps could have raced with
// the steps that led here this time, so each explored state keeps, per thread,
// the union of the footprints of every step below it; at a hit, every earlier
// step of the execution that one of those could depend on, and that does not
// already happen before that thread, gets a backtrack. That over-approximates
// the races exploring the subtree again would find. A state explored with
// threads asleep that are awake now is explored again for those threads only:
// the classes that start with any other thread were covered then.
// A violating step ends its execution and counts as dependent on every step.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "gmemcheck/checker/hash_map.hpp"
#include "gmemcheck/checker/strategy.hpp"

namespace gmemcheck::checker {

struct DporOptions {
  bool cache = false;
  std::uint64_t cache_bytes = 0;  // 0: unlimited; a full cache only stops caching
  // Explore only below `prefix`, a fixed schedule whose choices are never
  // revisited, with `sleep` (a thread bitmask) asleep after it: one unit of a
  // partitioned search, whose caller expands the prefixes fully.
  Schedule prefix;
  std::uint64_t sleep = 0;
};

class DporStrategy final : public Strategy {
 public:
  explicit DporStrategy(DporOptions o = {}) : options_(std::move(o)) {}

  bool next_execution() override;
  ThreadId pick(std::span<const ThreadId> enabled, std::size_t depth) override;
  bool exhaustive() const override { return true; }
  std::string name() const override { return "dpor"; }
  std::size_t repeated_prefix() const override { return repeated_; }
  ThreadId repeated_step(std::size_t depth) const override {
    return depth < repeated_ ? nodes_[depth].chosen : -1;
  }
  bool wants_footprints(std::size_t depth) const override { return depth >= size_; }
  void at_state(const StateView& state) override;
  void expect_state(std::uint64_t hash) override {
    if (options_.cache) summaries_.prefetch(hash);
  }
  void violated(std::size_t depth) override;
  void add_counts(Result& r) const override;

 private:
  using Mask = std::uint64_t;
  // The state before step `depth` of the current execution, and that step.
  struct Node {
    Mask enabled = 0;
    Mask sleep = 0;      // threads whose announced step need not be tried here
    Mask backtrack = 0;  // threads that must be tried here
    Mask done = 0;       // threads tried here
    // Threads whose classes an earlier exploration of this state covered; only
    // the threads asleep then and awake now are tried (never put to sleep).
    Mask covered = 0;
    ThreadId chosen = -1;
    std::vector<Footprint> next;          // every thread's announced step
    std::vector<std::uint32_t> clocks;    // threads x threads: vector clocks before the step
    std::vector<std::uint32_t> event;     // vector clock of the step taken here
    // Per thread: its last step before this state, as index plus one (0:
    // none). A thread's steps form a chain through these, so a search for
    // the steps of one thread that race skips every other thread's.
    std::vector<std::uint32_t> last;
    // Per thread: every step taken from here on so far, and the steps still
    // announced where one of those executions ended.
    std::vector<Footprint> below;
    std::uint64_t hash = 0;
    bool hit = false;                     // ended here: explored before
    // Reached by a step that broke an invariant, which ended the execution.
    // Never cached: a step that breaks nothing may reach the same state (a
    // sleep under mmu_lock) and must go on from it.
    bool violated = false;
  };
  // An explored state: the sleep set it was explored with and, per thread,
  // the footprints of every step below it (threads_ entries of pool_ from
  // `first`, shared with every state that has the same ones).
  struct Summary {
    Mask sleep = 0;
    std::size_t first = 0;
  };

  void finish_event(std::size_t depth);
  void find_races(std::size_t depth);
  void find_race(std::size_t depth, ThreadId p);
  template <class Dependent>
  void walk_dependent(const Node& n, ThreadId p, const Footprint& f, std::uint32_t* past,
                      Dependent dependent);
  void add_backtrack(std::size_t i, std::size_t depth, ThreadId p, const std::uint32_t* clock_p);
  void add_backtrack_below(std::size_t i, std::size_t depth, ThreadId p);
  Mask initials_after(std::size_t i, std::size_t depth) const;
  void try_one_of(std::size_t i, Mask initials);
  bool saturated(std::size_t i) const;
  bool try_hit(std::size_t depth);
  void choose_first(Node& n);
  void complete(std::size_t depth);
  Mask todo(const Node& n) const { return n.backtrack & n.enabled & ~n.done & ~n.sleep & ~n.covered; }
  std::size_t intern(const Footprint* below);
  Mask child_sleep(const Node& parent) const;
  std::uint32_t* clock(Node& n, ThreadId t) { return &n.clocks[static_cast<std::size_t>(t) * threads_]; }

  DporOptions options_;
  HashMap<Summary> summaries_;
  // Every distinct array of footprints below explored states, each once:
  // states far apart often have the same (1.2 M states, 22 k distinct
  // arrays on the largest scenario of the corpus). Never changed in place.
  std::vector<Footprint> pool_;
  HashMap<std::size_t> interned_;  // a hash of an array -> where pool_ holds it
  std::size_t last_interned_ = ~std::size_t{0};
  static constexpr std::uint64_t kFold = 0x9e3779b97f4a7c15ull;  // odd: a bijection of the words
  std::vector<Footprint> merged_;  // complete()'s scratch array
  bool cache_full_ = false;
  std::uint64_t hits_ = 0;
  std::vector<Node> nodes_;            // nodes_[0, size_) are this execution's
  std::vector<std::uint32_t> past_;    // find_race()'s scratch clock
  std::vector<std::uint32_t> cursor_;  // walk_dependent()'s place in each thread's chain
  std::size_t size_ = 0;
  std::size_t threads_ = 0;
  std::size_t repeated_ = 0;
  std::uint64_t redundant_ = 0;
  bool started_ = false;
  bool violated_ = false;  // the step just taken broke an invariant
};

}  // namespace gmemcheck::checker
