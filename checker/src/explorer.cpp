#include "gmemcheck/checker/explorer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>

#include "gmemcheck/checker/fiber.hpp"
#include "gmemcheck/checker/prefetch.hpp"
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
  // when the program keeps them.
  bool keeps_checkpoints() const { return saved_start_ && program_.keeps_checkpoints(); }
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

  // Before an execution goes on (or starts) on a copy another core stepped:
  // the program, every thread's context (enabled() reads them all), and the
  // stacks of the threads in `stacks` (a bit per thread).
  void prefetch(unsigned stacks) const {
    program_.prefetch();
    for (std::size_t t = 0; t < fibers_.size(); ++t) {
      fibers_[t]->prefetch_context();
      if (stacks >> t & 1) fibers_[t]->prefetch_stack(kStackInUse);
    }
  }
  void prefetch_stack(ThreadId t) const { fibers_[t]->prefetch_stack(kStackInUse); }

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
  // A paused model thread uses about 500 bytes of its stack (its frames and
  // its saved context), 640 at most in the corpus: what a resume touches.
  static constexpr std::size_t kStackInUse = 640;

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

// Copies of the program that a helper thread keeps ahead of the search.
// While an execution runs on one copy, the helper replays on the others the
// steps the next executions will certainly repeat, which are most of an
// execution's steps. An execution takes the next copy wherever the helper
// got to and replays the rest itself, so the search never waits for the
// helper's replaying (only, briefly, for its answer; see answered()), and
// every decision is still the search's, taken in the same order: counts and
// findings are those of the search without it.
//
// Executions are numbered, and execution n runs on copy n % kCopies. The
// two threads pass messages and never write the same line: the search asks
// for the next execution's copy by raising `want`, and the helper, once it
// no longer touches that copy, answers with how far it got (`grant_`). A
// store to a line the other core has read waits for that core to give the
// line up, a round trip, and the stores behind it wait too; so the search
// writes what the helper reads once per execution where it can (the
// request, with the states to count) and otherwise only as it changes (how
// far the next executions' copies may go, all on one line), and neither
// side needs a fence.
class ReplayAhead {
 public:
  static constexpr std::size_t kCopies = 8;       // the current one, the last one and six ahead
  static constexpr std::size_t kMaxSteps = 4096;  // replayed ahead per copy, at most
  static constexpr long kFailed = -2;             // the replay threw (the copy's error says what)

  // `table`: where count_state() counts.
  ReplayAhead(Program& program, const ProgramFactory& make_copy, StateTable& table)
      : spare_(copy_of(program, make_copy)), table_(table) {
    copies_.push_back(std::make_unique<Copy>(nullptr, &program, std::make_unique<Runner>(program)));
    while (copies_.size() < kCopies) copies_.push_back(copy_of(program, make_copy));
    thread_ = std::thread([this] { serve(); });
  }
  ~ReplayAhead() {
    quit_.store(true, std::memory_order_release);
    thread_.join();
  }
  ReplayAhead(const ReplayAhead&) = delete;
  ReplayAhead& operator=(const ReplayAhead&) = delete;

  // The copy of the current execution (at first, of the initial state's check).
  Program& program() { return *now().program; }
  Runner& runner() { return *now().runner; }

  // The next execution begins: it takes the next copy, started and some
  // steps into `previous` (the last execution's schedule, whose first
  // `repeated` steps this one repeats). Returns the steps taken.
  // `turn`: the thread this execution is expected to turn to after them (-1: not known).
  std::size_t next_copy(const Schedule& previous, std::size_t repeated, ThreadId turn) {
    claim_next();  // (normally done as the last execution ended)
    const std::uint64_t n = current_ + 1;
    Copy& c = *copies_[slot(n)];
    // Fetched while the answer is on its way: what the next steps write
    // arrives in the same round trip. Only the stacks of the threads this
    // execution is known to step; another thread's stack is fetched at its
    // first step (an execution steps 2.2 of 4 threads on average, and a
    // stack fetched and not used must go back to the helper's core). The
    // helper has usually replayed up to its target.
    stacks_ = turn >= 0 ? 1u << turn : 0;
    for (std::size_t at = target_of(n, std::memory_order_relaxed); at < repeated; ++at)
      stacks_ |= 1u << previous[at];
    c.runner->prefetch(stacks_);
    std::uint64_t answer = 0;
    const bool helped = answered(n, answer);
    const long at = helped ? static_cast<long>(answer & kStepMask) + kFailed : -1;
    if (at == kFailed) std::rethrow_exception(std::exchange(c.error, nullptr));
    current_ = n;
    on_spare_ = !helped;
    if (at < 0) {
      now().runner->start();
      stacks_ = ~0u;
    }
    now().program->set_replaying(false);
    const auto taken = static_cast<std::size_t>(std::max(at, 0L));
    if (taken > repeated ||
        !std::equal(path_.begin(), path_.begin() + static_cast<std::ptrdiff_t>(taken), previous.begin()))
      throw std::logic_error("replay ahead: the strategy did not repeat the steps it said it would");
    // No copy's target goes past the steps this execution repeats (the
    // executions after it turn back no deeper): the path beyond them is
    // this execution's to write.
    published_ = std::min(published_, repeated);
    return taken;
  }

  // Before the search steps thread t on the current copy.
  void before_step(ThreadId t) {
    if (!(stacks_ >> t & 1)) fetch_stack(t);
  }

  // Asks for the next execution's copy as soon as the current one has ended
  // (or in next_copy()): the helper lets go of it at its next step, usually
  // before the search looks. The states to count go with the request.
  void claim_next() {
    if (control_.want.load(std::memory_order_relaxed) == current_ + 1) return;  // (the search's own line)
    control_.head.store(filled_, std::memory_order_release);
    control_.want.store(current_ + 1, std::memory_order_release);
  }

  // Tells the helper how far the next executions' copies may go along
  // `path` (whose first `known` steps the strategy has seen: the last
  // execution's, as this one begins, or this one's, as it goes on). A
  // copy's target only grows, and the path below a target is never
  // rewritten: the next executions repeat it.
  void set_targets(const Strategy& strategy, const Schedule& path, std::size_t known) {
    std::size_t bounds[kCopies - 1];
    strategy.certain_prefixes(bounds);
    for (std::size_t j = 0; j + 1 < kCopies; ++j) {
      const std::uint64_t m = current_ + 1 + j;
      const std::size_t goal = std::min({bounds[j], known, kMaxSteps});
      if (goal <= target_of(m, std::memory_order_relaxed)) continue;  // (the search's own line)
      if (goal > published_) {
        std::copy(path.begin() + static_cast<std::ptrdiff_t>(published_),
                  path.begin() + static_cast<std::ptrdiff_t>(goal),
                  path_.begin() + static_cast<std::ptrdiff_t>(published_));
        published_ = goal;
      }
      targets_[slot(m)].store(m << kStepBits | goal, std::memory_order_release);
    }
  }

  // A state reached by a new step, counted by the helper (for a search whose
  // states only count: the table decides nothing). Handed over with the
  // next request.
  void count_state(std::uint64_t hash) {
    // The helper's tail is read only when the ring looks full: reading it
    // each time would fetch the line the helper keeps writing.
    while (filled_ - seen_tail_ == kRing) {
      control_.head.store(filled_, std::memory_order_release);
      seen_tail_ = tail_.load(std::memory_order_acquire);
      if (filled_ - seen_tail_ == kRing) __builtin_ia32_pause();
    }
    // The ring's next line is fetched for writing ahead: the helper read it
    // last, and a store that had to wait for it would hold up the stores
    // behind it.
    if (filled_ % kPerLine == 0) prefetch_for_write(&ring_[(filled_ + kPerLine) % kRing], 1);
    ring_[filled_++ % kRing] = hash;
  }
  // Waits until every state given was counted: the table is then the
  // search's again.
  void counted() {
    control_.head.store(filled_, std::memory_order_release);
    while (tail_.load(std::memory_order_acquire) != filled_) __builtin_ia32_pause();
  }
  std::uint64_t states_so_far() const { return counted_.load(std::memory_order_relaxed); }

 private:
  struct Copy {
    std::unique_ptr<Program> owned;  // null for the search's own program
    Program* program = nullptr;
    std::unique_ptr<Runner> runner;
    std::exception_ptr error = nullptr;  // what the helper's replay threw
  };
  static std::unique_ptr<Copy> copy_of(Program& program, const ProgramFactory& make_copy) {
    std::unique_ptr<Program> owned = make_copy();
    owned->share_facts(program);
    Program* p = owned.get();
    return std::make_unique<Copy>(std::move(owned), p, std::make_unique<Runner>(*p));
  }
  // The helper's record of a copy: which execution it replayed it for, and
  // how far (-1: not started; kFailed).
  struct Record {
    std::uint64_t execution = ~std::uint64_t{0};
    long position = -1;
    long position_for(std::uint64_t m) const { return execution == m ? position : -1; }
  };

  // Out of line: before_step() stays small in the search's step.
  [[gnu::noinline]] void fetch_stack(ThreadId t) {
    stacks_ |= 1u << t;
    now().runner->prefetch_stack(t);
  }

  static std::size_t slot(std::uint64_t execution) { return static_cast<std::size_t>(execution % kCopies); }
  Copy& now() { return on_spare_ ? *spare_ : *copies_[slot(current_)]; }

  // Waits for the helper's answer to the request for execution n's copy,
  // about as long as an answer takes at most (it comes after the step the
  // helper is taking, or after the copy it is restarting). Later than that,
  // the helper has lost its core to another thread, for a time slice or
  // more: this execution then runs on the spare copy, from the start, and
  // the next one looks only once, until an answer is there at once again.
  bool answered(std::uint64_t n, std::uint64_t& answer) {
    answer = grant_.load(std::memory_order_acquire);
    if ((answer >> kStepBits) == n) return patient_ = true;  // as usual: the clock is not read
    if (!patient_) return false;
    const Clock::time_point asked = Clock::now();
    for (unsigned spins = 1;; ++spins) {
      __builtin_ia32_pause();
      answer = grant_.load(std::memory_order_acquire);
      if ((answer >> kStepBits) == n) return true;
      if (spins % 64 == 0 && Clock::now() - asked > kPatience) return patient_ = false;
    }
  }

  // How far execution m's copy may go: targets are tagged with their
  // execution, so a copy's target from its last use reads as 0.
  std::size_t target_of(std::uint64_t m, std::memory_order order) const {
    const std::uint64_t v = targets_[slot(m)].load(order);
    return (v >> kStepBits) == m ? static_cast<std::size_t>(v & kStepMask) : 0;
  }

  void serve() {
    std::uint64_t granted = 0;  // the search owns copy 0, for execution 0, from the start
    for (unsigned idle = 0; !quit_.load(std::memory_order_acquire);) {
      const std::uint64_t want = control_.want.load(std::memory_order_acquire);
      if (want != granted) grant(granted = want);
      const bool busy = work(want);
      count(!busy);
      if (busy) {
        idle = 0;
        continue;
      }
      __builtin_ia32_pause();
      // A search only idles the helper briefly; a long idle is the end of it.
      if (++idle > (1u << 16)) std::this_thread::yield();
    }
  }

  // Answers a request, when the helper no longer touches the copy wanted.
  void grant(std::uint64_t want) {
    const long at = records_[slot(want)].position_for(want);
    grant_.store(want << kStepBits | static_cast<std::uint64_t>(at - kFailed), std::memory_order_release);
  }

  // Counts the states given so far, once there are enough of them to
  // overlap their misses (or `all`: the helper has nothing else to do).
  void count(bool all) {
    std::size_t tail = tail_.load(std::memory_order_relaxed);
    const std::size_t head = control_.head.load(std::memory_order_acquire);
    if (head == tail || (!all && head - tail < StateTable::kBatch)) return;
    for (std::size_t from = tail % kRing; tail != head; from = tail % kRing) {
      const std::size_t n = std::min(head - tail, kRing - from);
      table_.insert_all(std::span<const std::uint64_t>(ring_).subspan(from, n));
      tail += n;
    }
    counted_.store(table_.size(), std::memory_order_relaxed);
    tail_.store(tail, std::memory_order_release);
  }

  // Takes steps on the first copy in line that is behind its target. The
  // copies the helper may use: those of the executions after the one
  // wanted, short of the two last copies' (the search may still be
  // stopping the last one).
  bool work(std::uint64_t want) {
    for (std::uint64_t m = want + 1; m + 2 <= want + kCopies; ++m) {
      const long at = records_[slot(m)].position_for(m);
      if (at == kFailed ||
          (at >= 0 && static_cast<std::size_t>(at) >= target_of(m, std::memory_order_acquire)))
        continue;
      advance(m, want);
      return true;
    }
    return false;
  }

  // Steps execution m's copy until the request changes or the copy reaches
  // its target (which may grow meanwhile).
  void advance(std::uint64_t m, std::uint64_t want) {
    Copy& c = *copies_[slot(m)];
    Record& r = records_[slot(m)];
    try {
      if (r.execution != m) {
        r = {m, kFailed};      // until started
        c.runner->prefetch(~0u);  // the search ran its last execution
        c.runner->start();
        c.program->set_replaying(true);
        r.position = 0;
      }
      auto at = static_cast<std::size_t>(r.position);
      for (std::size_t target = target_of(m, std::memory_order_acquire);
           control_.want.load(std::memory_order_acquire) == want; ++at) {
        if (at >= target && at >= (target = target_of(m, std::memory_order_acquire))) break;
        const ThreadId t = path_[at];
        c.runner->check_replayable(t, at);
        c.runner->step(t);
        c.program->step_replayed();
        r.position = static_cast<long>(at + 1);
      }
    } catch (...) {
      c.error = std::current_exception();
      r.position = kFailed;
    }
  }

  static constexpr std::size_t kRing = 1u << 14;
  static constexpr std::size_t kPerLine = kCacheLine / sizeof(std::uint64_t);
  static constexpr std::chrono::microseconds kPatience{20};
  static constexpr unsigned kStepBits = 13;  // a step count up to kMaxSteps, or a position from kFailed
  static constexpr std::uint64_t kStepMask = (std::uint64_t{1} << kStepBits) - 1;
  static_assert(kMaxSteps - kFailed <= kStepMask);

  std::vector<std::unique_ptr<Copy>> copies_;
  std::unique_ptr<Copy>
      spare_;  // the search's alone: for an execution the helper could not answer for in time
  std::vector<std::uint64_t> ring_ = std::vector<std::uint64_t>(kRing);  // states to count
  StateTable& table_;
  std::thread thread_;
  // The search's own.
  alignas(kCacheLine) std::uint64_t current_ = 0;  // the current execution
  bool on_spare_ = false;                          // the current execution runs on spare_
  unsigned stacks_ = 0;                            // threads whose stacks this core fetched (a bit each)
  bool patient_ = true;                            // the helper answered the last request in time
  std::size_t filled_ = 0;                         // states given to count
  std::size_t seen_tail_ = 0;                      // tail_, as last read
  std::size_t published_ = 0;                      // path_ holds this execution's steps up to here
  // The search's, read by the helper at every step: written once per execution.
  struct alignas(kCacheLine) Control {
    std::atomic<std::uint64_t> want{0};  // the execution whose copy the search asks for
    std::atomic<std::size_t> head{0};    // states given to count so far
  } control_;
  // The search's: how far along path_ each copy may go, tagged with the
  // execution it is for. One line for all: raising several is one transfer.
  alignas(kCacheLine) std::atomic<std::uint64_t> targets_[kCopies] = {};
  static_assert(sizeof targets_ <= kCacheLine);
  // The search's: the steps the next executions repeat.
  std::vector<ThreadId> path_ = std::vector<ThreadId>(kMaxSteps);
  // The helper's: the answer to the last request.
  alignas(kCacheLine) std::atomic<std::uint64_t> grant_{kStepMask & static_cast<std::uint64_t>(-1 - kFailed)};
  alignas(kCacheLine) std::atomic<std::size_t> tail_{0};  // states counted
  std::atomic<std::uint64_t> counted_{0};
  alignas(kCacheLine) Record records_[kCopies];  // the helper's own
  alignas(kCacheLine) std::atomic<bool> quit_{false};
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
  // `copy`: makes copies of the program for replaying ahead (or null).
  Search(Program& p, const ProgramFactory* copy, Strategy& s, const Options& o)
      : program_(&p), strategy_(s), options_(o), states_(o.cache_bytes) {
    // Bounds on switches judge every step as it is chosen, replayed ones too.
    const bool counts_switches = o.bounds.preemptions_set || o.bounds.switches_set;
    going_back_ = o.checkpoints && !counts_switches && p.keeps_checkpoints();
    if (copy && !counts_switches && !going_back_) {
      ahead_ = std::make_unique<ReplayAhead>(p, *copy, states_);
      runner_ = &ahead_->runner();
    } else {
      own_runner_ = std::make_unique<Runner>(p);
      runner_ = own_runner_.get();
    }
  }

  Result run() {
    if (options_.cache && strategy_.wants_footprints(0))
      throw std::logic_error("the state cache cannot be combined with partial-order reduction");
    start_ = Clock::now();
    last_progress_ = start_;
    check_initial_state();
    going_back_ = going_back_ && runner_->keeps_checkpoints();
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
    if (ahead_) ahead_->counted();
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
    runner_->start();
    states_.insert(program_->state_hash());
    findings_.clear();
    program_->check(findings_);
    for (const Finding& f : findings_)
      if (is_violation(f, options_.liveness_is_violation)) record_violation(f);
    runner_->stop();
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
    footprints_.resize(static_cast<std::size_t>(program_->thread_count()));
    for (std::size_t t = 0; t < footprints_.size(); ++t) {
      auto id = static_cast<ThreadId>(t);
      footprints_[t] = runner_->finished(id) ? Footprint{} : program_->footprint(id);
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
      runner_->enabled(enabled_);
      report_footprints(depth);
      // What this step showed the strategy may send the next executions deeper.
      if (ahead_ && depth > repeated && strategy_.prefixes_changed(prefixes_stamp_))
        ahead_->set_targets(strategy_, schedule_, depth);
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
        program_->step_replayed();
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
    if (ahead_) ahead_->claim_next();
    runner_->stop();
  }

  // Brings the program to this execution's start: the initial state, or as
  // far into the repeated prefix as the helper replayed it on the next copy,
  // which this execution then runs on. Returns the steps taken.
  std::size_t begin_execution(std::size_t repeated) {
    hash_known_ = false;
    preemptions_ = 0;
    switches_ = 0;
    if (going_back_) {
      // schedule_ still holds the last execution's steps: this one repeats the first `repeated`.
      const std::size_t back = std::min(repeated, runner_->checkpoints());
      runner_->go_back(back, schedule_);
      schedule_.resize(back);
      back_to_ = back;
      // Counted as the steps they stand for, as if they had been replayed.
      result_.steps += back;
      result_.max_depth = std::max(result_.max_depth, back);
      return back;
    }
    if (!ahead_) {
      schedule_.clear();
      runner_->start();
      return 0;
    }
    // schedule_ still holds the last execution's steps: this one repeats the first `repeated`.
    const std::size_t taken = ahead_->next_copy(schedule_, repeated, strategy_.repeated_step(repeated));
    program_ = &ahead_->program();
    runner_ = &ahead_->runner();
    strategy_.prefixes_changed(prefixes_stamp_);  // asked in full now: the stamp starts from here
    ahead_->set_targets(strategy_, schedule_, repeated);
    schedule_.resize(taken);
    result_.steps += taken;
    result_.max_depth = std::max(result_.max_depth, taken);
    return taken;
  }

  // A step of the repeated prefix whose thread the strategy knows: taken as
  // it was in the previous execution, which checked and counted its state.
  // False when the strategy leaves the choice to pick().
  bool replay_step(std::size_t depth) {
    const ThreadId t = strategy_.repeated_step(depth);
    if (t < 0) return false;
    runner_->check_replayable(t, depth);
    take_step(t, depth);
    program_->step_replayed();
    return true;
  }

  // Inlined into the loops that step: out of line (GCC's choice once the
  // helper's stack fetch was added) a step of the one-core search cost about
  // 7 ns more in the engine benchmark, 10%.
  [[gnu::always_inline]] void take_step(ThreadId t, std::size_t depth) {
    if (ahead_) ahead_->before_step(t);
    // The state before this step, for the executions that repeat the steps
    // up to it (the first `back_to_` have their checkpoints already).
    if (going_back_ && depth > back_to_) runner_->save_checkpoint(depth, schedule_.back());
    schedule_.push_back(t);
    runner_->step(t);
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
    program_->check(findings_);
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
      // Only counted: by the helper, or here in batches.
      if (ahead_) {
        ahead_->count_state(current_hash());
      } else {
        to_count_.push_back(current_hash());
        if (to_count_.size() == StateTable::kBatch) count_states();
      }
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
      hash_ = program_->state_hash();
      hash_known_ = true;
    }
    return hash_;
  }

  // No thread can run: either all finished (final invariants) or a deadlock.
  void finish_execution(std::vector<std::string>& liveness_counted) {
    findings_.clear();
    if (runner_->all_finished())
      program_->check_final(findings_);
    else
      findings_.push_back(runner_->deadlock());
    handle_findings(liveness_counted);  // final liveness findings are counted, not violations
  }

  void report_progress(bool force) {
    if (!options_.progress) return;
    auto now = Clock::now();
    if (!force && now - last_progress_ < std::chrono::milliseconds(250)) return;
    last_progress_ = now;
    const std::uint64_t states = ahead_ && !options_.cache ? ahead_->states_so_far() : states_.size();
    options_.progress(Progress{result_.executions, result_.steps, states, result_.max_depth, elapsed()});
  }

  Program* program_;  // the copy this execution runs on
  Strategy& strategy_;
  const Options& options_;
  Runner* runner_;
  std::unique_ptr<Runner> own_runner_;  // without replaying ahead
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
  std::unique_ptr<ReplayAhead> ahead_;
  bool going_back_ = false;  // executions go back to checkpoints (Options::checkpoints)
  std::size_t back_to_ = 0;  // the checkpoint this execution went back to
  std::uint64_t prefixes_stamp_ = ~std::uint64_t{0};  // see Strategy::prefixes_changed()
};

}  // namespace

std::string seconds_cut_reason(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", seconds);
  return std::string("stopped after ") + text + " seconds (bounds.seconds / --max-seconds)";
}

Result explore(Program& program, Strategy& strategy, const Options& options) {
  return Search(program, nullptr, strategy, options).run();
}

Result explore(Program& program, const ProgramFactory& copy, Strategy& strategy, const Options& options) {
  return Search(program, &copy, strategy, options).run();
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
