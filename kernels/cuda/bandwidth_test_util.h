#pragma once
// Timing of memory-bound GPU layers for the tests: the median GPU time of a model's
// runs and the bandwidth that moving `bytes` in that time makes. Meant for one-layer
// models whose inputs and outputs need no reformat (e.g. float16 models).
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/cuda/layer_test_util.h"

namespace graft::cuda::testing {

// "<what>: 0.0213 ms, 2360 GB/s (profiled layers 0.0220 ms)".
inline std::string bandwidth_line(const std::string& what, const Model& m, Precision p, double bytes) {
  engine::BuildOptions options;
  options.precision = p;
  const engine::BuildResult built = engine::gpu_backend()->build(m, options);
  engine::BenchOptions bench;
  bench.iterations = 50;
  bench.warmup = 5;
  bench.profile = true;
  const engine::BenchResult r = engine::gpu_backend()->open(built.network)->benchmark(random_inputs_of(m, 1), bench);
  std::vector<double> runs = r.compute_ms;
  std::sort(runs.begin(), runs.end());
  const double ms = runs.empty() ? 0 : runs[runs.size() / 2];
  double layers_ms = 0;
  for (const auto& layer : r.layer_ms) layers_ms += layer.second;
  return what + ": " + std::to_string(ms) + " ms, " + std::to_string(ms > 0 ? bytes / (ms * 1e-3) / 1e9 : 0) +
         " GB/s (profiled layers " + std::to_string(layers_ms) + " ms)";
}

}  // namespace graft::cuda::testing
