// Shared helpers for the command-line tests: a temporary directory removed at
// the end of the test, files read and written whole, the repository's
// scenarios and traces, and output split into lines.
// Include before <CppUTest/TestHarness.h> (CppUTest redefines `new` after it).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gmemcheck/tools/list.hpp"
#include "gmemcheck/tools/replay.hpp"
#include "gmemcheck/tools/report.hpp"
#include "gmemcheck/tools/run.hpp"
#include "gmemcheck/tools/shard.hpp"
#include "gmemcheck/tools/trace.hpp"

namespace cli {

namespace fs = std::filesystem;
namespace tools = gmemcheck::tools;
namespace model = gmemcheck::model;
namespace checker = gmemcheck::checker;
using nlohmann::json;

// The repository root (scenarios/, traces/).
inline std::string source_path(const std::string& relative) { return std::string(GMC_SOURCE_DIR) + "/" + relative; }

inline std::string seed_path() { return source_path("scenarios/seed-roth2023.json"); }

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "gmemcheck-cli-XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  // Every entry below the directory, relative to it, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(path_)) out.push_back(fs::relative(e.path(), path_).string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string path_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline json read_json(const std::string& path) { return json::parse(read_text(path)); }

inline void write_json(const std::string& path, const json& j) { write_text(path, j.dump(2) + "\n"); }

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

inline bool has_line(const std::string& text, const std::string& line) {
  std::vector<std::string> lines = lines_of(text);
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

inline bool has_line_starting(const std::string& text, const std::string& prefix) {
  for (const std::string& l : lines_of(text))
    if (l.rfind(prefix, 0) == 0) return true;
  return false;
}

// Every *.json directly in `dir`, sorted.
inline std::vector<std::string> json_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The outcome of one command, with what it printed.
struct Outcome {
  int status = -1;
  std::string out, err;
};

// Runs one command, `command(out, err)` returning its exit status, and keeps
// what it printed.
template <class Command>
Outcome capture(Command command) {
  std::ostringstream out, err;
  Outcome o;
  o.status = command(out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

inline Outcome run_cli(const std::vector<std::string>& inputs, const tools::RunOptions& opt) {
  return capture([&](std::ostream& out, std::ostream& err) { return tools::run_command(inputs, opt, out, err); });
}

inline Outcome merge_cli(const std::vector<std::string>& files, const tools::RunOptions& opt) {
  return capture([&](std::ostream& out, std::ostream& err) { return tools::merge_command(files, opt, out, err); });
}

inline Outcome replay_cli(const std::vector<std::string>& traces, const tools::ReplayOptions& opt = {}) {
  return capture([&](std::ostream& out, std::ostream& err) { return tools::replay_command(traces, opt, out, err); });
}

inline Outcome list_cli(const std::string& what) {
  return capture([&](std::ostream& out, std::ostream& err) { return tools::list_command(what, out, err); });
}

// Run options that write only inside `dir` and print no stories.
inline tools::RunOptions quiet_options(const TempDir& dir) {
  tools::RunOptions opt;
  opt.trace_dir = dir / "traces";
  opt.quiet = true;
  return opt;
}

}  // namespace cli
