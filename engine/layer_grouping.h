#pragma once
// Lowering: groups a model's nodes into GPU layers. Each node that the host does not
// compute gets the layer its op registers (kernels/cuda/layer.h); a layer whose table
// entry can fuse takes in the following nodes while its predicate agrees (Conv + bias +
// ReLU, chains of pointwise ops). Each layer's precision is the requested one, FP32 where
// the layer has no FP16 implementation, or what --precision-constraints pins.
#include <unordered_set>
#include <vector>

#include "engine/gpu_backend.h"
#include "engine/network.h"

namespace graft::engine {

// Layers in execution order. Throws an Error listing every node that cannot run on the
// GPU, each with its reason (no layer for the op, or the layer refused its attributes).
std::vector<LayerRecord> group_layers(const Model& model, const std::unordered_set<const Node*>& host_nodes,
                                      const BuildOptions& options);

}  // namespace graft::engine
