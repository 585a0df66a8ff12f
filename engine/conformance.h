#pragma once
// Runs ONNX backend test cases (model.onnx + test_data_set_*/input_*.pb, output_*.pb) on
// the CPU or GPU engine and compares with the expected outputs at the ONNX backend tolerances.
#include <string>
#include <vector>

#include "engine/network.h"
#include "kernels/cpu/host_tensor.h"

namespace graft::engine {

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-7;
};

struct CaseResult {
  enum class Status { kPass, kFail, kUnsupported, kError };
  std::string name;      // the case's folder name
  Status status = Status::kError;
  double max_abs = 0;    // over all outputs of all data sets
  double max_rel = 0;
  std::string detail;    // why it failed / what is unsupported
  double seconds = 0;
};

std::string status_name(CaseResult::Status s);  // "pass", "fail", "unsupported", "error"

// Case folders under `dir` (any folder holding model.onnx and test_data_set_*), sorted.
std::vector<std::string> find_cases(const std::string& dir);
// On the CPU engine, or on the GPU engine (built per case; a build that names nodes the GPU
// cannot run makes the case "unsupported").
CaseResult run_case(const std::string& case_dir, const Tolerance& tol = {}, Device device = Device::kCpu);

struct Comparison {
  bool ok = true;
  double max_abs = 0, max_rel = 0;
  std::string detail;  // first mismatch: index, expected, actual
};
// |actual - expected| <= atol + rtol * |expected| elementwise; NaN must match NaN; integers,
// bools and strings must be equal; dtypes and shapes must match.
Comparison compare(const cpu::Value& expected, const cpu::Value& actual, const Tolerance& tol);

}  // namespace graft::engine
