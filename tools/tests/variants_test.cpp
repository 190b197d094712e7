// Each variant against its neighbours: the same threads under two protocol
// versions, where the verdicts must differ (or, for versions the model cannot
// tell apart, must agree).
#include "support.hpp"

#include <CppUTest/TestHarness.h>

namespace cli {
namespace {

// The verdict and invariants of `file` checked under `variant`, expect ignored.
std::string verdict_under(const std::string& file, const std::string& variant) {
  model::Scenario sc = tools::load_scenario_file(source_path(file));
  sc.variant = model::find_variant(variant);
  if (!sc.variant) throw std::runtime_error("no variant " + variant);
  sc.expect = model::Expect{};
  tools::ScenarioResult r = tools::check_scenario(file, sc, tools::RunOptions{});
  std::string out = r.verdict;
  for (const auto& [inv, cx] : r.result.violations) out += " " + inv;
  return out;
}

const char* const kSeed = "scenarios/seed-roth2023.json";
const char* const kAllocatingFault = "scenarios/roth2023+slots_lock-punch-vs-allocating-fault.json";

}  // namespace

TEST_GROUP(Variants){};

// The mail's interleaving breaks roth2023; both proposed fixes close it.
TEST(Variants, SlotsLockAndGmemLockCloseTheSeed) {
  STRCMP_EQUAL("violation freed_private", verdict_under(kSeed, "roth2023").c_str());
  STRCMP_EQUAL("pass", verdict_under(kSeed, "roth2023+slots_lock").c_str());
  STRCMP_EQUAL("pass", verdict_under(kSeed, "roth2023+gmem_lock").c_str());
}

// ...but neither fix survives a private fault that allocates in the punched
// range between the hook and truncate, which .free_folio (v6.10) does.
TEST(Variants, AllocatingFaultBreaksBothFixesButNotFreeFolio) {
  STRCMP_EQUAL("violation freed_private", verdict_under(kAllocatingFault, "roth2023+slots_lock").c_str());
  STRCMP_EQUAL("violation freed_private", verdict_under(kAllocatingFault, "roth2023+gmem_lock").c_str());
  STRCMP_EQUAL("pass", verdict_under(kAllocatingFault, "v6.10").c_str());
}

// Running the hooks under mmu_lock trades the race for sleeping in atomic context.
TEST(Variants, HooksUnderMmuLockSleepInAtomic) {
  const char* punch = "scenarios/roth2023+rmp_under_mmu_lock-punch-hole-alone.json";
  STRCMP_EQUAL("violation sleep_in_atomic", verdict_under(punch, "roth2023+rmp_under_mmu_lock").c_str());
  STRCMP_EQUAL("pass", verdict_under(punch, "roth2023").c_str());
}

// v6.10 prepares every folio at allocation, so a populated shared-attribute
// folio is RMP-private there and truncate's zeroing writes a private page.
TEST(Variants, V610PreparesAtAllocation) {
  std::string file = "scenarios/v6.10-punch-shared-attribute-page-zero-partial-folio.json";
  STRCMP_EQUAL("violation host_write_private", verdict_under(file, "v6.10").c_str());
  STRCMP_EQUAL("pass", verdict_under(file, "v6.11").c_str());
  STRCMP_EQUAL("pass", verdict_under(file, "v7.0").c_str());
}

// The merged kernels close every race of the corpus the 2023 variants show.
TEST(Variants, MergedKernelsPassTheSeed) {
  STRCMP_EQUAL("pass", verdict_under(kSeed, "v6.10").c_str());
  STRCMP_EQUAL("pass", verdict_under(kSeed, "v6.11").c_str());
  STRCMP_EQUAL("pass", verdict_under(kSeed, "v7.0").c_str());
}

// v6.11 and v7.0 differ only in how a fault remembers that a folio is
// prepared; without the v6.11-only uptodate_before_prepare bug no scenario of
// the format tells them apart by verdict. Pinned so a change shows.
TEST(Variants, V611AndV70AgreeWithoutTheUptodateBug) {
  const char* rmp = "scenarios/v7.0-rmpupdate-shared-vs-private-fault.json";
  STRCMP_EQUAL(verdict_under(rmp, "v7.0").c_str(), verdict_under(rmp, "v6.11").c_str());
  const char* conv = "scenarios/v6.11-convert-shared-to-private-two-faults.json";
  STRCMP_EQUAL(verdict_under(conv, "v6.11").c_str(), verdict_under(conv, "v7.0").c_str());
}

}  // namespace cli
