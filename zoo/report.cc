#include "zoo/report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <fstream>
#include <set>

#include "surgeon/error.h"

namespace graft::zoo {
namespace {

constexpr Status kAllStatuses[] = {Status::kConverted,     Status::kConvertedAfterFixes, Status::kUnsupportedOps,
                                   Status::kNeedsInputShapes, Status::kParityFailure,  Status::kFailed,
                                   Status::kCrashed,       Status::kTimedOut,            Status::kOutOfMemory};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string models_text(size_t n) { return std::to_string(n) + (n == 1 ? " model" : " models"); }

// An error message as a pattern shared by models: the model's path dropped, quoted names
// and numbers blanked, so "input 'like': expected float32[3, 4]" groups with its kind.
std::string message_pattern(std::string msg, const ModelResult& r) {
  // The model's own path (as given, with the zoo's folder before it) says nothing shared.
  for (size_t at; !r.model.empty() && (at = msg.find(r.model)) != std::string::npos;) {
    size_t begin = at;
    while (begin > 0 && msg[begin - 1] != ' ' && msg[begin - 1] != '\'') --begin;
    msg.replace(begin, at + r.model.size() - begin, "MODEL");
  }
  // Other paths (an external data file, a folder) are particular to the model too.
  for (size_t slash; (slash = msg.find('/')) != std::string::npos;) {
    size_t begin = slash, end = slash;
    while (begin > 0 && msg[begin - 1] != ' ' && msg[begin - 1] != '\'') --begin;
    while (end < msg.size() && msg[end] != ' ' && msg[end] != '\'') ++end;
    while (end > slash + 1 && (msg[end - 1] == ':' || msg[end - 1] == ',' || msg[end - 1] == ')')) --end;
    msg.replace(begin, end - begin, "PATH");
  }
  std::string out;
  for (size_t i = 0; i < msg.size(); ++i) {
    const char c = msg[i];
    if (c == '\'') {
      const size_t end = msg.find('\'', i + 1);
      if (end != std::string::npos) {
        out += "'…'";
        i = end;
        continue;
      }
    }
    // Numbers, not digits inside names (float8e4m3, conv1).
    const bool in_word = i > 0 && (std::isalpha(static_cast<unsigned char>(msg[i - 1])) || msg[i - 1] == '_');
    if (std::isdigit(static_cast<unsigned char>(c)) && !in_word) {
      while (i + 1 < msg.size() && (std::isdigit(static_cast<unsigned char>(msg[i + 1])) || msg[i + 1] == '.')) ++i;
      out += 'N';
      continue;
    }
    out += c;
    if (std::isalpha(static_cast<unsigned char>(c))) {  // the rest of a word, digits included
      while (i + 1 < msg.size() && (std::isalnum(static_cast<unsigned char>(msg[i + 1])) || msg[i + 1] == '_')) {
        out += msg[++i];
      }
    }
  }
  // Long messages list nodes one after another: the first clause says what kind it is.
  const size_t cut = out.find("; ");
  if (cut != std::string::npos) out = out.substr(0, cut) + "; …";
  if (out.size() > 140) out = out.substr(0, 140) + "…";
  return out;
}

std::string signal_text(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  const char* desc = sigdescr_np(sig);
  return std::string(abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig)) +
         (desc ? std::string(" (") + desc + ")" : "");
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

std::string fixes_text(const ModelResult& r) {
  std::vector<std::string> parts;
  for (const auto& [pass, n] : r.fixes) parts.push_back(pass + " " + std::to_string(n));
  return join(parts, ", ");
}

std::string ops_text(const std::map<std::string, size_t>& ops) {
  std::vector<std::string> parts;
  for (const auto& [op, n] : ops) parts.push_back(n > 1 ? op + " x" + std::to_string(n) : op);
  return join(parts, ", ");
}

// The one-line "why" of a model for the tables.
std::string why_text(const ModelResult& r) {
  switch (r.status) {
    case Status::kConverted:
    case Status::kConvertedAfterFixes: {
      std::string s = r.compared ? "" : "not compared: " + r.not_compared;
      if (r.has_expected && !r.matches_expected) {
        s += (s.empty() ? "" : "; ") + std::string("differs from the expected outputs: ") + r.expected_detail;
      }
      return s;
    }
    case Status::kUnsupportedOps: return ops_text(r.unsupported_ops);
    case Status::kCrashed: return signal_text(r.signal) + " during " + stage_name(r.stage);
    default: return r.detail;
  }
}

bool writes_outputs(const ModelResult& r) { return r.stage != Stage::kImport && r.stage != Stage::kSanitize; }

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(path + ": cannot write: " + std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot write: " + std::strerror(errno));
  }
}

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string md_escape(std::string s) {
  for (char& c : s) c = c == '|' ? '/' : c == '\n' ? ' ' : c;
  return s;
}

std::string number_text(double v) {
  if (v == 0) return "0";
  return fmt(std::fabs(v) >= 1e-4 && std::fabs(v) < 1e5 ? "%.3g" : "%.2e", v);
}

std::string precision_name(const Settings& s) { return s.device == engine::Device::kCuda && s.fp16 ? "fp16" : "fp32"; }

}  // namespace

double ZooRun::driver_overhead() const {
  if (worker_s <= 0) return 0;
  return (wall_s * jobs - worker_s) / worker_s;
}

double ZooRun::total_overhead() const {
  if (conversion_s <= 0) return 0;
  return (wall_s * jobs - conversion_s) / conversion_s;
}

std::string size_text(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < (1u << 20)) return fmt("%.1f KiB", bytes / 1024.0);
  if (bytes < (1u << 30)) return fmt("%.1f MiB", bytes / 1048576.0);
  return fmt("%.2f GiB", bytes / 1073741824.0);
}

std::string duration_text(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

std::map<std::string, size_t> status_counts(const std::vector<ModelResult>& results) {
  std::map<std::string, size_t> counts;
  for (Status s : kAllStatuses) counts[status_name(s)] = 0;
  for (const ModelResult& r : results) ++counts[status_name(r.status)];
  return counts;
}

std::vector<Cause> summarize_causes(const std::vector<ModelResult>& results, engine::Device device) {
  std::map<std::pair<std::string, std::string>, Cause> by_key;
  auto add = [&](const std::string& kind, const std::string& key, const ModelResult& r, bool problem) {
    Cause& c = by_key[{kind, key}];
    c.kind = kind;
    c.key = key;
    c.problem = problem;
    if (c.models.empty() || c.models.back() != r.model) c.models.push_back(r.model);
  };
  for (const ModelResult& r : results) {
    switch (r.status) {
      case Status::kConverted:
      case Status::kConvertedAfterFixes: break;
      case Status::kUnsupportedOps:
        for (const auto& [op, n] : r.unsupported_ops) {
          add(op.find("::") != std::string::npos ? "needs_plugin" : "unsupported_op", op, r, true);
        }
        break;
      case Status::kNeedsInputShapes: add("needs_input_shapes", "", r, true); break;
      case Status::kParityFailure: add("parity_failure", r.fixes.empty() ? "" : fixes_text(r), r, true); break;
      case Status::kFailed: add("failed", std::string(stage_name(r.stage)) + ": " + message_pattern(r.detail, r), r, true); break;
      case Status::kCrashed: add("crashed", signal_text(r.signal) + " during " + stage_name(r.stage), r, true); break;
      case Status::kTimedOut: add("timed_out", stage_name(r.stage), r, true); break;
      case Status::kOutOfMemory: add("out_of_memory", stage_name(r.stage), r, true); break;
    }
    if (is_ok(r.status) && !r.compared) add("not_compared", message_pattern(r.not_compared, r), r, false);
    if (r.has_expected && !r.matches_expected) add("expected_mismatch", "", r, true);
    for (const auto& [pass, n] : r.fixes) {
      if (is_ok(r.status)) add("fix", pass, r, false);
    }
  }
  const std::string engine_lacks = device == engine::Device::kCuda ? "no GPU layer" : "no CPU kernel";
  std::vector<Cause> causes;
  for (auto& [key, c] : by_key) {
    const std::string n = models_text(c.models.size());
    const bool one = c.models.size() == 1;
    auto verb = [one](const char* singular, const char* plural) { return std::string(one ? singular : plural); };
    if (c.kind == "needs_plugin") {
      c.text = n + verb(" needs", " need") + " a plugin for " + c.key + " (" + engine_lacks + ")";
    } else if (c.kind == "unsupported_op") {
      c.text = n + verb(" fails", " fail") + " on op " + c.key + " (" + engine_lacks + ")";
    } else if (c.kind == "needs_input_shapes") {
      c.text = n + verb(" needs", " need") + " input shapes (random inputs, unset dims as 1, do not fit)";
    } else if (c.kind == "parity_failure") {
      c.text = n + verb(" differs", " differ") + " from the original beyond the tolerance" +
               (c.key.empty() ? std::string(" (sanitize changed nothing)") : " (sanitize: " + c.key + ")");
    } else if (c.kind == "failed") {
      c.text = n + verb(" fails", " fail") + " at " + c.key;
    } else if (c.kind == "crashed") {
      c.text = n + verb(" crashes", " crash") + ": " + c.key;
    } else if (c.kind == "timed_out") {
      c.text = n + verb(" times", " time") + " out during " + c.key;
    } else if (c.kind == "out_of_memory") {
      c.text = n + verb(" runs", " run") + " out of memory during " + c.key;
    } else if (c.kind == "expected_mismatch") {
      c.text = n + verb(" differs", " differ") + " from " + verb("its", "their") +
               " test_data_set_0's expected outputs (rtol 1e-3, atol 1e-7)";
    } else if (c.kind == "not_compared") {
      c.text = n + " converted without a comparison: " + c.key;
    } else if (c.kind == "fix") {
      c.text = n + " converted after sanitize's " + c.key;
    }
    causes.push_back(std::move(c));
  }
  std::stable_sort(causes.begin(), causes.end(), [](const Cause& a, const Cause& b) {
    if (a.problem != b.problem) return a.problem;
    return a.models.size() > b.models.size();
  });
  return causes;
}

nlohmann::json report_json(const ZooRun& run) {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelResult& r : run.results) models.push_back(to_json(r));
  nlohmann::json causes = nlohmann::json::array();
  for (const Cause& c : summarize_causes(run.results, run.settings.device)) {
    causes.push_back({{"kind", c.kind}, {"key", c.key}, {"text", c.text}, {"count", c.models.size()},
                      {"problem", c.problem}, {"models", c.models}});
  }
  size_t ok = 0;
  for (const ModelResult& r : run.results) ok += is_ok(r.status);
  return {{"zoo",
           {{"dir", run.dir},
            {"out_dir", run.out_dir},
            {"device", engine::device_name(run.settings.device)},
            {"precision", precision_name(run.settings)},
            {"jobs", run.jobs},
            {"timeout_s", run.settings.timeout_s},
            {"memory_limit_mib", run.settings.memory_limit_mib},
            {"plugins", run.settings.plugin_libraries},
            {"plugin_map", run.settings.plugin_mappings},
            {"input_shapes", run.settings.input_shapes},
            {"graft_version", run.settings.tool_version},
            {"started", run.started},
            {"interrupted", run.interrupted}}},
          {"total", run.results.size()},
          {"ok", ok},
          {"counts", status_counts(run.results)},
          {"timing",
           {{"wall_s", run.wall_s},
            {"discovery_s", run.discovery_s},
            {"report_s", run.report_s},
            {"conversion_s", run.conversion_s},
            {"worker_s", run.worker_s},
            {"worker_bookkeeping_s", run.worker_bookkeeping_s},
            {"process_start_s", run.process_start_s},
            {"processes", run.processes},
            {"driver_overhead", run.driver_overhead()},
            {"total_overhead", run.total_overhead()},
            {"converted_now", run.converted_now},
            {"resumed", run.resumed}}},
          {"causes", causes},
          {"models", models}};
}

std::string report_markdown(const ZooRun& run) {
  std::string md = "# graft zoo: " + run.dir + "\n\n";
  size_t ok = 0;
  for (const ModelResult& r : run.results) ok += is_ok(r.status);
  md += std::to_string(ok) + " of " + std::to_string(run.results.size()) + " models converted (" +
        engine::device_name(run.settings.device) + ", " + precision_name(run.settings) + "), " + run.started +
        ", " + std::to_string(run.jobs) + " jobs, " + fmt("%.1f s", run.wall_s) + " (conversions " +
        fmt("%.1f s", run.conversion_s) + ", driver overhead " + fmt("%.1f%%", run.driver_overhead() * 100) + ")" +
        (run.interrupted ? ". **Interrupted**: the models below are those done." : "") + "\n\n";
  md += "| status | models |\n|---|---:|\n";
  for (const auto& [name, n] : status_counts(run.results)) md += "| " + name + " | " + std::to_string(n) + " |\n";
  const std::vector<Cause> causes = summarize_causes(run.results, run.settings.device);
  auto cause_line = [](const Cause& c) {
    std::vector<std::string> shown(c.models.begin(), c.models.begin() + std::min<size_t>(c.models.size(), 5));
    return "- " + md_escape(c.text) + ": " + md_escape(join(shown, ", ")) + (c.models.size() > shown.size() ? ", …" : "") +
           "\n";
  };
  md += "\n## What to fix first\n\n";
  size_t problems = 0;
  for (const Cause& c : causes) {
    if (c.problem) {
      md += cause_line(c);
      ++problems;
    }
  }
  if (problems == 0) md += "Nothing: every model converted and matched.\n";
  if (problems < causes.size()) md += "\n## Notes\n\n";
  for (const Cause& c : causes) {
    if (!c.problem) md += cause_line(c);
  }
  md += "\n## Models\n\n| model | status | why | nodes | build s | plan | latency ms | max abs err | expected |\n"
        "|---|---|---|---:|---:|---:|---:|---:|---|\n";
  for (const ModelResult& r : run.results) {
    const bool built = r.plan_bytes > 0;
    md += "| " + md_escape(r.model) + " | " + status_name(r.status) + " | " + md_escape(why_text(r).substr(0, 200)) +
          " | " + (writes_outputs(r) ? std::to_string(r.nodes_before) + " → " + std::to_string(r.nodes_after) : "") +
          " | " + (built ? fmt("%.3f", r.build_s) : "") + " | " + (built ? size_text(r.plan_bytes) : "") + " | " +
          (r.latency_runs ? number_text(r.latency_ms) : "") + " | " + (r.compared ? number_text(r.max_abs) : "") +
          " | " + (r.has_expected ? (r.matches_expected ? "match" : "differs") : "") + " |\n";
  }
  return md;
}

namespace {

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2330}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:20px 0 8px}
.meta{color:#5a6372}
.chips span{display:inline-block;margin:2px 6px 2px 0;padding:2px 10px;border-radius:12px;font-weight:600}
table{border-collapse:collapse;width:100%;margin-top:8px}
th,td{border-bottom:1px solid #e3e6ea;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f6f8;cursor:pointer;user-select:none;position:sticky;top:0;white-space:nowrap}
th.asc::after{content:" \25B2"} th.desc::after{content:" \25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.why{min-width:240px;max-width:420px;overflow-wrap:anywhere;color:#3c4452;font-size:13px}
td.model{min-width:200px;max-width:320px;overflow-wrap:anywhere} td.fixes{font-size:12px;color:#3c4452;max-width:180px}
td.fixes span{white-space:nowrap} .scroll{overflow-x:auto}
ul.notes{color:#5a6372;font-size:13px}
.s{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.converted{background:#d7f5dd;color:#145a24} .converted_after_fixes{background:#e3f4d2;color:#2f5a12}
.unsupported_ops{background:#fff1c6;color:#6b4e00} .needs_input_shapes{background:#fde7cf;color:#7a3d00}
.parity_failure{background:#fbd9e0;color:#7c1230} .failed{background:#f8d4d4;color:#7a1010}
.crashed{background:#3b1d1d;color:#ffd9d9} .timed_out{background:#e6dcf7;color:#43217a}
.out_of_memory{background:#dbe4f7;color:#1d3a7a}
ol.causes li{margin:3px 0}
details summary{cursor:pointer;color:#2a5bd7} details div{color:#5a6372;font-size:12px;max-height:200px;overflow:auto}
input#filter{padding:4px 8px;width:320px;border:1px solid #c9ced6;border-radius:6px}
)";

constexpr const char* kScript = R"(
(function(){
var table=document.getElementById('models'),body=table.tBodies[0],heads=table.tHead.rows[0].cells;
function key(td){var v=td.getAttribute('data-v');return v===null?td.textContent:v;}
function sortBy(col,desc){
  var rows=Array.prototype.slice.call(body.rows),num=heads[col].getAttribute('data-type')==='num';
  rows.sort(function(a,b){
    var x=key(a.cells[col]),y=key(b.cells[col]),c;
    if(num){x=x===''?-Infinity:parseFloat(x);y=y===''?-Infinity:parseFloat(y);c=x<y?-1:x>y?1:0;}
    else c=x.localeCompare(y);
    return desc?-c:c;});
  rows.forEach(function(r){body.appendChild(r);});
  for(var i=0;i<heads.length;i++)heads[i].className=i===col?(desc?'desc':'asc'):'';
  table.setAttribute('data-sorted',heads[col].getAttribute('data-key')+(desc?':desc':':asc'));
}
for(var i=0;i<heads.length;i++)(function(i){heads[i].addEventListener('click',function(){
  sortBy(i,heads[i].className==='asc');});})(i);
var m=/sort=([a-z_]+)(:desc)?/.exec(location.hash);
if(m)for(var i=0;i<heads.length;i++)if(heads[i].getAttribute('data-key')===m[1])sortBy(i,!!m[2]);
document.getElementById('filter').addEventListener('input',function(e){
  var q=e.target.value.toLowerCase();
  Array.prototype.forEach.call(body.rows,function(r){
    r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});});
})();
)";

std::string td(const std::string& text, const std::string& cls = "", const std::string& sort_value = "",
               bool has_sort = false) {
  std::string s = "<td";
  if (!cls.empty()) s += " class=\"" + cls + "\"";
  if (has_sort) s += " data-v=\"" + html_escape(sort_value) + "\"";
  return s + ">" + text + "</td>";
}

std::string num_td(bool present, double v, const std::string& text) {
  return present ? td(html_escape(text), "num", fmt("%.9g", v), true) : td("", "num", "", true);
}

}  // namespace

std::string report_html(const ZooRun& run) {
  size_t ok = 0;
  for (const ModelResult& r : run.results) ok += is_ok(r.status);
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>graft zoo: " +
                  html_escape(run.dir) + "</title>\n<style>" + kStyle + "</style></head><body>\n";
  h += "<h1>graft zoo: " + html_escape(run.dir) + "</h1>\n<div class=\"meta\">" + std::to_string(ok) + " of " +
       std::to_string(run.results.size()) + " models converted &middot; " + engine::device_name(run.settings.device) +
       ", " + precision_name(run.settings) + " &middot; " + html_escape(run.started) + " &middot; " +
       std::to_string(run.jobs) + " jobs, " + fmt("%.1f s", run.wall_s) + " (conversions " +
       fmt("%.1f s", run.conversion_s) + ", driver overhead " + fmt("%.1f%%", run.driver_overhead() * 100) + ")" +
       (run.resumed ? " &middot; " + std::to_string(run.resumed) + " resumed" : "") +
       (run.interrupted ? " &middot; <b>interrupted</b>" : "") + "</div>\n";
  h += "<div class=\"chips\" id=\"counts\">";
  for (const auto& [name, n] : status_counts(run.results)) {
    if (n) h += "<span class=\"" + name + "\" data-status=\"" + name + "\">" + name + " " + std::to_string(n) + "</span>";
  }
  h += "</div>\n<h2>What to fix first</h2>\n<ol class=\"causes\" id=\"causes\">\n";
  const std::vector<Cause> causes = summarize_causes(run.results, run.settings.device);
  auto cause_item = [](const Cause& c) {
    std::vector<std::string> names;
    for (const std::string& m : c.models) names.push_back(html_escape(m));
    return "<li data-kind=\"" + c.kind + "\" data-count=\"" + std::to_string(c.models.size()) + "\"><details><summary>" +
           html_escape(c.text) + "</summary><div>" + join(names, ", ") + "</div></details></li>\n";
  };
  size_t problems = 0;
  for (const Cause& c : causes) {
    if (c.problem) {
      h += cause_item(c);
      ++problems;
    }
  }
  if (problems == 0) h += "<li>Nothing: every model converted and matched.</li>\n";
  h += "</ol>\n<h2>Models</h2>\n<input id=\"filter\" placeholder=\"filter rows\">\n<div class=\"scroll\">";
  h += "<table id=\"models\"><thead><tr>"
       "<th data-key=\"model\">model</th><th data-key=\"status\">status</th><th data-key=\"stage\">stage</th>"
       "<th data-key=\"detail\">detail</th><th data-key=\"nodes\" data-type=\"num\">nodes</th>"
       "<th data-key=\"fixes\">sanitize fixes</th><th data-key=\"build_s\" data-type=\"num\">build s</th>"
       "<th data-key=\"plan_bytes\" data-type=\"num\">plan</th>"
       "<th data-key=\"latency_ms\" data-type=\"num\">latency ms</th>"
       "<th data-key=\"max_abs\" data-type=\"num\">max abs err</th><th data-key=\"expected\">expected</th>"
       "<th data-key=\"seconds\" data-type=\"num\">time s</th></tr></thead>\n<tbody>\n";
  for (const ModelResult& r : run.results) {
    const bool built = r.plan_bytes > 0;
    const std::string status = status_name(r.status);
    h += "<tr class=\"model\" data-status=\"" + status + "\">";
    h += td("<a href=\"" + html_escape(r.id) + "/log.txt\">" + html_escape(r.model) + "</a>", "model", r.model, true);
    h += td("<span class=\"s " + status + "\">" + status + "</span>", "", status, true);
    h += td(stage_name(r.stage));
    const std::string why = why_text(r);
    h += td(html_escape(why.size() > 300 ? why.substr(0, 300) + "…" : why), "why");
    h += num_td(writes_outputs(r), static_cast<double>(r.nodes_after),
                std::to_string(r.nodes_before) + " → " + std::to_string(r.nodes_after));
    std::vector<std::string> fixes;
    for (const auto& [pass, n] : r.fixes) fixes.push_back("<span>" + html_escape(pass) + " " + std::to_string(n) + "</span>");
    h += td(join(fixes, ", "), "fixes");
    h += num_td(built, r.build_s, fmt("%.3f", r.build_s));
    h += num_td(built, static_cast<double>(r.plan_bytes), size_text(r.plan_bytes));
    h += num_td(r.latency_runs > 0, r.latency_ms, number_text(r.latency_ms));
    h += num_td(r.compared, r.max_abs, number_text(r.max_abs));
    h += td(r.has_expected ? (r.matches_expected ? "match" : "differs") : "");
    h += num_td(true, r.seconds, fmt("%.3f", r.seconds));
    h += "</tr>\n";
  }
  h += "</tbody></table></div>\n<h2>Notes</h2>\n<ul class=\"notes\" id=\"notes\">\n";
  for (const Cause& c : causes) {
    if (!c.problem) h += cause_item(c);
  }
  h += "</ul>\n<script>" + std::string(kScript) + "</script>\n</body></html>\n";
  return h;
}

void write_reports(ZooRun& run) {
  const auto start = std::chrono::steady_clock::now();
  const std::string md = report_markdown(run);
  const std::string html = report_html(run);
  // The reports' own time is part of the driver's: count it in the wall time they report.
  run.report_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.wall_s += run.report_s;
  const std::string json = report_json(run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  write_atomically(run.out_dir + "/report.md", md);
  write_atomically(run.out_dir + "/report.html", html);
  write_atomically(run.out_dir + "/report.json", json);
}

}  // namespace graft::zoo
