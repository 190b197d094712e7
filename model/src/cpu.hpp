// The context a path runs in: one thread of the machine. Every helper that
// touches shared state is one scheduling step: it announces the step, yields,
// and returns when the scheduler lets this thread run; the caller then does the
// step's effect, which runs atomically until the next announced step.
#pragma once

#include "gmemcheck/model/machine.hpp"

namespace gmemcheck::model {

enum class Sleeps : bool { no, yes };

class Cpu {
 public:
  Cpu(Machine& m, checker::ThreadId t, checker::Yield& y)
      : m(m), s(m.state()), r(m.state().threads[t]), spec(m.scenario().threads[t]),
        variant(*m.scenario().variant), self(t), y_(y) {}

  bool mutated(Mutation x) const { return m.scenario().mutations.has(x); }
  int fault_retries() const { return m.scenario().fault_retries; }

  // One step, touching what `touch` declares (up to this thread's next step).
  // `sleeps`: the step may sleep, so it must not run under mmu_lock.
  void step(Site site, Touch touch, Sleeps sleeps = Sleeps::no, int a = 0, int b = 0, const char* word = "");
  void step(Site site, Touch touch, int a, int b = 0, const char* word = "") {
    step(site, touch, Sleeps::no, a, b, word);
  }

  // Acquire is one step; the thread is blocked there while the lock is taken.
  // The lock is touched (read, for mmu_lock taken for read: readers commute);
  // `also`: what the caller does after it, before its next step.
  void lock(LockId lock, Mode mode, Site site, Touch also = {});
  void unlock(LockId lock, Site site, Touch also = {});

  // Truncate's and the fault's folio step: look up page_cache[index] and lock
  // the folio found (blocked while another thread holds it). Returns its pfn or
  // kNone; the step sleeps only when there is a folio to lock.
  int lock_folio_at(int index, Site site, Touch also = {});
  void unlock_folio(int pfn, Site site);

  // Effects shared by several paths.
  int alloc_folio(int index);      // lowest free pfn, inserted locked
  void host_write(int pfn);        // zeroing: checks host_write_private
  void get_ref(int pfn);
  void put_ref(int pfn);           // the pfn is freed when its last reference drops
  void finish(Status how);

  Machine& m;
  State& s;
  Regs& r;
  const ThreadSpec& spec;
  const Variant& variant;
  const checker::ThreadId self;

 private:
  void announce(Site site, Touch touch, int a, int b, const char* word);
  Touch lock_touch(LockId lock) const;
  void sleep_check();
  // Findings' messages, built out of line: their strings would otherwise
  // take frame space in every step that might report one, and the part of
  // a paused thread's stack in use is copied into every checkpoint and back
  // (see checker::Coroutine::Image). Out of line, a paused thread uses 500
  // bytes of its stack on average instead of 740 (its frames and its saved
  // context, at every pause on the largest scenario of the corpus).
  [[gnu::cold, gnu::noinline]] void report_sleep_in_atomic();
  [[gnu::cold, gnu::noinline]] void report_lock_misuse(const char* did, LockId lock, const char* why);
  [[gnu::cold, gnu::noinline]] void report_folio_misuse(int pfn);
  [[gnu::cold, gnu::noinline]] void report_host_write_private(int pfn);
  checker::Yield& y_;
};

// The paths (one file each, named after the kernel functions they model).
void kvm_gmem_punch_hole(Cpu& cpu, int start, int end);
void kvm_vm_set_mem_attributes(Cpu& cpu, int start, int end, Attr attr);
void kvm_tdp_page_fault(Cpu& cpu, int gfn, Attr access);
void rmpupdate_thread(Cpu& cpu, int index, Attr to);
void convert(Cpu& cpu, int start, int end, Attr to);

// The mmu_invalidate writer side (kvm_main.c), shared by the invalidators.
using Hook = void (*)(Cpu& cpu, int start, int end);
void kvm_mmu_invalidate_begin(Cpu& cpu, int start, int end, Hook under_mmu_lock);
void kvm_mmu_invalidate_end(Cpu& cpu, int start, int end, Hook under_mmu_lock);

// RMPUPDATE on the pfn in cpu.r.pfn (arch/x86/virt/svm/sev.c).
void rmp_make_private(Cpu& cpu);
void rmp_make_shared(Cpu& cpu);
// The 2023 hooks' loop: per index, look the folio up (one step at `lookup`)
// and RMPUPDATE the pfn found, taking no folio lock and no reference.
void rmpupdate_page_cache_range(Cpu& cpu, int start, int end, Attr to, Site lookup);

}  // namespace gmemcheck::model
