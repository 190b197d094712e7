// `gmemcheck gate` and `gmemcheck trace add`: every scenario meets its expect
// and explores as much as its baseline says, every checked-in trace reproduces
// on its variant and on none of the variants that fix it; the results as
// lines, JUnit XML, GitHub annotations and a JSON report; bad input (exit 2)
// writes nothing. Each test runs on a tiny corpus copied into a TempDir.
#include <cctype>
#include <iterator>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmemcheck/tools/gate.hpp"
#include "support.hpp"

namespace {

using namespace cli;

// ---------------------------------------------------------------------------
// A small XML well-formedness checker, enough for the JUnit report: one root
// element, balanced start and end tags, quoted attributes without duplicates,
// character data without '<', raw control characters or entities other than
// the five predefined ones. Throws std::runtime_error saying where it failed.

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;  // entities resolved
  std::vector<XmlElement> children;
  std::string text;  // the character data directly inside, entities resolved

  bool has(const std::string& attribute) const { return attributes.count(attribute) != 0; }
  std::string attr(const std::string& attribute) const {
    auto it = attributes.find(attribute);
    return it == attributes.end() ? std::string() : it->second;
  }
};

class XmlChecker {
 public:
  explicit XmlChecker(const std::string& text) : s_(text) {}

  XmlElement document() {
    if (starts("<?xml")) {
      std::size_t end = s_.find("?>", i_);
      if (end == std::string::npos) error("unterminated XML declaration");
      i_ = end + 2;
    }
    skip_space();
    if (!starts("<")) error("expected the root element");
    XmlElement root = element();
    skip_space();
    if (i_ != s_.size()) error("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    throw std::runtime_error("not well-formed XML at offset " + std::to_string(i_) + ": " + what);
  }
  bool starts(const char* p) const { return s_.compare(i_, std::strlen(p), p) == 0; }
  static bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static bool name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  }
  static bool name_char(char c) {
    return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  }
  void skip_space() {
    while (i_ < s_.size() && space(s_[i_])) ++i_;
  }
  void expect(char c) {
    if (i_ >= s_.size() || s_[i_] != c) error(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string name() {
    if (i_ >= s_.size() || !name_start(s_[i_])) error("expected a name");
    std::size_t begin = i_;
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    return s_.substr(begin, i_ - begin);
  }
  char entity() {
    static const std::pair<const char*, char> predefined[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (const auto& [ref, c] : predefined)
      if (starts(ref)) {
        i_ += std::strlen(ref);
        return c;
      }
    error("'&' that does not start one of the five predefined entities");
  }
  // Character data up to `stop` (left unread), entities resolved.
  std::string chars(char stop) {
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) error("unexpected end of the document");
      char c = s_[i_];
      if (c == stop) return out;
      if (c == '<') error("'<' inside an attribute value");
      if (static_cast<unsigned char>(c) < 0x20 && !space(c)) error("a raw control character");
      if (c == '&') {
        out += entity();
        continue;
      }
      out += c;
      ++i_;
    }
  }
  XmlElement element() {
    expect('<');
    XmlElement e;
    e.name = name();
    for (;;) {
      bool separated = i_ < s_.size() && space(s_[i_]);
      skip_space();
      if (starts("/>")) {
        i_ += 2;
        return e;
      }
      if (starts(">")) {
        ++i_;
        break;
      }
      if (!separated) error("no white space before an attribute of <" + e.name + ">");
      std::string a = name();
      skip_space();
      expect('=');
      skip_space();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) error("unquoted value of attribute " + a);
      char quote = s_[i_++];
      std::string value = chars(quote);
      ++i_;
      if (!e.attributes.emplace(a, value).second) error("attribute " + a + " given twice");
    }
    for (;;) {
      e.text += chars('<');
      if (starts("</")) {
        i_ += 2;
        std::string closing = name();
        if (closing != e.name) error("</" + closing + "> closes <" + e.name + ">");
        skip_space();
        expect('>');
        return e;
      }
      if (starts("<!") || starts("<?")) error("markup the JUnit report does not use");
      e.children.push_back(element());
    }
  }

  const std::string& s_;
  std::size_t i_ = 0;
};

XmlElement parse_xml(const std::string& text) { return XmlChecker(text).document(); }

// Every element named `name` at or below `e`, in document order.
void collect(const XmlElement& e, const std::string& name, std::vector<const XmlElement*>& out) {
  if (e.name == name) out.push_back(&e);
  for (const XmlElement& c : e.children) collect(c, name, out);
}

std::vector<const XmlElement*> all_of(const XmlElement& root, const std::string& name) {
  std::vector<const XmlElement*> out;
  collect(root, name, out);
  return out;
}

// ---------------------------------------------------------------------------
// The tiny corpus: four quick scenarios and the seed's checked-in trace.

const std::vector<std::string> kScenarioFiles = {
    "scenarios/roth2023+rmp_under_mmu_lock-punch-hole-alone.json",
    "scenarios/seed-roth2023.json",
    "scenarios/v6.11-punch-vs-fault-control-retry-leaks-ref.json",
    "scenarios/reference/v7.0-zero-partial-folio.json",
};

// The scenarios' names, in the order the gate checks them (file name order).
const std::vector<std::string> kScenarioNames = {
    "roth2023+rmp_under_mmu_lock-punch-hole-alone",
    "seed-roth2023",
    "v6.11-punch-vs-fault-control-retry-leaks-ref",
    "v7.0-zero-partial-folio",
};

const char* const kSeedTrace = "seed-roth2023.freed_private.json";

std::string seed_trace_path() { return source_path(std::string("traces/") + kSeedTrace); }

// Copies the corpus into dir/corpus and the seed trace into dir/traces; the
// two directories are the gate's inputs.
std::vector<std::string> small_corpus(const TempDir& dir) {
  fs::create_directories(dir / "corpus");
  fs::create_directories(dir / "traces");
  for (const std::string& f : kScenarioFiles)
    write_text(dir / ("corpus/" + fs::path(f).filename().string()), read_text(source_path(f)));
  write_text(dir / (std::string("traces/") + kSeedTrace), read_text(seed_trace_path()));
  return {dir / "corpus", dir / "traces"};
}

// Gate options that write only inside `dir`.
tools::GateOptions gate_options(const TempDir& dir) {
  tools::GateOptions opt;
  opt.trace_dir = dir / "out";
  opt.baseline = dir / "baseline.json";
  opt.junit_out = dir / "gate.xml";
  opt.json_out = dir / "gate.json";
  return opt;
}

Outcome gate_cli(const tools::GateOptions& opt) {
  return capture([&](std::ostream& out, std::ostream& err) { return tools::gate_command(opt, out, err); });
}

Outcome trace_add_cli(const std::string& trace, const std::vector<std::string>& fixed_by,
                      const std::string& dir) {
  return capture(
      [&](std::ostream& out, std::ostream& err) { return tools::trace_add_command(trace, fixed_by, dir, out, err); });
}

// The first line of `text` starting with `prefix`, or "".
std::string line_starting(const std::string& text, const std::string& prefix) {
  for (const std::string& l : lines_of(text))
    if (l.rfind(prefix, 0) == 0) return l;
  return "";
}

std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  std::size_t n = 0;
  for (const std::string& l : lines_of(text)) n += l.rfind(prefix, 0) == 0;
  return n;
}

// The line after the first one starting with `prefix`, or "".
std::string line_after(const std::string& text, const std::string& prefix) {
  std::vector<std::string> lines = lines_of(text);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    if (lines[i].rfind(prefix, 0) == 0) return lines[i + 1];
  return "";
}

// The seed scenario under another name, with another expect, written to dir/corpus.
std::string seed_expecting(const TempDir& dir, const std::string& name, const json& expect) {
  json j = read_json(seed_path());
  j["name"] = name;
  j["expect"] = expect;
  std::string file = dir / ("corpus/" + name + ".json");
  write_json(file, j);
  return file;
}

// The gate's JSON report item named `name`.
json report_item(const std::string& report, const std::string& name) {
  json all = read_json(report);
  for (const json& i : all["items"])
    if (i["name"] == name) return i;
  return json();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>
// (after TestHarness.h, which it needs)
#include <CppUTest/MemoryLeakWarningPlugin.h>

using namespace cli;

namespace {

// The document parsed, or a test failure saying why it is not well-formed.
XmlElement parsed(const std::string& text) {
  std::string error;
  XmlElement root;
  try {
    root = parse_xml(text);
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  if (!error.empty()) FAIL((error + "\n" + text).c_str());
  return root;
}

XmlElement junit_file(const std::string& path) { return parsed(read_text(path)); }

}  // namespace

// A gate over a fresh copy of the small corpus, writing only inside `dir`.
struct SmallCorpus : public Utest {
  TempDir* dir = nullptr;
  tools::GateOptions opt;

  void setup() override {
    dir = new TempDir;
    opt = gate_options(*dir);
    opt.inputs = small_corpus(*dir);
  }
  void teardown() override { delete dir; }
};

// ---------------------------------------------------------------------------

TEST_GROUP_BASE(Gate, SmallCorpus){};

TEST(Gate, SmallCorpusPasses) {
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_EQUAL("", o.err.c_str());

  std::vector<std::string> lines = lines_of(o.out);
  LONGS_EQUAL_TEXT(6, lines.size(), o.out.c_str());
  for (std::size_t i = 0; i < kScenarioNames.size(); ++i) {
    std::string prefix = "ok   scenario " + kScenarioNames[i] + ": ";
    CHECK_TEXT(lines[i].rfind(prefix, 0) == 0, (prefix + "\n" + o.out).c_str());
    LONGS_EQUAL(1, count_lines_starting(o.out, prefix));
  }
  LONGS_EQUAL(4, count_lines_starting(o.out, "ok   scenario "));
  STRCMP_CONTAINS("ok   scenario seed-roth2023: violation freed_private (expected violation freed_private; ",
                  lines[1].c_str());
  STRCMP_CONTAINS("ok   scenario v6.11-punch-vs-fault-control-retry-leaks-ref: pass (expected pass; ",
                  lines[2].c_str());
  CHECK(lines[4].rfind(std::string("ok   trace ") + kSeedTrace + ": reproduces freed_private at step ", 0) ==
        0);
  LONGS_EQUAL(1, count_lines_starting(o.out, "ok   trace "));
  STRCMP_EQUAL("gate: 5 item(s): 5 ok, 0 failed, 0 inconclusive", lines[5].c_str());
  CHECK(o.out.find("FAIL") == std::string::npos);
  CHECK(o.out.find("note:") == std::string::npos);  // no baseline file: nothing to compare with

  json report = read_json(opt.json_out);
  LONGS_EQUAL(1, report["format_version"].get<int>());
  LONGS_EQUAL(tools::kExitOk, report["exit_status"].get<int>());
  LONGS_EQUAL(5, report["items"].size());
  for (const json& i : report["items"]) STRCMP_EQUAL("ok", i["outcome"].get<std::string>().c_str());
  STRCMP_EQUAL("trace", report["items"][4]["kind"].get<std::string>().c_str());

  // The expected violations' counterexamples are written under trace_dir.
  std::vector<std::string> written = json_files(opt.trace_dir);
  LONGS_EQUAL(3, written.size());
  CHECK(fs::exists(opt.trace_dir + "/seed-roth2023.freed_private.json"));
}

TEST(Gate, MissedExpectationFailsWithItsCounterexample) {
  seed_expecting(*dir, "seed-expects-pass", {{"verdict", "pass"}});
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());

  std::string trace = opt.trace_dir + "/seed-expects-pass.freed_private.json";
  CHECK(fs::exists(trace));
  std::string line = line_starting(o.out, "FAIL ");
  CHECK_TEXT(line.rfind("FAIL scenario seed-expects-pass: violation freed_private (expected pass; ", 0) == 0,
             o.out.c_str());
  LONGS_EQUAL(1, count_lines_starting(o.out, "FAIL "));
  STRCMP_EQUAL(("     counterexample: " + trace + " (gmemcheck replay " + trace + ")").c_str(),
               line_after(o.out, "FAIL scenario seed-expects-pass:").c_str());
  for (const std::string& n : kScenarioNames) CHECK(has_line_starting(o.out, "ok   scenario " + n + ": "));
  CHECK(has_line(o.out, "gate: 6 item(s): 5 ok, 1 failed, 0 inconclusive"));

  XmlElement xml = junit_file(opt.junit_out);
  int failures = 0;
  for (const XmlElement* tc : all_of(xml, "testcase")) {
    std::vector<const XmlElement*> f = all_of(*tc, "failure");
    failures += static_cast<int>(f.size());
    if (tc->attr("name") != "seed-expects-pass") {
      CHECK_TEXT(tc->children.empty(), tc->attr("name").c_str());
      continue;
    }
    STRCMP_EQUAL("gmemcheck.scenario", tc->attr("classname").c_str());
    LONGS_EQUAL(1, f.size());
    std::string message = f[0]->attr("message");
    STRCMP_CONTAINS("violation freed_private", message.c_str());
    STRCMP_CONTAINS("expected pass", message.c_str());
    STRCMP_CONTAINS(trace.c_str(), message.c_str());
    STRCMP_EQUAL(message.c_str(), f[0]->text.c_str());
  }
  LONGS_EQUAL(1, failures);

  json item = report_item(opt.json_out, "seed-expects-pass");
  STRCMP_EQUAL("failed", item["outcome"].get<std::string>().c_str());
  CHECK(item["trace"] == trace);
  LONGS_EQUAL(tools::kExitDiffers, read_json(opt.json_out)["exit_status"].get<int>());
}

TEST(Gate, OtherInvariantThanExpectedFails) {
  seed_expecting(*dir, "seed-expects-stale-spte", {{"verdict", "violation"}, {"invariant", "stale_spte"}});
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  std::string line = line_starting(o.out, "FAIL ");
  CHECK_TEXT(line.rfind("FAIL scenario seed-expects-stale-spte: violation freed_private", 0) == 0,
             o.out.c_str());
  STRCMP_CONTAINS("(expected violation stale_spte; ", line.c_str());

  std::string trace = opt.trace_dir + "/seed-expects-stale-spte.freed_private.json";
  XmlElement xml = junit_file(opt.junit_out);
  bool found = false;
  for (const XmlElement* tc : all_of(xml, "testcase")) {
    if (tc->attr("name") != "seed-expects-stale-spte") continue;
    found = true;
    std::vector<const XmlElement*> f = all_of(*tc, "failure");
    LONGS_EQUAL(1, f.size());
    STRCMP_CONTAINS("freed_private", f[0]->attr("message").c_str());
    STRCMP_CONTAINS("stale_spte", f[0]->attr("message").c_str());
    STRCMP_CONTAINS(trace.c_str(), f[0]->attr("message").c_str());
  }
  CHECK(found);
}

TEST(Gate, BoundCutPassIsInconclusive) {
  json j = read_json(source_path("scenarios/v6.11-punch-vs-fault-control-retry-leaks-ref.json"));
  CHECK(j["expect"] == json({{"verdict", "pass"}}));
  j["name"] = "retry-leaks-ref-one-execution";
  j["bounds"]["executions"] = 1;
  std::string file = *dir / "one-execution.json";
  write_json(file, j);
  opt.inputs = {file};

  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitInconclusive, o.status, (o.out + o.err).c_str());
  std::string line = line_starting(o.out, "INCONCLUSIVE ");
  CHECK_TEXT(
      line.rfind(
          "INCONCLUSIVE scenario retry-leaks-ref-one-execution: inconclusive (expected pass; 1 executions, ",
          0) == 0,
      o.out.c_str());
  STRCMP_CONTAINS("; inconclusive: ", line.c_str());
  CHECK(has_line(o.out, "gate: 1 item(s): 0 ok, 0 failed, 1 inconclusive"));

  XmlElement xml = junit_file(opt.junit_out);
  const XmlElement* suite = all_of(xml, "testsuite").at(0);
  STRCMP_EQUAL("1", suite->attr("skipped").c_str());
  STRCMP_EQUAL("0", suite->attr("failures").c_str());
  std::vector<const XmlElement*> skipped = all_of(xml, "skipped");
  LONGS_EQUAL(1, skipped.size());
  STRCMP_CONTAINS("inconclusive", skipped[0]->attr("message").c_str());
  CHECK(all_of(xml, "failure").empty());
  STRCMP_EQUAL("inconclusive", report_item(opt.json_out, "retry-leaks-ref-one-execution")["outcome"]
                                   .get<std::string>()
                                   .c_str());
}

TEST(Gate, FailureOutranksInconclusive) {
  json j = read_json(source_path("scenarios/v6.11-punch-vs-fault-control-retry-leaks-ref.json"));
  j["name"] = "retry-leaks-ref-one-execution";
  j["bounds"]["executions"] = 1;
  write_json(*dir / "corpus/one-execution.json", j);
  seed_expecting(*dir, "seed-expects-pass", {{"verdict", "pass"}});
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  CHECK(has_line(o.out, "gate: 7 item(s): 5 ok, 1 failed, 1 inconclusive"));
}

// ---------------------------------------------------------------------------
// Several scenarios at once: the same lines in the same order.

TEST_GROUP(GateJobs) {
  TempDir* dir = nullptr;
  tools::GateOptions opt;

  void setup() override {
    // The workers allocate too: the leak detector must take a lock.
    MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads();
    dir = new TempDir;
    opt = gate_options(*dir);
    opt.inputs = small_corpus(*dir);
  }
  void teardown() override {
    delete dir;
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }
};

TEST(GateJobs, FailuresAndNotesInTheSameOrder) {
  seed_expecting(*dir, "seed-expects-pass", {{"verdict", "pass"}});
  // A baseline that makes one scenario fail and another grow.
  opt.update_baseline = true;
  LONGS_EQUAL(tools::kExitDiffers, gate_cli(opt).status);
  opt.update_baseline = false;
  json base = read_json(opt.baseline);
  base["scenarios"]["v6.11-punch-vs-fault-control-retry-leaks-ref"]["states"] =
      base["scenarios"]["v6.11-punch-vs-fault-control-retry-leaks-ref"]["states"].get<std::uint64_t>() * 10;
  base["scenarios"]["v7.0-zero-partial-folio"]["states"] = 1;
  base["scenarios"].erase("roth2023+rmp_under_mmu_lock-punch-hole-alone");
  write_json(opt.baseline, base);

  opt.jobs = 1;
  Outcome one = gate_cli(opt);
  std::string one_report = read_text(opt.json_out);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, one.status, (one.out + one.err).c_str());
  CHECK(one.out.find("note: ") != std::string::npos);
  for (int jobs : {2, 3, 8}) {
    opt.jobs = jobs;
    Outcome many = gate_cli(opt);
    std::string what = "jobs " + std::to_string(jobs);
    LONGS_EQUAL_TEXT(one.status, many.status, what.c_str());
    STRCMP_EQUAL_TEXT(one.out.c_str(), many.out.c_str(), what.c_str());
    STRCMP_EQUAL_TEXT(one.err.c_str(), many.err.c_str(), what.c_str());
    STRCMP_EQUAL_TEXT(one_report.c_str(), read_text(opt.json_out).c_str(), what.c_str());
  }
}

TEST(GateJobs, CleanCorpus) {
  opt.jobs = 1;
  Outcome one = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, one.status, (one.out + one.err).c_str());
  opt.jobs = 2;
  Outcome two = gate_cli(opt);
  LONGS_EQUAL(tools::kExitOk, two.status);
  STRCMP_EQUAL(one.out.c_str(), two.out.c_str());
}

// ---------------------------------------------------------------------------

TEST_GROUP_BASE(GateJUnit, SmallCorpus) {

  // Asserts that the report is well-formed and agrees with the JSON report.
  void check_report(std::size_t items, std::size_t failed, std::size_t skipped) {
    XmlElement xml = junit_file(opt.junit_out);
    STRCMP_EQUAL("testsuites", xml.name.c_str());
    std::vector<const XmlElement*> suites = all_of(xml, "testsuite");
    LONGS_EQUAL(1, suites.size());
    const XmlElement& suite = *suites[0];
    std::vector<const XmlElement*> cases = all_of(xml, "testcase");
    LONGS_EQUAL(items, cases.size());
    LONGS_EQUAL(items, suite.children.size());
    STRCMP_EQUAL(std::to_string(items).c_str(), suite.attr("tests").c_str());
    STRCMP_EQUAL(std::to_string(failed).c_str(), suite.attr("failures").c_str());
    STRCMP_EQUAL(std::to_string(skipped).c_str(), suite.attr("skipped").c_str());
    STRCMP_EQUAL("0", suite.attr("errors").c_str());
    LONGS_EQUAL(failed, all_of(xml, "failure").size());
    LONGS_EQUAL(skipped, all_of(xml, "skipped").size());

    json report = read_json(opt.json_out)["items"];
    LONGS_EQUAL(items, report.size());
    for (std::size_t i = 0; i < items; ++i) {
      const XmlElement& tc = *cases[i];
      STRCMP_EQUAL(report[i]["name"].get<std::string>().c_str(), tc.attr("name").c_str());
      STRCMP_EQUAL(report[i]["file"].get<std::string>().c_str(), tc.attr("file").c_str());
      STRCMP_EQUAL(("gmemcheck." + report[i]["kind"].get<std::string>()).c_str(),
                   tc.attr("classname").c_str());
      CHECK(tc.has("time"));
      std::string outcome = report[i]["outcome"].get<std::string>();
      LONGS_EQUAL(outcome == "failed" ? 1 : 0, all_of(tc, "failure").size());
      LONGS_EQUAL(outcome == "inconclusive" ? 1 : 0, all_of(tc, "skipped").size());
    }
  }
};

TEST(GateJUnit, CleanRunIsWellFormed) {
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  check_report(5, 0, 0);
}

TEST(GateJUnit, FailuresAndSkipsAreWellFormed) {
  seed_expecting(*dir, "seed-expects-pass", {{"verdict", "pass"}});
  json j = read_json(source_path("scenarios/v6.11-punch-vs-fault-control-retry-leaks-ref.json"));
  j["name"] = "retry-leaks-ref-one-execution";
  j["bounds"]["executions"] = 1;
  write_json(*dir / "corpus/one-execution.json", j);
  json t = read_json(seed_trace_path());
  t["fixed_by"] = {"roth2023"};
  write_json(*dir / "traces/not-fixed.json", t);

  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  check_report(8, 2, 1);
}

TEST(GateJUnit, EscapesMarkupInNamesAndMessages) {
  tools::GateItem ok{"scenario", "a<b>&\"c'", "dir/&<x>.json", tools::Outcome::ok, "fine", {}, "", 0.25};
  tools::GateItem bad{"scenario",
                      "x&y",
                      "f\"'.json",
                      tools::Outcome::failed,
                      "broke <here> & \"there\"\nnext line",
                      {},
                      "out/x&y.freed_private.json",
                      1};
  tools::GateItem cut{"trace",       "t<1>", "t.json", tools::Outcome::inconclusive,
                      "cut 'short'", {},     "t.json", 0};
  std::string text = tools::junit_xml({ok, bad, cut});
  XmlElement xml = parsed(text);
  std::vector<const XmlElement*> cases = all_of(xml, "testcase");
  LONGS_EQUAL(3, cases.size());
  STRCMP_EQUAL("a<b>&\"c'", cases[0]->attr("name").c_str());
  STRCMP_EQUAL("dir/&<x>.json", cases[0]->attr("file").c_str());
  STRCMP_EQUAL("0.250", cases[0]->attr("time").c_str());
  STRCMP_EQUAL("f\"'.json", cases[1]->attr("file").c_str());
  std::vector<const XmlElement*> f = all_of(*cases[1], "failure");
  LONGS_EQUAL(1, f.size());
  std::string message = "broke <here> & \"there\"\nnext line; counterexample: out/x&y.freed_private.json";
  STRCMP_EQUAL(message.c_str(), f[0]->text.c_str());
  STRCMP_EQUAL(message.c_str(), f[0]->attr("message").c_str());
  std::vector<const XmlElement*> s = all_of(*cases[2], "skipped");
  LONGS_EQUAL(1, s.size());
  STRCMP_EQUAL("cut 'short'", s[0]->attr("message").c_str());  // a trace's own file is no counterexample
  const XmlElement& suite = *all_of(xml, "testsuite").at(0);
  STRCMP_EQUAL("3", suite.attr("tests").c_str());
  STRCMP_EQUAL("1", suite.attr("failures").c_str());
  STRCMP_EQUAL("1", suite.attr("skipped").c_str());
  STRCMP_EQUAL("1.250", suite.attr("time").c_str());
}

TEST(GateJUnit, EmptyRunIsWellFormed) {
  XmlElement xml = parsed(tools::junit_xml({}));
  LONGS_EQUAL(0, all_of(xml, "testcase").size());
  STRCMP_EQUAL("0", all_of(xml, "testsuite").at(0)->attr("tests").c_str());
}

TEST(GateJUnit, CheckerRejectsMalformedXml) {
  const char* bad[] = {
      "<a><b></a></b>",          // crossed tags
      "<a><b></b>",              // unclosed
      "<a x=1/>",                // unquoted attribute
      "<a x=\"1\" x=\"2\"/>",    // duplicate attribute
      "<a x=\"&nbsp;\"/>",       // not a predefined entity
      "<a>fish & chips</a>",     // raw '&'
      "<a x=\"<\"/>",            // '<' in an attribute
      "<a/><b/>",                // two roots
      "<a>\x01</a>",             // control character
      "<a x=\"1\"y=\"2\"/>",     // attributes not separated
  };
  for (const char* text : bad) {
    bool rejected = false;
    try {
      (void)parse_xml(text);
    } catch (const std::runtime_error&) {
      rejected = true;
    }
    CHECK_TEXT(rejected, text);
  }
  XmlElement ok = parsed("<?xml version=\"1.0\"?>\n<a x='&lt;&amp;&gt;&quot;&apos;'>t<b/></a>\n");
  STRCMP_EQUAL("<&>\"'", ok.attr("x").c_str());
  STRCMP_EQUAL("t", ok.text.c_str());
  LONGS_EQUAL(1, ok.children.size());
}

// ---------------------------------------------------------------------------

TEST_GROUP_BASE(GateBaseline, SmallCorpus) {
  // Writes the baseline from a run of the corpus; returns it.
  json write_baseline() {
    tools::GateOptions o = opt;
    o.update_baseline = true;
    Outcome r = gate_cli(o);
    LONGS_EQUAL_TEXT(tools::kExitOk, r.status, (r.out + r.err).c_str());
    return read_json(opt.baseline);
  }

  std::uint64_t states(const json& base, const std::string& name) {
    return base["scenarios"][name]["states"].get<std::uint64_t>();
  }

  // The baseline with one scenario's states replaced.
  void set_states(json base, const std::string& name, std::uint64_t value) {
    base["scenarios"][name]["states"] = value;
    write_json(opt.baseline, base);
  }
};

TEST(GateBaseline, UpdateWritesSortedStableJson) {
  opt.update_baseline = true;
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  CHECK(has_line(o.out, "baseline written: " + opt.baseline + " (4 scenario(s) of this run)"));

  std::string text = read_text(opt.baseline);
  json base = json::parse(text);
  STRCMP_EQUAL((base.dump(2) + "\n").c_str(), text.c_str());  // the canonical, sorted rendering
  LONGS_EQUAL(2, base.size());
  LONGS_EQUAL(1, base["format_version"].get<int>());
  CHECK(base["scenarios"].is_object());
  LONGS_EQUAL(kScenarioNames.size(), base["scenarios"].size());
  std::size_t at = 0;
  for (const std::string& name : kScenarioNames) {  // kScenarioNames is sorted
    std::size_t pos = text.find("\"" + name + "\": {");
    CHECK_TEXT(pos != std::string::npos && pos > at, name.c_str());
    at = pos;
    const json& e = base["scenarios"][name];
    LONGS_EQUAL(5, e.size());
    STRCMP_EQUAL("dpor+cache", e["strategy"].get<std::string>().c_str());
    CHECK(e["verdict"].is_string());
    CHECK(e["invariants"].is_array());
    CHECK(e["executions"].is_number_unsigned());
    CHECK(e["states"].is_number_unsigned());
    // The counts are the ones the gate printed.
    std::string line = line_starting(o.out, "ok   scenario " + name + ": ");
    std::string found = e["verdict"].get<std::string>();
    for (const json& inv : e["invariants"]) found += " " + inv.get<std::string>();
    CHECK_TEXT(line.rfind("ok   scenario " + name + ": " + found + " (", 0) == 0, line.c_str());
    STRCMP_CONTAINS(("; " + std::to_string(e["executions"].get<std::uint64_t>()) + " executions, " +
                     std::to_string(e["states"].get<std::uint64_t>()) + " states)")
                        .c_str(),
                    line.c_str());
  }
  CHECK(base["scenarios"]["seed-roth2023"]["invariants"] == json::array({"freed_private"}));
  STRCMP_EQUAL("pass", base["scenarios"]["v6.11-punch-vs-fault-control-retry-leaks-ref"]["verdict"]
                           .get<std::string>()
                           .c_str());

  // Same input, same bytes; no temporary file left beside it.
  Outcome again = gate_cli(opt);
  LONGS_EQUAL(tools::kExitOk, again.status);
  STRCMP_EQUAL(text.c_str(), read_text(opt.baseline).c_str());
  for (const std::string& e : dir->entries())
    CHECK_TEXT(e.find("tmp") == std::string::npos && e.find('~') == std::string::npos, e.c_str());
  for (const auto& e : fs::directory_iterator(dir->path()))
    if (e.path().filename().string().rfind("baseline", 0) == 0)
      STRCMP_EQUAL("baseline.json", e.path().filename().string().c_str());
}

TEST(GateBaseline, MatchingBaselinePassesWithoutNotes) {
  write_baseline();
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  CHECK(o.out.find("note:") == std::string::npos);
  CHECK(has_line(o.out, "gate: 5 item(s): 5 ok, 0 failed, 0 inconclusive"));
}

TEST(GateBaseline, FewerStatesThanTheBaselineFail) {
  json base = write_baseline();
  std::uint64_t real = states(base, "seed-roth2023");
  set_states(base, "seed-roth2023", real * 10);

  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  std::string line = line_starting(o.out, "FAIL ");
  CHECK_TEXT(
      line.rfind("FAIL scenario seed-roth2023: violation freed_private (expected violation freed_private; ",
                 0) == 0,
      o.out.c_str());
  STRCMP_CONTAINS(("; explored states dropped from " + std::to_string(real * 10) + " to " +
                   std::to_string(real) + ", more than 10% below the baseline")
                      .c_str(),
                  line.c_str());
  LONGS_EQUAL(1, count_lines_starting(o.out, "FAIL "));
  CHECK(has_line(o.out, "gate: 5 item(s): 4 ok, 1 failed, 0 inconclusive"));

  XmlElement xml = junit_file(opt.junit_out);
  std::vector<const XmlElement*> f = all_of(xml, "failure");
  LONGS_EQUAL(1, f.size());
  STRCMP_CONTAINS("explored states dropped", f[0]->attr("message").c_str());
}

TEST(GateBaseline, CountsOfAnotherSearchAreNotCompared) {
  json base = write_baseline();
  base["scenarios"]["seed-roth2023"]["states"] = states(base, "seed-roth2023") * 10;
  base["scenarios"]["seed-roth2023"]["strategy"] = "dfs+cache";
  write_json(opt.baseline, base);

  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("the baseline counts come from dfs+cache, this run used dpor+cache: counts not compared",
                  o.out.c_str());
  CHECK(has_line(o.out, "gate: 5 item(s): 5 ok, 0 failed, 0 inconclusive"));
}

TEST(GateBaseline, MoreStatesThanTheBaselineIsANote) {
  json base = write_baseline();
  std::uint64_t real = states(base, "seed-roth2023");
  set_states(base, "seed-roth2023", real / 2);

  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  CHECK(has_line_starting(o.out, "ok   scenario seed-roth2023: "));
  STRCMP_EQUAL(
      ("     note: explored states grew from " + std::to_string(real / 2) + " to " + std::to_string(real))
          .c_str(),
      line_after(o.out, "ok   scenario seed-roth2023: ").c_str());
  LONGS_EQUAL(1, count_lines_starting(o.out, "     note: "));
  CHECK(has_line(o.out, "gate: 5 item(s): 5 ok, 0 failed, 0 inconclusive"));
  json item = report_item(opt.json_out, "seed-roth2023");
  LONGS_EQUAL(1, item["notes"].size());
  STRCMP_CONTAINS("explored states grew", item["notes"][0].get<std::string>().c_str());
}

TEST(GateBaseline, ScenarioMissingFromTheBaselineIsANote) {
  json base = write_baseline();
  base["scenarios"].erase("v7.0-zero-partial-folio");
  write_json(opt.baseline, base);

  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  std::string note = line_after(o.out, "ok   scenario v7.0-zero-partial-folio: ");
  CHECK_TEXT(note.rfind("     note: not in the baseline", 0) == 0, o.out.c_str());
  STRCMP_CONTAINS("--update-baseline", note.c_str());
  LONGS_EQUAL(1, count_lines_starting(o.out, "     note: "));
}

TEST(GateBaseline, ToleranceDecides) {
  json base = write_baseline();
  std::uint64_t real = states(base, "seed-roth2023");
  CHECK(real >= 20);
  set_states(base, "seed-roth2023", (real * 105 + 50) / 100);  // 5% more than explored

  opt.tolerance = 10;
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());

  opt.tolerance = 1;
  o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("more than 1% below the baseline",
                  line_starting(o.out, "FAIL scenario seed-roth2023: ").c_str());
}

TEST(GateBaseline, LosingExactlyTheToleranceStillPasses) {
  json base = write_baseline();
  std::uint64_t real = states(base, "seed-roth2023");
  opt.tolerance = 50;
  set_states(base, "seed-roth2023", real * 2);  // explored is exactly 50% of the baseline
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());

  set_states(base, "seed-roth2023", real * 2 + 2);
  o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());

  opt.tolerance = 0;
  set_states(base, "seed-roth2023", real);
  o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  set_states(base, "seed-roth2023", real + 1);
  o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
}

TEST(GateBaseline, InconclusiveScenarioIsNotComparedWithTheBaseline) {
  json base = write_baseline();
  json j = read_json(source_path("scenarios/v6.11-punch-vs-fault-control-retry-leaks-ref.json"));
  j["bounds"]["executions"] = 1;
  write_json(*dir / "corpus/v6.11-punch-vs-fault-control-retry-leaks-ref.json", j);

  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitInconclusive, o.status, (o.out + o.err).c_str());
  std::string line =
      line_starting(o.out, "INCONCLUSIVE scenario v6.11-punch-vs-fault-control-retry-leaks-ref: ");
  CHECK_TEXT(!line.empty(), o.out.c_str());
  CHECK(line.find("explored states dropped") == std::string::npos);
}

TEST(GateBaseline, UpdateIgnoresTheOldBaseline) {
  write_text(opt.baseline, "{ not json");
  opt.update_baseline = true;
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  LONGS_EQUAL(1, read_json(opt.baseline)["format_version"].get<int>());
}

// ---------------------------------------------------------------------------
// Bad input: exit status 2, the file and JSON location named, nothing written.

TEST_GROUP_BASE(GateBadInput, SmallCorpus) {

  void expect_rejected(const std::string& where, const std::string& what) {
    Outcome o = gate_cli(opt);
    LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
    STRCMP_CONTAINS(where.c_str(), o.err.c_str());
    STRCMP_CONTAINS(what.c_str(), o.err.c_str());
    STRCMP_CONTAINS("nothing was run", o.err.c_str());
    STRCMP_EQUAL("", o.out.c_str());
    CHECK_FALSE(fs::exists(opt.trace_dir));
    CHECK_FALSE(fs::exists(opt.junit_out));
    CHECK_FALSE(fs::exists(opt.json_out));
  }

  void expect_bad_baseline(const json& base, const std::string& pointer, const std::string& what) {
    write_json(opt.baseline, base);
    std::string before = read_text(opt.baseline);
    expect_rejected(opt.baseline + ": " + pointer + ":", what);
    STRCMP_EQUAL(before.c_str(), read_text(opt.baseline).c_str());
  }

  json good_baseline() {
    json e = {
        {"verdict", "violation"}, {"invariants", {"freed_private"}}, {"executions", 55}, {"states", 100}};
    return {{"format_version", 1}, {"scenarios", {{"seed-roth2023", e}}}};
  }
};

TEST(GateBadInput, BaselineNotJson) {
  write_text(opt.baseline, "{\n  \"format_version\": 1,\n  \"scenarios\" {}\n}\n");
  expect_rejected(opt.baseline + ": malformed JSON", "line 3");
}

TEST(GateBadInput, BaselineWithoutScenarios) {
  json base = good_baseline();
  base.erase("scenarios");
  expect_bad_baseline(base, "/scenarios", "expected an object");
}

TEST(GateBadInput, BaselineScenariosNotAnObject) {
  json base = good_baseline();
  base["scenarios"] = json::array();
  expect_bad_baseline(base, "/scenarios", "expected an object");
}

TEST(GateBadInput, BaselineStatesNotAnInteger) {
  json base = good_baseline();
  base["scenarios"]["seed-roth2023"]["states"] = "100";
  expect_bad_baseline(base, "/scenarios/seed-roth2023/states", "non-negative integer");
  base["scenarios"]["seed-roth2023"]["states"] = 100.5;
  expect_bad_baseline(base, "/scenarios/seed-roth2023/states", "non-negative integer");
  base["scenarios"]["seed-roth2023"]["states"] = -1;
  expect_bad_baseline(base, "/scenarios/seed-roth2023/states", "non-negative integer");
  base["scenarios"]["seed-roth2023"].erase("states");
  expect_bad_baseline(base, "/scenarios/seed-roth2023/states", "non-negative integer");
}

TEST(GateBadInput, BaselineEntryFields) {
  json base = good_baseline();
  base["scenarios"]["seed-roth2023"]["executions"] = true;
  expect_bad_baseline(base, "/scenarios/seed-roth2023/executions", "non-negative integer");
  base = good_baseline();
  base["scenarios"]["seed-roth2023"].erase("verdict");
  expect_bad_baseline(base, "/scenarios/seed-roth2023/verdict", "expected a string");
  base = good_baseline();
  base["scenarios"]["seed-roth2023"]["invariants"] = "freed_private";
  expect_bad_baseline(base, "/scenarios/seed-roth2023/invariants", "array");
  base = good_baseline();
  base["scenarios"]["seed-roth2023"] = 100;
  expect_bad_baseline(base, "/scenarios/seed-roth2023", "expected an object");
}

TEST(GateBadInput, BaselineFormatVersion) {
  json base = good_baseline();
  base["format_version"] = 2;
  expect_bad_baseline(base, "/format_version", "expected 1");
}

TEST(GateBadInput, MalformedTraceNamesTheSchedule) {
  json t = read_json(seed_trace_path());
  t["schedule"] = "CPU0";
  std::string file = *dir / "traces/bad-schedule.json";
  write_json(file, t);
  expect_rejected(file + ": /schedule:", "expected a non-empty array");
}

TEST(GateBadInput, TraceWithUnknownFixingVariant) {
  json t = read_json(seed_trace_path());
  t["fixed_by"] = {"v6.11", "v9.9"};
  std::string file = *dir / "traces/bad-fixed-by.json";
  write_json(file, t);
  expect_rejected(file + ": /fixed_by/1:", "expected a variant name");
}

TEST(GateBadInput, BadScenarioBesideGoodOnes) {
  json j = read_json(seed_path());
  j["name"] = "bad";
  j["threads"][1]["end"] = 2;
  std::string file = *dir / "corpus/bad.json";
  write_json(file, j);
  expect_rejected(file + ": /threads/1/end:", "out of range");
}

TEST(GateBadInput, UnknownAnnotationsFormat) {
  opt.annotations = "gitlab";
  expect_rejected("--annotations: unknown format \"gitlab\"", "github");
}

TEST(GateBadInput, NothingWrittenWithUpdateBaseline) {
  opt.annotations = "gitlab";
  opt.update_baseline = true;
  expect_rejected("--annotations", "unknown format");
  CHECK_FALSE(fs::exists(opt.baseline));
}

// ---------------------------------------------------------------------------
// Checked-in traces: they reproduce on their variant and on no fixing one.

TEST_GROUP(GateTraces) {
  TempDir* dir = nullptr;
  tools::GateOptions opt;

  void setup() override {
    dir = new TempDir;
    opt = gate_options(*dir);
    fs::create_directories(*dir / "traces");
  }
  void teardown() override { delete dir; }

  // The seed trace with one change, as dir/traces/NAME; the gate's only input.
  template <class Edit>
  std::string edited(const std::string& name, Edit edit) {
    json j = read_json(seed_trace_path());
    edit(j);
    std::string path = *dir / ("traces/" + name);
    write_json(path, j);
    opt.inputs = {path};
    return path;
  }
};

TEST(GateTraces, ReproducesAndIsFixedByItsFixes) {
  edited("fixed.json", [](json& j) { j["fixed_by"] = {"v6.10", "v6.11", "v7.0"}; });
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  std::string line = line_starting(o.out, "ok   trace fixed.json: ");
  CHECK_TEXT(line.rfind("ok   trace fixed.json: reproduces freed_private at step ", 0) == 0, o.out.c_str());
  STRCMP_CONTAINS(" on roth2023; fixed by v6.10; fixed by v6.11; fixed by v7.0", line.c_str());
  CHECK_FALSE(fs::exists(opt.trace_dir));  // replaying writes no counterexample
}

TEST(GateTraces, NoLongerReproducesFails) {
  std::string path = edited("moved-to-v6.11.json", [](json& j) {
    j["scenario"]["variant"] = "v6.11";
    j["variant"] = "v6.11";
    j.erase("fixed_by");
  });
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  std::string line = line_starting(o.out, "FAIL ");
  CHECK_TEXT(line.rfind("FAIL trace moved-to-v6.11.json: no longer reproduces on v6.11: ", 0) == 0,
             o.out.c_str());
  CHECK(has_line(o.out, "gate: 1 item(s): 0 ok, 1 failed, 0 inconclusive"));
  // A trace's failure names no new counterexample.
  CHECK(o.out.find("counterexample:") == std::string::npos);

  XmlElement xml = junit_file(opt.junit_out);
  std::vector<const XmlElement*> f = all_of(xml, "failure");
  LONGS_EQUAL(1, f.size());
  STRCMP_CONTAINS("no longer reproduces", f[0]->attr("message").c_str());
  json item = report_item(opt.json_out, "moved-to-v6.11.json");
  STRCMP_EQUAL("trace", item["kind"].get<std::string>().c_str());
  CHECK(item["file"] == path);
}

TEST(GateTraces, StillReproducingOnAFixFails) {
  edited("not-fixed.json", [](json& j) { j["fixed_by"] = {"v6.11", "roth2023"}; });
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  std::string line = line_starting(o.out, "FAIL trace not-fixed.json: ");
  CHECK_TEXT(line.rfind("FAIL trace not-fixed.json: reproduces freed_private at step ", 0) == 0,
             o.out.c_str());
  STRCMP_CONTAINS("; fixed by v6.11; still reproduces on roth2023, listed in fixed_by", line.c_str());
}

TEST(GateTraces, OneBadTraceFailsTheGateNotTheOthers) {
  std::string good = edited("a-good.json", [](json& j) { j["fixed_by"] = {"v6.11"}; });
  std::string bad = edited("b-not-fixed.json", [](json& j) { j["fixed_by"] = {"roth2023"}; });
  opt.inputs = {*dir / "traces"};
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  std::vector<std::string> lines = lines_of(o.out);
  LONGS_EQUAL_TEXT(3, lines.size(), o.out.c_str());
  CHECK(lines[0].rfind("ok   trace a-good.json: ", 0) == 0);
  CHECK(lines[1].rfind("FAIL trace b-not-fixed.json: ", 0) == 0);
  STRCMP_EQUAL("gate: 2 item(s): 1 ok, 1 failed, 0 inconclusive", lines[2].c_str());
}

// ---------------------------------------------------------------------------

TEST_GROUP_BASE(GateAnnotations, SmallCorpus){};

TEST(GateAnnotations, OneErrorLinePerFailingItem) {
  seed_expecting(*dir, "seed-expects-pass", {{"verdict", "pass"}});
  json t = read_json(seed_trace_path());
  t["fixed_by"] = {"roth2023"};
  std::string bad_trace = *dir / "traces/not-fixed.json";
  write_json(bad_trace, t);
  opt.annotations = "github";

  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  LONGS_EQUAL_TEXT(2, count_lines_starting(o.out, "::"), o.out.c_str());
  LONGS_EQUAL(2, count_lines_starting(o.out, "::error "));

  std::string file = *dir / "corpus/seed-expects-pass.json";
  std::string trace = opt.trace_dir + "/seed-expects-pass.freed_private.json";
  json item = report_item(opt.json_out, "seed-expects-pass");
  CHECK(!contains(file, ",") && !contains(file, ":") && !contains(file, "%"));
  std::string want = "::error file=" + file + ",title=gmemcheck scenario seed-expects-pass::" +
                     item["summary"].get<std::string>() + "; counterexample: " + trace;
  CHECK_TEXT(has_line(o.out, want), (want + "\n" + o.out).c_str());

  json titem = report_item(opt.json_out, "not-fixed.json");
  std::string twant = "::error file=" + bad_trace +
                      ",title=gmemcheck trace not-fixed.json::" + titem["summary"].get<std::string>();
  CHECK_TEXT(has_line(o.out, twant), (twant + "\n" + o.out).c_str());

  // Nothing for the items that passed.
  for (const std::string& n : kScenarioNames) CHECK(!contains(o.out, "title=gmemcheck scenario " + n + "::"));
  CHECK(!contains(o.out, std::string("title=gmemcheck trace ") + kSeedTrace));
}

TEST(GateAnnotations, NoneWhenAllPassOrNotAsked) {
  opt.annotations = "github";
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  LONGS_EQUAL(0, count_lines_starting(o.out, "::"));

  seed_expecting(*dir, "seed-expects-pass", {{"verdict", "pass"}});
  opt.annotations = "";
  o = gate_cli(opt);
  LONGS_EQUAL(tools::kExitDiffers, o.status);
  CHECK(!contains(o.out, "::"));
}

TEST(GateAnnotations, InconclusiveIsAWarning) {
  json j = read_json(source_path("scenarios/v6.11-punch-vs-fault-control-retry-leaks-ref.json"));
  j["name"] = "retry-leaks-ref-one-execution";
  j["bounds"]["executions"] = 1;
  std::string file = *dir / "one-execution.json";
  write_json(file, j);
  opt.inputs = {file};
  opt.annotations = "github";
  Outcome o = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitInconclusive, o.status, (o.out + o.err).c_str());
  LONGS_EQUAL(1, count_lines_starting(o.out, "::"));
  CHECK(has_line_starting(
      o.out, "::warning file=" + file + ",title=gmemcheck scenario retry-leaks-ref-one-execution::"));
}

TEST(GateAnnotations, Escaping) {
  tools::GateItem item;
  item.kind = "scenario";
  item.name = "a,b:c";
  item.file = "dir,1/x:y%.json";
  item.outcome = tools::Outcome::failed;
  item.summary = "line one\nline two: 100%, done\r";
  STRCMP_EQUAL(
      "::error file=dir%2C1/x%3Ay%25.json,title=gmemcheck scenario a%2Cb%3Ac::line one%0Aline two: 100%25, "
      "done%0D",
      tools::github_annotation(item).c_str());

  item.trace = "out/a,b:c.freed_private.json";
  STRCMP_EQUAL(
      "::error file=dir%2C1/x%3Ay%25.json,title=gmemcheck scenario a%2Cb%3Ac::line one%0Aline two: 100%25, "
      "done%0D; counterexample: out/a,b:c.freed_private.json",
      tools::github_annotation(item).c_str());

  tools::GateItem trace;
  trace.kind = "trace";
  trace.name = "t.json";
  trace.file = "traces/t.json";
  trace.trace = "traces/t.json";
  trace.outcome = tools::Outcome::failed;
  trace.summary = "no longer reproduces on v6.11: x";
  STRCMP_EQUAL("::error file=traces/t.json,title=gmemcheck trace t.json::no longer reproduces on v6.11: x",
               tools::github_annotation(trace).c_str());
  trace.outcome = tools::Outcome::inconclusive;
  CHECK(tools::github_annotation(trace).rfind("::warning file=traces/t.json,", 0) == 0);
}

// ---------------------------------------------------------------------------
// `gmemcheck trace add`

TEST_GROUP(GateTraceAdd) {
  TempDir* dir = nullptr;
  std::string source;  // the seed's freed_private trace from a fresh run
  std::string traces;  // where the kept traces go
  std::string dest;

  void setup() override {
    dir = new TempDir;
    tools::RunOptions ro;
    ro.trace_dir = *dir / "out";
    ro.quiet = true;
    Outcome o = run_cli({seed_path()}, ro);
    LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
    source = *dir / (std::string("out/") + kSeedTrace);
    traces = *dir / "traces";
    dest = traces + "/" + kSeedTrace;
  }
  void teardown() override { delete dir; }

  void expect_nothing_written() {
    CHECK_FALSE(fs::exists(traces));
    std::vector<std::string> want = {"out", std::string("out/") + kSeedTrace};
    std::vector<std::string> have = dir->entries();
    LONGS_EQUAL(want.size(), have.size());
    for (std::size_t i = 0; i < want.size() && i < have.size(); ++i)
      STRCMP_EQUAL(want[i].c_str(), have[i].c_str());
  }
};

TEST(GateTraceAdd, KeepsTheTraceWithItsFixes) {
  CHECK_FALSE(read_json(source).contains("fixed_by"));
  Outcome o = trace_add_cli(source, {"v6.11"}, traces);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_EQUAL(("added " + dest + ": reproduces freed_private on roth2023; fixed by v6.11\n").c_str(),
               o.out.c_str());
  STRCMP_EQUAL("", o.err.c_str());

  json kept = read_json(dest);
  json src = read_json(source);
  CHECK(kept["fixed_by"] == json::array({"v6.11"}));
  STRCMP_EQUAL(("gmemcheck replay " + dest).c_str(), kept["replay"].get<std::string>().c_str());
  CHECK(kept["schedule"] == src["schedule"]);
  CHECK(kept["steps"] == src["steps"]);
  CHECK(kept["scenario"] == src["scenario"]);
  CHECK(kept["violation"] == src["violation"]);
  STRCMP_EQUAL("gmemcheck-trace", kept["kind"].get<std::string>().c_str());
  // Nothing else in the directory (no temporary file).
  LONGS_EQUAL(1, json_files(traces).size());
  LONGS_EQUAL(1, std::distance(fs::directory_iterator(traces), fs::directory_iterator()));

  // The gate replays it from then on.
  TempDir run;
  tools::GateOptions opt = gate_options(run);
  opt.inputs = {traces};
  Outcome g = gate_cli(opt);
  LONGS_EQUAL_TEXT(tools::kExitOk, g.status, (g.out + g.err).c_str());
  STRCMP_CONTAINS((std::string("ok   trace ") + kSeedTrace + ": reproduces freed_private at step ").c_str(),
                  g.out.c_str());
  STRCMP_CONTAINS("on roth2023; fixed by v6.11\n", g.out.c_str());
}

TEST(GateTraceAdd, MergesFixesWithoutDuplicates) {
  json j = read_json(source);
  j["fixed_by"] = {"v6.10"};
  std::string with_fix = *dir / (std::string("out/") + kSeedTrace);
  write_json(with_fix, j);
  Outcome o = trace_add_cli(with_fix, {"v6.11", "v6.10"}, traces);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  CHECK(read_json(dest)["fixed_by"] == json::array({"v6.10", "v6.11"}));
}

TEST(GateTraceAdd, WithoutFixes) {
  Outcome o = trace_add_cli(source, {}, traces);
  LONGS_EQUAL_TEXT(tools::kExitOk, o.status, (o.out + o.err).c_str());
  STRCMP_EQUAL(("added " + dest + ": reproduces freed_private on roth2023\n").c_str(), o.out.c_str());
  CHECK_FALSE(read_json(dest).contains("fixed_by"));
}

TEST(GateTraceAdd, VariantThatDoesNotFixItIsRefused) {
  Outcome o = trace_add_cli(source, {"roth2023"}, traces);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("still reproduces on roth2023", o.err.c_str());
  STRCMP_EQUAL("", o.out.c_str());
  expect_nothing_written();

  o = trace_add_cli(source, {"v6.11", "roth2023"}, traces);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  expect_nothing_written();
}

TEST(GateTraceAdd, TraceThatDoesNotReproduceIsRefused) {
  json j = read_json(source);
  j["scenario"]["variant"] = "v6.11";
  j["variant"] = "v6.11";
  write_json(source, j);
  Outcome o = trace_add_cli(source, {}, traces);
  LONGS_EQUAL_TEXT(tools::kExitDiffers, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("does not reproduce on v6.11", o.err.c_str());
  expect_nothing_written();
}

TEST(GateTraceAdd, UnknownVariantIsBadInput) {
  Outcome o = trace_add_cli(source, {"v6.11", "v9.9"}, traces);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("unknown variant \"v9.9\"", o.err.c_str());
  STRCMP_EQUAL("", o.out.c_str());
  expect_nothing_written();
}

TEST(GateTraceAdd, MissingOrMalformedTraceIsBadInput) {
  Outcome o = trace_add_cli(*dir / "no-such-trace.json", {"v6.11"}, traces);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS("no-such-trace.json", o.err.c_str());
  expect_nothing_written();

  json j = read_json(source);
  j["schedule"] = json::object();
  write_json(source, j);
  o = trace_add_cli(source, {"v6.11"}, traces);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, o.status, (o.out + o.err).c_str());
  STRCMP_CONTAINS((source + ": /schedule:").c_str(), o.err.c_str());
  expect_nothing_written();
}

namespace cli {

// Updating from a run of some scenarios keeps the other scenarios' entries.
TEST(GateBaseline, UpdateFromAPartialRunKeepsTheRest) {
  json full = write_baseline();
  tools::GateOptions o = opt;
  o.update_baseline = true;
  o.inputs = {(*dir) / ("corpus/" + std::string(kScenarioFiles[0]).substr(std::string(kScenarioFiles[0]).rfind('/') + 1))};
  Outcome r = gate_cli(o);
  LONGS_EQUAL_TEXT(tools::kExitOk, r.status, (r.out + r.err).c_str());
  CHECK(has_line(r.out, "baseline written: " + opt.baseline + " (1 scenario(s) of this run)"));
  CHECK(read_json(opt.baseline) == full);
}

// A variant that the trace's mutations do not apply to cannot be a fix.
TEST_GROUP(GateFixedBy) {
  TempDir dir;
};

TEST(GateFixedBy, MutationOfAnotherVariantIsBadInput) {
  tools::RunOptions ro;
  ro.trace_dir = dir / "out";
  ro.quiet = true;
  std::ostringstream out, err;
  std::string scenario = source_path("scenarios/v6.11-punch-vs-allocating-fault-uptodate-before-prepare.json");
  LONGS_EQUAL(tools::kExitOk, tools::run_command({scenario}, ro, out, err));
  std::string trace = dir / "out/v6.11-punch-vs-allocating-fault-uptodate-before-prepare.private_spte_shared_rmp.json";

  Outcome add = trace_add_cli(trace, {"v7.0"}, dir / "kept");
  LONGS_EQUAL_TEXT(tools::kExitBadInput, add.status, (add.out + add.err).c_str());
  STRCMP_CONTAINS("applies only to variant v6.11", add.err.c_str());
  CHECK(!fs::exists(dir / "kept"));

  json t = read_json(trace);
  t["fixed_by"] = json::array({"v7.0"});
  write_json(trace, t);
  tools::GateOptions g = gate_options(dir);
  g.inputs = {trace};
  Outcome gate = gate_cli(g);
  LONGS_EQUAL_TEXT(tools::kExitBadInput, gate.status, (gate.out + gate.err).c_str());
  STRCMP_CONTAINS("/fixed_by/0: mutation \"uptodate_before_prepare\" applies only to variant v6.11", gate.err.c_str());
}

}  // namespace cli
