#pragma once
// A GPU layer runs one ONNX node, or a fused group of them, on a CUDA stream. The engine
// builder (engine/) groups nodes into layers, picks each layer's precision and tactic
// (timing the candidates), plans memory; the runtime calls prepare() whenever the layer's
// input dims change and enqueue() on every run.
//
// One factory per op type in a table, as for the CPU kernels and the shape functions:
//
//   std::unique_ptr<Layer> make_pool(const LayerSpec& spec);
//   GRAFT_GPU_LAYER("", MaxPool, 1, make_pool);                // domain, op, first opset
//   GRAFT_GPU_LAYER_FUSING("", Conv, 1, make_conv, conv_absorbs);  // + what it can fuse
//
// A factory throws graft::Error (naming spec.describe()) for a node it cannot run (an
// attribute value or dtype it does not support); the builder then reports that node as
// unsupported on the GPU.
//
// Fusion: a layer whose table entry has an `absorbs` predicate may take in the next node
// (the only reader of the group's last output, that output no graph output) when the
// predicate says yes; the builder extends groups greedily and hands the whole group to
// the factory. Pointwise ops (Add, Relu, Cast, Where, ...) fuse into one kernel this way;
// Conv takes its bias Add, residual Add and activation.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/host_tensor.h"
#include "kernels/cuda/precision.h"
#include "ops/node_attrs.h"
#include "ops/op_registry.h"
#include "surgeon/dtype.h"
#include "surgeon/node.h"

#ifdef GRAFT_WITH_CUDA
#include <cuda_runtime_api.h>
#else
using cudaStream_t = struct CUstream_st*;
#endif

namespace graft::cuda {

// How a tensor's elements lie in memory. Dims are always the model's (N, C, H, W for a
// 4-D activation); kChannelsLast stores a rank-4 tensor as N, H, W, C.
enum class Format : uint8_t { kLinear, kChannelsLast };
const char* format_name(Format f);  // "linear", "NHWC"

// A tensor in device memory. `dtype` is the storage dtype: a float32 tensor of the model
// is stored as float16 between layers that run at FP16.
struct DeviceTensor {
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> dims;
  void* data = nullptr;  // null for an omitted optional input or an empty tensor
  Format format = Format::kLinear;

  int64_t numel() const;
  size_t nbytes() const;
};

// Dims and storage dtype of a tensor, without memory (prepare-time).
struct TensorDesc {
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> dims;
  Format format = Format::kLinear;
  int64_t numel() const;
};

// What a layer factory gets: the group of nodes it runs and how.
struct LayerSpec {
  std::vector<const Node*> nodes;  // in execution order; nodes[0] is the main node
  std::vector<int64_t> opsets;     // the default domain's opset of each node's model
  // The group's inputs and outputs: tensors read from / written to outside the group, in
  // first-use order (null: an omitted optional input of the main node, kept in place).
  std::vector<const Tensor*> inputs;
  std::vector<const Tensor*> outputs;
  Precision precision = Precision::kFP32;

  const Node& main() const { return *nodes.front(); }
  ops::NodeAttrs attrs(size_t node = 0) const { return ops::NodeAttrs(*nodes[node]); }
  std::string describe() const;  // "node 'conv1' (Conv) + 'relu1' (Relu)"
  // Index of `t` among inputs; -1 when it is not a group input.
  int input_index(const Tensor* t) const;
};

// Device memory a layer keeps for its life (transformed weights); counted as weights.
class WeightAllocator {
 public:
  virtual ~WeightAllocator() = default;
  virtual void* allocate(size_t bytes) = 0;  // freed with the engine
};

// Library handles of one execution context (bound to its stream by the runtime).
struct Handles {
  void* cudnn = nullptr;     // cudnnHandle_t
  void* cublaslt = nullptr;  // cublasLtHandle_t
};

struct LoadContext {
  const LayerSpec& spec;
  WeightAllocator& weights;
  cudaStream_t stream;  // for uploads; the runtime synchronizes after loading
};

struct PrepareContext {
  std::vector<TensorDesc> inputs;   // storage dtypes and dims of this run
  std::vector<TensorDesc> outputs;
  // Input i's values when the host knows them before the run: the model's constants and
  // small integer tensors computed from shapes (Shape -> Gather -> Concat). Null otherwise.
  // Slice starts, Reshape shapes, Pad pads, Resize scales, ... are read from here.
  std::vector<const cpu::HostTensor*> host_values;
  Handles handles;
};

struct EnqueueContext {
  std::vector<DeviceTensor> inputs;  // constant inputs arrive on the device too
  std::vector<DeviceTensor> outputs;
  void* workspace = nullptr;  // workspace_bytes() of the last prepare(), or null if 0
  cudaStream_t stream = nullptr;
  Handles handles;
};

class Layer {
 public:
  virtual ~Layer() = default;

  // Whether the layer can run at FP16 (read and write float tensors as half, computing in
  // half or float as it sees fit); the builder falls back to FP32 per layer otherwise.
  virtual bool supports_fp16() const { return false; }
  // Set by the builder right after the factory (never kFP16 unless supports_fp16()).
  void set_precision(Precision p) { precision_ = p; }
  Precision precision() const { return precision_; }

  // Storage dtypes: which dtype the layer wants input i in / writes output i in, given the
  // model's dtype. The builder stores tensors accordingly and inserts a conversion where a
  // producer and a reader disagree. By default float32 is stored as float16 at kFP16.
  virtual DataType input_storage(size_t i, DataType model_dtype) const;
  virtual DataType output_storage(size_t i, DataType model_dtype) const;
  // Formats: which memory order the layer wants input i in / writes output i in, given the
  // input's rank (asked once the layer exists; only rank-4 tensors can be channels-last).
  // The builder inserts a reordering where a producer and a reader disagree. Graph inputs
  // and outputs are linear.
  virtual Format input_format(size_t /*i*/, size_t /*rank*/) const { return Format::kLinear; }
  virtual Format output_format(size_t /*i*/, size_t /*rank*/) const { return Format::kLinear; }

  // An output that is an input's bytes under other dims (Reshape, Squeeze, ...): the
  // engine then lets both share memory where it can, and enqueue() must do nothing when
  // the output's data pointer equals the input's (it copies otherwise).
  virtual int aliased_input(size_t /*output*/) const { return -1; }

  // Constant inputs whose host values the layer takes in load() (and keeps on the device in
  // its own form); the runtime does not upload those for it.
  virtual bool takes_constant(size_t /*input*/) const { return false; }
  virtual void load(const LoadContext& /*ctx*/) {}

  // Alternative implementations the builder times (the first is the default); a layer
  // with one implementation returns one name. Asked after prepare().
  virtual std::vector<std::string> tactics() const { return {"default"}; }
  virtual void set_tactic(const std::string& /*name*/) {}

  // Input dims changed: set up descriptors, work out the workspace size.
  virtual void prepare(const PrepareContext& /*ctx*/) {}
  virtual size_t workspace_bytes() const { return 0; }
  // Enqueues the computation; returns without waiting. Throws an Error on a CUDA error.
  virtual void enqueue(const EnqueueContext& ctx) = 0;

  // One line for `graft build`'s layer list (e.g. "cudnn conv fused bias+relu, NCHW").
  virtual std::string summary() const { return ""; }

 protected:
  DataType stored(DataType model_dtype) const;  // the default rule above

 private:
  Precision precision_ = Precision::kFP32;
};

using LayerFactory = std::unique_ptr<Layer> (*)(const LayerSpec& spec);
// May the group (whose last node is group.back()) take in `next`, its output's only reader?
using AbsorbFn = bool (*)(const std::vector<const Node*>& group, const Node& next);

struct LayerDef {
  std::string domain;
  std::string op_type;
  int64_t since_version = 1;
  LayerFactory make = nullptr;
  AbsorbFn absorbs = nullptr;
};

using LayerRegistry = ops::OpRegistry<LayerDef>;
const LayerDef* find_layer(const std::string& domain, const std::string& op_type, int64_t opset);
bool register_layer(LayerDef def);

// Throws an Error "<what>: <cuda error string>" unless err is cudaSuccess.
void check_cuda(int err, const std::string& what);

}  // namespace graft::cuda

#define GRAFT_GPU_LAYER_CAT2(a, b) a##b
#define GRAFT_GPU_LAYER_CAT(a, b) GRAFT_GPU_LAYER_CAT2(a, b)
#define GRAFT_GPU_LAYER_FUSING(domain, op, since, factory, absorbs_fn)                        \
  static const bool GRAFT_GPU_LAYER_CAT(graft_gpu_layer_##op##_, __LINE__) =                  \
      ::graft::cuda::register_layer({domain, #op, since, factory, absorbs_fn})
#define GRAFT_GPU_LAYER(domain, op, since, factory) GRAFT_GPU_LAYER_FUSING(domain, op, since, factory, nullptr)
