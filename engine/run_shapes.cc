#include "engine/run_shapes.h"

#include <algorithm>

#include "kernels/cpu/kernel.h"
#include "ops/shape_inference.h"
#include "plugins/node_plugin.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

bool small_integer(const Tensor& t) {
  const DataType d = t.dtype();
  const bool integer = d == DataType::kInt64 || d == DataType::kInt32 || d == DataType::kBool;
  const Shape s = t.shape();
  return integer && s.has_rank() && s.rank() <= 1;
}

cpu::Dims static_dims(const Shape& s) {
  cpu::Dims d;
  for (const Dim& x : s.dims()) d.push_back(x.value);
  return d;
}

class ShapeRun {
 public:
  ShapeRun(const Model& model, const std::unordered_set<const Node*>& host_nodes,
           const std::unordered_map<const Tensor*, cpu::HostTensor>& constants)
      : model_(model), host_nodes_(host_nodes), constants_(constants) {}

  RunShapes run(const std::map<std::string, cpu::Dims>& inputs) {
    for (const TensorPtr& t : model_.graph->initializers) set_constant(*t);
    for (const TensorPtr& in : model_.graph->inputs) {
      if (out_.dims.count(in.get())) continue;  // an input with an initializer, not overridden
      bind_input(*in, inputs);
    }
    for (const auto& node : model_.graph->nodes()) {
      try {
        if (host_nodes_.count(node.get())) run_on_host(*node);
        else infer(*node);
      } catch (const Error& e) {
        const std::string what = e.what();
        if (what.rfind(node->describe(), 0) == 0) throw;
        throw Error(node->describe() + ": " + what);
      }
    }
    return std::move(out_);
  }

 private:
  void set_constant(const Tensor& t) {
    if (!t.data) return;
    out_.dims[&t] = t.data->dims;
    out_.dtypes[&t] = t.data->dtype;
  }

  void bind_input(const Tensor& in, const std::map<std::string, cpu::Dims>& inputs) {
    auto it = inputs.find(in.name);
    if (it == inputs.end()) throw Error("input '" + in.name + "': no dims given for it");
    const Shape declared = in.shape();
    if (declared.has_rank() && declared.rank() != it->second.size()) {
      throw Error("input '" + in.name + "': rank " + std::to_string(it->second.size()) + " given, the model says " +
                  declared.str());
    }
    out_.dims[&in] = it->second;
    out_.dtypes[&in] = in.dtype();
  }

  const cpu::HostTensor* host_value(const Tensor* t) const {
    auto c = constants_.find(t);
    if (c != constants_.end()) return &c->second;
    auto h = out_.host_values.find(t);
    return h == out_.host_values.end() ? nullptr : &h->second;
  }

  ops::ValueFacts facts_of(const Tensor* t) const {
    ops::ValueFacts f;
    auto d = out_.dims.find(t);
    if (d == out_.dims.end()) return f;
    f.type = ValueType::tensor(out_.dtypes.at(t), Shape::of(d->second));
    if (t->data) f.constant = t->data.get();
    const cpu::HostTensor* v = host_value(t);
    const bool integer = v && (v->dtype() == DataType::kInt64 || v->dtype() == DataType::kInt32);
    if (integer && v->rank() <= 1 && v->numel() <= int64_t(ops::kMaxTrackedElements)) {
      std::vector<Dim> elements;
      for (int64_t x : v->to_int64s()) elements.push_back(Dim::fixed(x));
      f.elements = std::move(elements);
    }
    return f;
  }

  void infer(const Node& node) {
    std::vector<ops::ValueFacts> facts;
    facts.reserve(node.inputs().size());
    for (const TensorPtr& in : node.inputs()) facts.push_back(in ? facts_of(in.get()) : ops::ValueFacts{});
    std::vector<const ops::ValueFacts*> ptrs;
    for (size_t i = 0; i < facts.size(); ++i) ptrs.push_back(node.input(i) ? &facts[i] : nullptr);
    const int64_t opset = model_.opset(node.domain);
    const ops::ShapeFnDef* def = ops::find_shape_fn(node.domain, node.op_type, opset);
    const ops::ShapeFn fn = plugins::shape_fn_for(node, opset, def ? def->fn : nullptr);
    if (!fn) throw Error("no shape function for this op");
    ops::ShapeContext ctx(node, opset, std::move(ptrs), nullptr);
    fn(ctx);
    for (size_t i = 0; i < node.outputs().size(); ++i) {
      const Tensor* out = node.output(i).get();
      if (!out) continue;
      const ValueType& t = ctx.outputs()[i].type;
      if (t.kind != ValueType::Kind::kTensor || !t.shape.is_static()) {
        throw Error("the dims of output '" + out->name + "' are unknown for these input shapes");
      }
      out_.dims[out] = static_dims(t.shape);
      out_.dtypes[out] = t.elem;
    }
  }

  void set_host_value(const Tensor* out, cpu::HostTensor t) {
    out_.dims[out] = t.dims();
    out_.dtypes[out] = t.dtype();
    out_.host_values[out] = std::move(t);
  }

  // Shape and Size read only their input's dims.
  void run_shape_op(const Node& node) {
    const cpu::Dims& dims = out_.dims.at(node.input(0).get());
    std::vector<int64_t> values = dims;
    if (node.op_type == "Size") {
      int64_t n = 1;
      for (int64_t d : dims) n *= d;
      values = {n};
    } else {
      const int64_t rank = static_cast<int64_t>(dims.size());
      const ops::NodeAttrs attrs(node);
      auto clamp = [rank](int64_t i) { return std::clamp(i < 0 ? i + rank : i, int64_t{0}, rank); };
      const int64_t start = clamp(attrs.get_int("start", 0)), end = clamp(attrs.get_int("end", rank));
      values = std::vector<int64_t>(dims.begin() + start, dims.begin() + std::max(start, end));
    }
    cpu::Dims out_dims;
    if (node.op_type == "Shape") out_dims = {static_cast<int64_t>(values.size())};
    cpu::HostTensor t(DataType::kInt64, out_dims);
    std::copy(values.begin(), values.end(), t.mutable_data<int64_t>());
    set_host_value(node.output(0).get(), std::move(t));
  }

  void run_on_host(const Node& node) {
    if (node.op_type == "Shape" || node.op_type == "Size") return run_shape_op(node);
    std::vector<cpu::Value> values;
    values.reserve(node.inputs().size());
    for (const TensorPtr& in : node.inputs()) {
      if (!in) {
        values.push_back(cpu::Value{});
        continue;
      }
      const cpu::HostTensor* v = host_value(in.get());
      if (!v) throw Error("input '" + in->name + "' has no value on the host");
      values.push_back(cpu::Value::of(*v));
    }
    std::vector<const cpu::Value*> ptrs;
    for (size_t i = 0; i < values.size(); ++i) ptrs.push_back(node.input(i) ? &values[i] : nullptr);
    const int64_t opset = model_.opset(node.domain);
    const cpu::KernelDef* def = cpu::find_kernel(node.domain, node.op_type, opset);
    if (!def) throw Error("no CPU kernel for this op");
    cpu::KernelContext ctx(node, opset, std::move(ptrs), nullptr);
    def->fn(ctx);
    for (size_t i = 0; i < node.outputs().size(); ++i) {
      if (node.output(i)) set_host_value(node.output(i).get(), ctx.outputs()[i].tensor);
    }
  }

  const Model& model_;
  const std::unordered_set<const Node*>& host_nodes_;
  const std::unordered_map<const Tensor*, cpu::HostTensor>& constants_;
  RunShapes out_;
};

}  // namespace

std::unordered_set<const Node*> find_host_nodes(const Model& model) {
  std::unordered_set<const Node*> host;
  std::unordered_set<const Tensor*> on_host;
  for (const auto& node : model.graph->nodes()) {
    bool inputs_on_host = true;
    for (const TensorPtr& in : node->inputs()) inputs_on_host &= !in || in->is_constant() || on_host.count(in.get());
    bool outputs_small = !node->outputs().empty();
    for (const TensorPtr& out : node->outputs()) outputs_small &= !out || small_integer(*out);
    // Constant nodes too: sanitize turns them into initializers, a model built as it is
    // keeps them, and their values are known before any run.
    const bool known = node->op_type == "Shape" || node->op_type == "Size" || node->op_type == "Constant";
    if (!(known || (inputs_on_host && outputs_small)) || !node->subgraphs().empty()) continue;
    host.insert(node.get());
    for (const TensorPtr& out : node->outputs()) {
      if (out) on_host.insert(out.get());
    }
  }
  return host;
}

RunShapes compute_run_shapes(const Model& model, const std::map<std::string, cpu::Dims>& inputs,
                             const std::unordered_set<const Node*>& host_nodes,
                             const std::unordered_map<const Tensor*, cpu::HostTensor>& constants) {
  return ShapeRun(model, host_nodes, constants).run(inputs);
}

}  // namespace graft::engine
