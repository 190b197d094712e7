#include "toy_program.hpp"

#include <stdexcept>
#include <utility>

namespace toy {

namespace {

// FNV-1a over values, fed byte by byte in a fixed order so the hash depends
// only on the state's contents (never on addresses or host byte order).
class Fnv1a {
 public:
  void add(std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>(u >> (8 * i)));
  }
  void add(const std::string& s) {
    add(static_cast<std::int64_t>(s.size()));
    for (char c : s) byte(static_cast<unsigned char>(c));
  }
  std::uint64_t value() const { return h_; }

 private:
  void byte(unsigned char b) {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

// Appends rather than `"m" + std::to_string(m)`, which trips a false
// -Wrestrict in GCC 12 at -O3.
std::string numbered(char prefix, int n) {
  std::string out(1, prefix);
  out += std::to_string(n);
  return out;
}

std::string mutex_name(int m) {
  return numbered('m', m);
}

std::string describe(const Op& op) {
  const std::string var = variable_name(op.target);
  switch (op.kind) {
    case OpKind::write:
      return "write " + var + "=" + std::to_string(op.value);
    case OpKind::load:
      return "load " + var;
    case OpKind::store_inc:
      return "store " + var + "=r+1";
    case OpKind::lock:
      return "lock " + mutex_name(op.target);
    case OpKind::unlock:
      return "unlock " + mutex_name(op.target);
    case OpKind::expect:
      return "expect " + var + "==" + std::to_string(op.value);
    case OpKind::fail:
      return "fail";
  }
  return "?";
}

void append_change(std::string& out, const std::string& what, const std::string& from,
                   const std::string& to) {
  if (from == to) return;
  if (!out.empty()) out += ", ";
  out += what + ": " + from + "->" + to;
}

}  // namespace

Op write(int var, int value) {
  return {OpKind::write, var, value, {}, false};
}
Op load(int var) {
  return {OpKind::load, var, 0, {}, false};
}
Op store_inc(int var) {
  return {OpKind::store_inc, var, 0, {}, false};
}
Op lock(int mutex) {
  return {OpKind::lock, mutex, 0, {}, false};
}
Op unlock(int mutex) {
  return {OpKind::unlock, mutex, 0, {}, false};
}
Op expect(int var, int value, std::string invariant, bool liveness) {
  return {OpKind::expect, var, value, std::move(invariant), liveness};
}
Op fail() {
  return {OpKind::fail, 0, 0, {}, false};
}
Spec random_spec(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  Spec s;
  s.variables = 2;
  s.mutexes = 1;
  for (int t = 0; t < 3; ++t) {
    std::vector<Op> ops;
    bool locked = pick(4) == 0;
    if (locked) ops.push_back(lock(0));
    for (int k = 1 + pick(3); k > 0; --k) {
      int var = pick(2);
      switch (pick(3)) {
        case 0: ops.push_back(write(var, 1 + pick(3))); break;
        case 1: ops.push_back(load(var)); break;
        default: ops.push_back(store_inc(var)); break;
      }
    }
    if (locked) ops.push_back(unlock(0));
    s.threads.push_back({std::string(1, static_cast<char>('A' + t)), ops});
  }
  return s;
}

std::vector<Op> increments(int var, int k) {
  std::vector<Op> ops;
  for (int i = 0; i < k; ++i) {
    ops.push_back(load(var));
    ops.push_back(store_inc(var));
  }
  return ops;
}

std::string variable_name(int var) {
  static const char* const kNames[] = {"x", "y", "z", "w"};
  if (var >= 0 && var < 4) return kNames[var];
  return numbered('v', var);
}

ToyProgram::ToyProgram(Spec spec) : spec_(std::move(spec)) {
  reset();
}

void ToyProgram::reset() {
  state_ = State{};
  state_.vars.assign(spec_.variables, 0);
  state_.owners.assign(spec_.mutexes, -1);
  state_.threads.assign(spec_.threads.size(), ThreadState{});
  marked_ = state_;
}

void ToyProgram::save_checkpoint(std::size_t steps) {
  if (checkpoints_.size() <= steps) checkpoints_.resize(steps + 1);
  checkpoints_[steps] = state_;
}

// Announce, pause, perform: the engine sees each op before it happens. State
// is reached through state_ on every use because reset() replaces it.
void ToyProgram::run(ThreadId t, Yield& y) {
  const std::vector<Op>& ops = spec_.threads[t].ops;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    state_.threads[t].pc = i;
    y.pause();
    perform(t, ops[i]);
  }
  state_.threads[t].pc = ops.size();
}

const Op* ToyProgram::announced(ThreadId t) const {
  const std::vector<Op>& ops = spec_.threads[t].ops;
  std::size_t pc = state_.threads[t].pc;
  return pc < ops.size() ? &ops[pc] : nullptr;
}

bool ToyProgram::enabled(ThreadId t) const {
  const Op* op = announced(t);
  if (op == nullptr || op->kind != OpKind::lock || !spec_.respect_locks) return true;
  int owner = state_.owners[op->target];
  return owner == -1 || owner == t;
}

void ToyProgram::perform(ThreadId t, const Op& op) {
  ThreadState& th = state_.threads[t];
  switch (op.kind) {
    case OpKind::write:
      state_.vars[op.target] = op.value;
      break;
    case OpKind::load:
      th.reg = state_.vars[op.target];
      break;
    case OpKind::store_inc:
      state_.vars[op.target] = th.reg + 1;
      break;
    case OpKind::lock:
      take_lock(t, op.target);
      break;
    case OpKind::unlock:
      state_.owners[op.target] = -1;
      break;
    case OpKind::expect:
      if (state_.vars[op.target] != op.value)
        state_.failures.push_back({op.invariant,
                                   thread_name(t) + " saw " + variable_name(op.target) + "=" +
                                       std::to_string(state_.vars[op.target]) + ", expected " +
                                       std::to_string(op.value),
                                   op.liveness});
      break;
    case OpKind::fail:
      throw std::runtime_error("toy op failed on purpose");
  }
}

void ToyProgram::take_lock(ThreadId t, int mutex) {
  int& owner = state_.owners[mutex];
  if (owner != -1 && owner != t)
    state_.failures.push_back(
        {kLockHeld, thread_name(t) + " took " + mutex_name(mutex) + " held by " + owner_name(owner), false});
  owner = t;
}

std::string ToyProgram::owner_name(int owner) const {
  return owner < 0 ? "free" : thread_name(owner);
}

// Failures stay in the state, so every later check() reports them again: the
// engine must count a finding once per execution, not once per step.
void ToyProgram::check(std::vector<Finding>& out) {
  out.insert(out.end(), state_.failures.begin(), state_.failures.end());
}

void ToyProgram::check_final(std::vector<Finding>& out) {
  final_values_.insert(state_.vars);
  for (const FinalCheck& c : spec_.final_checks) {
    int actual = state_.vars[c.var];
    if (actual == c.value) continue;
    out.push_back(
        {c.invariant,
         variable_name(c.var) + " is " + std::to_string(actual) + ", expected " + std::to_string(c.value),
         c.liveness});
  }
}

std::uint64_t ToyProgram::state_hash() const {
  Fnv1a h;
  for (int v : state_.vars) h.add(v);
  for (int o : state_.owners) h.add(o);
  for (const ThreadState& th : state_.threads) {
    h.add(static_cast<std::int64_t>(th.pc));
    h.add(th.reg);
  }
  for (const Finding& f : state_.failures) h.add(f.invariant);
  return h.value();
}

gmemcheck::checker::Footprint ToyProgram::footprint(ThreadId t) const {
  const Op* op = announced(t);
  if (op == nullptr) return {};
  const std::uint64_t var = std::uint64_t{1} << op->target;
  const std::uint64_t mutex = std::uint64_t{1} << (32 + op->target);
  const std::uint64_t failures = std::uint64_t{1} << 63;
  switch (op->kind) {
    case OpKind::write:
    case OpKind::store_inc: return {0, var};
    case OpKind::load: return {var, 0};
    case OpKind::lock: return {0, mutex | failures};
    case OpKind::unlock: return {0, mutex};
    case OpKind::expect: return {var, failures};
    case OpKind::fail: return {};
  }
  return gmemcheck::checker::kTouchesEverything;
}

std::string ToyProgram::step_label(ThreadId t) const {
  const Op* op = announced(t);
  return op == nullptr ? "finished" : describe(*op);
}

// Only what a step can change: variables, mutex owners and registers (the pc
// always advances, so listing it would say nothing).
std::string ToyProgram::changes_since_mark() const {
  std::string out;
  for (std::size_t v = 0; v < state_.vars.size(); ++v)
    append_change(out, variable_name(static_cast<int>(v)), std::to_string(marked_.vars[v]),
                  std::to_string(state_.vars[v]));
  for (std::size_t m = 0; m < state_.owners.size(); ++m)
    append_change(out, mutex_name(static_cast<int>(m)), owner_name(marked_.owners[m]),
                  owner_name(state_.owners[m]));
  for (std::size_t t = 0; t < state_.threads.size(); ++t)
    append_change(out, spec_.threads[t].name + ".r", std::to_string(marked_.threads[t].reg),
                  std::to_string(state_.threads[t].reg));
  return out.empty() ? "(no change)" : out;
}

}  // namespace toy
