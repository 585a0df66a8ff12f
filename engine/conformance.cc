#include "engine/conformance.h"

#include <functional>

#include "engine/gpu_backend.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "engine/cpu_executor.h"
#include "engine/tensor_io.h"
#include "importer/onnx_model.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace fs = std::filesystem;

std::string status_name(CaseResult::Status s) {
  switch (s) {
    case CaseResult::Status::kPass: return "pass";
    case CaseResult::Status::kFail: return "fail";
    case CaseResult::Status::kUnsupported: return "unsupported";
    case CaseResult::Status::kError: break;
  }
  return "error";
}

std::vector<std::string> find_cases(const std::string& dir) {
  std::vector<std::string> cases;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().filename() == "model.onnx" &&
        fs::exists(it->path().parent_path() / "test_data_set_0")) {
      cases.push_back(it->path().parent_path().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

namespace {

Comparison compare_tensors(const cpu::HostTensor& want, const cpu::HostTensor& got, const Tolerance& tol) {
  Comparison c;
  if (want.dtype() != got.dtype() || want.dims() != got.dims()) {
    c.ok = false;
    c.detail = "expected " + want.describe() + ", got " + got.describe();
    return c;
  }
  if (want.dtype() == DataType::kString) {
    for (int64_t i = 0; i < want.numel(); ++i) {
      if (want.strings()[i] != got.strings()[i]) {
        c.ok = false;
        c.detail = "at " + std::to_string(i) + ": expected '" + want.strings()[i] + "', got '" + got.strings()[i] + "'";
        return c;
      }
    }
    return c;
  }
  if (dtype_bits(want.dtype()) < 8 || want.dtype() == DataType::kComplex64 || want.dtype() == DataType::kComplex128 ||
      (dtype_bits(want.dtype()) == 8 && want.dtype() >= DataType::kFloat8E4M3FN)) {
    c.ok = want.nbytes() == got.nbytes() && std::equal(want.raw(), want.raw() + want.nbytes(), got.raw());
    if (!c.ok) c.detail = "bytes differ";
    return c;
  }
  std::vector<double> w = want.dtype() == DataType::kBool ? std::vector<double>() : want.to_doubles();
  std::vector<double> g = want.dtype() == DataType::kBool ? std::vector<double>() : got.to_doubles();
  if (want.dtype() == DataType::kBool) {
    for (int64_t i = 0; i < want.numel(); ++i) {
      w.push_back(want.data<bool>()[i]);
      g.push_back(got.data<bool>()[i]);
    }
  }
  const bool exact = want.dtype() == DataType::kBool || (want.dtype() != DataType::kFloat && want.dtype() != DataType::kDouble &&
                                                         want.dtype() != DataType::kFloat16 && want.dtype() != DataType::kBfloat16);
  for (size_t i = 0; i < w.size(); ++i) {
    if (std::isnan(w[i]) || std::isnan(g[i])) {
      if (std::isnan(w[i]) != std::isnan(g[i]) && c.ok) {
        c.ok = false;
        c.detail = "at " + std::to_string(i) + ": expected " + std::to_string(w[i]) + ", got " + std::to_string(g[i]);
      }
      continue;
    }
    if (w[i] == g[i]) continue;  // also equal infinities
    const double abs_err = std::fabs(w[i] - g[i]);
    const double rel_err = abs_err / std::max(std::fabs(w[i]), 1e-30);
    c.max_abs = std::max(c.max_abs, abs_err);
    c.max_rel = std::max(c.max_rel, rel_err);
    const bool bad = exact || std::isinf(w[i]) || std::isinf(g[i]) || abs_err > tol.atol + tol.rtol * std::fabs(w[i]);
    if (bad && c.ok) {
      c.ok = false;
      c.detail = "at " + std::to_string(i) + ": expected " + std::to_string(w[i]) + ", got " + std::to_string(g[i]);
    }
  }
  return c;
}

}  // namespace

Comparison compare(const cpu::Value& expected, const cpu::Value& actual, const Tolerance& tol) {
  if (expected.kind != actual.kind) {
    return {false, 0, 0, "expected " + expected.describe() + ", got " + actual.describe()};
  }
  if (expected.is_tensor()) return compare_tensors(expected.tensor, actual.tensor, tol);
  Comparison all;
  if (expected.is_sequence()) {
    if (expected.sequence.size() != actual.sequence.size()) {
      return {false, 0, 0, "expected " + expected.describe() + ", got " + actual.describe()};
    }
    for (size_t i = 0; i < expected.sequence.size(); ++i) {
      Comparison c = compare_tensors(expected.sequence[i], actual.sequence[i], tol);
      all.max_abs = std::max(all.max_abs, c.max_abs);
      all.max_rel = std::max(all.max_rel, c.max_rel);
      if (!c.ok && all.ok) all = {false, all.max_abs, all.max_rel, "item " + std::to_string(i) + ": " + c.detail};
    }
  }
  return all;
}

namespace {

std::vector<std::string> numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> files;
  for (int i = 0; fs::exists(dir / (prefix + std::to_string(i) + ".pb")); ++i) {
    files.push_back((dir / (prefix + std::to_string(i) + ".pb")).string());
  }
  return files;
}

// ONNX's test data predates numpy bfloat16: it stores bfloat16 values as uint16 bit
// patterns. Reinterpret them when the graph declares bfloat16.
cpu::Value read_test_value(const std::string& path, const ValueType& type) {
  cpu::Value v = read_value_pb(path, type);
  if (v.is_tensor() && v.tensor.dtype() == DataType::kUint16 && type.kind == ValueType::Kind::kTensor &&
      type.elem == DataType::kBfloat16) {
    v.tensor = cpu::HostTensor::view(DataType::kBfloat16, v.tensor.dims(), v.tensor.to_data().bytes);
  }
  return v;
}

std::vector<NamedValue> read_inputs_of(const Model& model, const fs::path& set) {
  std::vector<NamedValue> inputs;
  const std::vector<std::string> input_files = numbered(set, "input_");
  const auto& graph_inputs = model.graph->inputs;
  for (size_t i = 0; i < input_files.size() && i < graph_inputs.size(); ++i) {
    inputs.push_back({graph_inputs[i]->name, read_test_value(input_files[i], graph_inputs[i]->type)});
  }
  return inputs;
}

using ModelRunner = std::function<std::vector<NamedValue>(const std::vector<NamedValue>&)>;

// The GPU engine, built for the first data set's input dims (one fixed profile).
ModelRunner gpu_runner(const Model& model, const std::vector<NamedValue>& first_inputs) {
  const GpuBackend* gpu = gpu_backend();
  if (!gpu) throw Error("this graft was built without CUDA");
  BuildOptions options;
  options.autotune = false;
  Profile p;
  for (const NamedValue& in : first_inputs) {
    if (in.value.is_tensor()) p.min[in.name] = p.opt[in.name] = p.max[in.name] = in.value.tensor.dims();
  }
  options.profiles = {p};
  std::shared_ptr<GpuRunner> runner = gpu->open(gpu->build(model, options).network);
  return [runner](const std::vector<NamedValue>& inputs) { return runner->run(inputs); };
}

ModelRunner make_runner(const Model& model, Device device, const fs::path& first_set) {
  if (device == Device::kCuda) return gpu_runner(model, read_inputs_of(model, first_set));
  auto exec = std::make_shared<CpuExecutor>(model);
  return [exec](const std::vector<NamedValue>& inputs) { return exec->run(inputs); };
}

void run_data_set(const Model& model, const ModelRunner& run, const fs::path& set, const Tolerance& tol,
                  CaseResult& r) {
  std::vector<NamedValue> outputs = run(read_inputs_of(model, set));
  const std::vector<std::string> output_files = numbered(set, "output_");
  for (size_t i = 0; i < output_files.size() && i < outputs.size(); ++i) {
    cpu::Value want = read_test_value(output_files[i], model.graph->outputs[i]->type);
    Comparison c = compare(want, outputs[i].value, tol);
    r.max_abs = std::max(r.max_abs, c.max_abs);
    r.max_rel = std::max(r.max_rel, c.max_rel);
    if (!c.ok && r.status == CaseResult::Status::kPass) {
      r.status = CaseResult::Status::kFail;
      r.detail = set.filename().string() + " output '" + outputs[i].name + "' " + c.detail;
    }
  }
}

}  // namespace

CaseResult run_case(const std::string& case_dir, const Tolerance& tol, Device device) {
  CaseResult r;
  r.name = fs::path(case_dir).filename().string();
  const auto start = std::chrono::steady_clock::now();
  try {
    Model model = importer::load_model(case_dir + "/model.onnx");
    ModelRunner run;
    try {
      run = make_runner(model, device, fs::path(case_dir) / "test_data_set_0");
    } catch (const Error& e) {
      r.status = CaseResult::Status::kUnsupported;
      r.detail = e.what();
      return r;
    }
    r.status = CaseResult::Status::kPass;
    for (int k = 0; fs::exists(fs::path(case_dir) / ("test_data_set_" + std::to_string(k))); ++k) {
      run_data_set(model, run, fs::path(case_dir) / ("test_data_set_" + std::to_string(k)), tol, r);
    }
  } catch (const std::exception& e) {
    r.status = CaseResult::Status::kError;
    r.detail = e.what();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace graft::engine
