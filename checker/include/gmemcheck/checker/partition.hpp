// A search split into units: parallel on one machine (--jobs) and across
// machines (--shard), with the same counts and the same findings as one run.
//
// The top of the schedule tree is expanded fully, with sleep sets, until it
// has enough leaves; each leaf prefix is a unit, explored below its prefix by
// a strategy of its own, on a program of its own, with a cache of its own.
// What a unit finds depends on the unit alone, so units may run in any order
// on any machine; merge() combines them in unit order, which makes the result
// the same whatever ran where.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "gmemcheck/checker/explorer.hpp"

namespace gmemcheck::checker {

struct Unit {
  Schedule prefix;
  std::uint64_t sleep = 0;  // threads asleep after the prefix (bitmask)
};

// The units of a program's search: leaves of the top of its tree, in
// depth-first order, once there are at least `min_units` (or the tree ends).
std::vector<Unit> split(Program& program, std::size_t min_units);

inline constexpr std::size_t kDefaultMinUnits = 8;

// One unit's result, with the cross-execution facts its program kept.
struct UnitResult {
  std::size_t index = 0;
  Result result;
  std::vector<Program::Observation> observations;
};

using UnitStrategyFactory = std::function<std::unique_ptr<Strategy>(const Unit&)>;

// Which units this run explores: unit i when i % count == index.
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
};

// Explores this shard's units, `jobs` at a time, each with `options`.
std::vector<UnitResult> explore_units(const ProgramFactory& make_program, const UnitStrategyFactory& make_strategy,
                                      const std::vector<Unit>& units, const Options& options, int jobs,
                                      Shard shard = {});

// Combines every unit's result (all of them, in any order) as one search
// would: counts summed, the first unit's counterexample per invariant, facts
// observed across units checked on `fresh` (a program that has run nothing).
// The executions bound applies to the sum; a unit that stopped on purpose
// (stop_on) ends the search there, as it would have in one run.
Result merge(std::vector<UnitResult> units, Program& fresh, const Options& options);

}  // namespace gmemcheck::checker
