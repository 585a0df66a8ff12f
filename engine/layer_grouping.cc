#include "engine/layer_grouping.h"

#include <algorithm>
#include <unordered_map>

#include "engine/cuda_steps.h"
#include "engine/plugin_layer.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

class Grouping {
 public:
  Grouping(const Model& model, const std::unordered_set<const Node*>& host, const BuildOptions& options)
      : model_(model), host_(host), options_(options) {
    const auto& nodes = model.graph->nodes();
    for (size_t i = 0; i < nodes.size(); ++i) index_[nodes[i].get()] = i;
    for (const TensorPtr& o : model.graph->outputs) graph_outputs_.insert(o.get());
  }

  std::vector<LayerRecord> run() {
    for (const auto& node : model_.graph->nodes()) {
      if (host_.count(node.get()) || grouped_.count(node.get())) continue;
      add_group(*node);
    }
    if (!unsupported_.empty()) {
      std::string msg = std::to_string(unsupported_.size()) + " node(s) cannot run on the GPU:";
      for (const std::string& u : unsupported_) msg += "\n  " + u;
      throw Error(msg);
    }
    // A fused group runs where its last node was: every input it reads is ready by then.
    std::stable_sort(records_.begin(), records_.end(),
                     [](const LayerRecord& a, const LayerRecord& b) { return a.nodes.back() < b.nodes.back(); });
    return std::move(records_);
  }

 private:
  // The only reader of the group's single output, when that output is no graph output.
  const Node* sole_reader(const Node& last) const {
    if (last.outputs().size() != 1 || !last.output(0)) return nullptr;
    const Tensor* out = last.output(0).get();
    if (graph_outputs_.count(out) || out->consumers().size() != 1) return nullptr;
    const Node* next = out->consumers()[0];
    if (next->graph() != model_.graph.get() || host_.count(next) || grouped_.count(next)) return nullptr;
    return next;
  }

  std::vector<const Node*> grow(const Node& node, const cuda::LayerDef& def) const {
    std::vector<const Node*> group = {&node};
    if (!def.absorbs) return group;
    while (const Node* next = sole_reader(*group.back())) {
      if (!def.absorbs(group, *next)) break;
      group.push_back(next);
    }
    return group;
  }

  cuda::Precision precision_for(const Node& main) const {
    auto it = options_.layer_precisions.find(main.name);
    return it != options_.layer_precisions.end() ? it->second : options_.precision;
  }

  // Creates the layer to learn whether it takes the group and the precision; on a refusal
  // of a fused group, tries it shorter.
  void add_group(const Node& node) {
    const cuda::LayerDef* def = layer_def_for(node, model_.opset(node.domain));
    if (!def) {
      const std::string domain = node.domain.empty() ? "ai.onnx" : node.domain;
      unsupported_.push_back(node.describe() + ": no GPU layer for " + domain + " " + node.op_type + " (opset " +
                             std::to_string(model_.opset(node.domain)) + ")");
      return;
    }
    std::vector<const Node*> group = grow(node, *def);
    std::string last_error;
    while (!group.empty()) {
      const cuda::Precision wanted = precision_for(node);
      try {
        const cuda::LayerSpec spec = make_layer_spec(model_, group, wanted);
        const std::unique_ptr<cuda::Layer> layer = def->make(spec);
        cuda::Precision precision = wanted;
        if (wanted == cuda::Precision::kFP16 && !layer->supports_fp16()) {
          if (options_.layer_precisions.count(node.name)) {
            throw Error(node.describe() + ": --precision-constraints asks for fp16, but its layer has no FP16 implementation");
          }
          precision = cuda::Precision::kFP32;
        }
        record(group, precision);
        return;
      } catch (const Error& e) {
        last_error = e.what();
        group.pop_back();
      }
    }
    unsupported_.push_back(last_error.find(node.describe()) == std::string::npos ? node.describe() + ": " + last_error
                                                                                  : last_error);
  }

  void record(const std::vector<const Node*>& group, cuda::Precision precision) {
    LayerRecord r;
    r.precision = precision;
    for (const Node* n : group) {
      r.nodes.push_back(index_.at(n));
      grouped_.insert(n);
    }
    records_.push_back(std::move(r));
  }

  const Model& model_;
  const std::unordered_set<const Node*>& host_;
  const BuildOptions& options_;
  std::unordered_map<const Node*, size_t> index_;
  std::unordered_set<const Tensor*> graph_outputs_;
  std::unordered_set<const Node*> grouped_;
  std::vector<LayerRecord> records_;
  std::vector<std::string> unsupported_;
};

}  // namespace

std::vector<LayerRecord> group_layers(const Model& model, const std::unordered_set<const Node*>& host_nodes,
                                      const BuildOptions& options) {
  return Grouping(model, host_nodes, options).run();
}

}  // namespace graft::engine
