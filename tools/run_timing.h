#pragma once
// trtexec-style timing summaries and output comparisons for `graft run`.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/gpu_backend.h"

namespace graft::tools {

struct Percentiles {
  double min = 0, max = 0, mean = 0, median = 0, p90 = 0, p95 = 0, p99 = 0;
};
Percentiles percentiles_of(std::vector<double> ms);

// "Throughput", "Latency", "GPU Compute Time", "H2D", "D2H" lines, and the per-layer
// profile when there is one.
void print_bench(const engine::BenchResult& r);
nlohmann::json bench_json(const engine::BenchResult& r);

struct Comparison {
  std::string name;
  double max_abs = 0, max_rel = 0;
  bool pass = true;
  std::string problem;  // dtype or shape mismatch
};
// Each output against the reference: |a - r| <= atol + rtol * |r| everywhere (NaN == NaN).
std::vector<Comparison> compare_outputs(const std::vector<engine::NamedValue>& actual,
                                        const std::vector<engine::NamedValue>& reference, double rtol, double atol);

}  // namespace graft::tools
