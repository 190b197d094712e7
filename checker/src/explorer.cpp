#include "gmemcheck/checker/explorer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <utility>

#include "gmemcheck/checker/fiber.hpp"
#include "gmemcheck/checker/state_table.hpp"

namespace gmemcheck::checker {

namespace {

using Clock = std::chrono::steady_clock;

struct ThreadArg {
  Program* program;
  ThreadId thread;
};

void thread_body(void* arg, Yield& y) {
  auto* a = static_cast<ThreadArg*>(arg);
  a->program->run(a->thread, y);
}

// One execution at a time over reusable fibers.
class Runner {
 public:
  explicit Runner(Program& p) : program_(p), args_(p.thread_count()) {
    for (int t = 0; t < p.thread_count(); ++t) {
      fibers_.push_back(std::make_unique<Coroutine>());
      args_[t] = {&p, t};
    }
  }

  // The first time, resets the program and runs each thread to its first
  // pause; after that, puts the program and the threads back there (if the
  // program can), which costs a copy of a few hundred bytes per thread
  // instead of running them.
  void start() {
    if (saved_start_) {
      program_.restore_start();
      for (std::size_t t = 0; t < fibers_.size(); ++t) fibers_[t]->restore(start_[t]);
      return;
    }
    program_.reset();
    for (std::size_t t = 0; t < fibers_.size(); ++t) {
      fibers_[t]->start(&thread_body, &args_[t]);
      raise_if_failed(static_cast<ThreadId>(t));
    }
    if (!program_.save_start()) return;
    start_.resize(fibers_.size());
    for (std::size_t t = 0; t < fibers_.size(); ++t) fibers_[t]->save(start_[t]);
    saved_start_ = true;
  }

  // Whether executions may go back to checkpoints: after the first start,
  // when the program keeps them (go_back() keeps a bit per thread).
  bool keeps_checkpoints() const {
    return saved_start_ && program_.keeps_checkpoints() && fibers_.size() < 32;
  }
  // How many leading steps of the last execution have a checkpoint to go
  // back to (its start included).
  std::size_t checkpoints() const { return checkpoints_; }

  // After the execution's `steps`-th step, taken by thread t, when all
  // before it have their checkpoints: the program, and t's stack (the other
  // threads' stacks are as they were after their own last steps).
  void save_checkpoint(std::size_t steps, ThreadId t) {
    program_.save_checkpoint(steps);
    if (images_.size() <= steps) images_.resize(steps + 1);
    fibers_[t]->save(images_[steps]);
    checkpoints_ = steps;
  }

  // Puts the program and its threads back as they were after the first
  // `steps` steps of `last` (the last execution's schedule), at most
  // checkpoints(): each thread's stack as it was after its last step among
  // them. Only the threads that stepped after them have a stack to copy
  // back; the others' stacks were not touched since (every context is put
  // back: the end of an execution forgets them all).
  void go_back(std::size_t steps, const Schedule& last) {
    if (steps == 0) {
      program_.restore_start();
    } else {
      program_.restore_checkpoint(steps);
    }
    unsigned moved = 0;
    for (std::size_t k = steps; k < last.size(); ++k) moved |= 1u << last[k];
    const unsigned all = (1u << fibers_.size()) - 1;
    unsigned placed = 0;
    for (std::size_t k = steps; k > 0 && placed != all; --k) {
      const ThreadId t = last[k - 1];
      if (placed >> t & 1) continue;
      placed |= 1u << t;
      put_back(t, images_[k], moved >> t & 1);
    }
    for (std::size_t t = 0; t < fibers_.size(); ++t)
      if (!(placed >> t & 1)) put_back(static_cast<ThreadId>(t), start_[t], moved >> t & 1);
    checkpoints_ = steps;
  }

  // Threads that are unfinished and whose announced step may run now.
  void enabled(std::vector<ThreadId>& out) const {
    out.clear();
    for (std::size_t t = 0; t < fibers_.size(); ++t)
      if (!fibers_[t]->finished() && program_.enabled(static_cast<ThreadId>(t)))
        out.push_back(static_cast<ThreadId>(t));
  }

  bool all_finished() const {
    return std::all_of(fibers_.begin(), fibers_.end(), [](auto& f) { return f->finished(); });
  }
  bool finished(ThreadId t) const { return fibers_[t]->finished(); }

  void step(ThreadId t) {
    fibers_[t]->resume();
    raise_if_failed(t);
  }

  void stop() {
    for (auto& f : fibers_) f->abandon();
  }

  // Before replaying thread t's step at `depth`: a step an earlier execution
  // took from the same state must be there to take again.
  void check_replayable(ThreadId t, std::size_t depth) const {
    if (finished(t) || !program_.enabled(t))
      throw std::logic_error("the program is nondeterministic: thread " + std::to_string(t) +
                             " is not enabled at depth " + std::to_string(depth) + " on replay");
  }

  Finding deadlock() const {
    std::string who;
    for (std::size_t t = 0; t < fibers_.size(); ++t) {
      if (fibers_[t]->finished()) continue;
      if (!who.empty()) who += "; ";
      auto id = static_cast<ThreadId>(t);
      who += program_.thread_name(id) + " waits at " + program_.step_label(id);
    }
    return {kDeadlock, "no thread can run: " + who, false};
  }

 private:
  void put_back(ThreadId t, const Coroutine::Image& image, bool stack) {
    if (stack)
      fibers_[t]->restore(image);
    else
      fibers_[t]->restore_context(image);
  }

  void raise_if_failed(ThreadId t) const {
    if (!fibers_[t]->error().empty())
      throw std::runtime_error("thread " + program_.thread_name(t) + ": " + fibers_[t]->error());
  }

  Program& program_;
  std::vector<std::unique_ptr<Coroutine>> fibers_;
  std::vector<ThreadArg> args_;
  bool saved_start_ = false;
  std::vector<Coroutine::Image> start_;  // each thread at its first pause
  // [k]: the stack of the thread that took the k-th step, after it.
  std::vector<Coroutine::Image> images_;
  std::size_t checkpoints_ = 0;
};

bool contains(const std::vector<ThreadId>& v, ThreadId t) {
  return std::find(v.begin(), v.end(), t) != v.end();
}

// Splits one step's findings: those that end the execution, and liveness
// findings that are only counted.
bool is_violation(const Finding& f, bool liveness_is_violation) {
  return !f.liveness || liveness_is_violation;
}

class Search {
 public:
  Search(Program& p, Strategy& s, const Options& o)
      : program_(p), strategy_(s), options_(o), runner_(p), states_(o.cache_bytes) {}

  Result run() {
    if (options_.cache && strategy_.wants_footprints(0))
      throw std::logic_error("the state cache cannot be combined with partial-order reduction");
    start_ = Clock::now();
    last_progress_ = start_;
    check_initial_state();
    // Known once started. Bounds on switches judge every step as it is
    // chosen, repeated ones too: those searches replay.
    going_back_ = options_.checkpoints && !options_.bounds.preemptions_set && !options_.bounds.switches_set &&
                  runner_.keeps_checkpoints();
    while (!should_stop()) {
      if (!strategy_.next_execution()) {
        result_.complete = strategy_.exhaustive() && result_.cut_bound.empty();
        break;
      }
      if (bound_reached()) break;
      run_execution();
      ++result_.executions;
      report_progress(false);
    }
    strategy_.add_counts(result_);
    count_states();
    result_.states = states_.size();
    violating_.for_each([&](std::uint64_t h) { result_.states += !states_.contains(h); });
    // A reducing strategy's own table (added by add_counts) and the engine's.
    result_.state_table_full = result_.state_table_full || states_.full();
    result_.state_table_bytes += states_.bytes();
    result_.seconds = elapsed();
    return result_;
  }

 private:
  double elapsed() const { return seconds_since(start_); }
  static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

  bool should_stop() const { return result_.stopped_early; }

  void cut(const std::string& bound, const std::string& reason) {
    if (!result_.cut_bound.empty()) return;
    result_.cut_bound = bound;
    result_.cut_reason = reason;
  }

  bool bound_reached() {
    const Bounds& b = options_.bounds;
    if (b.executions && result_.executions >= b.executions) {
      cut("executions", "stopped after " + std::to_string(b.executions) +
                            " executions (bounds.executions / --max-executions)");
      return true;
    }
    if (b.seconds > 0 && seconds_since(options_.began.value_or(start_)) >= b.seconds) {
      cut("seconds", seconds_cut_reason(b.seconds));
      return true;
    }
    return false;
  }

  void check_initial_state() {
    runner_.start();
    states_.insert(program_.state_hash());
    findings_.clear();
    program_.check(findings_);
    for (const Finding& f : findings_)
      if (is_violation(f, options_.liveness_is_violation)) record_violation(f);
    runner_.stop();
  }

  void record_violation(const Finding& f) {
    auto [it, fresh] = result_.violations.try_emplace(f.invariant, Counterexample{f, schedule_});
    (void)it;
    if (fresh && f.invariant == options_.stop_on) result_.stopped_early = true;
  }

  void record_liveness(const Finding& f, std::vector<std::string>& counted) {
    if (std::find(counted.begin(), counted.end(), f.invariant) != counted.end()) return;
    counted.push_back(f.invariant);
    ++result_.liveness_executions[f.invariant];
    result_.liveness_examples.try_emplace(f.invariant, Counterexample{f, schedule_});
  }

  // Applies the preemption bound: once spent, the last thread keeps running.
  void limit_preemptions(ThreadId last) {
    const Bounds& b = options_.bounds;
    if (!b.preemptions_set || preemptions_ < b.preemptions) return;
    if (last < 0 || enabled_.size() < 2 || !contains(enabled_, last)) return;
    enabled_.assign(1, last);
    cut("preemptions", "schedules with more than " + std::to_string(b.preemptions) +
                           " preemptions were not explored (bounds.preemptions / --preemptions)");
  }

  // Applies the switch bound; false when the execution cannot go on within it.
  bool limit_switches(ThreadId last, bool last_enabled) {
    const Bounds& b = options_.bounds;
    if (!b.switches_set || switches_ < b.switches || last < 0) return true;
    if (last_enabled && enabled_.size() == 1) return true;  // nothing to cut
    cut("switches", "schedules with more than " + std::to_string(b.switches) + " context switches were not explored");
    if (!last_enabled) return false;
    enabled_.assign(1, last);
    return true;
  }

  // Ends the execution when the step's findings say so.
  bool handle_findings(std::vector<std::string>& liveness_counted) {
    bool stop = false;
    for (const Finding& f : findings_) {
      if (is_violation(f, options_.liveness_is_violation)) {
        record_violation(f);
        stop = stop || f.ends_execution;
      } else {
        record_liveness(f, liveness_counted);
      }
    }
    return stop;
  }

  // Strategies that reduce by independence see every thread's next step.
  void report_footprints(std::size_t depth) {
    if (!strategy_.wants_footprints(depth)) return;
    footprints_.resize(static_cast<std::size_t>(program_.thread_count()));
    for (std::size_t t = 0; t < footprints_.size(); ++t) {
      auto id = static_cast<ThreadId>(t);
      footprints_[t] = runner_.finished(id) ? Footprint{} : program_.footprint(id);
    }
    strategy_.at_state(StateView{depth, enabled_, footprints_, current_hash()});
  }

  void run_execution() {
    const std::size_t repeated = strategy_.repeated_prefix();
    const std::size_t taken = begin_execution(repeated);
    ThreadId last = taken ? schedule_.back() : -1;
    std::vector<std::string> liveness_counted = liveness_in_prefix(repeated);
    const Bounds& b = options_.bounds;
    const bool counts_switches = b.preemptions_set || b.switches_set;
    for (std::size_t depth = taken;; ++depth) {
      if (depth < repeated && !counts_switches && replay_step(depth)) {
        last = schedule_.back();
        continue;
      }
      runner_.enabled(enabled_);
      report_footprints(depth);
      if (enabled_.empty()) {
        finish_execution(liveness_counted);
        break;
      }
      if (options_.bounds.steps && depth >= options_.bounds.steps) {
        cut("steps", "an execution reached " + std::to_string(options_.bounds.steps) +
                         " steps (bounds.steps / --max-steps)");
        break;
      }
      bool was_enabled = contains(enabled_, last);
      limit_preemptions(last);
      if (!limit_switches(last, was_enabled)) break;
      ThreadId t = strategy_.pick(enabled_, depth);
      if (t < 0) break;
      if (last >= 0 && t != last && was_enabled) ++preemptions_;
      if (last >= 0 && t != last) ++switches_;
      last = t;
      take_step(t, depth);
      if (depth < repeated) {
        // The previous execution took this very step: its state was checked
        // and counted then, so only its step events need discarding.
        program_.step_replayed();
        continue;
      }
      if (step_ends_execution(depth, liveness_counted)) {
        if (strategy_.wants_footprints(depth + 1)) {
          strategy_.violated(depth);
          enabled_.clear();
          report_footprints(depth + 1);
        }
        break;
      }
    }
    runner_.stop();
  }

  // Brings the program to this execution's start: the checkpoint after the
  // steps it repeats (as far as there is one), or the initial state.
  // Returns the steps it stands for.
  std::size_t begin_execution(std::size_t repeated) {
    hash_known_ = false;
    preemptions_ = 0;
    switches_ = 0;
    if (going_back_) {
      // schedule_ still holds the last execution's steps: this one repeats
      // the first `repeated`. DFS and DPOR turn where the last execution
      // took a step, so there is a checkpoint; a strategy that did not
      // would have the rest replayed.
      const std::size_t back = std::min(repeated, runner_.checkpoints());
      runner_.go_back(back, schedule_);
      schedule_.resize(back);
      back_to_ = back;
      // Counted as the steps they stand for, as if they had been replayed.
      result_.steps += back;
      result_.max_depth = std::max(result_.max_depth, back);
      return back;
    }
    schedule_.clear();
    runner_.start();
    return 0;
  }

  // A step of the repeated prefix whose thread the strategy knows: taken as
  // it was in the previous execution, which checked and counted its state.
  // False when the strategy leaves the choice to pick().
  bool replay_step(std::size_t depth) {
    const ThreadId t = strategy_.repeated_step(depth);
    if (t < 0) return false;
    runner_.check_replayable(t, depth);
    take_step(t, depth);
    program_.step_replayed();
    return true;
  }

  // Inlined into the loops that step: GCC has moved it out of line as it
  // grew, which cost a step about 7 ns (10%) in the engine benchmark.
  [[gnu::always_inline]] void take_step(ThreadId t, std::size_t depth) {
    // The state before this step, for the executions that repeat the steps
    // up to it (the first `back_to_` have their checkpoints already).
    if (going_back_ && depth > back_to_) runner_.save_checkpoint(depth, schedule_.back());
    schedule_.push_back(t);
    runner_.step(t);
    hash_known_ = false;
    ++result_.steps;
    result_.max_depth = std::max(result_.max_depth, depth + 1);
  }

  // Liveness findings of the previous execution's repeated prefix count for
  // this execution too (it contains the same steps).
  std::vector<std::string> liveness_in_prefix(std::size_t repeated) {
    std::erase_if(liveness_at_, [&](const auto& e) { return e.first >= repeated; });
    std::vector<std::string> counted;
    for (const auto& [depth, inv] : liveness_at_) {
      if (std::find(counted.begin(), counted.end(), inv) != counted.end()) continue;
      counted.push_back(inv);
      ++result_.liveness_executions[inv];
    }
    return counted;
  }

  // Checks the state a new step reached; true when the execution ends here.
  bool step_ends_execution(std::size_t depth, std::vector<std::string>& liveness_counted) {
    // The strategy's table lookup for this state comes after the checks and
    // the next step's footprints: time enough to fetch its slot meanwhile.
    if (strategy_.wants_footprints(depth + 1)) strategy_.expect_state(current_hash());
    findings_.clear();
    program_.check(findings_);
    for (const Finding& f : findings_)
      if (!is_violation(f, options_.liveness_is_violation)) liveness_at_.emplace_back(depth, f.invariant);
    if (!findings_.empty() && handle_findings(liveness_counted)) {
      // A step may break an invariant on the way into a state (a host write,
      // a sleep under mmu_lock) that another step reaches cleanly. So a state
      // where an execution stopped is counted apart and never cuts a later
      // execution: that one must go on past it.
      violating_.insert(current_hash());
      return true;
    }
    if (!options_.cache) {
      // Only counted, in batches.
      to_count_.push_back(current_hash());
      if (to_count_.size() == StateTable::kBatch) count_states();
      return false;
    }
    bool fresh = states_.insert(current_hash());
    if (!fresh && options_.cache) {
      ++result_.cache_hits;
      return true;
    }
    return false;
  }

  // Counts the states a search only counts (its table decides nothing):
  // inserted together, their misses to memory overlap.
  void count_states() {
    states_.insert_all(to_count_);
    to_count_.clear();
  }

  // The state's hash, computed once per step: both the state table and a
  // reducing strategy ask for it.
  std::uint64_t current_hash() {
    if (!hash_known_) {
      hash_ = program_.state_hash();
      hash_known_ = true;
    }
    return hash_;
  }

  // No thread can run: either all finished (final invariants) or a deadlock.
  void finish_execution(std::vector<std::string>& liveness_counted) {
    findings_.clear();
    if (runner_.all_finished())
      program_.check_final(findings_);
    else
      findings_.push_back(runner_.deadlock());
    handle_findings(liveness_counted);  // final liveness findings are counted, not violations
  }

  void report_progress(bool force) {
    if (!options_.progress) return;
    auto now = Clock::now();
    if (!force && now - last_progress_ < std::chrono::milliseconds(250)) return;
    last_progress_ = now;
    const std::uint64_t states = states_.size();
    options_.progress(Progress{result_.executions, result_.steps, states, result_.max_depth, elapsed()});
  }

  Program& program_;
  Strategy& strategy_;
  const Options& options_;
  Runner runner_;
  Result result_;
  Schedule schedule_;
  std::vector<ThreadId> enabled_;
  std::vector<Footprint> footprints_;
  std::uint64_t hash_ = 0;
  bool hash_known_ = false;  // hash_ is the current state's
  std::vector<Finding> findings_;
  StateTable states_;
  std::vector<std::uint64_t> to_count_;  // states to count, not yet in states_
  StateTable violating_;  // states where an execution stopped at a violation
  std::uint64_t preemptions_ = 0;
  std::uint64_t switches_ = 0;
  std::vector<std::pair<std::size_t, std::string>> liveness_at_;  // (depth, invariant) this execution
  Clock::time_point start_, last_progress_;
  bool going_back_ = false;  // executions go back to checkpoints (Options::checkpoints)
  std::size_t back_to_ = 0;  // the checkpoint this execution went back to
};

}  // namespace

std::string seconds_cut_reason(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", seconds);
  return std::string("stopped after ") + text + " seconds (bounds.seconds / --max-seconds)";
}

Result explore(Program& program, Strategy& strategy, const Options& options) {
  return Search(program, strategy, options).run();
}

SingleRun run_once(Program& program, Strategy& strategy, Observer* observer, bool liveness_is_violation) {
  Runner runner(program);
  SingleRun out;
  out.end = EndReason::strategy_stopped;
  if (!strategy.next_execution()) return out;
  runner.start();
  std::vector<ThreadId> enabled;
  for (std::size_t depth = 0;; ++depth) {
    runner.enabled(enabled);
    if (enabled.empty()) {
      out.findings.clear();
      if (runner.all_finished()) {
        program.check_final(out.findings);
        bool violated = std::any_of(out.findings.begin(), out.findings.end(),
                                    [&](const Finding& f) { return is_violation(f, liveness_is_violation); });
        out.end = violated ? EndReason::violation : EndReason::finished;
      } else {
        out.findings.push_back(runner.deadlock());
        out.end = EndReason::deadlock_found;
      }
      break;
    }
    ThreadId t = strategy.pick(enabled, depth);
    if (t < 0) {
      out.end = EndReason::strategy_stopped;
      break;
    }
    if (observer) observer->before_step(t, enabled);
    runner.step(t);
    ++out.steps;
    out.findings.clear();
    program.check(out.findings);
    if (observer) observer->after_step(t, out.findings);
    bool stop = std::any_of(out.findings.begin(), out.findings.end(),
                            [&](const Finding& f) { return is_violation(f, liveness_is_violation); });
    if (stop) {
      out.end = EndReason::violation;
      break;
    }
  }
  out.enabled_at_end = enabled;
  for (int t = 0; t < program.thread_count(); ++t) out.finished.push_back(runner.finished(t));
  runner.stop();
  return out;
}

}  // namespace gmemcheck::checker
