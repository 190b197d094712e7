#include "gmemcheck/checker/partition.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace gmemcheck::checker {

namespace {

using Mask = std::uint64_t;

Mask bit(ThreadId t) { return Mask{1} << t; }

// Beyond this depth the top of the tree is not split further: a program whose
// first steps are all forced still gets one unit per leaf reached by then.
constexpr std::size_t kMaxSplitDepth = 64;

// The state after `prefix`: may the search go on from it, and how.
struct Probe {
  bool ended = false;  // finished, deadlocked or broke an invariant
  std::vector<ThreadId> enabled;
  std::vector<Footprint> next;
};

Probe probe(Program& program, const Schedule& prefix) {
  ReplayStrategy replay(prefix);
  SingleRun run = run_once(program, replay, nullptr, false);
  Probe out;
  out.ended = run.end != EndReason::strategy_stopped || run.steps < prefix.size();
  out.enabled = run.enabled_at_end;
  for (int t = 0; t < program.thread_count(); ++t)
    out.next.push_back(run.finished[t] ? Footprint{} : program.footprint(t));
  return out;
}

struct Node {
  Unit unit;
  bool ended = false;
};

// The children of a node: every enabled thread not asleep, each with the
// threads tried before it (and those asleep) that its step leaves asleep.
void expand(Program& program, const Node& node, std::vector<Node>& out) {
  Probe p = probe(program, node.unit.prefix);
  if (p.ended || p.enabled.empty()) {
    out.push_back({node.unit, true});
    return;
  }
  Mask tried = 0;
  for (ThreadId t : p.enabled) {
    if (node.unit.sleep & bit(t)) continue;
    Node child{{node.unit.prefix, 0}, false};
    child.unit.prefix.push_back(t);
    for (Mask m = node.unit.sleep | tried; m; m &= m - 1) {
      auto q = static_cast<ThreadId>(__builtin_ctzll(m));
      if (!p.next[q].dependent(p.next[t])) child.unit.sleep |= bit(q);
    }
    tried |= bit(t);
    out.push_back(std::move(child));
  }
  // Every enabled thread asleep: each class below was explored elsewhere.
}

void cut(Result& r, const std::string& bound, const std::string& reason) {
  r.complete = false;
  if (!r.cut_bound.empty()) return;
  r.cut_bound = bound;
  r.cut_reason = reason;
}

}  // namespace

std::vector<Unit> split(Program& program, std::size_t min_units) {
  std::vector<Node> level{Node{}};
  for (std::size_t depth = 0; level.size() < min_units && depth < kMaxSplitDepth; ++depth) {
    std::vector<Node> next;
    bool grew = false;
    for (const Node& n : level) {
      if (n.ended) {
        next.push_back(n);
        continue;
      }
      expand(program, n, next);
      grew = true;
    }
    level = std::move(next);
    if (!grew) break;
  }
  std::vector<Unit> units;
  for (Node& n : level) units.push_back(std::move(n.unit));
  return units;
}

namespace {

// Sums the workers' progress for the caller's callback.
class ProgressBoard {
 public:
  ProgressBoard(const Options& o, int workers) : callback_(o.progress), slots_(workers) {}

  std::function<void(const Progress&)> for_worker(int w) {
    if (!callback_) return {};
    return [this, w](const Progress& p) {
      std::lock_guard<std::mutex> lock(mutex_);
      slots_[w].current = p;
      Progress sum;
      for (const Slot& s : slots_) {
        sum.executions += s.done.executions + s.current.executions;
        sum.steps += s.done.steps + s.current.steps;
        sum.states += s.done.states + s.current.states;
        sum.max_depth = std::max({sum.max_depth, s.done.max_depth, s.current.max_depth});
      }
      sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      callback_(sum);
    };
  }

  void unit_done(int w, const Result& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    Slot& s = slots_[w];
    s.done.executions += r.executions;
    s.done.steps += r.steps;
    s.done.states += r.states;
    s.done.max_depth = std::max(s.done.max_depth, r.max_depth);
    s.current = {};
  }

 private:
  struct Slot {
    Progress done, current;
  };
  std::function<void(const Progress&)> callback_;
  std::vector<Slot> slots_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

std::vector<UnitResult> explore_units(const ProgramFactory& make_program, const UnitStrategyFactory& make_strategy,
                                      const std::vector<Unit>& units, const Options& options, int jobs,
                                      Shard shard) {
  std::vector<std::size_t> mine;
  for (std::size_t i = 0; i < units.size(); ++i)
    if (i % shard.count == shard.index) mine.push_back(i);
  std::vector<UnitResult> out(mine.size());
  const auto start = std::chrono::steady_clock::now();
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> stopped{mine.size()};  // the first of mine that stopped on purpose
  const int workers = std::max(1, std::min<int>(jobs, static_cast<int>(mine.size())));
  ProgressBoard board(options, workers);

  auto work = [&](int w) {
    for (std::size_t k; (k = next.fetch_add(1)) < mine.size();) {
      UnitResult& u = out[k];
      u.index = mine[k];
      if (k > stopped.load()) {
        cut(u.result, "skipped", "not explored: an earlier unit stopped the search");
        continue;
      }
      Options o = options;
      o.progress = board.for_worker(w);
      o.began = start;
      if (o.bounds.seconds > 0 &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= o.bounds.seconds) {
        cut(u.result, "seconds", seconds_cut_reason(o.bounds.seconds));
        continue;
      }
      std::unique_ptr<Program> program = make_program();
      std::unique_ptr<Strategy> strategy = make_strategy(units[mine[k]]);
      u.result = explore(*program, *strategy, o);
      u.observations = program->observations();
      board.unit_done(w, u.result);
      if (u.result.stopped_early)
        for (std::size_t s = stopped.load(); k < s && !stopped.compare_exchange_weak(s, k);) {
        }
    }
  };
  if (workers == 1) {
    work(0);
  } else {
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) threads.emplace_back(work, w);
    for (std::thread& t : threads) t.join();
  }
  return out;
}

Result merge(std::vector<UnitResult> units, Program& fresh, const Options& options) {
  std::sort(units.begin(), units.end(), [](const UnitResult& a, const UnitResult& b) { return a.index < b.index; });
  Result m;
  m.complete = true;
  const std::uint64_t bound = options.bounds.executions;
  std::vector<Program::Revealed> revealed;
  for (const UnitResult& u : units) {
    const Result& r = u.result;
    if (bound && m.executions + r.executions > bound) {
      cut(m, "executions",
          "stopped after " + std::to_string(bound) + " executions (bounds.executions / --max-executions)");
      break;
    }
    m.executions += r.executions;
    m.steps += r.steps;
    m.states += r.states;
    m.cache_hits += r.cache_hits;
    m.redundant_executions += r.redundant_executions;
    m.state_table_bytes += r.state_table_bytes;
    m.state_table_full = m.state_table_full || r.state_table_full;
    m.max_depth = std::max(m.max_depth, r.max_depth);
    m.seconds += r.seconds;
    for (const auto& [inv, cx] : r.violations) m.violations.try_emplace(inv, cx);
    for (const auto& [inv, n] : r.liveness_executions) m.liveness_executions[inv] += n;
    for (const auto& [inv, cx] : r.liveness_examples) m.liveness_examples.try_emplace(inv, cx);
    if (!r.complete && !r.stopped_early) cut(m, r.cut_bound, r.cut_reason);
    for (const Program::Observation& o : u.observations) fresh.observe(o, revealed);
    if (r.stopped_early) {
      m.stopped_early = true;
      break;
    }
  }
  // What no unit saw alone: a lock taken in one order in one unit and in the
  // other order in another.
  for (Program::Revealed& r : revealed) {
    if (r.finding.liveness && !options.liveness_is_violation) continue;
    bool fresh_invariant = m.violations.try_emplace(r.finding.invariant, Counterexample{r.finding, r.schedule}).second;
    if (fresh_invariant && r.finding.invariant == options.stop_on) m.stopped_early = true;
  }
  return m;
}

}  // namespace gmemcheck::checker
