// The real models in ../shared/models on the CPU engine, against onnxruntime's CPU outputs
// for the same seeded inputs (testdata/reference/<model>/, written by
// scripts/make_ort_references.py). Every output must be within
// |actual - expected| <= 1e-4 * |expected| + 1e-6, elementwise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "engine/cpu_executor.h"
#include "engine/npy.h"
#include "engine/tensor_io.h"
#include "importer/onnx_model.h"
#include "surgeon/error.h"
#include "surgeon/graph.h"
#include "testdata/test_paths.h"

namespace graft::engine {
namespace {

namespace fs = std::filesystem;

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-6;

struct Stats {
  double max_abs = 0;
  double max_rel = 0;    // over elements with |expected| >= kAtol (relative error near 0 means little)
  double max_ratio = 0;  // error / tolerance: at most 1 everywhere to pass
  int64_t bad = 0;
  int64_t first_bad = -1;
  double first_expected = 0, first_actual = 0;
};

Stats compare(const cpu::HostTensor& expected, const cpu::HostTensor& actual) {
  Stats s;
  if (expected.dtype() == DataType::kBool) {  // exact
    for (int64_t i = 0; i < expected.numel(); ++i) {
      if (expected.data<bool>()[i] != actual.data<bool>()[i] && s.bad++ == 0) {
        s.first_bad = i;
        s.first_expected = expected.data<bool>()[i];
        s.first_actual = actual.data<bool>()[i];
      }
    }
    return s;
  }
  const std::vector<double> e = expected.to_doubles(), a = actual.to_doubles();
  for (size_t i = 0; i < e.size(); ++i) {
    bool ok;
    if (std::isnan(e[i]) || std::isnan(a[i])) {
      ok = std::isnan(e[i]) && std::isnan(a[i]);
    } else if (e[i] == a[i]) {
      ok = true;  // also equal infinities
    } else {
      const double abs_err = std::fabs(a[i] - e[i]);
      const double tol = kRtol * std::fabs(e[i]) + kAtol;
      s.max_abs = std::max(s.max_abs, abs_err);
      if (std::fabs(e[i]) >= kAtol) s.max_rel = std::max(s.max_rel, abs_err / std::fabs(e[i]));
      s.max_ratio = std::max(s.max_ratio, abs_err / tol);
      ok = std::isfinite(abs_err) && abs_err <= tol;
    }
    if (!ok && s.bad++ == 0) {
      s.first_bad = static_cast<int64_t>(i);
      s.first_expected = e[i];
      s.first_actual = a[i];
    }
  }
  return s;
}

// Runs `model_path` on the inputs in `ref_dir`/inputs and checks every graph output
// against `ref_dir`/outputs/<sanitized output name>.npy.
void check_against_reference(const std::string& model_path, const std::string& ref_dir) {
  ASSERT_TRUE(fs::exists(model_path)) << model_path << " is missing";
  ASSERT_TRUE(fs::is_directory(ref_dir + "/inputs")) << ref_dir << " is missing: run scripts/make_ort_references.py";
  Model model = importer::load_model(model_path);

  std::vector<NamedValue> inputs;
  for (LoadedInput& in : read_inputs(ref_dir + "/inputs", model.graph->inputs)) {
    std::printf("  input  %-20s %s\n", in.name.c_str(), in.value.describe().c_str());
    inputs.push_back({in.name, std::move(in.value)});
  }

  std::unique_ptr<CpuExecutor> exec;
  try {
    exec = std::make_unique<CpuExecutor>(model);
  } catch (const Error& e) {
    FAIL() << model_path << ": " << e.what();
  }
  std::vector<NamedValue> outputs;
  try {
    outputs = exec->run(inputs);
  } catch (const Error& e) {
    FAIL() << model_path << ": run failed: " << e.what();
  }

  size_t reference_files = 0;
  for (const auto& entry : fs::directory_iterator(ref_dir + "/outputs")) reference_files += entry.path().extension() == ".npy";
  EXPECT_EQ(reference_files, outputs.size()) << "reference outputs in " << ref_dir << " vs model outputs";

  for (const NamedValue& out : outputs) {
    const std::string file = ref_dir + "/outputs/" + sanitize_file_name(out.name) + ".npy";
    if (!fs::exists(file)) {
      ADD_FAILURE() << "output '" << out.name << "': no reference file " << file;
      continue;
    }
    const cpu::HostTensor expected = read_npy(file);
    if (!out.value.is_tensor()) {
      ADD_FAILURE() << "output '" << out.name << "': expected " << expected.describe() << ", got " << out.value.describe();
      continue;
    }
    const cpu::HostTensor& actual = out.value.tensor;
    if (actual.dtype() != expected.dtype() || actual.dims() != expected.dims()) {
      ADD_FAILURE() << "output '" << out.name << "': expected " << expected.describe() << ", got " << actual.describe();
      continue;
    }
    const Stats s = compare(expected, actual);
    std::printf("  output %-20s %-18s max abs err %.3g, max rel err %.3g, worst err/tolerance %.3g, %lld of %lld outside\n",
                out.name.c_str(), actual.describe().c_str(), s.max_abs, s.max_rel, s.max_ratio,
                static_cast<long long>(s.bad), static_cast<long long>(actual.numel()));
    EXPECT_EQ(s.bad, 0) << "output '" << out.name << "' differs from onnxruntime: max abs err " << s.max_abs
                        << ", max rel err " << s.max_rel << "; first at element " << s.first_bad << ": expected "
                        << s.first_expected << ", got " << s.first_actual;
  }
}

class RealModel : public ::testing::TestWithParam<std::string> {};

TEST_P(RealModel, MatchesOnnxRuntime) {
  const std::string stem = GetParam();
  check_against_reference(testing::shared_models_dir() + "/" + stem + ".onnx", "testdata/reference/" + stem);
}

INSTANTIATE_TEST_SUITE_P(SharedModels, RealModel,
                         ::testing::Values("ch_ppocr_mobile_v2.0_cls_infer", "silero_vad_16k_op15"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// Every shared model has reference outputs (a new model needs an entry in
// make_ort_references.py's inputs_for() and in the list above).
TEST(RealModels, EverySharedModelHasReferences) {
  const std::vector<std::string> models = testing::find_files(testing::shared_models_dir(), ".onnx");
  EXPECT_FALSE(models.empty()) << testing::shared_models_dir();
  for (const std::string& m : models) {
    const std::string stem = fs::path(m).stem().string();
    EXPECT_TRUE(fs::is_directory("testdata/reference/" + stem + "/outputs")) << "no reference outputs for " << m;
  }
}

// The harness itself, on a model whose kernels the engine has from the start.
TEST(RealModels, TinyAddIdentityMatchesOnnxRuntime) {
  check_against_reference("testdata/models/add_identity.onnx", "testdata/reference/add_identity");
}

}  // namespace
}  // namespace graft::engine
