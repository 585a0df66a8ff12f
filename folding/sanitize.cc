#include "folding/sanitize.h"

#include "kernels/cpu/kernel.h"
#include "plugins/node_plugin.h"

namespace graft::folding {
namespace {

std::string op_key(const Node& n) {
  return n.domain.empty() || n.domain == "ai.onnx" ? n.op_type : n.domain + "." + n.op_type;
}

void add_ops(const Graph& g, std::map<std::string, size_t>& counts) {
  for (const auto& n : g.nodes()) {
    ++counts[op_key(*n)];
    for (const Graph* sub : n->subgraphs()) add_ops(*sub, counts);
  }
}

size_t total(const std::map<std::string, size_t>& counts) {
  size_t n = 0;
  for (const auto& [op, c] : counts) n += c;
  return n;
}

void find_gaps(const Model& model, const Graph& g, SanitizeReport& r) {
  for (const auto& n : g.nodes()) {
    const int64_t opset = model.opset(n->domain);
    const cpu::KernelDef* kernel = cpu::find_kernel(n->domain, n->op_type, opset);
    if (!plugins::cpu_kernel_for(*n, opset, kernel ? kernel->fn : nullptr)) ++r.ops_without_kernel[op_key(*n)];
    for (const TensorPtr& out : n->outputs()) {
      if (out && out->type.is_tensor() && !out->type.shape.is_static()) {
        r.unknown_shapes.push_back(out->name + " " + out->type.str());
      } else if (out && out->type.kind == ValueType::Kind::kNone) {
        r.unknown_shapes.push_back(out->name + " ?");
      }
    }
    for (const Graph* sub : n->subgraphs()) find_gaps(model, *sub, r);
  }
}

}  // namespace

std::map<std::string, size_t> op_histogram(const Graph& g) {
  std::map<std::string, size_t> counts;
  add_ops(g, counts);
  return counts;
}

SanitizeReport sanitize(Model& model, const SanitizeOptions& options) {
  SanitizeReport r;
  r.ops_before = op_histogram(*model.graph);
  r.nodes_before = total(r.ops_before);
  PassManager pm(options.passes);
  for (const std::string& name : options.pass_names.empty() ? default_pipeline() : options.pass_names) {
    pm.add(name);
  }
  r.passes = pm.run(model, options.max_rounds);
  model.graph->toposort();
  model.graph->check();
  r.ops_after = op_histogram(*model.graph);
  r.nodes_after = total(r.ops_after);
  find_gaps(model, *model.graph, r);
  return r;
}

}  // namespace graft::folding
