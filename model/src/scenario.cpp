#include "gmemcheck/model/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace gmemcheck::model {

using nlohmann::json;

namespace {

std::string child(const std::string& ptr, const std::string& key) {
  std::string escaped;
  for (char c : key) {
    if (c == '~')
      escaped += "~0";
    else if (c == '/')
      escaped += "~1";
    else
      escaped += c;
  }
  return ptr + "/" + escaped;
}
std::string child(const std::string& ptr, std::size_t i) { return ptr + "/" + std::to_string(i); }

[[noreturn]] void fail(const std::string& ptr, const std::string& what) { throw ScenarioError(ptr, what); }

// Every object is closed: a key not listed is an error, so a typo never
// silently changes what is checked.
void only_keys(const json& obj, const std::string& ptr, std::initializer_list<const char*> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const char* k) { return it.key() == k; });
    if (!ok) {
      std::string list;
      for (const char* k : allowed) list += std::string(list.empty() ? "" : ", ") + k;
      fail(child(ptr, it.key()), "unknown field \"" + it.key() + "\"; expected one of: " + list);
    }
  }
}

const json& need(const json& obj, const std::string& ptr, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(child(ptr, key), std::string("missing required field \"") + key + "\"");
  return *it;
}

const json& need_object(const json& v, const std::string& ptr) {
  if (!v.is_object()) fail(ptr, "expected an object");
  return v;
}

long long need_int(const json& v, const std::string& ptr, long long lo, long long hi) {
  if (!v.is_number_integer())
    fail(ptr, "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  long long x = v.is_number_unsigned() ? static_cast<long long>(std::min<std::uint64_t>(v.get<std::uint64_t>(), 1ull << 62))
                                       : v.get<long long>();
  if (x < lo || x > hi)
    fail(ptr, "value " + std::to_string(x) + " out of range; expected " + std::to_string(lo) + ".." +
                  std::to_string(hi));
  return x;
}

std::string need_string(const json& v, const std::string& ptr) {
  if (!v.is_string()) fail(ptr, "expected a string");
  return v.get<std::string>();
}

Attr need_attr(const json& v, const std::string& ptr) {
  std::string s = need_string(v, ptr);
  if (s == "private") return Attr::private_;
  if (s == "shared") return Attr::shared;
  fail(ptr, "unknown value \"" + s + "\"; expected \"private\" or \"shared\"");
}

bool name_chars_ok(const std::string& s, const char* extra) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(extra).find(c) != std::string_view::npos;
  });
}

std::vector<int> index_list(const json& v, const std::string& ptr, int pages) {
  if (!v.is_array()) fail(ptr, "expected an array of page indices");
  std::vector<int> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    int x = static_cast<int>(need_int(v[i], child(ptr, i), 0, pages - 1));
    if (std::find(out.begin(), out.end(), x) != out.end())
      fail(child(ptr, i), "index " + std::to_string(x) + " listed twice");
    out.push_back(x);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void parse_initial(const json& j, const std::string& ptr, Scenario& s) {
  s.mem_attr_array.assign(s.pages, Attr::shared);
  if (!j.contains("initial")) return;
  std::string p = child(ptr, "initial");
  const json& init = need_object(j.at("initial"), p);
  only_keys(init, p, {"mem_attr_array", "populated", "mapped"});
  if (init.contains("mem_attr_array")) {
    std::string ap = child(p, "mem_attr_array");
    const json& a = init.at("mem_attr_array");
    if (!a.is_array() || a.size() != static_cast<std::size_t>(s.pages))
      fail(ap, "expected an array of " + std::to_string(s.pages) + " \"private\"/\"shared\" values (one per page)");
    for (std::size_t i = 0; i < a.size(); ++i) s.mem_attr_array[i] = need_attr(a[i], child(ap, i));
  }
  if (init.contains("populated")) s.populated = index_list(init.at("populated"), child(p, "populated"), s.pages);
  if (init.contains("mapped")) {
    std::string mp = child(p, "mapped");
    s.mapped = index_list(init.at("mapped"), mp, s.pages);
    for (std::size_t i = 0; i < s.mapped.size(); ++i) {
      int g = s.mapped[i];
      bool populated = std::find(s.populated.begin(), s.populated.end(), g) != s.populated.end();
      if (s.mem_attr_array[g] == Attr::private_ && !populated)
        fail(mp, "gfn " + std::to_string(g) +
                     " cannot start with a private mapping: its page is not populated (add it to "
                     "initial.populated, or make its attribute shared)");
    }
  }
}

void parse_range(const json& t, const std::string& p, int pages, ThreadSpec& th) {
  th.start = static_cast<int>(need_int(need(t, p, "start"), child(p, "start"), 0, pages - 1));
  th.end = static_cast<int>(need_int(need(t, p, "end"), child(p, "end"), 1, pages));
  if (th.end <= th.start)
    fail(child(p, "end"), "empty range [" + std::to_string(th.start) + ", " + std::to_string(th.end) +
                              "); expected end > start");
}

ThreadSpec parse_thread(const json& t, const std::string& p, int pages) {
  need_object(t, p);
  ThreadSpec th;
  th.name = need_string(need(t, p, "name"), child(p, "name"));
  if (!name_chars_ok(th.name, "_-.") || th.name.size() > 16)
    fail(child(p, "name"), "expected a thread name of 1-16 letters, digits, '_', '-', '.'");
  std::string path = need_string(need(t, p, "path"), child(p, "path"));
  auto it = std::find_if(paths().begin(), paths().end(), [&](const PathInfo& i) { return i.name == path; });
  if (it == paths().end())
    fail(child(p, "path"), "unknown path \"" + path +
                               "\"; expected punch_hole, set_attributes, page_fault, rmpupdate or convert "
                               "(gmemcheck list paths)");
  th.path = it->kind;
  switch (th.path) {
    case PathKind::punch_hole:
      only_keys(t, p, {"name", "path", "start", "end"});
      parse_range(t, p, pages, th);
      break;
    case PathKind::set_attributes:
      only_keys(t, p, {"name", "path", "start", "end", "attribute"});
      parse_range(t, p, pages, th);
      th.attr = need_attr(need(t, p, "attribute"), child(p, "attribute"));
      break;
    case PathKind::convert:
      only_keys(t, p, {"name", "path", "start", "end", "to"});
      parse_range(t, p, pages, th);
      th.attr = need_attr(need(t, p, "to"), child(p, "to"));
      break;
    case PathKind::page_fault:
      only_keys(t, p, {"name", "path", "gfn", "access"});
      th.gfn = static_cast<int>(need_int(need(t, p, "gfn"), child(p, "gfn"), 0, pages - 1));
      th.attr = need_attr(need(t, p, "access"), child(p, "access"));
      break;
    case PathKind::rmpupdate:
      only_keys(t, p, {"name", "path", "index", "to"});
      th.index = static_cast<int>(need_int(need(t, p, "index"), child(p, "index"), 0, pages - 1));
      th.attr = need_attr(need(t, p, "to"), child(p, "to"));
      break;
  }
  return th;
}

void parse_threads(const json& j, Scenario& s) {
  const json& ts = need(j, "", "threads");
  if (!ts.is_array() || ts.empty() || ts.size() > kMaxThreads)
    fail("/threads", "expected an array of 1.." + std::to_string(kMaxThreads) + " threads");
  for (std::size_t i = 0; i < ts.size(); ++i) {
    std::string p = child("/threads", i);
    ThreadSpec th = parse_thread(ts[i], p, s.pages);
    for (const ThreadSpec& o : s.threads)
      if (o.name == th.name) fail(child(p, "name"), "duplicate thread name \"" + th.name + "\"");
    s.threads.push_back(th);
  }
}

void parse_variant(const json& j, Scenario& s) {
  std::string v = need_string(need(j, "", "variant"), "/variant");
  s.variant = find_variant(v);
  if (!s.variant) {
    std::string list;
    for (const Variant& x : variants()) list += std::string(list.empty() ? "" : ", ") + std::string(x.name);
    fail("/variant", "unknown variant \"" + v + "\"; expected one of: " + list);
  }
  if (!j.contains("mutations")) return;
  const json& ms = j.at("mutations");
  if (!ms.is_array()) fail("/mutations", "expected an array of mutation names");
  for (std::size_t i = 0; i < ms.size(); ++i) {
    std::string p = child("/mutations", i);
    std::string m = need_string(ms[i], p);
    const MutationInfo* info = find_mutation(m);
    if (!info) fail(p, "unknown mutation \"" + m + "\" (gmemcheck list mutations)");
    if (s.mutations.has(info->id)) fail(p, "mutation \"" + m + "\" listed twice");
    if (!applies(*info, *s.variant))
      fail(p, "mutation \"" + m + "\" applies only to variant " + std::string(info->applies_to) + ", not " +
                  std::string(s.variant->name));
    s.mutations.set(info->id);
  }
}

void parse_bounds(const json& j, Scenario& s) {
  if (!j.contains("bounds")) return;
  const json& b = need_object(j.at("bounds"), "/bounds");
  only_keys(b, "/bounds", {"fault_retries", "steps", "preemptions", "executions", "seconds"});
  if (b.contains("fault_retries"))
    s.fault_retries = static_cast<int>(need_int(b.at("fault_retries"), "/bounds/fault_retries", 0, kMaxFaultRetries));
  if (b.contains("steps")) s.bounds.steps = need_int(b.at("steps"), "/bounds/steps", 1, 1ll << 40);
  if (b.contains("executions"))
    s.bounds.executions = need_int(b.at("executions"), "/bounds/executions", 1, 1ll << 50);
  if (b.contains("preemptions")) {
    s.bounds.preemptions = need_int(b.at("preemptions"), "/bounds/preemptions", 0, 1000);
    s.bounds.preemptions_set = true;
  }
  if (b.contains("seconds")) {
    const json& v = b.at("seconds");
    if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 1e7)
      fail("/bounds/seconds", "expected a number of seconds > 0");
    s.bounds.seconds = v.get<double>();
  }
}

void parse_expect(const json& j, Scenario& s) {
  if (!j.contains("expect")) return;
  const json& e = need_object(j.at("expect"), "/expect");
  only_keys(e, "/expect", {"verdict", "invariant"});
  std::string v = need_string(need(e, "/expect", "verdict"), "/expect/verdict");
  if (v == "pass") {
    if (e.contains("invariant")) fail("/expect/invariant", "a \"pass\" expectation names no invariant");
    return;
  }
  if (v != "violation") fail("/expect/verdict", "unknown verdict \"" + v + "\"; expected \"pass\" or \"violation\"");
  s.expect.violation = true;
  s.expect.invariant = need_string(need(e, "/expect", "invariant"), "/expect/invariant");
  if (!is_invariant(s.expect.invariant))
    fail("/expect/invariant", "unknown invariant \"" + s.expect.invariant + "\" (gmemcheck list invariants)");
}

}  // namespace

const std::vector<PathInfo>& paths() {
  static const std::vector<PathInfo> all = {
      {PathKind::punch_hole, "punch_hole", "kvm_gmem_punch_hole: fallocate(PUNCH_HOLE) on the guest_memfd"},
      {PathKind::set_attributes, "set_attributes", "kvm_vm_set_mem_attributes: KVM_SET_MEMORY_ATTRIBUTES"},
      {PathKind::page_fault, "page_fault", "kvm_tdp_page_fault -> kvm_faultin_pfn: a vCPU's NPT fault"},
      {PathKind::rmpupdate, "rmpupdate", "rmp_make_private / rmp_make_shared on a page-cache pfn"},
      {PathKind::convert, "convert", "userspace conversion: set_attributes, then punch_hole when going shared"},
  };
  return all;
}

std::string ThreadSpec::describe() const {
  auto range = [&] { return std::to_string(start) + "," + std::to_string(end); };
  switch (path) {
    case PathKind::punch_hole: return "punch_hole(" + range() + ")";
    case PathKind::set_attributes: return "set_attributes(" + range() + "," + std::string(model::name(attr)) + ")";
    case PathKind::convert: return "convert(" + range() + "," + std::string(model::name(attr)) + ")";
    case PathKind::page_fault: return "page_fault(" + std::to_string(gfn) + "," + std::string(model::name(attr)) + ")";
    case PathKind::rmpupdate: return "rmpupdate(" + std::to_string(index) + "," + std::string(model::name(attr)) + ")";
  }
  return "?";
}

Scenario parse_scenario(const json& j) {
  if (!j.is_object()) fail("", "expected a JSON object (a scenario)");
  only_keys(j, "", {"format_version", "name", "description", "variant", "mutations", "pages", "initial", "threads",
                    "bounds", "expect"});
  Scenario s;
  need_int(need(j, "", "format_version"), "/format_version", 1, 1);
  s.name = need_string(need(j, "", "name"), "/name");
  if (!name_chars_ok(s.name, "_-.+"))
    fail("/name", "expected 1-64 letters, digits, '_', '-', '.', '+' (the name is used in file names)");
  if (j.contains("description")) s.description = need_string(j.at("description"), "/description");
  parse_variant(j, s);
  s.pages = static_cast<int>(need_int(need(j, "", "pages"), "/pages", 1, kMaxPages));
  parse_initial(j, "", s);
  parse_threads(j, s);
  parse_bounds(j, s);
  parse_expect(j, s);
  s.source = j;
  return s;
}

Scenario parse_scenario_text(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    auto pos = what.find("parse error");
    fail("", "malformed JSON: " + (pos == std::string::npos ? what : what.substr(pos)));
  }
  return parse_scenario(j);
}

}  // namespace gmemcheck::model
