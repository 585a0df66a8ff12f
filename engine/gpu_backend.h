#pragma once
// What the tools need from the GPU engine, behind one interface so they link and run
// without CUDA: the CUDA backend (//engine:cuda_backend) registers itself at start-up in
// binaries that link it; gpu_backend() is null elsewhere.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/cpu_executor.h"
#include "engine/network.h"
#include "engine/plan_file.h"

namespace graft::engine {

struct BuildOptions {
  cuda::Precision precision = cuda::Precision::kFP32;
  // Node name -> precision its layer must run at (--precision-constraints); FP16 for a
  // layer without an FP16 implementation is an error.
  std::map<std::string, cuda::Precision> layer_precisions;
  std::vector<Profile> profiles;   // for dynamic inputs; the first one's opt shapes are timed
  std::string timing_cache_path;   // read before, written after (when set)
  bool autotune = true;            // time the tactics; else each layer's default
  bool progress = false;           // a line per timed layer on stderr
};

struct MemorySummary {
  size_t weight_bytes = 0;
  size_t activation_bytes = 0;  // at the opt shapes
  size_t workspace_bytes = 0;
};

struct BuildResult {
  Network network;
  std::vector<std::string> layers;  // after fusion, in execution order
  MemorySummary memory;
  size_t tactics_timed = 0;     // layers whose tactics were timed
  size_t timing_cache_hits = 0;
};

struct BenchOptions {
  int iterations = 10;
  int warmup = 2;
  double duration_s = 0;   // run at least this long (after warm-up), iterations or not
  bool cuda_graph = false;
  int streams = 1;         // contexts run side by side, one stream each
  bool profile = false;    // per-layer times of one extra run
};

struct BenchResult {
  std::vector<double> latency_ms;      // per inference: H2D + compute + D2H, as the host sees it
  std::vector<double> compute_ms;      // GPU time of the layers (events)
  std::vector<double> h2d_ms, d2h_ms;  // GPU time of the copies (events)
  double throughput = 0;               // inferences per second over all streams
  double wall_s = 0;
  std::vector<std::pair<std::string, double>> layer_ms;  // with profile
  MemorySummary memory;
};

class GpuRunner {
 public:
  virtual ~GpuRunner() = default;
  virtual std::vector<NamedValue> run(const std::vector<NamedValue>& inputs) = 0;
  virtual BenchResult benchmark(const std::vector<NamedValue>& inputs, const BenchOptions& options) = 0;
  virtual std::vector<std::string> describe_layers() const = 0;
};

class GpuBackend {
 public:
  virtual ~GpuBackend() = default;
  // This machine's GPU and libraries; compute_capability 0 (and a reason) when none.
  virtual PlanTarget target(std::string* why_none = nullptr) const = 0;
  // Groups the (sanitized, shape-inferred) model's nodes into layers, picks precisions,
  // creates the engine and times the tactics. Throws an Error listing every node that
  // cannot run on the GPU, with the reason for each.
  virtual BuildResult build(Model model, const BuildOptions& options) const = 0;
  virtual std::unique_ptr<GpuRunner> open(Network network) const = 0;
};

const GpuBackend* gpu_backend();  // null when graft was built without CUDA
bool register_gpu_backend(const GpuBackend* backend);

}  // namespace graft::engine
