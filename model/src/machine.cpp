#include "gmemcheck/model/machine.hpp"

#include <cstddef>
#include <stdexcept>

#include "cpu.hpp"

namespace gmemcheck::model {

State initial_state(const Scenario& sc) {
  State s;
  const Variant& v = *sc.variant;
  for (int i = 0; i < sc.pages; ++i) s.mem_attr_array[i] = sc.mem_attr_array[i];
  // Populated index i holds pfn i; pfns of unpopulated indices start free.
  s.pfns_used = static_cast<std::uint8_t>(sc.pages);
  for (int i : sc.populated) {
    bool priv = v.populate_always_private || sc.mem_attr_array[i] == Attr::private_;
    Page& p = s.pfn[i];
    p.owner = Owner::gmem;
    p.refs = 1;
    p.rmp = priv ? Rmp::private_ : Rmp::shared;
    p.directmap_unmapped = v.rmp_hooks_2023 && priv;
    // uptodate: always, except in v6.11 where it means "prepared".
    bool uptodate = v.prepare == Prepare::unless_uptodate ? priv : true;
    s.page_cache[i] = Folio{static_cast<std::int8_t>(i), uptodate};
  }
  for (int g : sc.mapped) {
    bool priv = sc.mem_attr_array[g] == Attr::private_;
    s.spte[g] = Spte{true, priv, priv ? static_cast<std::int8_t>(g) : kNone};
  }
  return s;
}

// check() reads several objects at once: a schedule and its reordering must
// show each invariant the same sequence of values, so a step that writes one
// object an invariant reads is made to read the others that invariant reads.
// Writers of one invariant's objects are then never independent of each
// other, while writers of different pfns, or of different gfns, still are.
//   freed_private            pfn[p]
//   stale_spte, private_spte_shared_rmp
//                            spte[g], page_cache[g], pfn[p] (p: the mapped
//                            pfn, any; the faults' references live with pfn[p])
//   attr_mismatch            spte[g], mem_attr_array[g], the invalidation
//   invalidate_balance       the invalidation, mmu_lock's writer
checker::Footprint footprint_of(Touch t) {
  const std::uint64_t w = t.writes;
  std::uint64_t r = t.reads;
  // Per page g, as masks over every page at once: the spte, attr and cache
  // bits of one page sit kMaxPages apart.
  const std::uint64_t sptes = w & obj::all_sptes;                         // spte(g) written
  const std::uint64_t attrs = (w & obj::all_attrs) >> kMaxPages;          // attr(g) written, at g
  const std::uint64_t caches = (w & obj::all_caches) >> (2 * kMaxPages);  // cache(g) written, at g
  r |= (sptes << kMaxPages) | (sptes << (2 * kMaxPages));  // a spte write reads its attr and cache
  r |= caches | attrs;                                     // a cache or attr write reads its spte
  if (sptes) r |= obj::all_pfns | obj::invalidation;
  if (caches) r |= obj::all_pfns;
  if (attrs) r |= obj::invalidation;
  if (w & obj::all_pfns) r |= obj::all_sptes | obj::all_caches;
  if (w & obj::invalidation) r |= obj::all_sptes | obj::all_attrs | obj::lock(LockId::mmu);
  if (w & obj::lock(LockId::mmu)) r |= obj::invalidation;
  return {r & ~w, w};
}

Machine::Machine(Scenario scenario) : scenario_(std::move(scenario)) {
  initial_ = model::initial_state(scenario_);
  state_ = initial_;
}

void Machine::reset() {
  state_ = initial_;
  forget_execution();
}

void Machine::forget_execution() {
  events_.clear();
  if (lockdep_per_execution_) lockdep_ = {};
  history_.clear();
}

// Nothing but the state and the announced steps changes before the threads'
// first steps (a step enters the history once it runs), unless a finding
// was raised on the way: scratch starts would raise it again each time.
bool Machine::save_start() {
  if (!events_.empty()) return false;
  save_checkpoint(0);
  return true;
}

void Machine::restore_start() {
  put_back(0);
  forget_execution();
}

// The history keeps the steps gone back to: the execution that saved the
// checkpoint took them, and every execution since repeated them.
void Machine::restore_checkpoint(std::size_t steps) {
  put_back(steps);
  events_.clear();
  history_.resize(steps);
}

void Machine::save_checkpoint(std::size_t steps) {
  if (snapshots_.size() <= steps) snapshots_.resize(steps + 1);
  Snapshot& s = snapshots_[steps];
  s.state = state_;
  s.announced = announced_;
  s.touches = touches_;
}

void Machine::put_back(std::size_t at) {
  const Snapshot& s = snapshots_[at];
  state_ = s.state;
  announced_ = s.announced;
  touches_ = s.touches;
}

void Machine::run(checker::ThreadId t, checker::Yield& y) {
  Cpu cpu(*this, t, y);
  const ThreadSpec& th = scenario_.threads[t];
  switch (th.path) {
    case PathKind::punch_hole: kvm_gmem_punch_hole(cpu, th.start, th.end); break;
    case PathKind::set_attributes: kvm_vm_set_mem_attributes(cpu, th.start, th.end, th.attr); break;
    case PathKind::convert: convert(cpu, th.start, th.end, th.attr); break;
    case PathKind::page_fault: kvm_tdp_page_fault(cpu, th.gfn, th.attr); break;
    case PathKind::rmpupdate: rmpupdate_thread(cpu, th.index, th.attr); break;
  }
  if (cpu.r.status == Status::running) cpu.finish(Status::finished);
}

bool Machine::enabled(checker::ThreadId t) const {
  const Regs& r = state_.threads[t];
  const Locks& l = state_.locks;
  switch (r.wait) {
    case Wait::none: return true;
    case Wait::folio_at_index: {
      int pfn = state_.page_cache[r.wait_index].pfn;
      return pfn == kNone || state_.pfn[pfn].locked_by == kNone;
    }
    case Wait::lock: break;
  }
  switch (r.wait_lock) {
    case LockId::slots: return l.slots == kNone;
    case LockId::filemap_invalidate: return l.filemap_invalidate == kNone;
    case LockId::gmem: return l.gmem == kNone;
    case LockId::mmu:
      // A reader enters whenever no writer holds it (no writer preference).
      if (r.wait_mode == Mode::read) return l.mmu_writer == kNone;
      return l.mmu_writer == kNone && l.mmu_readers == 0;
    default: return true;
  }
}

std::uint64_t Machine::state_hash() const { return hash_state(state_, scenario_.pages, thread_count()); }

std::string Machine::step_label(checker::ThreadId t) const {
  const Announced& an = announced_[t];
  if (state_.threads[t].status != Status::running) return "(finished)";
  std::string out;
  for (const char* p = an.label; *p; ++p) {
    if (p[0] == '{' && p[1] && p[2] == '}') {
      switch (p[1]) {
        case 'a': out += std::to_string(an.args[0]); break;
        case 'b': out += std::to_string(an.args[1]); break;
        case 's': out += an.word; break;
        default: out.append(p, 3);
      }
      p += 2;
    } else {
      out += *p;
    }
  }
  return out;
}

void Machine::report(std::string invariant, std::string message, bool liveness) {
  events_.push_back({std::move(invariant), std::move(message), liveness});
}

void Machine::set_lockdep_per_execution(bool on) {
  lockdep_per_execution_ = on;
  if (on) lockdep_ = {};  // this execution's alone
}

// lockdep: remember the first site of every "held A, then took B" pair; a pair
// seen in both orders is a potential deadlock even if no schedule hit it.
// When the pairs span executions, a step an execution repeats (gone back
// over, or replayed) could find nothing new: its pairs were seen when it
// first ran, and a pair seen in both orders was reported when its second
// order was.
void Machine::note_acquire(checker::ThreadId t, LockId lock) {
  const Regs& r = state_.threads[t];
  for (int h = 0; h < static_cast<int>(LockId::count); ++h) {
    auto held = static_cast<LockId>(h);
    if (!r.holds(held) || held == lock) continue;
    LockEdge& fwd = lockdep_[h][static_cast<int>(lock)];
    LockEdge& rev = lockdep_[static_cast<int>(lock)][h];
    if (fwd.seen && (!rev.seen || fwd.reported)) continue;  // the common case: nothing new
    std::string here = thread_name(t) + " at " + step_label(t);
    if (!fwd.seen) fwd = {true, false, here, history_};
    if (rev.seen && !rev.reported) {
      fwd.reported = rev.reported = true;
      events_.push_back(lock_order(held, lock, here, rev));
    }
  }
}

// `here`: where the execution being reported took `taken` while holding `held`.
checker::Finding Machine::lock_order(LockId held, LockId taken, const std::string& here, const LockEdge& rev) const {
  checker::Finding f{"lock_order",
                     std::string(name(held)) + " then " + name(taken) + " (" + here + "), but " + name(taken) +
                         " then " + name(held) + " (" + rev.site + ")",
                     false};
  f.prelude = rev.steps;
  f.ends_execution = false;
  return f;
}

std::vector<checker::Program::Observation> Machine::observations() const {
  std::vector<Observation> out;
  for (int h = 0; h < static_cast<int>(LockId::count); ++h)
    for (int l = 0; l < static_cast<int>(LockId::count); ++l)
      if (lockdep_[h][l].seen)
        out.push_back({std::string(name(static_cast<LockId>(h))) + ">" + name(static_cast<LockId>(l)),
                       lockdep_[h][l].site, lockdep_[h][l].steps});
  return out;
}

void Machine::observe(const Observation& o, std::vector<Revealed>& out) {
  for (int h = 0; h < static_cast<int>(LockId::count); ++h)
    for (int l = 0; l < static_cast<int>(LockId::count); ++l) {
      auto held = static_cast<LockId>(h), taken = static_cast<LockId>(l);
      if (o.key != std::string(name(held)) + ">" + name(taken)) continue;
      LockEdge& fwd = lockdep_[h][l];
      LockEdge& rev = lockdep_[l][h];
      if (fwd.seen) return;
      fwd = {true, false, o.where, o.schedule};
      if (rev.seen && !rev.reported) {
        fwd.reported = rev.reported = true;
        out.push_back({lock_order(held, taken, fwd.site, rev), fwd.steps});
      }
      return;
    }
}

}  // namespace gmemcheck::model
