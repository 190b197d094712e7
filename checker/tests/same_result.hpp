// Two searches that must agree: every count, and the same counterexample
// (schedule and finding) for every invariant. Include after CppUTest.
#pragma once

#include "gmemcheck/checker/explorer.hpp"

inline void check_same_result(const gmemcheck::checker::Result& a, const gmemcheck::checker::Result& b) {
  CHECK_EQUAL(a.executions, b.executions);
  CHECK_EQUAL(a.redundant_executions, b.redundant_executions);
  CHECK_EQUAL(a.steps, b.steps);
  CHECK_EQUAL(a.states, b.states);
  CHECK_EQUAL(a.max_depth, b.max_depth);
  CHECK_EQUAL(a.complete, b.complete);
  CHECK_EQUAL(a.violations.size(), b.violations.size());
  for (const auto& [id, cx] : a.violations) {
    const gmemcheck::checker::Counterexample& other = b.violations.at(id);
    CHECK(cx.schedule == other.schedule);
    CHECK(cx.finding == other.finding);
  }
}
