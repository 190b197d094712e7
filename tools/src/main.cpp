// gmemcheck: a deterministic concurrency model checker for the KVM guest_memfd
// invalidation protocol and its SEV-SNP RMP hooks.
#include <CLI/CLI.hpp>
#include <iostream>
#include <unistd.h>

#include "gmemcheck/tools/gate.hpp"
#include "gmemcheck/tools/list.hpp"
#include "gmemcheck/tools/replay.hpp"
#include "gmemcheck/tools/run.hpp"
#include "gmemcheck/tools/shard.hpp"

using namespace gmemcheck::tools;

namespace {

// Where run and merge write their results.
void add_outputs(CLI::App* sub, RunOptions& o) {
  sub->add_option("--trace-dir", o.trace_dir, "Where counterexample traces are written")->capture_default_str();
  sub->add_option("--json", o.json_out, "Also write the results as JSON to this file");
}

void add_run(CLI::App& app, std::vector<std::string>& inputs, RunOptions& o) {
  auto* run = app.add_subcommand("run", "Check scenarios against their expect; write a trace per violation.");
  run->footer(
      "Example:\n  gmemcheck run scenarios/                 # every *.json, in name order\n"
      "  gmemcheck run scenarios/seed-roth2023.json --json results.json\n\n"
      "Exit status: 0 every scenario met its expect, 1 some result differs, 2 bad input,\n"
      "3 nothing differed but a bound cut a search short (inconclusive).");
  run->add_option("inputs", inputs, "Scenario files or directories")->required();
  add_outputs(run, o);
  run->add_option("--markdown", o.markdown_out, "Also write a Markdown table of the results to this file");
  run->add_option("--max-steps", o.max_steps, "Bound: steps per execution (overrides bounds.steps)");
  run->add_option("--max-executions", o.max_executions, "Bound: executions (overrides bounds.executions)");
  run->add_option("--max-seconds", o.max_seconds, "Bound: seconds per scenario (overrides bounds.seconds)");
  run->add_option("--preemptions", o.preemptions, "Bound: preemptions per execution (overrides bounds.preemptions)");
  run->add_flag("--liveness", o.liveness, "Count a fault that gives up (retry_bound) as a violation");
  run->add_option("-j,--jobs", o.jobs,
                  "Check this many scenarios at once (results print in input order); on one scenario "
                  "split with --units, this many units at once; the counts never depend on it")
      ->check(CLI::Range(1, 256));
  run->add_option("--strategy", o.strategy,
                  "dpor: one interleaving per class of equivalent ones, with a state cache; dfs: every "
                  "interleaving, with a state cache; random, pct: bug finding, never a pass")
      ->check(CLI::IsMember({"dfs", "dpor", "random", "pct"}))
      ->capture_default_str();
  run->add_option("--seed", o.seed, "Seed of the random and pct strategies")->capture_default_str();
  run->add_option("--pct-depth", o.pct_depth, "Bug depth d of the pct strategy")->check(CLI::Range(1, 100))
      ->capture_default_str();
  run->add_option("--executions", o.max_executions,
                  "Executions to run (random and pct default to 1000); same as --max-executions");
  run->add_option("--cache-mb", o.cache_mb, "Memory for the explored-state table in MiB (default: unlimited)");
  run->add_flag("--no-cache", o.no_cache,
                "Stateless search: run every schedule instead of stopping at states already explored");
  run->add_flag("-q,--quiet", o.quiet, "Only result lines: no interleavings, no progress");
  run->add_option("--units", o.units,
                  "Split each dpor search into at least this many units, each with its own cache (default: "
                  "1, or 8 with --shard); counts depend on the units, never on --jobs")
      ->check(CLI::Range(1, 100000));
  run->add_option_function<std::string>(
         "--shard",
         [&o](const std::string& v) {
           try {
             parse_shard(v, o);
           } catch (const InputError& e) {
             throw CLI::ValidationError(e.what());
           }
         },
         "K/N: explore shard K of N of the dpor search and write a result file per scenario for merge")
      ->type_name("K/N");
  run->add_option("--shard-dir", o.shard_dir, "Where --shard writes its result files")->capture_default_str();
}

void add_merge(CLI::App& app, std::vector<std::string>& files, RunOptions& o) {
  auto* merge = app.add_subcommand("merge", "Combine the shard result files of run --shard into one result.");
  merge->footer(
      "Example:\n  gmemcheck run scenarios/big.json --shard 1/2   # on one machine\n"
      "  gmemcheck run scenarios/big.json --shard 2/2   # on another\n"
      "  gmemcheck merge big.shard-*-of-2.json\n\n"
      "Exit status: as run; 2 when a shard is missing, given twice, or ran other inputs.");
  merge->add_option("files", files, "Shard result files or directories")->required();
  add_outputs(merge, o);
  merge->add_flag("-q,--quiet", o.quiet, "Only result lines");
}

void add_replay(CLI::App& app, std::vector<std::string>& traces, ReplayOptions& o) {
  auto* replay = app.add_subcommand("replay", "Re-execute recorded counterexample traces step by step.");
  replay->footer(
      "Example:\n  gmemcheck replay traces/seed-roth2023.freed_private.json\n"
      "  gmemcheck replay traces/seed-roth2023.freed_private.json --variant v6.11   # does the fix close it?\n\n"
      "Exit status: 0 the recorded violation happened again at the recorded step, 1 it did not\n"
      "(the reason is printed), 2 a bad trace file or option.");
  replay->add_option("traces", traces, "Trace files")->required();
  replay->add_option("--variant", o.variant, "Replay against this protocol variant instead");
  replay->add_option("--mutations", o.mutations, "Replay with these mutations instead ('none' for none)")
      ->delimiter(',');
  replay->add_flag("-q,--quiet", o.quiet, "Only the verdict line");
}

void add_gate(CLI::App& app, GateOptions& o) {
  auto* gate = app.add_subcommand("gate", "CI gate: check scenarios against their expect and baseline, replay traces.");
  gate->footer(
      "Example:\n  gmemcheck gate                                  # scenarios/, scenarios/reference/, traces/\n"
      "  gmemcheck gate --junit gate.xml --annotations github -j 2\n"
      "  gmemcheck gate --update-baseline                # after an intended change of the model\n\n"
      "Exit status: 0 all good, 1 a regression (an expectation missed, explored states below the\n"
      "baseline, a trace that no longer reproduces or still reproduces on a fixing variant),\n"
      "2 bad input, 3 inconclusive.");
  gate->add_option("inputs", o.inputs, "Scenario and trace files or directories");
  gate->add_option("--trace-dir", o.trace_dir, "Where new counterexamples are written")->capture_default_str();
  gate->add_option("--junit", o.junit_out, "Write a JUnit XML report");
  gate->add_option("--json", o.json_out, "Write a JSON report");
  gate->add_option("--annotations", o.annotations, "Print failures as CI annotations: github");
  gate->add_option("--baseline", o.baseline, "The baseline file")->capture_default_str();
  gate->add_flag("--update-baseline", o.update_baseline, "Write the baseline from this run");
  gate->add_option("--tolerance", o.tolerance, "Percent of a baseline's states a scenario may lose")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  gate->add_option("-j,--jobs", o.jobs, "Check this many scenarios at once")->check(CLI::Range(1, 256));
}

void add_trace(CLI::App& app, std::string& file, std::vector<std::string>& fixed_by, std::string& dir) {
  auto* trace = app.add_subcommand("trace", "Manage the checked-in counterexample traces.");
  trace->require_subcommand(1);
  auto* add = trace->add_subcommand("add", "Copy a trace into traces/ so the gate replays it from then on.");
  add->footer(
      "Example:\n  gmemcheck trace add traces/out/seed-roth2023.freed_private.json --fixed-by v6.10,v6.11,v7.0\n\n"
      "The trace must reproduce on its own variant and on none of the --fixed-by variants.");
  add->add_option("trace", file, "The trace file")->required();
  add->add_option("--fixed-by", fixed_by, "Variants on which it must no longer reproduce")->delimiter(',');
  add->add_option("--dir", dir, "Where checked-in traces live")->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gmemcheck: model checker for the KVM guest_memfd invalidation protocol (SEV-SNP RMP hooks)"};
  app.footer(
      "Example:\n  gmemcheck run scenarios/\n  gmemcheck replay traces/seed-roth2023.freed_private.json\n"
      "  gmemcheck list variants");
  app.require_subcommand(1);
  std::vector<std::string> inputs, traces;
  RunOptions run_opt;
  ReplayOptions replay_opt;
  std::string list_what;
  GateOptions gate_opt;
  std::string trace_file, trace_dir = "traces";
  std::vector<std::string> fixed_by;
  add_gate(app, gate_opt);
  add_trace(app, trace_file, fixed_by, trace_dir);
  add_run(app, inputs, run_opt);
  add_replay(app, traces, replay_opt);
  std::vector<std::string> shard_files;
  RunOptions merge_opt;
  add_merge(app, shard_files, merge_opt);
  auto* list = app.add_subcommand("list", "List variants, mutations, invariants or paths with a description.");
  list->footer("Example:\n  gmemcheck list invariants");
  list->add_option("what", list_what, "variants | mutations | invariants | paths")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }
  try {
    if (app.got_subcommand("run")) {
      run_opt.progress = isatty(STDERR_FILENO);
      return run_command(inputs, run_opt, std::cout, std::cerr);
    }
    if (app.got_subcommand("merge")) return merge_command(shard_files, merge_opt, std::cout, std::cerr);
    if (app.got_subcommand("replay")) return replay_command(traces, replay_opt, std::cout, std::cerr);
    if (app.got_subcommand("gate")) {
      gate_opt.progress = isatty(STDERR_FILENO);
      return gate_command(gate_opt, std::cout, std::cerr);
    }
    if (app.got_subcommand("trace")) return trace_add_command(trace_file, fixed_by, trace_dir, std::cout, std::cerr);
    return list_command(list_what, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "gmemcheck: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
