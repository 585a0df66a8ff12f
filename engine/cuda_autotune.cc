// Tactic selection: each layer that offers several implementations has each timed at the
// context's shapes, in place inside the engine (its real inputs and neighbours' memory),
// and the fastest kept, as TensorRT's builder does.
#include <cudnn.h>

#include <algorithm>
#include <cstdio>

#include "engine/cuda_engine.h"
#include "engine/cuda_steps.h"
#include "surgeon/attribute_text.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

constexpr int kWarmup = 2;
constexpr int kTimedRuns = 5;

std::string dims_key(const cuda::TensorDesc& d) {
  std::string s = dtype_name(d.dtype) + "[";
  for (size_t i = 0; i < d.dims.size(); ++i) s += (i ? "," : "") + std::to_string(d.dims[i]);
  return s + "]";
}

}  // namespace

AutotuneReport CudaEngine::autotune(CudaContext& ctx, std::map<std::string, std::string>& cache, bool log_progress) {
  std::lock_guard<std::mutex> lock(mu_);
  ctx.prepare_stale_steps();
  AutotuneReport report;
  cudaStream_t stream = ctx.own_stream_;
  // Library calls must go to the stream the events time (cuDNN's handle defaults to stream 0).
  if (cudnnSetStream(static_cast<cudnnHandle_t>(ctx.handles_.cudnn), stream) != CUDNN_STATUS_SUCCESS) {
    throw Error("cudnnSetStream failed");
  }
  cudaEvent_t start = nullptr, stop = nullptr;
  cuda::check_cuda(cudaEventCreate(&start), "creating events");
  cuda::check_cuda(cudaEventCreate(&stop), "creating events");
  for (size_t k = 0; k < steps_.size(); ++k) {
    Step& step = steps_[k];
    if (step.record < 0) continue;
    const std::vector<std::string> tactics = step.layer->tactics();
    if (tactics.size() < 2) continue;
    std::string key = cuda::precision_name(net_.layers[step.record].precision);
    for (const Node* n : step.spec.nodes) {
      key += " " + n->op_type + "(";
      for (const Attribute& a : n->attributes) key += a.name + "=" + attribute_value_text(a) + ";";
      key += ")";
    }
    for (int s : step.inputs) key += " " + (s >= 0 ? dims_key(ctx.desc(s)) : "-");
    std::string best;
    if (auto hit = cache.find(key);
        hit != cache.end() && std::find(tactics.begin(), tactics.end(), hit->second) != tactics.end()) {
      best = hit->second;
      ++report.cache_hits;
    } else {
      float best_ms = 0;
      for (const std::string& t : tactics) {
        try {
          step.layer->set_tactic(t);
          step.workspace = step.layer->workspace_bytes();
          ctx.update_workspace();
          for (int i = 0; i < kWarmup; ++i) ctx.enqueue_step(k, ctx.io_bindings_, stream);
          cudaEventRecord(start, stream);
          for (int i = 0; i < kTimedRuns; ++i) ctx.enqueue_step(k, ctx.io_bindings_, stream);
          cudaEventRecord(stop, stream);
          cuda::check_cuda(cudaEventSynchronize(stop), "timing tactic " + t);
          float ms = 0;
          cudaEventElapsedTime(&ms, start, stop);
          if (best.empty() || ms < best_ms) best = t, best_ms = ms;
        } catch (const Error&) {
          cudaGetLastError();  // a tactic that fails to run is not a candidate
        }
      }
      if (best.empty()) throw Error(step.spec.describe() + ": none of its " + std::to_string(tactics.size()) + " tactics ran");
      if (log_progress) {
        std::fprintf(stderr, "graft build: %s: %zu tactics, fastest %s (%.3f ms)\n", step.spec.describe().c_str(),
                     tactics.size(), best.c_str(), best_ms / kTimedRuns);
      }
      cache[key] = best;
      ++report.timed;
    }
    net_.layers[step.record].tactic = best;
    step.layer->set_tactic(best);
    step.workspace = step.layer->workspace_bytes();
  }
  ctx.update_workspace();
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return report;
}

}  // namespace graft::engine
