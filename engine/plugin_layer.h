#pragma once
// Plugins on the GPU: a node whose op maps to a plugin (explicitly, or because graft has
// no layer of its own for it) runs as a layer that enqueues the plugin's CUDA
// implementation. Its fields come from the node's attributes, which the plan keeps.
#include "kernels/cuda/layer.h"

namespace graft::engine {

// The layer table entry for `node`: an explicitly mapped op goes to its plugin; otherwise
// graft's own layer; otherwise the plugin its (domain, op, opset) resolves to, or for an
// ONNX op the built-in plugin carrying it (GridSample, RoiAlign, ScatterElements,
// NonMaxSuppression). Null when there is none. A plugin without a CUDA implementation is refused when the layer is made.
const cuda::LayerDef* layer_def_for(const Node& node, int64_t opset);

}  // namespace graft::engine
