// kvm_tdp_page_fault() -> kvm_faultin_pfn() (arch/x86/kvm/mmu/mmu.c) and
// kvm_gmem_get_pfn() (virt/kvm/guest_memfd.c): a vCPU's NPT fault on gfn.
#include "cpu.hpp"

namespace gmemcheck::model {

namespace {

// kvm_gmem_prepare_folio(): make the folio RMP-private, per variant.
void kvm_gmem_prepare_folio(Cpu& cpu) {
  const int pfn = cpu.r.pfn;
  const int gfn = cpu.spec.gfn;
  switch (cpu.variant.prepare) {
    case Prepare::on_allocation_2023:
    case Prepare::on_allocation:
      if (cpu.r.allocated) rmp_make_private(cpu);
      return;
    case Prepare::unless_uptodate:
      cpu.step(GMC_SITE("folio_test_uptodate pfn {a}"), reads(obj::cache(gfn)), pfn);
      if (cpu.s.page_cache[gfn].pfn == pfn && cpu.s.page_cache[gfn].uptodate) return;
      rmp_make_private(cpu);
      cpu.step(GMC_SITE("folio_mark_uptodate pfn {a}"), writes(obj::cache(gfn)), pfn);
      if (cpu.s.page_cache[gfn].pfn == pfn) cpu.s.page_cache[gfn].uptodate = true;
      return;
    case Prepare::idempotent:
      cpu.step(GMC_SITE("sev_gmem_prepare: snp_lookup_rmpentry pfn {a}"), reads(obj::pfn(pfn)), pfn);
      if (cpu.s.pfn[pfn].rmp == Rmp::private_) return;
      rmp_make_private(cpu);
      return;
  }
}

// kvm_gmem_get_pfn(): find or allocate the folio (locked), zero a new one, take
// a reference, prepare it, unlock. Runs before mmu_lock, so it may sleep.
void kvm_gmem_get_pfn(Cpu& cpu, int gfn) {
  // With no folio to lock, the same step allocates one and inserts it.
  int pfn = cpu.lock_folio_at(gfn, GMC_SITE("kvm_gmem_get_folio: filemap_lock_folio index {a}"),
                              writes(obj::cache(gfn) | obj::all_pfns));
  cpu.r.allocated = pfn == kNone;
  if (cpu.r.allocated) {
    // Nothing to lock: the same step allocates and inserts a new folio, locked.
    pfn = cpu.alloc_folio(gfn);
    cpu.step(GMC_SITE("clear_highpage pfn {a}"), reads(obj::pfn(pfn)) | writes(obj::cache(gfn)), pfn);
    cpu.host_write(pfn);
    if (cpu.mutated(Mutation::uptodate_before_prepare)) cpu.s.page_cache[gfn].uptodate = true;
  }
  cpu.r.pfn = static_cast<std::int8_t>(pfn);
  cpu.step(GMC_SITE("folio_get pfn {a}"), writes(obj::pfn(pfn)), pfn);
  cpu.get_ref(pfn);
  kvm_gmem_prepare_folio(cpu);
  cpu.unlock_folio(pfn, GMC_SITE("folio_unlock pfn {a}"));
  if (cpu.mutated(Mutation::double_folio_unlock))
    cpu.unlock_folio(pfn, GMC_SITE("folio_unlock pfn {a} (again, in the caller)"));
}

// kvm_release_pfn_clean(): the fault's reference goes. The caller names the
// site: a retry and a finished fault continue differently from here, and the
// site is what tells their states apart.
void release_pfn(Cpu& cpu, Site site) {
  cpu.step(site, writes(obj::pfn(cpu.r.pfn)), cpu.r.pfn);
  cpu.put_ref(cpu.r.pfn);
  cpu.r.holds_ref = false;
  cpu.r.pfn = kNone;
}

// mmu_invalidate_retry_gfn(): has an invalidation raced this fault?
bool mmu_invalidate_retry_gfn(const State& s, std::uint32_t mmu_seq, int gfn) {
  return s.invalidation_covers(gfn) || s.mmu_invalidate_seq != mmu_seq;
}

// One pass through steps 1-5. Returns true when the fault may install.
bool fault_pass(Cpu& cpu, int gfn, Attr access) {
  cpu.step(GMC_SITE("mmu_seq = mmu_invalidate_seq"), reads(obj::invalidation));
  cpu.r.mmu_seq = cpu.s.mmu_invalidate_seq;
  cpu.step(GMC_SITE("kvm_mem_is_private(gfn {a})"), reads(obj::attr(gfn)), gfn);
  if (cpu.s.mem_attr_array[gfn] != access) {
    cpu.finish(Status::exited_to_userspace);  // KVM_EXIT_MEMORY_FAULT
    return false;
  }
  if (access == Attr::private_) kvm_gmem_get_pfn(cpu, gfn);
  cpu.lock(LockId::mmu, Mode::read, GMC_SITE("read_lock(mmu_lock)"));
  cpu.step(GMC_SITE("is_page_fault_stale gfn {a}"), reads(obj::invalidation), gfn);
  if (cpu.mutated(Mutation::no_stale_check)) return true;
  return !mmu_invalidate_retry_gfn(cpu.s, cpu.r.mmu_seq, gfn);
}

// Out of line, as Cpu's reports are (see cpu.hpp).
[[gnu::cold, gnu::noinline]] void report_gave_up(Cpu& cpu, int gfn) {
  cpu.m.report("retry_bound",
               cpu.m.thread_name(cpu.self) + " gave up on gfn " + std::to_string(gfn) + " after " +
                   std::to_string(cpu.r.retries) + " retries",
               true);
}

}  // namespace

void kvm_tdp_page_fault(Cpu& cpu, int gfn, Attr access) {
  const bool is_private = access == Attr::private_;
  for (cpu.r.retries = 0;; ++cpu.r.retries) {
    if (fault_pass(cpu, gfn, access)) break;
    if (cpu.r.status != Status::running) return;
    const bool leaks = is_private && cpu.mutated(Mutation::retry_leaks_ref);
    // A leaking fault forgets its reference as part of this step.
    cpu.unlock(LockId::mmu, GMC_SITE("read_unlock(mmu_lock) (retry)"), leaks ? writes(obj::pfn(cpu.r.pfn)) : Touch{});
    if (leaks) {
      cpu.r.holds_ref = false;  // the historical bug: the reference is forgotten
      cpu.r.pfn = kNone;
    } else if (is_private) {
      release_pfn(cpu, GMC_SITE("kvm_release_pfn_clean pfn {a} (retry)"));
    }
    if (cpu.r.retries == cpu.fault_retries()) {
      cpu.finish(Status::gave_up);
      report_gave_up(cpu, gfn);
      return;
    }
  }
  cpu.step(GMC_SITE("kvm_tdp_mmu_map: spte[{a}] = {s}"), writes(obj::spte(gfn)), gfn, 0, name(access));
  cpu.s.spte[gfn] = Spte{true, is_private, is_private ? cpu.r.pfn : kNone};
  cpu.unlock(LockId::mmu, GMC_SITE("read_unlock(mmu_lock)"));
  if (is_private) release_pfn(cpu, GMC_SITE("kvm_release_pfn_clean pfn {a}"));
}

}  // namespace gmemcheck::model
