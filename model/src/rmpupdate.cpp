// RMPUPDATE (arch/x86/virt/svm/sev.c): rmp_make_private / rmp_make_shared.
// The 2023-era rmpupdate() also removed a private page from the directmap and
// restored it when shared; that directmap work is what may sleep. The merged
// version keeps the directmap, and its hooks run where sleeping is allowed.
#include "cpu.hpp"

namespace gmemcheck::model {

void rmp_make_private(Cpu& cpu) {
  int pfn = cpu.r.pfn;
  if (cpu.variant.rmp_hooks_2023) {
    cpu.step(GMC_SITE("invalidate_direct_map pfn {a}"), writes(obj::pfn(pfn)), Sleeps::yes, pfn);
    cpu.s.pfn[pfn].directmap_unmapped = true;
    cpu.step(GMC_SITE("rmpupdate pfn {a} -> private"), writes(obj::pfn(pfn)), pfn);
  } else {
    cpu.step(GMC_SITE("rmpupdate pfn {a} -> private"), writes(obj::pfn(pfn)), Sleeps::yes, pfn);
  }
  cpu.s.pfn[pfn].rmp = Rmp::private_;
}

void rmp_make_shared(Cpu& cpu) {
  int pfn = cpu.r.pfn;
  if (cpu.variant.rmp_hooks_2023) {
    cpu.step(GMC_SITE("rmpupdate pfn {a} -> shared"), writes(obj::pfn(pfn)), pfn);
    cpu.s.pfn[pfn].rmp = Rmp::shared;
    cpu.step(GMC_SITE("restore_direct_map pfn {a}"), writes(obj::pfn(pfn)), Sleeps::yes, pfn);
    cpu.s.pfn[pfn].directmap_unmapped = false;
  } else {
    cpu.step(GMC_SITE("rmpupdate pfn {a} -> shared"), writes(obj::pfn(pfn)), Sleeps::yes, pfn);
    cpu.s.pfn[pfn].rmp = Rmp::shared;
  }
}

void rmpupdate_page_cache_range(Cpu& cpu, int start, int end, Attr to, Site lookup) {
  for (cpu.r.i = static_cast<std::uint8_t>(start); cpu.r.i < end; ++cpu.r.i) {
    cpu.step(lookup, reads(obj::cache(cpu.r.i)), cpu.r.i);
    cpu.r.pfn = cpu.s.page_cache[cpu.r.i].pfn;
    if (cpu.r.pfn == kNone) continue;
    if (to == Attr::private_)
      rmp_make_private(cpu);
    else
      rmp_make_shared(cpu);
  }
  cpu.r.pfn = kNone;
}

// A bare RMPUPDATE as a scenario thread: read the page cache once, then act on
// that pfn with no lock and no reference, whatever happens to the folio.
void rmpupdate_thread(Cpu& cpu, int index, Attr to) {
  cpu.step(GMC_SITE("filemap_get_folio index {a}"), reads(obj::cache(index)), index);
  cpu.r.pfn = cpu.s.page_cache[index].pfn;
  if (cpu.r.pfn == kNone) return;
  if (to == Attr::private_)
    rmp_make_private(cpu);
  else
    rmp_make_shared(cpu);
}

}  // namespace gmemcheck::model
