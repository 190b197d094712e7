// The model as the checker sees it: one VM, one memslot, one guest_memfd, the
// scenario's threads each running one path. Implements checker::Program.
#pragma once

#include <array>
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

  int thread_count() const override { return static_cast<int>(scenario_.threads.size()); }
  std::string thread_name(checker::ThreadId t) const override { return scenario_.threads[t].name; }
  void reset() override;
  void run(checker::ThreadId t, checker::Yield& y) override;
  bool enabled(checker::ThreadId t) const override;
  void check(std::vector<checker::Finding>& out) override;
  void check_final(std::vector<checker::Finding>& out) override;
  void step_replayed() override { events_.clear(); }
  std::uint64_t state_hash() const override;
  std::string step_label(checker::ThreadId t) const override;
  void mark() override { marked_ = state_; }
  std::string changes_since_mark() const override;

  const Scenario& scenario() const { return scenario_; }
  // lockdep normally accumulates over every execution of a search, like the
  // kernel's over a boot; per execution, a lock_order finding is one run's.
  void set_lockdep_per_execution(bool on) { lockdep_per_execution_ = on; }
  const State& state() const { return state_; }
  State& state() { return state_; }
  const State& initial_state() const { return initial_; }

  // Used by the paths (through Cpu): per-step events and lockdep.
  void report(std::string invariant, std::string message, bool liveness = false);
  void note_acquire(checker::ThreadId t, LockId lock);
  Announced& announced(checker::ThreadId t) { return announced_[t]; }
  // Which thread took each step of this execution (for lockdep's witnesses).
  void stepped(checker::ThreadId t) { history_.push_back(t); }

 private:
  Scenario scenario_;
  State initial_;
  State state_;
  State marked_;
  std::array<Announced, kMaxThreads> announced_{};
  std::vector<checker::Finding> events_;  // raised by the step that just ran
  bool lockdep_per_execution_ = false;
  std::vector<checker::ThreadId> history_;
  std::array<std::array<LockEdge, static_cast<int>(LockId::count)>, static_cast<int>(LockId::count)> lockdep_{};
};

State initial_state(const Scenario& s);

}  // namespace gmemcheck::model
