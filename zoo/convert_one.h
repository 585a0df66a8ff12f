#pragma once
// One model of a zoo, converted and checked: import -> sanitize (swap-plugins first) ->
// build a plan (CPU or GPU engine) -> run it on the model's own test_data_set_0 inputs, or
// on seeded random ones -> compare with the CPU engine running the ORIGINAL model (and
// with the test data's expected outputs, when there are some). Writes the sanitized model
// and the plan into the model's output folder and returns what happened; the driver
// (zoo/driver.h) runs this in a child process per model, so a crash or hang is contained.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/network.h"

namespace graft::zoo {

// What a conversion is done with. Everything that can change a model's result goes into
// settings_key(); the limits only decide whether a run gets that far.
struct Settings {
  engine::Device device = engine::Device::kCpu;
  bool fp16 = false;                           // GPU layers in FP16 where they have it
  std::vector<std::string> plugin_libraries;   // --plugins (loaded in the driver, inherited)
  std::vector<std::string> plugin_mappings;    // --plugin-map
  std::string input_shapes;                    // "x:1x3x224x224,mask:1x128": dims of random inputs,
                                               // by name, in models that have such an input
  std::string tool_version;                    // graft's version
  double timeout_s = 600;                      // per model, wall clock
  uint64_t memory_limit_mib = 0;               // per model (RLIMIT_DATA); 0: none
};

// The result of one model. Status names (status_name) are what report.json says.
enum class Status {
  kConverted,            // ran, and matched the reference; sanitize changed nothing
  kConvertedAfterFixes,  // ran and matched (or could not be compared); sanitize changed the graph
  kUnsupportedOps,       // the engine has no kernel / layer for some ops (unsupported_ops)
  kNeedsInputShapes,     // inputs of unknown rank, or random inputs with dims set to 1 broke a node
  kParityFailure,        // outputs differ from the reference beyond the tolerance
  kFailed,               // an error at some stage (bad model file, contradiction, kernel error)
  kCrashed,              // the child died of a signal
  kTimedOut,             // killed at the time limit
  kOutOfMemory,          // allocation failed under the memory limit, or killed by the OOM killer
};
const char* status_name(Status s);
bool status_from_name(const std::string& name, Status& s);
// "ok" statuses: converted, converted_after_fixes.
bool is_ok(Status s);

// Where a model's conversion was, or ended.
enum class Stage { kImport, kSanitize, kBuild, kInputs, kRun, kReference, kCompare, kDone };
const char* stage_name(Stage s);
bool stage_from_name(const std::string& name, Stage& s);

struct ModelResult {
  std::string model;  // path relative to the zoo's folder
  std::string id;     // the output folder's name
  Status status = Status::kFailed;
  Stage stage = Stage::kImport;  // where it ended: kDone for converted models
  std::string detail;            // the error, the first mismatch, or a note

  // op ("Conv", "com.microsoft::FusedConv") -> nodes, when the engine cannot run them
  std::map<std::string, size_t> unsupported_ops;
  int signal = 0;  // kCrashed

  // sanitize
  size_t nodes_before = 0, nodes_after = 0;
  std::map<std::string, size_t> fixes;  // pass -> changes, passes that changed something
  // build and run
  double sanitize_s = 0, build_s = 0;
  uint64_t plan_bytes = 0;
  std::string inputs;        // "test_data_set_0" or "random (seed 0)"
  std::string guessed_dims;  // random inputs whose unset dims became 1 ("x, mask")
  double latency_ms = 0;     // median of the timed runs
  int latency_runs = 0;
  // the comparison with the CPU engine running the original model
  bool compared = false;
  std::string not_compared;  // why not, when not compared
  double max_abs = 0, max_rel = 0;
  double rtol = 0, atol = 0;
  // the comparison with test_data_set_0's expected outputs (rtol 1e-3, atol 1e-7)
  bool has_expected = false, matches_expected = false;
  double expected_max_abs = 0;
  std::string expected_detail;

  double seconds = 0;  // the conversion's own time, measured in the child
  std::string settings_key;
  double timeout_s = 0;
  uint64_t memory_limit_mib = 0;
  bool resumed = false;  // taken from an earlier run (--resume)
};

nlohmann::json to_json(const ModelResult& r);
// Throws an Error on a record that is not a ModelResult.
ModelResult result_from_json(const nlohmann::json& j);

// What identifies a model file's version: "path:size:mtime_ns", and its
// test_data_set_0/input_0.pb's when it has one (the driver makes these while it looks for
// models, from absolute paths).
std::string model_stamp(const std::string& model_path);
// A key of everything in `settings` that can change a result, and of the model's stamp:
// results with the same key can be reused (--resume).
std::string settings_key(const Settings& settings, const std::string& model_stamp);

// Runs the pipeline in this process. `out_dir` (existing) receives sanitized.onnx (with
// sanitized.onnx.data for models over 1 GiB or with external data) and model.plan.
// `on_stage` is called as each stage starts, with the result so far (r.stage: the stage);
// `log` gets a line per stage. Returns for every model problem; std::bad_alloc is turned
// into kOutOfMemory.
ModelResult convert_one(const std::string& model_path, const std::string& out_dir, const Settings& settings,
                        const std::function<void(const ModelResult&)>& on_stage, std::FILE* log);

}  // namespace graft::zoo
