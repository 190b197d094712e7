#include "gmemcheck/tools/shard.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>

#include "gmemcheck/model/machine.hpp"
#include "gmemcheck/tools/report.hpp"

namespace gmemcheck::tools {

namespace {

using nlohmann::json;

constexpr const char* kKind = "gmemcheck-shard";

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

json finding_json(const checker::Finding& f, const checker::Schedule& schedule) {
  return {{"invariant", f.invariant}, {"message", f.message},   {"liveness", f.liveness},
          {"prelude", f.prelude},     {"ends_execution", f.ends_execution}, {"schedule", schedule}};
}

checker::Counterexample finding_from(const json& j) {
  checker::Counterexample c;
  c.finding.invariant = j.at("invariant").get<std::string>();
  c.finding.message = j.at("message").get<std::string>();
  c.finding.liveness = j.at("liveness").get<bool>();
  c.finding.prelude = j.at("prelude").get<std::vector<checker::ThreadId>>();
  c.finding.ends_execution = j.at("ends_execution").get<bool>();
  c.schedule = j.at("schedule").get<checker::Schedule>();
  return c;
}

json unit_json(const checker::UnitResult& u) {
  const checker::Result& r = u.result;
  json v = json::array(), live = json::array(), obs = json::array();
  for (const auto& [inv, cx] : r.violations) v.push_back(finding_json(cx.finding, cx.schedule));
  for (const auto& [inv, cx] : r.liveness_examples) live.push_back(finding_json(cx.finding, cx.schedule));
  for (const auto& o : u.observations) obs.push_back({{"key", o.key}, {"where", o.where}, {"schedule", o.schedule}});
  return {{"index", u.index},
          {"executions", r.executions},
          {"steps", r.steps},
          {"states", r.states},
          {"max_depth", r.max_depth},
          {"cache_hits", r.cache_hits},
          {"redundant_executions", r.redundant_executions},
          {"state_table_full", r.state_table_full},
          {"state_table_bytes", r.state_table_bytes},
          {"seconds", r.seconds},
          {"complete", r.complete},
          {"cut_bound", r.cut_bound},
          {"cut_reason", r.cut_reason},
          {"stopped_early", r.stopped_early},
          {"violations", v},
          {"liveness_executions", r.liveness_executions},
          {"liveness_examples", live},
          {"observations", obs}};
}

checker::UnitResult unit_from(const json& j) {
  checker::UnitResult u;
  checker::Result& r = u.result;
  u.index = j.at("index").get<std::size_t>();
  r.executions = j.at("executions").get<std::uint64_t>();
  r.steps = j.at("steps").get<std::uint64_t>();
  r.states = j.at("states").get<std::uint64_t>();
  r.max_depth = j.at("max_depth").get<std::size_t>();
  r.cache_hits = j.at("cache_hits").get<std::uint64_t>();
  r.redundant_executions = j.at("redundant_executions").get<std::uint64_t>();
  r.state_table_full = j.at("state_table_full").get<bool>();
  r.state_table_bytes = j.at("state_table_bytes").get<std::uint64_t>();
  r.seconds = j.at("seconds").get<double>();
  r.complete = j.at("complete").get<bool>();
  r.cut_bound = j.at("cut_bound").get<std::string>();
  r.cut_reason = j.at("cut_reason").get<std::string>();
  r.stopped_early = j.at("stopped_early").get<bool>();
  for (const json& v : j.at("violations")) {
    checker::Counterexample c = finding_from(v);
    r.violations.emplace(c.finding.invariant, c);
  }
  r.liveness_executions = j.at("liveness_executions").get<std::map<std::string, std::uint64_t>>();
  for (const json& v : j.at("liveness_examples")) {
    checker::Counterexample c = finding_from(v);
    r.liveness_examples.emplace(c.finding.invariant, c);
  }
  for (const json& o : j.at("observations"))
    u.observations.push_back({o.at("key").get<std::string>(), o.at("where").get<std::string>(),
                              o.at("schedule").get<std::vector<checker::ThreadId>>()});
  return u;
}

std::string shard_file(const RunOptions& opt, const model::Scenario& sc) {
  return opt.shard_dir + "/" + sc.name + ".shard-" + std::to_string(opt.shard + 1) + "-of-" +
         std::to_string(opt.shards) + ".json";
}

// The options a shard file records: what merge needs to judge the result.
json options_json(const RunOptions& opt) {
  return {{"strategy", opt.strategy}, {"no_cache", opt.no_cache}, {"cache_mb", opt.cache_mb},
          {"liveness", opt.liveness}, {"units", opt.units},       {"shards", opt.shards},
          {"max_steps", opt.max_steps ? json(*opt.max_steps) : json()},
          {"max_executions", opt.max_executions ? json(*opt.max_executions) : json()},
          {"max_seconds", opt.max_seconds ? json(*opt.max_seconds) : json()},
          {"preemptions", opt.preemptions ? json(*opt.preemptions) : json()}};
}

void options_from(const json& j, RunOptions& opt) {
  opt.strategy = j.at("strategy").get<std::string>();
  opt.no_cache = j.at("no_cache").get<bool>();
  opt.cache_mb = j.at("cache_mb").get<std::uint64_t>();
  opt.liveness = j.at("liveness").get<bool>();
  opt.units = j.at("units").get<std::size_t>();
  opt.shards = j.at("shards").get<std::size_t>();
  if (!j.at("max_steps").is_null()) opt.max_steps = j.at("max_steps").get<std::uint64_t>();
  if (!j.at("max_executions").is_null()) opt.max_executions = j.at("max_executions").get<std::uint64_t>();
  if (!j.at("max_seconds").is_null()) opt.max_seconds = j.at("max_seconds").get<double>();
  if (!j.at("preemptions").is_null()) opt.preemptions = j.at("preemptions").get<std::uint64_t>();
}

}  // namespace

std::string search_hash(const model::Scenario& sc, const RunOptions& opt) {
  return hex(fnv1a(sc.source.dump() + "\n" + options_json(opt).dump()));
}

void parse_shard(const std::string& text, RunOptions& opt) {
  std::size_t slash = text.find('/');
  std::size_t k = 0, n = 0;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used = 0;
    k = std::stoul(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("junk");
    n = std::stoul(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) throw std::invalid_argument("junk");
  } catch (const std::exception&) {
    throw InputError("--shard " + text + ": expected K/N, shard K of N, such as 1/4");
  }
  if (n < 1 || n > 4096 || k < 1 || k > n)
    throw InputError("--shard " + text + ": K must be 1 to N, and N 1 to 4096");
  opt.shard = k - 1;
  opt.shards = n;
}

int shard_command(const std::vector<LoadedScenario>& scenarios, const RunOptions& opt, std::ostream& out,
                  std::ostream& err) {
  if (opt.strategy != "dpor" || opt.preemptions) {
    err << "gmemcheck: --shard splits the dpor search; --strategy " << opt.strategy
        << (opt.preemptions ? " with --preemptions" : "") << " cannot be sharded\n";
    return kExitBadInput;
  }
  for (const auto& [file, sc] : scenarios)
    if (search_options(sc, opt).bounds.preemptions_set) {
      err << file << ": /bounds/preemptions: a preemption-bounded search is DFS, which cannot be sharded\n";
      return kExitBadInput;
    }
  std::filesystem::create_directories(opt.shard_dir);
  for (const auto& [file, sc] : scenarios) {
    checker::Options o = search_options(sc, opt);
    auto start = std::chrono::steady_clock::now();
    std::vector<checker::Unit> units = search_units(sc, opt);
    std::vector<checker::UnitResult> mine =
        explore_scenario_units(sc, opt, o, checker::Shard{opt.shard, opt.shards});
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    json results = json::array();
    std::uint64_t executions = 0;
    for (const checker::UnitResult& u : mine) {
      results.push_back(unit_json(u));
      executions += u.result.executions;
    }
    json j = {{"kind", kKind},
              {"format_version", 1},
              {"scenario", sc.name},
              {"file", file},
              {"search_hash", search_hash(sc, opt)},
              {"shard", opt.shard + 1},
              {"shards", opt.shards},
              {"units", units.size()},
              {"options", options_json(opt)},
              {"source", sc.source},
              {"unit_results", results}};
    std::string path = shard_file(opt, sc);
    write_atomically(path, j.dump(1) + "\n");
    out << sc.name << "  shard " << opt.shard + 1 << "/" << opt.shards << ": " << mine.size() << " of "
        << units.size() << " units, " << executions << " executions, " << static_cast<long>(seconds)
        << " s -> " << path << "\n";
  }
  out << "merge the " << opt.shards << " shard files of each scenario with: gmemcheck merge " << opt.shard_dir
      << "/*.shard-*-of-" << opt.shards << ".json\n";
  return kExitOk;
}

namespace {

struct ShardFile {
  std::string path;
  json j;
};

// Every shard of one search, checked for completeness and consistency.
ScenarioResult merge_search(const std::vector<ShardFile>& shards) {
  const json& first = shards.front().j;
  const std::string name = first.at("scenario").get<std::string>();
  const std::size_t n = first.at("shards").get<std::size_t>();
  std::vector<const ShardFile*> by_index(n, nullptr);
  for (const ShardFile& s : shards) {
    if (s.j.at("search_hash") != first.at("search_hash"))
      throw InputError(s.path + ": /search_hash: shard of \"" + name + "\" ran a different scenario or options than " +
                       shards.front().path + "; rerun every shard with the same inputs");
    std::size_t k = s.j.at("shard").get<std::size_t>();
    if (s.j.at("shards").get<std::size_t>() != n || k < 1 || k > n)
      throw InputError(s.path + ": /shard: shard " + std::to_string(k) + " does not fit " + std::to_string(n) +
                       " shards");
    if (by_index[k - 1])
      throw InputError(s.path + ": /shard: shard " + std::to_string(k) + "/" + std::to_string(n) + " of \"" + name +
                       "\" is also given as " + by_index[k - 1]->path);
    by_index[k - 1] = &s;
  }
  for (std::size_t k = 0; k < n; ++k)
    if (!by_index[k])
      throw InputError("shard " + std::to_string(k + 1) + "/" + std::to_string(n) + " of \"" + name +
                       "\" is missing; run it with: gmemcheck run " + first.at("file").get<std::string>() +
                       " --shard " + std::to_string(k + 1) + "/" + std::to_string(n));

  ScenarioResult out;
  out.file = first.at("file").get<std::string>();
  try {
    out.scenario = model::parse_scenario(first.at("source"));
  } catch (const model::ScenarioError& e) {
    throw located_error(shards.front().path, e);
  }
  RunOptions opt;
  options_from(first.at("options"), opt);
  if (search_hash(out.scenario, opt) != first.at("search_hash").get<std::string>())
    throw InputError(shards.front().path + ": /search_hash: does not match the scenario and options in the file");
  std::vector<checker::UnitResult> units;
  for (const ShardFile& s : shards)
    for (const json& u : s.j.at("unit_results")) units.push_back(unit_from(u));
  checker::Options o = search_options(out.scenario, opt);
  out.bounds = o.bounds;
  out.liveness = o.liveness_is_violation;
  out.strategy = opt.no_cache ? "dpor" : "dpor+cache";
  out.units = first.at("units").get<std::size_t>();
  model::Machine fresh(out.scenario);
  out.result = checker::merge(std::move(units), fresh, o);
  conclude(out);
  return out;
}

}  // namespace

int merge_command(const std::vector<std::string>& files, const RunOptions& opt, std::ostream& out,
                  std::ostream& err) {
  // Group the files by scenario, in the order they were given.
  std::vector<std::string> names;
  std::map<std::string, std::vector<ShardFile>> groups;
  std::vector<ScenarioResult> results;
  try {
    for (const std::string& f : expand_inputs(files)) {
      json j = read_json_file(f);
      if (!j.is_object() || j.value("kind", "") != kKind)
        throw InputError(f + ": /kind: not a shard result file (expected \"" + kKind + "\"; write one with run --shard)");
      std::string name;
      try {
        name = j.at("scenario").get<std::string>();
        for (const json& u : j.at("unit_results")) unit_from(u);
        RunOptions check;
        options_from(j.at("options"), check);
        for (const char* key : {"search_hash", "file"}) j.at(key).get<std::string>();
        for (const char* key : {"shard", "shards", "units"}) j.at(key).get<std::size_t>();
      } catch (const json::exception& e) {
        throw InputError(f + ": not a complete shard result file: " + e.what());
      }
      if (!groups.count(name)) names.push_back(name);
      groups[name].push_back({f, std::move(j)});
    }
    for (const std::string& name : names) results.push_back(merge_search(groups[name]));
  } catch (const InputError& e) {
    err << "gmemcheck: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const json::exception& e) {
    err << "gmemcheck: a shard file is damaged: " << e.what() << "\n";
    return kExitBadInput;
  }
  for (ScenarioResult& r : results) {
    r.traces = counterexamples(r);
    out << result_line(r) << "\n";
    write_traces(r, opt.trace_dir, opt.quiet ? nullptr : &out);
  }
  out << summary_line(results) << "\n";
  if (!opt.json_out.empty()) write_atomically(opt.json_out, results_json(results).dump(2) + "\n");
  return exit_status(results);
}

}  // namespace gmemcheck::tools
