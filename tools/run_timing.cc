#include "tools/run_timing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace graft::tools {
namespace {

double at(const std::vector<double>& sorted, double q) {
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(std::ceil(q * sorted.size())) - (q > 0 ? 1 : 0));
  return sorted[i];
}

void print_line(const char* what, const std::vector<double>& ms) {
  if (ms.empty()) return;
  const Percentiles p = percentiles_of(ms);
  std::printf("%s: min = %.4f ms, max = %.4f ms, mean = %.4f ms, median = %.4f ms, "
              "percentile(90%%) = %.4f ms, percentile(95%%) = %.4f ms, percentile(99%%) = %.4f ms\n",
              what, p.min, p.max, p.mean, p.median, p.p90, p.p95, p.p99);
}

nlohmann::json percentiles_json(const std::vector<double>& ms) {
  if (ms.empty()) return nullptr;
  const Percentiles p = percentiles_of(ms);
  return {{"min", p.min}, {"max", p.max}, {"mean", p.mean}, {"median", p.median},
          {"p90", p.p90}, {"p95", p.p95}, {"p99", p.p99}};
}

}  // namespace

Percentiles percentiles_of(std::vector<double> ms) {
  Percentiles p;
  if (ms.empty()) return p;
  std::sort(ms.begin(), ms.end());
  p.min = ms.front();
  p.max = ms.back();
  p.mean = std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size();
  p.median = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  p.p90 = at(ms, 0.90);
  p.p95 = at(ms, 0.95);
  p.p99 = at(ms, 0.99);
  return p;
}

void print_bench(const engine::BenchResult& r) {
  std::printf("Throughput: %.2f qps (%zu inferences in %.3f s)\n", r.throughput,
              r.compute_ms.empty() ? r.latency_ms.size() : r.compute_ms.size(), r.wall_s);
  print_line("Latency", r.latency_ms);
  print_line("GPU Compute Time", r.compute_ms);
  print_line("H2D Latency", r.h2d_ms);
  print_line("D2H Latency", r.d2h_ms);
  if (r.memory.weight_bytes || r.memory.activation_bytes) {
    std::printf("Memory: weights %.2f MiB, activations %.2f MiB, workspace %.2f MiB\n", r.memory.weight_bytes / 1048576.0,
                r.memory.activation_bytes / 1048576.0, r.memory.workspace_bytes / 1048576.0);
  }
  if (r.layer_ms.empty()) return;
  double total = 0;
  for (const auto& [name, ms] : r.layer_ms) total += ms;
  std::printf("Profile (one run, %.4f ms in layers):\n  %9s  %6s  %s\n", total, "ms", "%", "layer");
  for (const auto& [name, ms] : r.layer_ms) {
    std::printf("  %9.4f  %5.1f%%  %s\n", ms, total > 0 ? 100 * ms / total : 0, name.c_str());
  }
}

nlohmann::json bench_json(const engine::BenchResult& r) {
  nlohmann::json j = {{"throughput_qps", r.throughput},          {"wall_seconds", r.wall_s},
                      {"latency_ms", percentiles_json(r.latency_ms)}, {"gpu_compute_ms", percentiles_json(r.compute_ms)},
                      {"h2d_ms", percentiles_json(r.h2d_ms)},        {"d2h_ms", percentiles_json(r.d2h_ms)},
                      {"weight_bytes", r.memory.weight_bytes},       {"activation_bytes", r.memory.activation_bytes},
                      {"workspace_bytes", r.memory.workspace_bytes}};
  if (!r.layer_ms.empty()) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& [name, ms] : r.layer_ms) layers.push_back({{"layer", name}, {"ms", ms}});
    j["profile"] = layers;
  }
  return j;
}

std::vector<Comparison> compare_outputs(const std::vector<engine::NamedValue>& actual,
                                        const std::vector<engine::NamedValue>& reference, double rtol, double atol) {
  std::vector<Comparison> out;
  for (size_t i = 0; i < reference.size(); ++i) {
    Comparison c;
    c.name = reference[i].name;
    const cpu::HostTensor& r = reference[i].value.tensor;
    const cpu::HostTensor& a = actual.at(i).value.tensor;
    if (a.dtype() != r.dtype() || a.dims() != r.dims()) {
      c.pass = false;
      c.problem = a.describe() + " vs " + r.describe();
      out.push_back(c);
      continue;
    }
    const std::vector<double> av = a.to_doubles(), rv = r.to_doubles();
    for (size_t k = 0; k < rv.size(); ++k) {
      if (std::isnan(av[k]) && std::isnan(rv[k])) continue;
      const double err = std::abs(av[k] - rv[k]);
      c.max_abs = std::max(c.max_abs, std::isnan(err) ? INFINITY : err);
      if (rv[k] != 0) c.max_rel = std::max(c.max_rel, err / std::abs(rv[k]));
      if (!(err <= atol + rtol * std::abs(rv[k]))) c.pass = false;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace graft::tools
