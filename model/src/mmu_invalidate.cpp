// The writer side of the mmu_invalidate protocol (virt/kvm/kvm_main.c):
// every invalidator brackets its zaps with begin/end under mmu_lock for write,
// so a fault that raced it fails its stale check and retries.
#include <algorithm>

#include "cpu.hpp"

namespace gmemcheck::model {

namespace {

// kvm_mmu_invalidate_begin(): the first open invalidation resets the range.
void invalidate_begin(State& s) {
  if (++s.mmu_invalidate_in_progress == 1) s.range_start = s.range_end = kInvalidGfn;
}

// kvm_mmu_invalidate_range_add(): widen the range over every open invalidation.
void invalidate_range_add(Cpu& cpu, int start, int end) {
  State& s = cpu.s;
  if (!s.range_valid() || cpu.mutated(Mutation::range_overwrite)) {
    // range_overwrite, the historical bug: a second invalidation replaced the first's range.
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
  if (cpu.mutated(Mutation::unlock_before_range_add)) {
    // The bug kvm_host.h warns about: mmu_lock dropped while the range is
    // still INVALID, so a fault cannot tell which gfns are in flux.
    cpu.step(GMC_SITE("kvm_mmu_invalidate_begin"), writes(obj::invalidation));
    invalidate_begin(cpu.s);
    cpu.unlock(LockId::mmu, GMC_SITE("write_unlock(mmu_lock) (unlock_before_range_add)"));
    cpu.lock(LockId::mmu, Mode::write, GMC_SITE("write_lock(mmu_lock) (unlock_before_range_add)"));
    cpu.step(GMC_SITE("kvm_mmu_invalidate_range_add [{a},{b})"), writes(obj::invalidation), start, end);
  } else {
    cpu.step(GMC_SITE("kvm_mmu_invalidate_begin [{a},{b})"), writes(obj::invalidation), start, end);
    invalidate_begin(cpu.s);
  }
  invalidate_range_add(cpu, start, end);
  // kvm_mmu_unmap_gfn_range(): private and shared SPTEs alike.
  for (cpu.r.i = static_cast<std::uint8_t>(start); cpu.r.i < end; ++cpu.r.i) {
    cpu.step(GMC_SITE("kvm_unmap_gfn_range: zap spte[{a}]"), writes(obj::spte(cpu.r.i)), cpu.r.i);
    cpu.s.spte[cpu.r.i] = Spte{};
  }
  if (under_mmu_lock) under_mmu_lock(cpu, start, end);
  cpu.unlock(LockId::mmu, GMC_SITE("write_unlock(mmu_lock)"));
}

void kvm_mmu_invalidate_end(Cpu& cpu, int start, int end, Hook under_mmu_lock) {
  cpu.lock(LockId::mmu, Mode::write, GMC_SITE("write_lock(mmu_lock)"));
  if (under_mmu_lock) under_mmu_lock(cpu, start, end);
  cpu.step(GMC_SITE("kvm_mmu_invalidate_end"), writes(obj::invalidation));
  ++cpu.s.mmu_invalidate_seq;
  --cpu.s.mmu_invalidate_in_progress;
  cpu.unlock(LockId::mmu, GMC_SITE("write_unlock(mmu_lock)"));
}

}  // namespace gmemcheck::model
