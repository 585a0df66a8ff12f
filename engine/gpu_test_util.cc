#include "engine/gpu_test_util.h"

#include <cmath>
#include <cstring>

#include "engine/gpu_backend.h"
#include "engine/random_inputs.h"
#include "kernels/cuda/device.h"

namespace graft::engine::testing {
namespace {

void expect_close(const std::string& name, const cpu::HostTensor& gpu, const cpu::HostTensor& cpu,
                  const GpuCheck& check) {
  ASSERT_EQ(dtype_name(gpu.dtype()), dtype_name(cpu.dtype())) << "output '" << name << "'";
  ASSERT_EQ(gpu.dims(), cpu.dims()) << "output '" << name << "'";
  const bool floating = cpu.dtype() == DataType::kFloat || cpu.dtype() == DataType::kFloat16 ||
                        cpu.dtype() == DataType::kDouble || cpu.dtype() == DataType::kBfloat16;
  if (!floating) {
    ASSERT_EQ(gpu.nbytes(), cpu.nbytes());
    EXPECT_EQ(std::memcmp(gpu.raw(), cpu.raw(), cpu.nbytes()), 0) << "output '" << name << "' differs";
    return;
  }
  const std::vector<double> g = gpu.to_doubles(), c = cpu.to_doubles();
  size_t bad = 0, first_bad = 0;
  double worst = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (std::isnan(c[i]) && std::isnan(g[i])) continue;
    if (std::isinf(c[i]) && g[i] == c[i]) continue;
    const double err = std::abs(g[i] - c[i]);
    const double allowed = check.atol + check.rtol * std::abs(c[i]);
    if (!(err <= allowed)) {
      if (bad++ == 0) first_bad = i;
      worst = std::max(worst, std::isnan(err) ? INFINITY : err);
    }
  }
  EXPECT_EQ(bad, 0u) << "output '" << name << "': " << bad << " of " << c.size()
                     << " values differ; first at flat index " << first_bad << ": gpu " << g[first_bad] << " vs cpu "
                     << c[first_bad] << "; worst abs error " << worst;
}

}  // namespace

bool gpu_available() { return cuda::query_devices().count > 0 && gpu_backend() != nullptr; }

void expect_gpu_matches_cpu(const Model& model, const std::vector<NamedValue>& inputs, const GpuCheck& check) {
  const std::vector<NamedValue> expected = CpuExecutor(model).run(inputs);
  BuildOptions options;
  options.precision = check.precision;
  options.autotune = false;
  Profile fixed;  // the inputs' own dims, for models with dynamic inputs
  for (const NamedValue& in : inputs) fixed.min[in.name] = fixed.opt[in.name] = fixed.max[in.name] = in.value.tensor.dims();
  options.profiles = {fixed};
  BuildResult built = gpu_backend()->build(model, options);
  if (!check.tactic.empty()) {
    for (LayerRecord& layer : built.network.layers) layer.tactic = check.tactic;
  }
  const std::vector<NamedValue> actual = gpu_backend()->open(built.network)->run(inputs);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(actual[i].name, expected[i].name);
    expect_close(expected[i].name, actual[i].value.tensor, expected[i].value.tensor, check);
  }
}

void expect_gpu_matches_cpu(const Model& model, uint64_t seed, const GpuCheck& check) {
  std::vector<NamedValue> inputs;
  for (auto& [name, t] : random_inputs(CpuExecutor(model).required_inputs(), seed)) {
    inputs.push_back({name, cpu::Value::of(std::move(t))});
  }
  expect_gpu_matches_cpu(model, inputs, check);
}

}  // namespace graft::engine::testing
