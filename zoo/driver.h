#pragma once
// The zoo driver: finds the models under a folder and converts them in worker processes
// (fork, no exec: a worker starts from the driver's loaded state, plugins included), N at
// a time, each worker pinned to its share of the CPUs, under a wall-clock limit per model
// (SIGKILL of the worker's process group) and a memory limit (RLIMIT_DATA). A crash, hang
// or out-of-memory ends only its worker: it is recorded as the model's result (a crash or
// out-of-memory after other models in the same process is first tried again as the first
// model of a new one) and the batch goes on. A worker converts at most models_per_process
// models (1: a new process for every model). Results go to OUTDIR/<model id>/result.json;
// --resume reuses those whose settings key matches. A progress line on stderr. See
// docs/zoo.md for why workers rather than a process per model.
#include <string>
#include <vector>

#include "zoo/convert_one.h"
#include "zoo/report.h"

namespace graft::zoo {

struct DriverOptions {
  std::string dir, out_dir;
  Settings settings;
  int jobs = 0;          // 0: one per usable CPU (cpu), 1 (cuda)
  bool resume = false;
  std::string filter;    // a regular expression the model's relative path must match (search)
  bool progress = true;  // the progress line on stderr (redrawn on a terminal, every 10 s otherwise)
  int models_per_process = 1000;  // models a worker converts before a new one takes over
};

struct FoundModel {
  std::string path;   // relative to the folder searched
  uint64_t bytes = 0;
  std::string stamp;  // model_stamp() of its absolute path
};

// Every regular *.onnx file under `dir` (symbolic links followed, each folder once),
// sorted by path; folders named in `skip` (e.g. the output folder) and ONNX test data
// folders (test_data_set_*) are left out.
std::vector<FoundModel> find_models(const std::string& dir, const std::vector<std::string>& skip = {});

// Output folder names for models' relative paths: the path without ".onnx" (and without a
// final "/model" of ONNX test cases), '/' as "__", other characters than [A-Za-z0-9._-]
// as '_'; a name taken twice gets "~2", "~3".
std::vector<std::string> model_ids(const std::vector<std::string>& relative_paths);

// The default per-model memory limit: 90% of the machine's memory shared by the jobs, at
// least 2 GiB. 0 (none) on cuda, where the driver's own mappings count.
uint64_t default_memory_limit_mib(int jobs, engine::Device device);
int default_jobs(engine::Device device);

// Runs the zoo. Throws an Error for bad input: DIR missing or without models, OUTDIR not
// writable, --filter invalid, a cuda device that is not there. The reports are not written
// (write_reports).
ZooRun run_zoo(const DriverOptions& options);

}  // namespace graft::zoo
