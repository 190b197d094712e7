// gmemcheck: a deterministic concurrency model checker for the KVM guest_memfd
// invalidation protocol and its SEV-SNP RMP hooks.
#include <CLI/CLI.hpp>
#include <iostream>
#include <unistd.h>

#include "gmemcheck/tools/list.hpp"
#include "gmemcheck/tools/replay.hpp"
#include "gmemcheck/tools/run.hpp"

using namespace gmemcheck::tools;

namespace {

void add_run(CLI::App& app, std::vector<std::string>& inputs, RunOptions& o) {
  auto* run = app.add_subcommand("run", "Check scenarios against their expect; write a trace per violation.");
  run->footer(
      "Example:\n  gmemcheck run scenarios/                 # every *.json, in name order\n"
      "  gmemcheck run scenarios/seed-roth2023.json --json results.json\n\n"
      "Exit status: 0 every scenario met its expect, 1 some result differs, 2 bad input,\n"
      "3 nothing differed but a bound cut a search short (inconclusive).");
  run->add_option("inputs", inputs, "Scenario files or directories")->required();
  run->add_option("--trace-dir", o.trace_dir, "Where counterexample traces are written")->capture_default_str();
  run->add_option("--json", o.json_out, "Also write the results as JSON to this file");
  run->add_option("--markdown", o.markdown_out, "Also write a Markdown table of the results to this file");
  run->add_option("--max-steps", o.max_steps, "Bound: steps per execution (overrides bounds.steps)");
  run->add_option("--max-executions", o.max_executions, "Bound: executions (overrides bounds.executions)");
  run->add_option("--max-seconds", o.max_seconds, "Bound: seconds per scenario (overrides bounds.seconds)");
  run->add_option("--preemptions", o.preemptions, "Bound: preemptions per execution (overrides bounds.preemptions)");
  run->add_flag("--liveness", o.liveness, "Count a fault that gives up (retry_bound) as a violation");
  run->add_flag("--no-cache", o.no_cache,
                "Stateless search: run every schedule instead of stopping at states already explored");
  run->add_flag("-q,--quiet", o.quiet, "Only result lines: no interleavings, no progress");
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
  add_run(app, inputs, run_opt);
  add_replay(app, traces, replay_opt);
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
    if (app.got_subcommand("replay")) return replay_command(traces, replay_opt, std::cout, std::cerr);
    return list_command(list_what, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "gmemcheck: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
