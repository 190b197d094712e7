// The model as the checker sees it: one VM, one memslot, one guest_memfd, the
// scenario's threads each running one path. Implements checker::Program.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "gmemcheck/checker/program.hpp"
#include "gmemcheck/model/scenario.hpp"
#include "gmemcheck/model/state.hpp"

namespace gmemcheck::model {

// A step's call site: its label (with {} placeholders) and a stable id that
// stands for "where the thread is" in the hashed state.
struct Site {
  const char* label;
  std::uint32_t id;
};

constexpr std::uint32_t site_id(const char* file, unsigned line) {
  // Only the file's name counts, so ids (and every state hash) are the same
  // wherever the source tree is checked out.
  const char* base = file;
  for (const char* p = file; *p; ++p)
    if (*p == '/') base = p + 1;
  std::uint32_t h = 2166136261u;
  for (const char* p = base; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;
  return (h ^ line) * 16777619u | 1u;  // never 0: 0 means "finished"
}

#define GMC_SITE(label) ::gmemcheck::model::Site{label, ::gmemcheck::model::site_id(__FILE__, __LINE__)}

// The objects a step may touch (the bits of its checker::Footprint), so that
// partial-order reduction can tell which steps commute. Each step declares a
// conservative superset of what it reads and writes between its announcement
// and the thread's next one.
namespace obj {
constexpr std::uint64_t bit(int n) { return std::uint64_t{1} << n; }
constexpr std::uint64_t spte(int gfn) { return bit(gfn); }
constexpr std::uint64_t attr(int gfn) { return bit(kMaxPages + gfn); }
// page_cache[index]: the folio's pfn and its uptodate flag.
constexpr std::uint64_t cache(int index) { return bit(2 * kMaxPages + index); }
inline constexpr std::uint64_t all_sptes = bit(kMaxPages) - 1;
inline constexpr std::uint64_t all_attrs = all_sptes << kMaxPages;
inline constexpr std::uint64_t all_caches = all_sptes << (2 * kMaxPages);
inline constexpr std::uint64_t invalidation = bit(3 * kMaxPages);  // seq, in_progress, range
inline constexpr std::uint64_t folio_locks = bit(3 * kMaxPages + 1);
constexpr std::uint64_t lock(LockId l) { return bit(3 * kMaxPages + 2 + static_cast<int>(l)); }
// A host page (allocator owner, references, RMP entry, directmap) and the
// faults' references to it. More pfns than bits: pfns share bits modulo.
inline constexpr int kPfnBase = 3 * kMaxPages + 2 + static_cast<int>(LockId::count);
constexpr std::uint64_t pfn(int p) { return bit(kPfnBase + p % (64 - kPfnBase)); }
inline constexpr std::uint64_t all_pfns = ~(bit(kPfnBase) - 1);
}  // namespace obj

struct Touch {
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
};
constexpr Touch reads(std::uint64_t objects) { return {objects, 0}; }
constexpr Touch writes(std::uint64_t objects) { return {0, objects}; }
constexpr Touch operator|(Touch a, Touch b) { return {a.reads | b.reads, a.writes | b.writes}; }

// The footprint of a step that touches `t`, with what check() adds: see
// footprint_of() in machine.cpp.
checker::Footprint footprint_of(Touch t);

// The arguments of an announced step's label, kept for traces only.
struct Announced {
  const char* label = "";
  std::array<int, 3> args{};
  const char* word = "";  // substituted for {s}
};

// Lockdep's view: the first place each ordered pair of locks was taken.
struct LockEdge {
  bool seen = false;
  bool reported = false;
  std::string site;                      // "CPU0 at mutex_lock(slots_lock)"
  std::vector<checker::ThreadId> steps;  // the execution up to that acquire
};

class Machine final : public checker::Program {
 public:
  explicit Machine(Scenario scenario);
  // Not copied: its paused threads' stacks refer to it.
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  int thread_count() const override { return static_cast<int>(scenario_.threads.size()); }
  std::string thread_name(checker::ThreadId t) const override { return scenario_.threads[t].name; }
  void reset() override;
  bool save_start() override;
  void restore_start() override;
  // Not with lockdep per execution: its pairs would have to be kept too.
  bool keeps_checkpoints() const override { return !lockdep_per_execution_; }
  void save_checkpoint(std::size_t steps) override;
  void restore_checkpoint(std::size_t steps) override;
  void run(checker::ThreadId t, checker::Yield& y) override;
  bool enabled(checker::ThreadId t) const override;
  void check(std::vector<checker::Finding>& out) override;
  void check_final(std::vector<checker::Finding>& out) override;
  void step_replayed() override { events_.clear(); }
  // lockdep's first site of each lock pair, keyed "held>taken".
  std::vector<Observation> observations() const override;
  void observe(const Observation& o, std::vector<Revealed>& out) override;
  std::uint64_t state_hash() const override;
  checker::Footprint footprint(checker::ThreadId t) const override { return footprint_of(touches_[t]); }
  std::string step_label(checker::ThreadId t) const override;
  void mark() override { marked_ = state_; }
  std::string changes_since_mark() const override;

  const Scenario& scenario() const { return scenario_; }
  // lockdep normally accumulates over every execution of a search, like the
  // kernel's over a boot; per execution, a lock_order finding is one run's.
  void set_lockdep_per_execution(bool on);
  const State& state() const { return state_; }
  State& state() { return state_; }
  const State& initial_state() const { return initial_; }

  // Used by the paths (through Cpu): per-step events and lockdep.
  void report(std::string invariant, std::string message, bool liveness = false);
  void note_acquire(checker::ThreadId t, LockId lock);
  Announced& announced(checker::ThreadId t) { return announced_[t]; }
  // Field by field, kept apart: GCC otherwise stores the two register
  // halves to the stack and reloads them as one 16-byte value, a load the
  // store buffer cannot forward (it waits until both stores are written
  // out).
  void declare(checker::ThreadId t, Touch touch) {
    touches_[t].reads = touch.reads;
    asm volatile("" ::: "memory");
    touches_[t].writes = touch.writes;
  }
  // Which thread took each step of this execution (for lockdep's witnesses).
  void stepped(checker::ThreadId t) { history_.push_back(t); }

 private:
  Scenario scenario_;
  State initial_;
  State state_;
  State marked_;
  // What a step changes besides the history and the events: the state and
  // the announced steps. [0] as every thread announced its first step
  // (save_start()), [k] after an execution's k-th step (save_checkpoint()).
  // put_back() copies one back.
  struct Snapshot {
    State state;
    std::array<Announced, kMaxThreads> announced;
    std::array<Touch, kMaxThreads> touches;
  };
  std::vector<Snapshot> snapshots_;
  void put_back(std::size_t at);
  std::array<Announced, kMaxThreads> announced_{};
  std::array<Touch, kMaxThreads> touches_{};  // as declared; the views are added when asked
  void forget_execution();                    // what an execution's steps left besides the state
  checker::Finding lock_order(LockId held, LockId taken, const std::string& here, const LockEdge& rev) const;
  std::vector<checker::Finding> events_;  // raised by the step that just ran
  bool lockdep_per_execution_ = false;
  std::vector<checker::ThreadId> history_;
  using LockTable = std::array<std::array<LockEdge, static_cast<int>(LockId::count)>, static_cast<int>(LockId::count)>;
  LockTable lockdep_{};
};

State initial_state(const Scenario& s);

}  // namespace gmemcheck::model
