// What a step changed, in words, for traces and the column view.
#include <string>

#include "gmemcheck/model/machine.hpp"

namespace gmemcheck::model {

namespace {

std::string folio(const Folio& f) {
  if (f.pfn == kNone) return "none";
  return "pfn " + std::to_string(f.pfn) + (f.uptodate ? " uptodate" : "");
}

std::string spte(const Spte& e) {
  if (!e.present) return "none";
  if (!e.private_) return "shared";
  return "pfn " + std::to_string(e.pfn) + " private";
}

std::string owner(Owner o) {
  switch (o) {
    case Owner::free: return "free";
    case Owner::gmem: return "gmem";
    case Owner::in_flight: return "in-flight";
  }
  return "?";
}

std::string range(const State& s) {
  if (!s.range_valid()) return "INVALID";
  return "[" + std::to_string(s.range_start) + "," + std::to_string(s.range_end) + ")";
}

void add(std::string& out, const std::string& what) {
  if (!out.empty()) out += "; ";
  out += what;
}

template <class T, class F>
void diff(std::string& out, const std::string& label, const T& a, const T& b, F show) {
  if (!(a == b)) add(out, label + " " + show(a) + " -> " + show(b));
}

void diff_pages(std::string& out, const State& a, const State& b) {
  for (int p = 0; p < b.pfns_used; ++p) {
    const Page& x = a.pfn[p];
    const Page& y = b.pfn[p];
    std::string n = "pfn " + std::to_string(p);
    if (x.owner != y.owner) add(out, n + (y.owner == Owner::free ? " freed" : " " + owner(x.owner) + " -> " + owner(y.owner)));
    if (x.refs != y.refs) add(out, n + " refs " + std::to_string(x.refs) + " -> " + std::to_string(y.refs));
    if (x.rmp != y.rmp) add(out, "rmp[" + std::to_string(p) + "] " + name(x.rmp) + " -> " + name(y.rmp));
    if (x.directmap_unmapped != y.directmap_unmapped)
      add(out, "directmap[" + std::to_string(p) + "] " + (y.directmap_unmapped ? "unmapped" : "mapped"));
  }
}

}  // namespace

std::string Machine::changes_since_mark() const {
  const State& a = marked_;
  const State& b = state_;
  std::string out;
  for (int i = 0; i < scenario_.pages; ++i) {
    std::string n = std::to_string(i);
    diff(out, "page_cache[" + n + "]", a.page_cache[i], b.page_cache[i], folio);
    diff(out, "mem_attr_array[" + n + "]", a.mem_attr_array[i], b.mem_attr_array[i],
         [](Attr x) { return std::string(name(x)); });
    diff(out, "spte[" + n + "]", a.spte[i], b.spte[i], spte);
  }
  diff_pages(out, a, b);
  auto num = [](auto x) { return std::to_string(x); };
  diff(out, "mmu_invalidate_seq", a.mmu_invalidate_seq, b.mmu_invalidate_seq, num);
  diff(out, "in_progress", a.mmu_invalidate_in_progress, b.mmu_invalidate_in_progress, num);
  if (a.range_start != b.range_start || a.range_end != b.range_end)
    add(out, "range " + range(a) + " -> " + range(b));
  return out;
}

}  // namespace gmemcheck::model
