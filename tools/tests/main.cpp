#include "gmemcheck/model/scenario.hpp"
#include "gmemcheck/model/variant.hpp"

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/CommandLineTestRunner.h>

int main(int argc, char** argv) {
  // The model's name tables are function-local statics allocated on first use.
  // Touch them before any test runs so CppUTest's leak detector does not charge
  // their one-time allocation to whichever test happens to use them first.
  (void)gmemcheck::model::variants();
  (void)gmemcheck::model::mutations();
  (void)gmemcheck::model::invariants();
  (void)gmemcheck::model::paths();
  return CommandLineTestRunner::RunAllTests(argc, argv);
}
