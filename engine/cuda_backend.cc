// The CUDA implementation of GpuBackend: build (lowering, engine, tactic timing), plan
// targets, and runners with trtexec-style benchmarking. Registers itself at start-up.
#include <cublasLt.h>
#include <cudnn.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "engine/cuda_engine.h"
#include "engine/cuda_steps.h"
#include "engine/gpu_backend.h"
#include "engine/layer_grouping.h"
#include "engine/random_inputs.h"
#include "engine/run_shapes.h"
#include "folding/infer_shapes.h"
#include "kernels/cuda/device.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

std::map<std::string, std::string> read_timing_cache(const std::string& path) {
  std::map<std::string, std::string> cache;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.rfind('\t');
    if (tab != std::string::npos) cache[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return cache;
}

void write_timing_cache(const std::string& path, const std::map<std::string, std::string>& cache) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    for (const auto& [key, tactic] : cache) out << key << '\t' << tactic << '\n';
    if (!out) throw Error(path + ": cannot write the timing cache");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(path + ": cannot write the timing cache");
}

std::vector<NamedValue> seeded_inputs(const Model& model, const std::map<std::string, cpu::Dims>& dims) {
  std::vector<NamedValue> out;
  for (const TensorPtr& in : model.graph->inputs) {
    if (in->is_constant()) continue;
    out.push_back({in->name, cpu::Value::of(random_tensor(in->dtype(), dims.at(in->name), 0))});
  }
  return out;
}

MemorySummary summary_of(const MemoryReport& r) { return {r.weight_bytes, r.activation_bytes, r.workspace_bytes}; }

class Stream {
 public:
  Stream() { cuda::check_cuda(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "creating a stream"); }
  ~Stream() { cudaStreamDestroy(s_); }
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() { cuda::check_cuda(cudaEventCreate(&e_), "creating an event"); }
  ~Event() { cudaEventDestroy(e_); }
  void record(cudaStream_t s) { cudaEventRecord(e_, s); }
  float since(const Event& start) const {
    float ms = 0;
    cudaEventElapsedTime(&ms, start.e_, e_);
    return ms;
  }

 private:
  cudaEvent_t e_ = nullptr;
};

// One context on its own stream with the events of one timed inference.
struct Lane {
  std::unique_ptr<CudaContext> ctx;
  Stream stream;
  Event start, uploaded, computed, downloaded;
  std::vector<NamedValue> outputs;

  void launch(const std::vector<NamedValue>& inputs, bool cuda_graph) {
    start.record(stream.get());
    ctx->upload_inputs(inputs, stream.get());
    uploaded.record(stream.get());
    ctx->enqueue_io(stream.get(), cuda_graph);
    computed.record(stream.get());
    outputs = ctx->download_outputs(stream.get(), false);
    downloaded.record(stream.get());
  }
};

class CudaRunner : public GpuRunner {
 public:
  explicit CudaRunner(Network net) : engine_(std::move(net)) {}

  std::vector<NamedValue> run(const std::vector<NamedValue>& inputs) override {
    if (!ctx_) ctx_ = engine_.create_context();
    return ctx_->run(inputs);
  }

  BenchResult benchmark(const std::vector<NamedValue>& inputs, const BenchOptions& options) override {
    std::vector<std::unique_ptr<Lane>> lanes;
    for (int s = 0; s < std::max(1, options.streams); ++s) {
      lanes.push_back(std::make_unique<Lane>());
      lanes.back()->ctx = engine_.create_context();
    }
    auto round = [&] {
      for (auto& lane : lanes) lane->launch(inputs, options.cuda_graph);
      for (auto& lane : lanes) cuda::check_cuda(cudaStreamSynchronize(lane->stream.get()), "running the engine");
    };
    for (int i = 0; i < options.warmup; ++i) round();
    BenchResult r;
    using Clock = std::chrono::steady_clock;
    const auto begin = Clock::now();
    for (int i = 0;; ++i) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
      if (i >= options.iterations && elapsed >= options.duration_s) break;
      const auto t0 = Clock::now();
      round();
      r.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      for (auto& lane : lanes) {
        r.h2d_ms.push_back(lane->uploaded.since(lane->start));
        r.compute_ms.push_back(lane->computed.since(lane->uploaded));
        r.d2h_ms.push_back(lane->downloaded.since(lane->computed));
      }
    }
    r.wall_s = std::chrono::duration<double>(Clock::now() - begin).count();
    r.throughput = r.wall_s > 0 ? double(r.latency_ms.size() * lanes.size()) / r.wall_s : 0;
    r.memory = summary_of(lanes.front()->ctx->memory());
    if (options.profile) profile(*lanes.front(), inputs, r);
    return r;
  }

  std::vector<std::string> describe_layers() const override { return engine_.describe_layers(); }

 private:
  static void profile(Lane& lane, const std::vector<NamedValue>& inputs, BenchResult& r) {
    lane.ctx->set_profiling(true);
    lane.launch(inputs, false);
    cuda::check_cuda(cudaStreamSynchronize(lane.stream.get()), "running the engine");
    for (const LayerTime& t : lane.ctx->layer_times()) r.layer_ms.emplace_back(t.name, t.ms);
    lane.ctx->set_profiling(false);
  }

  CudaEngine engine_;
  std::unique_ptr<CudaContext> ctx_;
};

class CudaBackend : public GpuBackend {
 public:
  PlanTarget target(std::string* why_none) const override {
    PlanTarget t;
    t.device = Device::kCuda;
    const cuda::DeviceInfo info = cuda::query_devices();
    if (info.count == 0) {
      if (why_none) *why_none = info.why_none;
      return t;
    }
    t.gpu_name = info.name;
    t.compute_capability = info.compute_capability;
    cudaRuntimeGetVersion(&t.cuda_runtime);
    t.cudnn = cudnnGetVersion();
    t.cublaslt = cublasLtGetVersion();
    return t;
  }

  BuildResult build(Model model, const BuildOptions& options) const override {
    std::string why;
    if (target(&why).compute_capability == 0) throw Error("graft build --device cuda: " + why);
    model.graph->toposort();
    folding::infer_shapes(model);
    const std::unordered_set<const Node*> host = find_host_nodes(model);
    Network net;
    net.device = Device::kCuda;
    net.precision = options.precision;
    net.profiles = options.profiles;
    net.layers = group_layers(model, host, options);
    const auto& nodes = model.graph->nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (host.count(nodes[i].get())) net.host_nodes.push_back(i);
    }
    net.model = std::move(model);

    CudaEngine engine(std::move(net));
    std::unique_ptr<CudaContext> ctx = engine.create_context();
    const std::map<std::string, cpu::Dims> dims =
        opt_input_dims(engine.network().model, options.profiles.empty() ? nullptr : &options.profiles.front());
    ctx->set_input_shapes(dims);
    Stream stream;
    ctx->upload_inputs(seeded_inputs(engine.network().model, dims), stream.get());
    cuda::check_cuda(cudaStreamSynchronize(stream.get()), "uploading inputs");

    BuildResult result;
    if (options.autotune) {
      std::map<std::string, std::string> cache;
      if (!options.timing_cache_path.empty()) cache = read_timing_cache(options.timing_cache_path);
      const AutotuneReport report = engine.autotune(*ctx, cache, options.progress);
      result.tactics_timed = report.timed;
      result.timing_cache_hits = report.cache_hits;
      if (!options.timing_cache_path.empty()) write_timing_cache(options.timing_cache_path, cache);
    }
    result.memory = summary_of(ctx->memory());
    result.layers = engine.describe_layers();
    result.network = engine.network();
    return result;
  }

  std::unique_ptr<GpuRunner> open(Network network) const override {
    return std::make_unique<CudaRunner>(std::move(network));
  }
};

const CudaBackend kBackend;
const bool kRegistered = register_gpu_backend(&kBackend);

}  // namespace
}  // namespace graft::engine
