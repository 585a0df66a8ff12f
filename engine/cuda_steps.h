#pragma once
// The pieces a CudaEngine runs: slots (where a tensor lives, in which storage dtype) and
// steps (a layer with the slots it reads and writes). Internal to the CUDA engine.
#include <memory>
#include <string>
#include <vector>

#include "engine/cuda_engine.h"

namespace graft::engine {

struct CudaEngine::Slot {
  enum class Kind : uint8_t {
    kInput,       // a graph input: the user's binding
    kOutput,      // a graph output: the user's binding
    kWeight,      // a constant on the device (weight == null when its layer took it)
    kHostValue,   // a shape tensor computed on the host, uploaded per shape set
    kActivation,  // in the context's arena
  };
  const Tensor* tensor = nullptr;
  DataType storage = DataType::kUndefined;
  Kind kind = Kind::kActivation;
  void* weight = nullptr;
  cuda::Format format = cuda::Format::kLinear;
  int alias_of = -1;  // an activation that is another slot's bytes (Reshape's output)
};

struct CudaEngine::Step {
  cuda::LayerSpec spec;
  std::unique_ptr<cuda::Layer> layer;
  std::vector<int> inputs;   // slot per spec.inputs entry, -1 for an omitted one
  std::vector<int> outputs;  // slot per spec.outputs entry
  std::vector<const cpu::HostTensor*> constant_values;  // per input: host values of constants
  int record = -1;           // index into Network::layers; -1 for a conversion
  uint64_t prepared_for = 0; // the context generation the layer was last prepared for
  size_t workspace = 0;      // after that prepare
};

// The spec of a layer record (nodes, group inputs and outputs, precision) and its layer,
// created by the op's factory. Throws an Error naming the node(s) and why.
CudaEngine::Step make_layer_step(const Model& model, const LayerRecord& record);
cuda::LayerSpec make_layer_spec(const Model& model, const std::vector<const Node*>& nodes, cuda::Precision precision);
// A step that copies slot `from` into slot `to` in the latter's dtype and format.
CudaEngine::Step make_conversion_step(const Tensor* t, const CudaEngine::Slot& from_slot, const CudaEngine::Slot& to_slot,
                                      int from, int to);
std::string describe_step(const CudaEngine::Step& step, const Network& net);

}  // namespace graft::engine
