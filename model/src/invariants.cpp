// The invariants of protocol-model.md section 5, checked after every step.
// Step events (sleep_in_atomic, host_write_private, lock_misuse, retry_bound,
// lock_order) are raised by the step itself; the rest are read off the state.
#include <string>

#include "gmemcheck/model/machine.hpp"

namespace gmemcheck::model {

using checker::Finding;

namespace {

std::string pfn_str(int p) { return "pfn " + std::to_string(p); }
std::string gfn_str(int g) { return "gfn " + std::to_string(g); }

bool fault_holds_ref(const State& s, int threads, int pfn) {
  for (int t = 0; t < threads; ++t)
    if (s.threads[t].holds_ref && s.threads[t].pfn == pfn) return true;
  return false;
}

void check_freed_private(const State& s, std::vector<Finding>& out) {
  for (int p = 0; p < s.pfns_used; ++p)
    if (s.pfn[p].owner == Owner::free && s.pfn[p].rmp == Rmp::private_)
      out.push_back({"freed_private", pfn_str(p) + " is in the allocator while RMP-private", false});
}

void check_sptes(const State& s, int pages, int threads, std::vector<Finding>& out) {
  for (int g = 0; g < pages; ++g) {
    const Spte& e = s.spte[g];
    if (!e.present) continue;
    if (e.private_) {
      const Page& p = s.pfn[e.pfn];
      if (p.owner == Owner::free)
        out.push_back({"stale_spte", "spte[" + std::to_string(g) + "] maps " + pfn_str(e.pfn) + ", which is free", false});
      else if (s.page_cache[g].pfn != e.pfn && !fault_holds_ref(s, threads, e.pfn))
        out.push_back({"stale_spte", "spte[" + std::to_string(g) + "] maps " + pfn_str(e.pfn) +
                                         ", which is no longer the folio of index " + std::to_string(g), false});
      if (p.rmp != Rmp::private_)
        out.push_back({"private_spte_shared_rmp",
                       "private spte[" + std::to_string(g) + "] maps " + pfn_str(e.pfn) + ", which is RMP-shared", false});
    }
    bool attr_private = s.mem_attr_array[g] == Attr::private_;
    if (!s.invalidation_covers(g) && e.private_ != attr_private)
      out.push_back({"attr_mismatch", gfn_str(g) + " is mapped " + (e.private_ ? "private" : "shared") +
                                          " but mem_attr_array says " + name(s.mem_attr_array[g]) +
                                          ", with no invalidation open over it", false});
  }
}

void check_balance(const State& s, std::vector<Finding>& out) {
  if (s.mmu_invalidate_in_progress < 0)
    out.push_back({"invalidate_balance", "mmu_invalidate_in_progress went negative", false});
  else if (s.mmu_invalidate_in_progress > 0 && !s.range_valid() && s.locks.mmu_writer == kNone)
    out.push_back({"invalidate_balance", "mmu_lock was dropped with an invalidation open and no range set", false});
}

void check_pending_acquires(const Machine& m, std::vector<Finding>& out) {
  const State& s = m.state();
  for (int t = 0; t < m.thread_count(); ++t) {
    const Regs& r = s.threads[t];
    if (r.status == Status::running && r.wait == Wait::lock && r.holds(r.wait_lock))
      out.push_back({"lock_misuse", m.thread_name(t) + " waits for " + name(r.wait_lock) + ", which it holds", false});
  }
}

}  // namespace

void Machine::check(std::vector<Finding>& out) {
  for (Finding& f : events_) out.push_back(std::move(f));
  events_.clear();
  check_freed_private(state_, out);
  check_sptes(state_, scenario_.pages, thread_count(), out);
  check_balance(state_, out);
  check_pending_acquires(*this, out);
}

void Machine::check_final(std::vector<Finding>& out) {
  if (state_.mmu_invalidate_in_progress != 0)
    out.push_back({"invalidate_balance", "every thread finished with mmu_invalidate_in_progress = " +
                                             std::to_string(state_.mmu_invalidate_in_progress), false});
  for (int p = 0; p < state_.pfns_used; ++p) {
    const Page& pg = state_.pfn[p];
    int accounted = 0;
    for (int i = 0; i < scenario_.pages; ++i) accounted += state_.page_cache[i].pfn == p;
    for (int t = 0; t < thread_count(); ++t) accounted += state_.threads[t].holds_ref && state_.threads[t].pfn == p;
    if (pg.refs != accounted)
      out.push_back({"ref_leak", pfn_str(p) + " has " + std::to_string(pg.refs) + " references but the page cache "
                                 "and the faults account for " + std::to_string(accounted), false});
    else if (pg.refs == 0 && pg.owner != Owner::free)
      out.push_back({"ref_leak", pfn_str(p) + " has no references but never returned to the allocator", false});
  }
}

}  // namespace gmemcheck::model
