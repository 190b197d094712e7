// `gmemcheck list`: one row per name, the name first, in the model's order.
#include <string>
#include <vector>

#include "support.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

using namespace cli;

namespace {

// The first word of every line.
std::vector<std::string> first_words(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(text)) out.push_back(line.substr(0, line.find(' ')));
  return out;
}

template <class Table, class Name>
std::vector<std::string> names_of(const Table& table, Name name) {
  std::vector<std::string> out;
  for (const auto& row : table) out.push_back(std::string(name(row)));
  return out;
}

void expect_listed(const std::string& what, const std::vector<std::string>& want) {
  Outcome o = list_cli(what);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_EQUAL("", o.err.c_str());
  std::vector<std::string> have = first_words(o.out);
  LONGS_EQUAL(want.size(), have.size());
  for (std::size_t i = 0; i < want.size(); ++i) STRCMP_EQUAL(want[i].c_str(), have[i].c_str());
}

}  // namespace

TEST_GROUP(List){};

TEST(List, Variants) {
  expect_listed("variants", names_of(model::variants(), [](const model::Variant& v) { return v.name; }));
}

TEST(List, Mutations) {
  expect_listed("mutations", names_of(model::mutations(), [](const model::MutationInfo& m) { return m.name; }));
  // A mutation for one variant says which.
  STRCMP_CONTAINS("(v6.11 only)", list_cli("mutations").out.c_str());
}

TEST(List, Invariants) {
  expect_listed("invariants", names_of(model::invariants(), [](const model::InvariantInfo& i) { return i.id; }));
}

TEST(List, Paths) {
  expect_listed("paths", names_of(model::paths(), [](const model::PathInfo& p) { return p.name; }));
}

TEST(List, ClosedListsAreComplete) {
  // Names the documents fix (protocol-model.md sections 3-5).
  std::string variants = list_cli("variants").out, invariants = list_cli("invariants").out, paths = list_cli("paths").out;
  for (const char* v : {"roth2023", "roth2023+slots_lock", "roth2023+gmem_lock", "roth2023+rmp_under_mmu_lock",
                        "v6.10", "v6.11", "v7.0"})
    CHECK_TEXT(has_line_starting(variants, std::string(v) + " "), v);
  for (const char* i : {"freed_private", "host_write_private", "stale_spte", "attr_mismatch", "private_spte_shared_rmp",
                        "sleep_in_atomic", "invalidate_balance", "deadlock", "lock_misuse", "retry_bound", "ref_leak",
                        "lock_order"})
    CHECK_TEXT(has_line_starting(invariants, std::string(i) + " "), i);
  for (const char* p : {"punch_hole", "set_attributes", "page_fault", "rmpupdate", "convert"})
    CHECK_TEXT(has_line_starting(paths, std::string(p) + " "), p);
}

TEST(List, UnknownList) {
  Outcome o = list_cli("variant");
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_EQUAL("", o.out.c_str());
  STRCMP_CONTAINS("unknown list \"variant\"", o.err.c_str());
}
