// Protocol variants and mutations (protocol-model.md section 4). A variant is a
// small declarative difference over one set of paths, never a copy of them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gmemcheck::model {

// How a private fault prepares (makes RMP-private) the folio it found or made.
enum class Prepare : std::uint8_t {
  on_allocation_2023,  // only a folio the fault allocated: directmap unmap, RMPUPDATE
  on_allocation,       // v6.10: only a folio the fault allocated: RMPUPDATE
  unless_uptodate,     // v6.11: uptodate == prepared
  idempotent,          // v7.0: look up the RMP entry, make private if shared
};

struct Variant {
  std::string_view name;
  std::string_view summary;
  bool rmp_hooks_2023;         // punch-hole and set-attributes call RMPUPDATE hooks;
                               // RMPUPDATE itself does not sleep, its directmap step does
  bool free_folio_shared;      // truncate's .free_folio makes the pfn shared
  bool punch_takes_slots_lock; // punch-hole holds slots_lock over begin..end
  bool gmem_lock;              // a dedicated mutex serializes punch-hole and set-attributes
  bool hooks_under_mmu_lock;   // the 2023 hooks run inside the mmu_lock sections
  bool populate_always_private;// every populated folio starts RMP-private
  Prepare prepare;
};

const std::vector<Variant>& variants();
const Variant* find_variant(std::string_view name);

enum class Mutation : std::uint8_t {
  range_overwrite,
  truncate_after_end,
  no_stale_check,
  uptodate_before_prepare,
  zero_partial_folio,
  retry_leaks_ref,
  lock_inversion,
  unlock_before_range_add,
  double_folio_unlock,
  count
};

struct MutationInfo {
  Mutation id;
  std::string_view name;
  std::string_view summary;
  std::string_view applies_to;  // empty: every variant
};

const std::vector<MutationInfo>& mutations();
bool applies(const MutationInfo& m, const Variant& v);
const MutationInfo* find_mutation(std::string_view name);

class Mutations {
 public:
  void set(Mutation m) { bits_ |= 1u << static_cast<unsigned>(m); }
  bool has(Mutation m) const { return bits_ & (1u << static_cast<unsigned>(m)); }
  bool empty() const { return bits_ == 0; }
  std::vector<std::string> names() const;
  bool operator==(const Mutations&) const = default;
  // "mutation X applies only to variant Y", or "" when all apply to v.
  std::string misfit(const Variant& v) const;

 private:
  std::uint32_t bits_ = 0;
};

struct InvariantInfo {
  std::string_view id;
  std::string_view summary;
};

// The closed list of invariant ids (protocol-model.md section 5).
const std::vector<InvariantInfo>& invariants();
bool is_invariant(std::string_view id);

}  // namespace gmemcheck::model
