// The writer side of the mmu_invalidate protocol (virt/kvm/kvm_main.c):
// every invalidator brackets its zaps with begin/end under mmu_lock for write,
// so a fault that raced it fails its stale check and retries.
#include "cpu.hpp"

namespace gmemcheck::model {

namespace {

// kvm_mmu_invalidate_begin() + kvm_mmu_invalidate_range_add().
void invalidate_begin_and_add_range(Cpu& cpu, int start, int end) {
  State& s = cpu.s;
  if (++s.mmu_invalidate_in_progress == 1) s.range_start = s.range_end = kInvalidGfn;
  if (!s.range_valid() || cpu.mutated(Mutation::range_overwrite)) {
    // The historical bug: a second invalidation replaced the first's range.
    s.range_start = static_cast<std::int16_t>(start);
    s.range_end = static_cast<std::int16_t>(end);
  } else {
    s.range_start = std::min<std::int16_t>(s.range_start, static_cast<std::int16_t>(start));
    s.range_end = std::max<std::int16_t>(s.range_end, static_cast<std::int16_t>(end));
  }
}

}  // namespace

void kvm_mmu_invalidate_begin(Cpu& cpu, int start, int end, Hook under_mmu_lock) {
  cpu.lock(LockId::mmu, Mode::write, GMC_SITE("write_lock(mmu_lock)"));
  cpu.step(GMC_SITE("kvm_mmu_invalidate_begin [{a},{b})"), start, end);
  invalidate_begin_and_add_range(cpu, start, end);
  // kvm_mmu_unmap_gfn_range(): private and shared SPTEs alike.
  for (cpu.r.i = static_cast<std::uint8_t>(start); cpu.r.i < end; ++cpu.r.i) {
    cpu.step(GMC_SITE("kvm_unmap_gfn_range: zap spte[{a}]"), cpu.r.i);
    cpu.s.spte[cpu.r.i] = Spte{};
  }
  if (under_mmu_lock) under_mmu_lock(cpu, start, end);
  cpu.unlock(LockId::mmu, GMC_SITE("write_unlock(mmu_lock)"));
}

void kvm_mmu_invalidate_end(Cpu& cpu, int start, int end, Hook under_mmu_lock) {
  cpu.lock(LockId::mmu, Mode::write, GMC_SITE("write_lock(mmu_lock)"));
  if (under_mmu_lock) under_mmu_lock(cpu, start, end);
  cpu.step(GMC_SITE("kvm_mmu_invalidate_end"));
  ++cpu.s.mmu_invalidate_seq;
  --cpu.s.mmu_invalidate_in_progress;
  cpu.unlock(LockId::mmu, GMC_SITE("write_unlock(mmu_lock)"));
}

}  // namespace gmemcheck::model
