// Executions that go back to checkpoints and executions that run their
// repeated steps again must agree: the same counts, and the same
// counterexamples down to their messages and preludes. A model that kept a
// change a step makes outside its checkpoints would part them.
// Include after support.hpp, gmemcheck/model/machine.hpp and CppUTest (which
// redefines `new` for what follows, so this includes nothing).
#pragma once

inline void check_checkpoints_change_nothing(const std::string& file, const gmemcheck::model::Scenario& sc,
                                             gmemcheck::tools::RunOptions opt) {
  namespace tools = gmemcheck::tools;
  opt.checkpoints = true;
  const tools::ScenarioResult back = tools::check_scenario(file, sc, opt);
  opt.checkpoints = false;
  const tools::ScenarioResult replay = tools::check_scenario(file, sc, opt);
  const std::string what = sc.name + " under " + opt.strategy + (opt.no_cache ? "" : "+cache");
  CHECK_EQUAL_TEXT(replay.result.executions, back.result.executions, what.c_str());
  CHECK_EQUAL_TEXT(replay.result.steps, back.result.steps, what.c_str());
  CHECK_EQUAL_TEXT(replay.result.states, back.result.states, what.c_str());
  CHECK_EQUAL_TEXT(replay.result.violations.size(), back.result.violations.size(), what.c_str());
  for (const auto& [inv, cx] : replay.result.violations) {
    const auto found = back.result.violations.find(inv);
    CHECK_TEXT(found != back.result.violations.end(), (what + ": " + inv).c_str());
    if (found == back.result.violations.end()) continue;
    CHECK_TEXT(cx.schedule == found->second.schedule, (what + ": " + inv).c_str());
    STRCMP_EQUAL_TEXT(cx.finding.message.c_str(), found->second.finding.message.c_str(), (what + ": " + inv).c_str());
    CHECK_TEXT(cx.finding.prelude == found->second.finding.prelude, (what + ": " + inv).c_str());
  }
}

// lockdep's pairs, each with the site and the steps that first showed it (a
// later execution's lock_order counterexample runs those steps first), after
// stateless DFS (20k executions at most) either way.
inline void check_lockdep_witnesses_alike(const gmemcheck::model::Scenario& sc) {
  namespace checker = gmemcheck::checker;
  std::vector<checker::Program::Observation> seen[2];
  for (int back = 0; back < 2; ++back) {
    gmemcheck::model::Machine machine(sc);
    checker::DfsStrategy dfs;
    checker::Options o;
    o.bounds.executions = 20000;
    o.checkpoints = back == 1;
    checker::explore(machine, dfs, o);
    seen[back] = machine.observations();
  }
  CHECK_EQUAL_TEXT(seen[0].size(), seen[1].size(), sc.name.c_str());
  for (std::size_t i = 0; i < seen[0].size() && i < seen[1].size(); ++i) {
    const std::string what = sc.name + ": " + seen[0][i].key;
    STRCMP_EQUAL_TEXT(seen[0][i].key.c_str(), seen[1][i].key.c_str(), what.c_str());
    STRCMP_EQUAL_TEXT(seen[0][i].where.c_str(), seen[1][i].where.c_str(), what.c_str());
    CHECK_TEXT(seen[0][i].schedule == seen[1][i].schedule, what.c_str());
  }
}
