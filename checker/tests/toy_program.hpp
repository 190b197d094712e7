// A tiny Program for engine tests: integer variables, mutexes and threads that
// are straight-line lists of operations. Every operation is exactly one step,
// so the number of steps and interleavings of a toy can be counted by hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmemcheck/checker/program.hpp"

namespace toy {

using gmemcheck::checker::Finding;
using gmemcheck::checker::ThreadId;
using gmemcheck::checker::Yield;

// Raised by the toy itself when a lock step runs while another thread holds
// the mutex: the engine scheduled a thread that enabled() called blocked.
inline constexpr const char* kLockHeld = "lock_while_held";

enum class OpKind { write, load, store_inc, lock, unlock, expect, fail };

struct Op {
  OpKind kind = OpKind::write;
  int target = 0;         // a variable, or a mutex for lock/unlock
  int value = 0;          // written by write, compared by expect
  std::string invariant;  // expect: the finding raised when it fails
  bool liveness = false;  // expect: whether that finding is a liveness one
};

// One step each.
Op write(int var, int value);  // var = value
Op load(int var);              // register = var
Op store_inc(int var);         // var = register + 1
Op lock(int mutex);            // blocks while another thread holds it
Op unlock(int mutex);
// Records `invariant` (reported by every later check()) unless var == value.
Op expect(int var, int value, std::string invariant, bool liveness = false);
Op fail();  // throws from the thread body
// k increments of var, each a load then a store: the classic racy counter.
std::vector<Op> increments(int var, int k);

struct FinalCheck {
  int var = 0;
  int value = 0;
  std::string invariant;
  bool liveness = false;
};

struct ThreadSpec {
  std::string name;
  std::vector<Op> ops;
};

struct Spec {
  int variables = 2;  // named x, y, z, w, then v4, v5, ...
  int mutexes = 0;    // named m0, m1, ...
  std::vector<ThreadSpec> threads;
  std::vector<FinalCheck> final_checks;  // once every thread has finished
  // false: enabled() ignores held mutexes, so the engine may run a lock step
  // that the toy reports as kLockHeld (proves that detector works).
  bool respect_locks = true;
};

std::string variable_name(int var);

// Three threads of one to three loads, increments and writes over two
// variables, a quarter of them under a lock: small enough for the search of
// every schedule, and their states converge often.
Spec random_spec(std::mt19937_64& rng);

class ToyProgram final : public gmemcheck::checker::Program {
 public:
  explicit ToyProgram(Spec spec);

  int thread_count() const override { return static_cast<int>(spec_.threads.size()); }
  std::string thread_name(ThreadId t) const override { return spec_.threads[t].name; }
  void reset() override;
  bool save_start() override {
    if (rewinds_) start_ = state_;
    return rewinds_;
  }
  void restore_start() override { state_ = marked_ = start_; }
  bool keeps_checkpoints() const override { return rewinds_ && checkpoints_on_; }
  void save_checkpoint(std::size_t steps) override;
  void restore_checkpoint(std::size_t steps) override { state_ = marked_ = checkpoints_.at(steps); }
  // Whether save_start() lets the engine start executions over without
  // running the threads up to their first steps (the default), and whether
  // the engine may go back to checkpoints (the default, when it rewinds).
  void set_rewinds(bool on) { rewinds_ = on; }
  void set_checkpoints(bool on) { checkpoints_on_ = on; }
  void run(ThreadId t, Yield& y) override;
  bool enabled(ThreadId t) const override;
  void check(std::vector<Finding>& out) override;
  void check_final(std::vector<Finding>& out) override;
  std::uint64_t state_hash() const override;
  // Variable v is object v, mutex m object 32 + m, the failure list object 63.
  gmemcheck::checker::Footprint footprint(ThreadId t) const override;
  std::string step_label(ThreadId t) const override;
  void mark() override { marked_ = state_; }
  std::string changes_since_mark() const override;

  // Read-only views for tests.
  int variable(int var) const { return state_.vars[var]; }
  int owner(int mutex) const { return state_.owners[mutex]; }

  // The variables' values at the end of every execution that finished so far.
  const std::set<std::vector<int>>& final_values() const { return final_values_; }

 private:
  struct ThreadState {
    std::size_t pc = 0;  // index of the announced op; ops.size() once finished
    int reg = 0;         // the value a load put in the register
  };
  struct State {
    std::vector<int> vars;
    std::vector<int> owners;  // -1: free
    std::vector<ThreadState> threads;
    std::vector<Finding> failures;  // failed expects and kLockHeld, in order
  };

  const Op* announced(ThreadId t) const;
  void perform(ThreadId t, const Op& op);
  void take_lock(ThreadId t, int mutex);
  std::string owner_name(int owner) const;

  Spec spec_;
  State state_;
  State marked_;
  State start_;  // as every thread announced its first op
  std::vector<State> checkpoints_;  // [k]: after an execution's k-th step
  bool rewinds_ = true;
  bool checkpoints_on_ = true;
  std::set<std::vector<int>> final_values_;
};

}  // namespace toy
