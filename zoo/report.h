#pragma once
// The zoo's reports: report.json (everything, for tools), report.md (for a PR or an issue)
// and report.html (one self-contained file: inline CSS, a small inline script that sorts
// the table by any column; works offline), and the summary by cause that says what to fix
// first ("12 models need a plugin for com.microsoft::FusedConv").
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zoo/convert_one.h"

namespace graft::zoo {

// One run of the zoo, as the driver saw it.
struct ZooRun {
  std::string dir, out_dir;
  Settings settings;
  int jobs = 1;
  std::vector<ModelResult> results;  // by model path
  std::string started;               // local time, "2026-11-21 12:00:00"
  // Timing. conversion_s sums the models' own conversion times (import to comparison,
  // measured in the workers) for the models converted in this run; worker_s sums, per
  // model, the time from the model's start in its worker to the driver reading its answer:
  // the conversion plus the model's folder, log.txt and result.json
  // (worker_bookkeeping_s) and the pipe. process_start_s sums the driver's fork() calls.
  double wall_s = 0;
  double discovery_s = 0, report_s = 0;
  double conversion_s = 0, worker_s = 0, process_start_s = 0;
  double worker_bookkeeping_s = 0;  // of worker_s: the models' folders, log files and result.json
  size_t processes = 0;      // worker processes started
  size_t converted_now = 0;  // models converted in this run (not resumed)
  size_t resumed = 0;
  bool interrupted = false;  // SIGINT / SIGTERM: the report holds the models done so far

  // The driver's own overhead: (wall_s * jobs - worker_s) / worker_s, the share of the job
  // slots' time spent on anything but the models (finding them, starting processes,
  // handing out work, reading results, the reports, slots left idle). 0 when nothing ran.
  double driver_overhead() const;
  // Everything but the conversions themselves, the models' own log and result files too:
  // (wall_s * jobs - conversion_s) / conversion_s.
  double total_overhead() const;
};

// A line of the summary by cause.
struct Cause {
  std::string kind;  // "unsupported_op", "needs_plugin", "parity_failure", "failed", "crashed", ...
  std::string key;   // the op, the stage and message pattern, the signal, ...
  std::string text;  // "12 models need a plugin for com.microsoft::FusedConv"
  std::vector<std::string> models;
  bool problem = true;  // false for notes (sanitize fixes, comparisons skipped)
};

// Problems first, most models first; then notes.
std::vector<Cause> summarize_causes(const std::vector<ModelResult>& results, engine::Device device);
// Models by status name, every status present (zero counts included).
std::map<std::string, size_t> status_counts(const std::vector<ModelResult>& results);

nlohmann::json report_json(const ZooRun& run);
std::string report_markdown(const ZooRun& run);
std::string report_html(const ZooRun& run);
// report.json, report.md and report.html in run.out_dir, each written atomically. Sets
// run.report_s to the time spent making them and adds it to run.wall_s (the driver's time
// includes its reports).
void write_reports(ZooRun& run);

// Helpers the CLI shares: "1.2 KiB", "0:42".
std::string size_text(uint64_t bytes);
std::string duration_text(double seconds);

}  // namespace graft::zoo
