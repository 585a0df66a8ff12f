#pragma once
// The CUDA runtime. A CudaEngine holds a built network's layers with their weights on the
// device; a CudaContext (one per concurrent stream) holds activation memory, workspace and
// library handles, takes input shapes, and enqueues runs on the caller's stream.
//
//   CudaEngine engine(std::move(network));
//   auto ctx = engine.create_context();
//   ctx->set_input_shapes({{"x", {8, 3, 224, 224}}});
//   ctx->enqueue({{"x", x_dev}, {"y", y_dev}}, stream);   // or ctx->run(host inputs)
//
// Storage: each tensor lives in the dtype its producer layer writes (float16 between FP16
// layers); where a reader wants another, the engine inserts a conversion step. Graph inputs
// and outputs are always in the model's dtypes. Activations share one arena planned by
// lifetime (memory_plan.h) whenever the shapes change.
//
// Layers keep shape-dependent state (descriptors, chosen algorithms). Contexts of one
// engine with different shapes re-prepare the layers they share when they alternate; an
// engine-wide lock serializes that, and the launches, but not the GPU work.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/cpu_executor.h"
#include "engine/network.h"
#include "engine/run_shapes.h"
#include "kernels/cuda/layer.h"

namespace graft::engine {

struct MemoryReport {
  size_t weight_bytes = 0;      // the engine's, shared by its contexts
  size_t activation_bytes = 0;  // this context's arena for its current shapes
  size_t workspace_bytes = 0;   // the largest layer workspace
  size_t io_bytes = 0;          // buffers run() allocated for inputs and outputs
};

struct LayerTime {
  std::string name;
  double ms = 0;
};

class CudaContext;

struct AutotuneReport {
  size_t timed = 0;       // layers whose tactics were timed
  size_t cache_hits = 0;  // layers whose tactic came from the timing cache
};

class CudaEngine {
 public:
  // Creates every layer of `net` and uploads the weights. Throws an Error listing every
  // node no layer could be created for, with the reason.
  explicit CudaEngine(Network net);
  ~CudaEngine();
  CudaEngine(const CudaEngine&) = delete;
  CudaEngine& operator=(const CudaEngine&) = delete;

  const Network& network() const { return net_; }
  size_t weight_bytes() const { return weight_bytes_; }
  std::unique_ptr<CudaContext> create_context();
  // One line per step, in execution order: name, ops, precision, tactic, summary.
  std::vector<std::string> describe_layers() const;
  size_t num_steps() const;

  // Times every tactic of every layer that has several, at `ctx`'s shapes, and keeps the
  // fastest (written into network().layers[i].tactic). `cache` maps a layer's signature
  // to the tactic chosen before; hits are not timed again, misses are added.
  // `ctx` must have its inputs uploaded (upload_inputs).
  AutotuneReport autotune(CudaContext& ctx, std::map<std::string, std::string>& cache, bool log_progress);

  struct Slot;
  struct Step;

 private:
  friend class CudaContext;
  class Weights;
  void create_steps();
  void add_layer_step(size_t record);
  int input_slot(const Tensor* t, DataType wanted, cuda::Format format, bool taken_by_layer);
  int output_slot(const Tensor* t, DataType storage, cuda::Format format);
  int converted_slot(const Tensor* t, DataType storage, cuda::Format format);
  void finish_graph_outputs();
  int slot_for(const Tensor* t, DataType storage, cuda::Format format) const;

  Network net_;
  std::unordered_set<const Node*> host_nodes_;
  std::unordered_map<const Tensor*, cpu::HostTensor> constants_;  // host copies of the model's constants
  std::vector<Slot> slots_;
  std::vector<Step> steps_;
  std::unique_ptr<Weights> weights_;
  size_t weight_bytes_ = 0;
  std::mutex mu_;
  uint64_t generation_ = 0;  // bumped by every set_input_shapes of any context
};

class CudaContext {
 public:
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  // Dims of every graph input without an initializer. Infers all other dims, computes the
  // shape tensors, prepares the layers, plans memory. Throws an Error naming the input
  // (missing, wrong rank, outside the profile) or the node whose shapes fail.
  void set_input_shapes(const std::map<std::string, cpu::Dims>& dims);
  bool has_shapes() const { return generation_ != 0; }
  cpu::Dims dims_of(const std::string& tensor_name) const;

  // Enqueues one run on `stream`. `bindings` maps every graph input and output name to
  // device memory of its dims (set_input_shapes) and the model's dtype. With
  // `cuda_graph`, the run is captured once per shapes and bindings and replayed.
  void enqueue(const std::map<std::string, void*>& bindings, cudaStream_t stream, bool cuda_graph = false);

  // Host convenience around enqueue: inputs copied in (shapes set as needed), the run,
  // outputs copied back; synchronous. Throws an Error naming an input of the wrong dtype.
  std::vector<NamedValue> run(const std::vector<NamedValue>& inputs);
  // The three parts of run(), for timing them apart (trtexec's H2D / compute / D2H).
  void upload_inputs(const std::vector<NamedValue>& inputs, cudaStream_t stream);
  void enqueue_io(cudaStream_t stream, bool cuda_graph = false);
  // With wait = false the returned tensors are filled once `stream` gets there.
  std::vector<NamedValue> download_outputs(cudaStream_t stream, bool wait = true);

  MemoryReport memory() const;
  // Per-step GPU times of the last enqueue (not with cuda_graph), after the stream is done.
  void set_profiling(bool on) { profiling_ = on; }
  std::vector<LayerTime> layer_times() const;

 private:
  friend class CudaEngine;
  explicit CudaContext(CudaEngine& engine);
  void prepare_step(size_t step);
  void place_slots();
  void* slot_address(int slot, const std::map<std::string, void*>& bindings) const;
  void enqueue_steps(const std::map<std::string, void*>& bindings, cudaStream_t stream);
  void enqueue_step(size_t k, const std::map<std::string, void*>& bindings, cudaStream_t stream);
  void prepare_stale_steps();
  void update_workspace();
  cuda::DeviceTensor device_tensor(int slot, const std::map<std::string, void*>& bindings) const;
  cuda::TensorDesc desc(int slot) const;

  CudaEngine& engine_;
  cuda::Handles handles_;
  uint64_t generation_ = 0;
  RunShapes shapes_;
  std::vector<size_t> slot_offsets_;  // activation and host-value slots
  void* arena_ = nullptr;
  size_t arena_bytes_ = 0;
  void* host_value_buffer_ = nullptr;
  size_t host_value_bytes_ = 0;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  size_t workspace_needed_ = 0;
  std::map<std::string, std::pair<void*, size_t>> io_;  // run()'s buffers by tensor name
  std::map<std::string, void*> io_bindings_;
  bool profiling_ = false;
  std::vector<void*> events_;  // cudaEvent_t per step boundary
  void* graph_exec_ = nullptr;  // cudaGraphExec_t
  std::pair<uint64_t, std::map<std::string, void*>> graph_key_;
  cudaStream_t own_stream_ = nullptr;
};

}  // namespace graft::engine
