// kvm_gmem_punch_hole() (virt/kvm/guest_memfd.c): fallocate(PUNCH_HOLE).
#include "cpu.hpp"

namespace gmemcheck::model {

namespace {

// kvm_arch_gmem_invalidate() as placed in May 2023: make every folio in the
// range shared before truncate, acting on the pfn it read even if truncate has
// freed it meanwhile.
void kvm_arch_gmem_invalidate(Cpu& cpu, int start, int end) {
  rmpupdate_page_cache_range(cpu, start, end, Attr::shared,
                             GMC_SITE("kvm_arch_gmem_invalidate: filemap_get_folio index {a}"));
}

// truncate_inode_pages_range(): per index, lock, remove, .free_folio, put, unlock.
void truncate_inode_pages_range(Cpu& cpu, int start, int end) {
  for (cpu.r.i = static_cast<std::uint8_t>(start); cpu.r.i < end; ++cpu.r.i) {
    int index = cpu.r.i;
    int pfn = cpu.lock_folio_at(index, GMC_SITE("truncate: folio_lock index {a}"));
    if (pfn == kNone) continue;
    cpu.r.pfn = static_cast<std::int8_t>(pfn);
    if (cpu.mutated(Mutation::zero_partial_folio)) {
      cpu.step(GMC_SITE("truncate_inode_partial_folio: folio_zero_range pfn {a}"), reads(obj::pfn(pfn)), pfn);
      cpu.host_write(pfn);
    }
    cpu.step(GMC_SITE("filemap_remove_folio index {a} (pfn {b})"), writes(obj::cache(index) | obj::pfn(pfn)), index, pfn);
    cpu.s.page_cache[index] = Folio{};
    cpu.s.pfn[pfn].owner = Owner::in_flight;
    if (cpu.variant.free_folio_shared) {
      cpu.step(GMC_SITE("kvm_gmem_free_folio: rmpupdate pfn {a} -> shared"), writes(obj::pfn(pfn)), Sleeps::yes, pfn);
      cpu.s.pfn[pfn].rmp = Rmp::shared;
    }
    cpu.step(GMC_SITE("folio_put pfn {a} (page cache reference)"), writes(obj::pfn(pfn)), pfn);
    cpu.put_ref(pfn);
    cpu.unlock_folio(pfn, GMC_SITE("folio_unlock pfn {a}"));
  }
  cpu.r.pfn = kNone;
}

// The extra serialization some variants (and one mutation) add.
void take_extra_locks(Cpu& cpu) {
  if (cpu.variant.punch_takes_slots_lock || cpu.mutated(Mutation::lock_inversion))
    cpu.lock(LockId::slots, Mode::exclusive, GMC_SITE("mutex_lock(slots_lock)"));
  if (cpu.variant.gmem_lock) cpu.lock(LockId::gmem, Mode::exclusive, GMC_SITE("mutex_lock(gmem_lock)"));
}

void release_extra_locks(Cpu& cpu) {
  if (cpu.variant.gmem_lock) cpu.unlock(LockId::gmem, GMC_SITE("mutex_unlock(gmem_lock)"));
  if (cpu.variant.punch_takes_slots_lock || cpu.mutated(Mutation::lock_inversion))
    cpu.unlock(LockId::slots, GMC_SITE("mutex_unlock(slots_lock)"));
}

}  // namespace

void kvm_gmem_punch_hole(Cpu& cpu, int start, int end) {
  const bool hooks = cpu.variant.rmp_hooks_2023;
  const bool under_mmu_lock = hooks && cpu.variant.hooks_under_mmu_lock;
  const bool truncate_late = cpu.mutated(Mutation::truncate_after_end);

  cpu.lock(LockId::filemap_invalidate, Mode::exclusive, GMC_SITE("filemap_invalidate_lock"));
  take_extra_locks(cpu);
  kvm_mmu_invalidate_begin(cpu, start, end, under_mmu_lock ? &kvm_arch_gmem_invalidate : nullptr);
  if (hooks && !under_mmu_lock) kvm_arch_gmem_invalidate(cpu, start, end);
  if (!truncate_late) truncate_inode_pages_range(cpu, start, end);
  kvm_mmu_invalidate_end(cpu, start, end, nullptr);
  if (truncate_late) truncate_inode_pages_range(cpu, start, end);
  release_extra_locks(cpu);
  cpu.unlock(LockId::filemap_invalidate, GMC_SITE("filemap_invalidate_unlock"));
}

}  // namespace gmemcheck::model
