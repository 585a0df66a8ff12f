#pragma once
// Helpers for the GPU layer tests beyond engine/gpu_test_util.h: random weights, the
// layers a build makes, every tactic of a one-layer model against the CPU engine.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "engine/gpu_backend.h"
#include "engine/gpu_test_util.h"
#include "engine/random_inputs.h"
#include "surgeon/run_test_util.h"

namespace graft::cuda::testing {

// A float32 constant of uniform values in [-scale, scale), from `seed`.
inline TensorPtr random_constant(Graph& g, const std::string& name, const std::vector<int64_t>& dims, uint64_t seed,
                                 float scale = 1.0f) {
  const cpu::HostTensor t = engine::random_tensor(DataType::kFloat, dims, seed);
  std::vector<float> v(t.data<float>(), t.data<float>() + t.numel());
  for (float& x : v) x *= scale;
  return graft::testing::float_constant(g, name, v, dims);
}

inline std::vector<engine::NamedValue> random_inputs_of(const Model& m, uint64_t seed) {
  std::vector<engine::NamedValue> out;
  for (auto& [name, t] : engine::random_inputs(engine::CpuExecutor(m).required_inputs(), seed)) {
    out.push_back({name, cpu::Value::of(std::move(t))});
  }
  return out;
}

// The layer lines of a build at `precision` (one per layer, after fusion).
inline std::vector<std::string> built_layers(const Model& m, Precision precision = Precision::kFP32) {
  engine::BuildOptions options;
  options.precision = precision;
  options.autotune = false;
  return engine::gpu_backend()->build(m, options).layers;
}

inline void expect_close(const cpu::HostTensor& gpu, const cpu::HostTensor& cpu, double rtol, double atol,
                         const std::string& what) {
  ASSERT_EQ(gpu.dims(), cpu.dims()) << what;
  const std::vector<double> g = gpu.to_doubles(), c = cpu.to_doubles();
  size_t bad = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!(std::abs(g[i] - c[i]) <= atol + rtol * std::abs(c[i])) && bad++ == 0) {
      ADD_FAILURE() << what << ": first difference at " << i << ": gpu " << g[i] << " vs cpu " << c[i];
    }
  }
  EXPECT_EQ(bad, 0u) << what;
}

// Runs the model's network with each of `tactics` set on every layer (names a layer does not
// offer fall back to its first) and compares with the CPU engine. Returns the distinct
// layer descriptions seen, which name the tactic each run used.
inline std::set<std::string> expect_each_tactic_matches_cpu(const Model& m, const std::vector<std::string>& tactics,
                                                            Precision precision, double rtol, double atol) {
  const std::vector<engine::NamedValue> inputs = random_inputs_of(m, 7);
  const std::vector<engine::NamedValue> expected = engine::CpuExecutor(m).run(inputs);
  engine::BuildOptions options;
  options.precision = precision;
  options.autotune = false;
  const engine::BuildResult built = engine::gpu_backend()->build(m, options);
  std::set<std::string> seen;
  for (const std::string& tactic : tactics) {
    engine::Network net = built.network;
    for (engine::LayerRecord& l : net.layers) l.tactic = tactic;
    const auto runner = engine::gpu_backend()->open(net);
    const std::vector<engine::NamedValue> actual = runner->run(inputs);
    for (size_t i = 0; i < expected.size(); ++i) {
      expect_close(actual[i].value.tensor, expected[i].value.tensor, rtol, atol, "tactic " + tactic);
    }
    for (const std::string& line : runner->describe_layers()) seen.insert(line);
  }
  return seen;
}

// Builds the model with tactic timing on (the fastest of each layer's tactics kept), runs
// it and compares with the CPU engine. Returns the built layers' descriptions (with the
// tactics chosen).
inline std::vector<std::string> expect_autotuned_matches_cpu(const Model& m, Precision precision, double rtol,
                                                             double atol) {
  const std::vector<engine::NamedValue> inputs = random_inputs_of(m, 7);
  const std::vector<engine::NamedValue> expected = engine::CpuExecutor(m).run(inputs);
  engine::BuildOptions options;
  options.precision = precision;
  options.autotune = true;
  const engine::BuildResult built = engine::gpu_backend()->build(m, options);
  const auto runner = engine::gpu_backend()->open(built.network);
  const std::vector<engine::NamedValue> actual = runner->run(inputs);
  for (size_t i = 0; i < expected.size(); ++i) {
    expect_close(actual[i].value.tensor, expected[i].value.tensor, rtol, atol, "autotuned");
  }
  return runner->describe_layers();
}

// "<what> fp16: layer 0.021 ms (352 TFLOP/s), run 0.030 ms (...)": the layer's time from
// the profiled run (no reformats) and the median of the timed runs (with them).
inline std::string throughput_line(const std::string& what, Precision p, double flops, const engine::BenchResult& r) {
  double layer_ms = 0;
  for (const auto& [name, ms] : r.layer_ms) {
    if (name.rfind("[reformat]", 0) != 0) layer_ms += ms;
  }
  std::vector<double> runs = r.compute_ms;
  std::sort(runs.begin(), runs.end());
  const double run_ms = runs.empty() ? 0 : runs[runs.size() / 2];
  auto tflops = [&](double ms) { return std::to_string(ms > 0 ? flops / (ms * 1e-3) / 1e12 : 0); };
  return what + " " + precision_name(p) + ": layer " + std::to_string(layer_ms) + " ms (" + tflops(layer_ms) +
         " TFLOP/s), run " + std::to_string(run_ms) + " ms (" + tflops(run_ms) + " TFLOP/s)";
}

}  // namespace graft::cuda::testing
