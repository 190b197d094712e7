// kvm_vm_set_mem_attributes() (virt/kvm/kvm_main.c): KVM_SET_MEMORY_ATTRIBUTES.
#include "cpu.hpp"

namespace gmemcheck::model {

namespace {

// kvm_arch_gmem_set_mem_attributes() as placed in May 2023: RMPUPDATE every
// folio backing the range to the new attribute, holding only slots_lock.
void kvm_arch_gmem_set_mem_attributes(Cpu& cpu, int start, int end) {
  rmpupdate_page_cache_range(cpu, start, end, cpu.spec.attr,
                             GMC_SITE("kvm_arch_gmem_set_mem_attributes: filemap_get_folio index {a}"));
}

}  // namespace

void kvm_vm_set_mem_attributes(Cpu& cpu, int start, int end, Attr attr) {
  const bool hooks = cpu.variant.rmp_hooks_2023;
  const bool under_mmu_lock = hooks && cpu.variant.hooks_under_mmu_lock;
  const bool inverted = cpu.mutated(Mutation::lock_inversion);

  cpu.lock(LockId::slots, Mode::exclusive, GMC_SITE("mutex_lock(slots_lock)"));
  if (cpu.variant.gmem_lock) cpu.lock(LockId::gmem, Mode::exclusive, GMC_SITE("mutex_lock(gmem_lock)"));
  if (inverted)
    cpu.lock(LockId::filemap_invalidate, Mode::exclusive, GMC_SITE("filemap_invalidate_lock (lock_inversion)"));
  kvm_mmu_invalidate_begin(cpu, start, end, nullptr);
  for (cpu.r.i = static_cast<std::uint8_t>(start); cpu.r.i < end; ++cpu.r.i) {
    cpu.step(GMC_SITE("xa_store mem_attr_array[{a}] = {s}"), writes(obj::attr(cpu.r.i)), cpu.r.i, 0, name(attr));
    cpu.s.mem_attr_array[cpu.r.i] = attr;
  }
  if (hooks && !under_mmu_lock) kvm_arch_gmem_set_mem_attributes(cpu, start, end);
  kvm_mmu_invalidate_end(cpu, start, end, under_mmu_lock ? &kvm_arch_gmem_set_mem_attributes : nullptr);
  if (inverted) cpu.unlock(LockId::filemap_invalidate, GMC_SITE("filemap_invalidate_unlock (lock_inversion)"));
  if (cpu.variant.gmem_lock) cpu.unlock(LockId::gmem, GMC_SITE("mutex_unlock(gmem_lock)"));
  cpu.unlock(LockId::slots, GMC_SITE("mutex_unlock(slots_lock)"));
}

// The userspace conversion flow: set the attributes, then (to shared) discard
// the old private backing with a punch-hole over the same range.
void convert(Cpu& cpu, int start, int end, Attr to) {
  kvm_vm_set_mem_attributes(cpu, start, end, to);
  if (to != Attr::shared) return;
  cpu.r.phase = 1;
  kvm_gmem_punch_hole(cpu, start, end);
}

}  // namespace gmemcheck::model
