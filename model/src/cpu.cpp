#include "cpu.hpp"

#include <stdexcept>
#include <string>

namespace gmemcheck::model {

namespace {

std::int8_t* owner_slot(Locks& l, LockId lock) {
  switch (lock) {
    case LockId::slots: return &l.slots;
    case LockId::filemap_invalidate: return &l.filemap_invalidate;
    case LockId::gmem: return &l.gmem;
    default: return nullptr;
  }
}

unsigned bit(LockId l) { return 1u << static_cast<unsigned>(l); }

}  // namespace

void Cpu::announce(Site site, Touch touch, int a, int b, const char* word) {
  r.pc = site.id;
  m.declare(self, touch);
  Announced& an = m.announced(self);
  an.label = site.label;
  an.args = {a, b, 0};
  an.word = word;
  y_.pause();
  m.stepped(self);
}

void Cpu::sleep_check() {
  if (r.atomic()) report_sleep_in_atomic();
}

void Cpu::report_sleep_in_atomic() {
  m.report("sleep_in_atomic", m.thread_name(self) + " ran \"" + m.step_label(self) +
                                  "\", which may sleep, while holding mmu_lock (spinning)");
}

void Cpu::report_lock_misuse(const char* did, LockId lock, const char* why) {
  m.report("lock_misuse", m.thread_name(self) + " " + did + " " + name(lock) + why);
}

void Cpu::report_folio_misuse(int pfn) {
  m.report("lock_misuse", m.thread_name(self) + " unlocked the folio of pfn " + std::to_string(pfn) +
                              ", which it does not hold");
}

void Cpu::report_host_write_private(int pfn) {
  m.report("host_write_private", m.thread_name(self) + " wrote pfn " + std::to_string(pfn) +
                                     " from the host while it is RMP-private");
}

// mmu_lock's readers only flip their own bit: they commute with each other.
Touch Cpu::lock_touch(LockId lock) const {
  if (lock == LockId::mmu && r.wait_mode == Mode::read) return reads(obj::lock(lock));
  return writes(obj::lock(lock));
}

void Cpu::step(Site site, Touch touch, Sleeps sleeps, int a, int b, const char* word) {
  announce(site, touch, a, b, word);
  if (sleeps == Sleeps::yes) sleep_check();
}

void Cpu::lock(LockId lock, Mode mode, Site site, Touch also) {
  r.wait = Wait::lock;
  r.wait_lock = lock;
  r.wait_mode = mode;
  announce(site, lock_touch(lock) | also, 0, 0, "");
  r.wait = Wait::none;
  if (lock != LockId::mmu) sleep_check();  // sleeping locks may sleep on acquire
  if (r.holds(lock)) {
    report_lock_misuse("acquired", lock, " again while holding it");
    return;
  }
  m.note_acquire(self, lock);
  r.held |= bit(lock);
  if (lock == LockId::mmu) {
    if (mode == Mode::write)
      s.locks.mmu_writer = static_cast<std::int8_t>(self);
    else
      s.locks.mmu_readers |= static_cast<std::uint8_t>(1u << self);
  } else {
    *owner_slot(s.locks, lock) = static_cast<std::int8_t>(self);
  }
}

void Cpu::unlock(LockId lock, Site site, Touch also) {
  const bool reader = lock == LockId::mmu && !(s.locks.mmu_writer == self);
  announce(site, (reader ? reads(obj::lock(lock)) : writes(obj::lock(lock))) | also, 0, 0, "");
  if (!r.holds(lock)) {
    report_lock_misuse("released", lock, ", which it does not hold");
    return;
  }
  r.held &= static_cast<std::uint8_t>(~bit(lock));
  if (lock == LockId::mmu) {
    if (s.locks.mmu_writer == self) s.locks.mmu_writer = kNone;
    s.locks.mmu_readers &= static_cast<std::uint8_t>(~(1u << self));
  } else {
    *owner_slot(s.locks, lock) = kNone;
  }
}

int Cpu::lock_folio_at(int index, Site site, Touch also) {
  r.wait = Wait::folio_at_index;
  r.wait_index = static_cast<std::uint8_t>(index);
  announce(site, reads(obj::cache(index)) | writes(obj::folio_locks) | also, index, 0, "");
  r.wait = Wait::none;
  int pfn = s.page_cache[index].pfn;
  if (pfn == kNone) return kNone;
  sleep_check();
  m.note_acquire(self, LockId::folio);
  s.pfn[pfn].locked_by = static_cast<std::int8_t>(self);
  r.held |= bit(LockId::folio);
  return pfn;
}

void Cpu::unlock_folio(int pfn, Site site) {
  announce(site, writes(obj::folio_locks), pfn, 0, "");
  if (s.pfn[pfn].locked_by != self) {
    report_folio_misuse(pfn);
    return;
  }
  s.pfn[pfn].locked_by = kNone;
  r.held &= static_cast<std::uint8_t>(~bit(LockId::folio));
}

int Cpu::alloc_folio(int index) {
  // The allocator hands out the lowest free pfn; one that truncate still holds
  // locked (freed, not yet unlocked) is not handed out again.
  int pfn = 0;
  while (pfn < kMaxPfns && !(s.pfn[pfn].owner == Owner::free && s.pfn[pfn].locked_by == kNone)) ++pfn;
  if (pfn == kMaxPfns) throw std::runtime_error("the model's pfn pool is exhausted");
  sleep_check();  // the allocation may sleep, as the lock of a found folio does
  m.note_acquire(self, LockId::folio);
  if (pfn >= s.pfns_used) s.pfns_used = static_cast<std::uint8_t>(pfn + 1);
  Page& p = s.pfn[pfn];
  p.owner = Owner::gmem;
  p.refs = 1;  // the page cache's reference
  p.locked_by = static_cast<std::int8_t>(self);
  r.held |= bit(LockId::folio);
  s.page_cache[index] = Folio{static_cast<std::int8_t>(pfn), false};
  return pfn;
}

void Cpu::host_write(int pfn) {
  if (s.pfn[pfn].rmp == Rmp::private_) report_host_write_private(pfn);
}

void Cpu::get_ref(int pfn) {
  ++s.pfn[pfn].refs;
  r.pfn = static_cast<std::int8_t>(pfn);
  r.holds_ref = true;
}

void Cpu::put_ref(int pfn) {
  Page& p = s.pfn[pfn];
  if (p.refs == 0) throw std::runtime_error("reference count underflow on pfn " + std::to_string(pfn));
  if (--p.refs == 0) p.owner = Owner::free;
}

void Cpu::finish(Status how) {
  r.status = how;
  r.pc = 0;
}

}  // namespace gmemcheck::model
