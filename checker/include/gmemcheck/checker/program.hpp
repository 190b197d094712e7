// The narrow interface between the exploration engine and whatever it explores.
//
// The engine knows threads, steps, findings and state hashes; it knows nothing
// of what a step does. A Program owns its state as plain data and runs each of
// its threads as a function on a fiber that calls Yield::pause() before every
// step: the engine then decides which enabled thread takes the next step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gmemcheck::checker {

using ThreadId = int;

// A finding of the explored program: an invariant id and a one-sentence reason.
// Liveness findings (a bounded-liveness failure such as a retry loop giving up)
// do not stop an execution unless the run asks liveness to count as a violation.
struct Finding {
  std::string invariant;
  std::string message;
  bool liveness = false;
  // A finding about several executions (lockdep's lock order) names the
  // schedule of the earlier one it depends on; replay runs that one first.
  std::vector<ThreadId> prelude = {};
  // A finding about several executions does not end the one it is found in:
  // whether an execution goes on must depend on its own steps only, or what
  // the search explores would depend on the order it explores in.
  bool ends_execution = true;

  bool operator==(const Finding&) const = default;
};

// What a step may touch, for partial-order reduction. Objects are numbered by
// the program (at most 64). Two steps of different threads are dependent when
// one writes an object the other reads or writes; independent steps must
// commute (either order reaches the same state, neither enables or disables
// the other) and must not be told apart by check(): a program whose
// invariants read several objects makes the steps writing them dependent.
struct Footprint {
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;

  bool dependent(const Footprint& o) const { return ((writes & (o.reads | o.writes)) | (o.writes & reads)) != 0; }
  bool operator==(const Footprint&) const = default;
};

// The footprint of a step a program does not describe: dependent on everything.
inline constexpr Footprint kTouchesEverything{~std::uint64_t{0}, ~std::uint64_t{0}};

// Handed to a thread body: the only way a thread gives control back.
class Yield {
 public:
  virtual void pause() = 0;

 protected:
  ~Yield() = default;
};

class Program {
 public:
  virtual ~Program() = default;

  virtual int thread_count() const = 0;
  virtual std::string thread_name(ThreadId t) const = 0;

  // Back to the initial state, ready for a new execution.
  virtual void reset() = 0;
  // Starting over without running each thread up to its first step again.
  // After reset() and every thread's start, the engine may call save_start();
  // restore_start() must then put the program back as it was at that point
  // (the engine puts the threads' stacks back). False: the program cannot,
  // and every execution starts with reset().
  virtual bool save_start() { return false; }
  virtual void restore_start() {}
  // Going back instead of replaying. Once save_start() succeeded, the engine
  // may call save_checkpoint(k) after an execution's k-th step (k >= 1), and
  // later restore_checkpoint(k) when an execution repeats the first k steps
  // of the one that saved it: the program must then be as it was after those
  // steps (the engine puts the threads' stacks back, and drops whatever a
  // later step raised). Steps it goes back over are not run again, so the
  // program must keep nothing else that they change. False from
  // keeps_checkpoints(): executions replay their repeated steps.
  virtual bool keeps_checkpoints() const { return false; }
  virtual void save_checkpoint(std::size_t /*steps*/) {}
  virtual void restore_checkpoint(std::size_t /*steps*/) {}
  // The body of thread t. It announces each step (so enabled() can judge it)
  // and calls y.pause() before performing it. Returning finishes the thread.
  virtual void run(ThreadId t, Yield& y) = 0;
  // May the announced step of unfinished thread t run now? (false: blocked)
  virtual bool enabled(ThreadId t) const = 0;

  // The footprint of unfinished thread t's announced step (enabled or not). The
  // default makes every step dependent: partial-order reduction then reduces
  // nothing, which is always sound.
  virtual Footprint footprint(ThreadId) const { return kTouchesEverything; }

  // Invariants after every step (and on the initial state); findings appended.
  virtual void check(std::vector<Finding>& out) = 0;
  // Called instead of check() after a step that repeats one already checked
  // (the same step from the same state): drop whatever the step raised.
  virtual void step_replayed() {}
  // Facts a program keeps across executions (lockdep's lock orders), each
  // with the schedule that first showed it. A search split into parts runs
  // each part on its own program; observe() hands one part's facts to another
  // program and appends what they reveal together (with the schedule that
  // shows it: the finding's prelude runs first).
  struct Observation {
    std::string key;
    std::string where;
    std::vector<ThreadId> schedule;
  };
  struct Revealed {
    Finding finding;
    std::vector<ThreadId> schedule;
  };
  virtual std::vector<Observation> observations() const { return {}; }
  virtual void observe(const Observation&, std::vector<Revealed>&) {}

  // Invariants that hold only once every thread has finished.
  virtual void check_final(std::vector<Finding>& out) = 0;
  // Hash of the full state, thread registers included.
  virtual std::uint64_t state_hash() const = 0;

  // For traces and the column view (never on the hot path).
  virtual std::string step_label(ThreadId t) const = 0;  // the announced step
  virtual void mark() = 0;                               // remember the state
  virtual std::string changes_since_mark() const = 0;    // what a step changed
};

}  // namespace gmemcheck::checker
