#include "folding/infer_shapes.h"

#include <unordered_map>
#include <unordered_set>

#include "ops/shape_inference.h"
#include "ops/shape_util.h"
#include "surgeon/error.h"
#include "surgeon/shape_text.h"

namespace graft::folding {
namespace {

using ops::ValueFacts;

bool is_tensorish(const ValueType& t) {
  return t.kind == ValueType::Kind::kTensor || t.kind == ValueType::Kind::kSparseTensor;
}

class Inference {
 public:
  Inference(Model& model, const ShapeInferenceOptions& options) : model_(model), options_(options) {}

  ShapeInferenceReport run() {
    apply_overrides(*model_.graph);
    infer_graph(*model_.graph, nullptr);
    return std::move(report_);
  }

 private:
  void apply_overrides(Graph& g) {
    std::unordered_set<std::string> used;
    for (const TensorPtr& in : g.inputs) {
      if (!is_tensorish(in->type) && in->type.kind != ValueType::Kind::kNone) continue;
      auto it = options_.input_shapes.find(in->name);
      if (it != options_.input_shapes.end()) {
        override_shape(*in, it->second);
        used.insert(in->name);
      } else if (options_.batch && in->type.shape.has_rank() && in->type.shape.rank() >= 1 && !in->data) {
        in->type.shape[0] = Dim::fixed(*options_.batch);
      }
    }
    for (const auto& [name, shape] : options_.input_shapes) {
      if (!used.count(name)) throw Error("--input-shapes names '" + name + "', which is not an input of the model" + input_names(g));
    }
  }

  static std::string input_names(const Graph& g) {
    std::string s;
    for (const TensorPtr& in : g.inputs) s += (s.empty() ? " (inputs: " : ", ") + in->name;
    return s.empty() ? "" : s + ")";
  }

  static void override_shape(Tensor& t, const Shape& shape) {
    const Shape& declared = t.type.shape;
    if (declared.has_rank() && declared.rank() != shape.rank()) {
      throw Error("--input-shapes gives '" + t.name + "' the shape " + shape.str() + ", but the model declares " +
                  declared.str() + " (rank " + std::to_string(declared.rank()) + ")");
    }
    for (size_t i = 0; declared.has_rank() && i < shape.rank(); ++i) {
      if (declared[i].is_fixed() && shape[i].is_fixed() && declared[i].value != shape[i].value) {
        throw Error("--input-shapes gives '" + t.name + "' the shape " + shape.str() + ", but the model fixes it to " +
                    declared.str());
      }
    }
    if (t.type.kind == ValueType::Kind::kNone) t.type = ValueType::tensor(DataType::kUndefined, shape);
    else t.type.shape = shape;
  }

  // Facts of the values a graph defines before its nodes run.
  void seed_graph(const Graph& g, const std::vector<ValueType>* given_inputs) {
    std::unordered_set<const Tensor*> is_input;
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      Tensor& in = *g.inputs[i];
      is_input.insert(&in);
      if (given_inputs && i < given_inputs->size()) merge_into(in, (*given_inputs)[i], nullptr);
      facts_[&in] = ValueFacts{in.type};
    }
    for (const TensorPtr& init : g.initializers) {
      if (is_input.count(init.get()) || !init->data) continue;  // a graph input's default may be overridden
      facts_[init.get()] = ValueFacts{ValueType::tensor(init->data->dtype, Shape::of(init->data->dims)), init->data.get()};
    }
    for (const TensorPtr& s : g.sparse_initializers) {
      if (s->sparse && s->sparse->values) {
        facts_[s.get()] = ValueFacts{ValueType::tensor(s->sparse->values->dtype, Shape::of(s->sparse->dims))};
      }
    }
  }

  std::vector<ValueType> infer_graph(Graph& g, const std::vector<ValueType>* given_inputs) {
    seed_graph(g, given_inputs);
    for (const auto& node : g.nodes()) infer_node(*node);
    std::vector<ValueType> outs;
    for (const TensorPtr& out : g.outputs) outs.push_back(facts_of(out.get()).type);
    return outs;
  }

  const ValueFacts& facts_of(const Tensor* t) {
    auto it = facts_.find(t);
    if (it != facts_.end()) return it->second;
    return facts_[t] = ValueFacts{t->type};  // an outer value seen first here, or undeclared
  }

  void infer_node(Node& node) {
    std::vector<const ValueFacts*> inputs;
    for (const TensorPtr& in : node.inputs()) inputs.push_back(in ? &facts_of(in.get()) : nullptr);
    const int64_t opset = model_.opset(node.domain);
    const ops::ShapeFnDef* def = ops::find_shape_fn(node.domain, node.op_type, opset);
    if (!def) {
      ++report_.ops_without_shape_fn[node.domain.empty() || node.domain == "ai.onnx" ? node.op_type
                                                                                     : node.domain + "." + node.op_type];
      for (const TensorPtr& out : node.outputs()) record_output(node, out, ValueFacts{});
      return;
    }
    ops::ShapeContext ctx(node, opset, std::move(inputs), [this](const Graph& sub, const std::vector<ValueType>& ins) {
      return infer_graph(const_cast<Graph&>(sub), &ins);
    });
    try {
      def->fn(ctx);
    } catch (const Error& e) {
      throw Error(node.describe() + " in " + node.graph()->describe() + ": " + e.what() + input_summary(node));
    }
    for (size_t i = 0; i < node.outputs().size(); ++i) record_output(node, node.output(i), ctx.outputs()[i]);
  }

  std::string input_summary(const Node& node) {
    std::string s;
    for (const TensorPtr& in : node.inputs()) {
      if (in) s += (s.empty() ? " (inputs: " : ", ") + in->name + " " + facts_of(in.get()).type.str();
    }
    return s.empty() ? "" : s + ")";
  }

  void record_output(const Node& node, const TensorPtr& out, ValueFacts inferred) {
    if (!out) return;
    merge_into(*out, inferred.type, &node);
    inferred.type = out->type;
    count(inferred.type);
    facts_[out.get()] = std::move(inferred);
    if (options_.write_value_info && out->type.kind != ValueType::Kind::kNone) add_value_info(*node.graph(), out);
  }

  // Combines what inference found with what the file declared, into the tensor's type.
  void merge_into(Tensor& t, const ValueType& inferred, const Node* node) {
    if (inferred.kind == ValueType::Kind::kNone || inferred.kind == ValueType::Kind::kEmpty) return;
    ValueType& declared = t.type;
    if (!is_tensorish(inferred) || !is_tensorish(declared)) {
      if (declared.kind == ValueType::Kind::kNone || declared.kind == ValueType::Kind::kEmpty) declared = inferred;
      return;
    }
    auto merged = ops::merge_shapes(inferred.shape, declared.shape);
    bool dtype_clash = declared.elem != DataType::kUndefined && inferred.elem != DataType::kUndefined &&
                       declared.elem != inferred.elem;
    if (!merged || dtype_clash) {
      report_.warnings.push_back("'" + t.name + "' is declared " + declared.str() + " but " +
                                 (node ? node->describe() : std::string("its use")) + " gives " + inferred.str() +
                                 "; kept the inferred type");
      declared.elem = inferred.elem;
      declared.shape = inferred.shape;
      return;
    }
    if (inferred.elem != DataType::kUndefined) declared.elem = inferred.elem;
    declared.shape = *merged;
  }

  void add_value_info(Graph& g, const TensorPtr& t) {
    auto& listed = value_info_listed_[&g];
    if (listed.empty()) {
      listed.insert(nullptr);  // marks the set as built
      for (const TensorPtr& v : g.value_info) listed.insert(v.get());
      for (const TensorPtr& v : g.outputs) listed.insert(v.get());
    }
    if (listed.insert(t.get()).second) g.value_info.push_back(t);
  }

  void count(const ValueType& t) {
    ++report_.values;
    if (!is_tensorish(t) || !t.shape.has_rank()) {
      if (t.kind == ValueType::Kind::kNone || (is_tensorish(t) && !t.shape.has_rank())) ++report_.unknown;
      else ++report_.static_shapes;  // sequences, maps, optionals: their type is known
    } else if (t.shape.is_static()) {
      ++report_.static_shapes;
    } else {
      ++report_.symbolic_shapes;
    }
  }

  Model& model_;
  const ShapeInferenceOptions& options_;
  ShapeInferenceReport report_;
  std::unordered_map<const Tensor*, ValueFacts> facts_;
  std::unordered_map<const Graph*, std::unordered_set<const Tensor*>> value_info_listed_;
};

}  // namespace

ShapeInferenceReport infer_shapes(Model& model, const ShapeInferenceOptions& options) {
  return Inference(model, options).run();
}

std::map<std::string, Shape> parse_input_shapes(const std::string& text) {
  std::map<std::string, Shape> out;
  for (auto& [name, shape] : parse_named_shapes(text)) out.emplace(name, std::move(shape));
  return out;
}

}  // namespace graft::folding
