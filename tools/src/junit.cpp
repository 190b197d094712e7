// JUnit XML and GitHub annotations for the gate's results.
#include <cstdio>
#include <string>

#include "gmemcheck/tools/gate.hpp"

namespace gmemcheck::tools {

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

// GitHub's workflow commands take %, CR and LF escaped in the message, and
// also ':' and ',' in property values.
std::string gh_escape(const std::string& s, bool property) {
  std::string out;
  for (char c : s) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else if (property && c == ':') out += "%3A";
    else if (property && c == ',') out += "%2C";
    else out += c;
  }
  return out;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

std::string testcase(const GateItem& i) {
  std::string tc = "    <testcase classname=\"gmemcheck." + i.kind + "\" name=\"" + xml_escape(i.name) + "\" file=\"" +
                   xml_escape(i.file) + "\" time=\"" + seconds(i.seconds) + "\"";
  if (i.outcome == Outcome::ok) return tc + "/>\n";
  std::string message = i.summary;
  if (i.kind == "scenario" && !i.trace.empty()) message += "; counterexample: " + i.trace;
  tc += ">\n";
  if (i.outcome == Outcome::failed)
    tc += "      <failure message=\"" + xml_escape(message) + "\" type=\"regression\">" + xml_escape(message) +
          "</failure>\n";
  else
    tc += "      <skipped message=\"" + xml_escape(message) + "\"/>\n";
  return tc + "    </testcase>\n";
}

}  // namespace

std::string junit_xml(const std::vector<GateItem>& items) {
  std::size_t failures = 0, skipped = 0;
  double total = 0;
  for (const GateItem& i : items) {
    failures += i.outcome == Outcome::failed;
    skipped += i.outcome == Outcome::inconclusive;
    total += i.seconds;
  }
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  xml += "  <testsuite name=\"gmemcheck gate\" tests=\"" + std::to_string(items.size()) + "\" failures=\"" +
         std::to_string(failures) + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) + "\" time=\"" +
         seconds(total) + "\">\n";
  for (const GateItem& i : items) xml += testcase(i);
  return xml + "  </testsuite>\n</testsuites>\n";
}

std::string github_annotation(const GateItem& i) {
  std::string level = i.outcome == Outcome::failed ? "error" : "warning";
  std::string title = "gmemcheck " + i.kind + " " + i.name;
  std::string message = i.summary;
  if (i.kind == "scenario" && !i.trace.empty()) message += "; counterexample: " + i.trace;
  return "::" + level + " file=" + gh_escape(i.file, true) + ",title=" + gh_escape(title, true) +
         "::" + gh_escape(message, false);
}

}  // namespace gmemcheck::tools
