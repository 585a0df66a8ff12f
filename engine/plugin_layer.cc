#include "engine/plugin_layer.h"

#include "plugins/node_plugin.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

// An explicit mapping, else the plugin the node's (domain, op, opset) resolves to, else for
// an ONNX op the built-in plugin that carries it (graft::ScatterElements, GridSample,
// RoiAlign, NonMaxSuppression: graft's own CPU kernel semantics, with CUDA).
const plugins::Registered* plugin_for(const Node& node, int64_t opset) {
  const plugins::Registry& reg = plugins::Registry::global();
  if (const plugins::Registered* r = reg.mapped(node)) return r;
  if (const plugins::Registered* r = reg.resolve(node, opset)) return r;
  if (!ops::normal_domain(node.domain).empty()) return nullptr;
  const plugins::Registered* builtin = reg.find("graft", node.op_type, 1);
  return builtin && builtin->library == plugins::kBuiltIn ? builtin : nullptr;
}

std::vector<plugins::DeviceTensor> plugin_tensors(const std::vector<cuda::DeviceTensor>& ts) {
  std::vector<plugins::DeviceTensor> out;
  for (const cuda::DeviceTensor& t : ts) out.push_back({t.dtype, t.dims, t.data});
  return out;
}

class PluginLayer : public cuda::Layer {
  // Runs f, turning anything the plugin throws into an Error naming the node and plugin.
  template <typename F>
  auto guarded(F&& f) {
    try {
      return f();
    } catch (const std::exception& e) {
      throw Error(node_.describe() + ": " + name_ + ": " + e.what());
    }
  }

 public:
  explicit PluginLayer(const cuda::LayerSpec& spec) : node_(spec.main()) {
    const plugins::Registered* r = plugin_for(node_, spec.opsets.front());
    if (!r) throw Error(node_.describe() + ": no plugin for it");
    name_ = plugins::describe(*r);
    plugin_ = plugins::instantiate(*r, node_);
    if (!plugin_->has_cuda()) throw Error(node_.describe() + ": " + name_ + " has no CUDA implementation");
  }

  void prepare(const cuda::PrepareContext& ctx) override {
    std::vector<plugins::DeviceTensor> inputs;
    for (const cuda::TensorDesc& d : ctx.inputs) inputs.push_back({d.dtype, d.dims, nullptr});
    workspace_ = guarded([&] { return plugin_->cuda_workspace_size(inputs); });
  }
  size_t workspace_bytes() const override { return workspace_; }

  void enqueue(const cuda::EnqueueContext& ctx) override {
    plugins::CudaLaunch launch{plugin_tensors(ctx.inputs), plugin_tensors(ctx.outputs), ctx.workspace, ctx.stream};
    guarded([&] {
      plugin_->enqueue_cuda(launch);
      return 0;
    });
  }

  std::string summary() const override { return name_; }

 private:
  const Node& node_;
  std::string name_;
  std::unique_ptr<plugins::Plugin> plugin_;
  size_t workspace_ = 0;
};

std::unique_ptr<cuda::Layer> make_plugin_layer(const cuda::LayerSpec& spec) { return std::make_unique<PluginLayer>(spec); }

const cuda::LayerDef kPluginLayer{"", "plugin", 1, make_plugin_layer, nullptr};

}  // namespace

const cuda::LayerDef* layer_def_for(const Node& node, int64_t opset) {
  if (plugins::Registry::global().mapped(node)) return &kPluginLayer;
  if (const cuda::LayerDef* def = cuda::find_layer(node.domain, node.op_type, opset)) return def;
  return plugin_for(node, opset) ? &kPluginLayer : nullptr;
}

}  // namespace graft::engine
