#include "gmemcheck/model/variant.hpp"

namespace gmemcheck::model {

const std::vector<Variant>& variants() {
  //                      hooks  free_folio slots  gmem  under_mmu always_private prepare
  static const std::vector<Variant> all = {
      {"roth2023", "May 2023 proposal: RMPUPDATE hooks in punch-hole (before truncate) and set-attributes",
       true, false, false, false, false, false, Prepare::on_allocation_2023},
      {"roth2023+slots_lock", "roth2023, with punch-hole holding slots_lock from invalidate_begin to end",
       true, false, true, false, false, false, Prepare::on_allocation_2023},
      {"roth2023+gmem_lock", "roth2023, with a dedicated gmem_lock serializing punch-hole and set-attributes",
       true, false, false, true, false, false, Prepare::on_allocation_2023},
      {"roth2023+rmp_under_mmu_lock", "roth2023, with the hooks run inside the mmu_lock sections",
       true, false, false, false, true, false, Prepare::on_allocation_2023},
      {"v6.10", "merged SNP: prepare when a fault allocates the folio, .free_folio makes it shared",
       false, true, false, false, false, true, Prepare::on_allocation},
      {"v6.11", "prepare at kvm_gmem_get_pfn time, uptodate means prepared",
       false, true, false, false, false, false, Prepare::unless_uptodate},
      {"v7.0", "preparation tracking removed: kvm_gmem_get_pfn always calls an idempotent prepare",
       false, true, false, false, false, false, Prepare::idempotent},
  };
  return all;
}

const Variant* find_variant(std::string_view name) {
  for (const Variant& v : variants())
    if (v.name == name) return &v;
  return nullptr;
}

const std::vector<MutationInfo>& mutations() {
  static const std::vector<MutationInfo> all = {
      {Mutation::range_overwrite, "range_overwrite",
       "range_add overwrites the invalidation range instead of widening it", ""},
      {Mutation::truncate_after_end, "truncate_after_end",
       "punch-hole truncates after invalidate_end, with no invalidation around it", ""},
      {Mutation::no_stale_check, "no_stale_check", "the fault's stale check under mmu_lock never retries", ""},
      {Mutation::uptodate_before_prepare, "uptodate_before_prepare",
       "a new folio is marked uptodate when zeroed, before it is prepared", "v6.11"},
      {Mutation::zero_partial_folio, "zero_partial_folio",
       "truncate zeroes every folio (as a partial one) before removing it", ""},
      {Mutation::retry_leaks_ref, "retry_leaks_ref", "a retrying private fault does not drop its reference", ""},
      {Mutation::lock_inversion, "lock_inversion",
       "punch-hole takes slots_lock inside filemap_invalidate_lock, set-attributes the reverse", ""},
      {Mutation::unlock_before_range_add, "unlock_before_range_add",
       "invalidate_begin drops mmu_lock between bumping in_progress and adding the range", ""},
      {Mutation::double_folio_unlock, "double_folio_unlock",
       "kvm_gmem_get_pfn unlocks the folio and its caller unlocks it again", ""},
  };
  return all;
}

const MutationInfo* find_mutation(std::string_view name) {
  for (const MutationInfo& m : mutations())
    if (m.name == name) return &m;
  return nullptr;
}

bool applies(const MutationInfo& m, const Variant& v) { return m.applies_to.empty() || m.applies_to == v.name; }

std::string Mutations::misfit(const Variant& v) const {
  for (const MutationInfo& m : mutations())
    if (has(m.id) && !applies(m, v))
      return "mutation \"" + std::string(m.name) + "\" applies only to variant " + std::string(m.applies_to) +
             ", not " + std::string(v.name);
  return "";
}

std::vector<std::string> Mutations::names() const {
  std::vector<std::string> out;
  for (const MutationInfo& m : mutations())
    if (has(m.id)) out.emplace_back(m.name);
  return out;
}

const std::vector<InvariantInfo>& invariants() {
  static const std::vector<InvariantInfo> all = {
      {"freed_private", "no pfn in the allocator is RMP-private"},
      {"host_write_private", "no host write (zeroing) touches an RMP-private pfn"},
      {"stale_spte", "no private SPTE maps a freed pfn, or one no longer the gfn's folio and unreferenced"},
      {"attr_mismatch", "outside open invalidations, an SPTE's type matches mem_attr_array"},
      {"private_spte_shared_rmp", "a private SPTE maps an RMP-private pfn"},
      {"sleep_in_atomic", "no step that may sleep runs while holding mmu_lock"},
      {"invalidate_balance", "in_progress >= 0, a range is set once mmu_lock is dropped, 0 at the end"},
      {"deadlock", "some unfinished thread can always run"},
      {"lock_misuse", "no release of a lock not held, no recursive acquire"},
      {"retry_bound", "a fault finishes within its retry bound (bounded liveness)"},
      {"ref_leak", "at the end, every pfn's references are the page cache's and the faults'"},
      {"lock_order", "no two locks are taken in both orders in the explored executions"},
  };
  return all;
}

bool is_invariant(std::string_view id) {
  for (const InvariantInfo& i : invariants())
    if (i.id == id) return true;
  return false;
}

}  // namespace gmemcheck::model
