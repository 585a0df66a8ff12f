#include "folding/infer_shapes.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "ops/op_registry.h"
#include "ops/shape_inference.h"
#include "ops/shape_util.h"
#include "plugins/node_plugin.h"
#include "surgeon/error.h"
#include "surgeon/shape_text.h"

namespace graft::folding {
namespace {

using ops::ValueFacts;

bool is_tensorish(const ValueType& t) {
  return t.kind == ValueType::Kind::kTensor || t.kind == ValueType::Kind::kSparseTensor;
}

// What a graph (its subgraphs included) declared before inference wrote into it: the types
// of the values it defines and its value_info lists. A graph inferred more than once (a
// loop body whose carried types widen, a function body per call) starts again from these.
struct DeclaredTypes {
  std::vector<std::pair<TensorPtr, ValueType>> types;
  std::vector<std::pair<Graph*, std::vector<TensorPtr>>> value_info;
};

void save_declared(Graph& g, DeclaredTypes& d) {
  d.value_info.emplace_back(&g, g.value_info);
  for (const TensorPtr& in : g.inputs) d.types.emplace_back(in, in->type);
  for (const auto& node : g.nodes()) {
    for (const TensorPtr& out : node->outputs()) {
      if (out) d.types.emplace_back(out, out->type);
    }
    for (Graph* sub : node->subgraphs()) save_declared(*sub, d);
  }
}

// The attributes of a function body's nodes (subgraphs included) that take the caller's
// value (ref_attr_name), replaced by it for one call and put back afterwards.
class CallAttributes {
 public:
  // False when an attribute the caller omits may have a default in the function (its
  // attribute_proto, which graft does not read): the body cannot be inferred exactly.
  bool bind(const Function& f, const Node& caller) { return bind_graph(*f.body, f, caller); }
  void unbind() {
    for (auto& [node, attrs] : saved_) node->attributes = std::move(attrs);
    saved_.clear();
  }
  ~CallAttributes() { unbind(); }

 private:
  bool bind_graph(Graph& g, const Function& f, const Node& caller) {
    for (const auto& node : g.nodes()) {
      std::vector<Attribute> bound;
      bool refers = false;
      for (const Attribute& a : node->attributes) {
        if (a.ref_attr_name.empty()) {
          bound.push_back(a);
          continue;
        }
        refers = true;
        if (const Attribute* given = caller.attr(a.ref_attr_name)) {
          bound.push_back(*given);
          bound.back().name = a.name;
        } else if (std::find(f.attribute_names.begin(), f.attribute_names.end(), a.ref_attr_name) ==
                   f.attribute_names.end()) {
          return false;
        }
      }
      if (refers) {
        saved_.emplace_back(node.get(), std::move(node->attributes));
        node->attributes = std::move(bound);
      }
      for (Graph* sub : node->subgraphs()) {
        if (!bind_graph(*sub, f, caller)) return false;
      }
    }
    return true;
  }

  std::vector<std::pair<Node*, std::vector<Attribute>>> saved_;
};

bool is_unknown(const ValueType& t) { return t.kind == ValueType::Kind::kNone || t.kind == ValueType::Kind::kEmpty; }

// What inference found combined with what the file declared (fixed dims beat symbolic ones,
// which beat unknown ones), element types of sequences and optionals included;
// std::nullopt when they contradict.
std::optional<ValueType> merge_types(const ValueType& inferred, const ValueType& declared) {
  if (is_unknown(declared)) return inferred;
  if (is_unknown(inferred)) return declared;
  const bool tensors = is_tensorish(inferred) && is_tensorish(declared);
  if (!tensors && inferred.kind != declared.kind) return std::nullopt;
  ValueType out = declared;
  if (inferred.elem != DataType::kUndefined) {
    if (declared.elem != DataType::kUndefined && declared.elem != inferred.elem) return std::nullopt;
    out.elem = inferred.elem;
  }
  if (tensors) {
    auto shape = ops::merge_shapes(inferred.shape, declared.shape);
    if (!shape) return std::nullopt;
    out.shape = std::move(*shape);
  }
  if (inferred.inner) {
    auto inner = declared.inner ? merge_types(*inferred.inner, *declared.inner) : std::optional(*inferred.inner);
    if (!inner) return std::nullopt;
    out.inner = std::make_shared<ValueType>(std::move(*inner));
  }
  return out;
}

class Inference {
 public:
  Inference(Model& model, const ShapeInferenceOptions& options) : model_(model), options_(options) {}

  // Node outputs whose every element inference tracked as a fixed value.
  KnownValues known_values() const {
    KnownValues known;
    for (const auto& [t, f] : facts_) {
      if (!t->producer() || !f.elements || !f.type.is_tensor() || !f.type.shape.is_static()) continue;
      const DataType dt = f.type.elem;
      if (dt != DataType::kInt64 && dt != DataType::kInt32 && dt != DataType::kBool) continue;
      if (f.type.shape.num_elements() != static_cast<int64_t>(f.elements->size())) continue;
      KnownValue v{dt, {}, {}};
      for (const Dim& d : f.type.shape.dims()) v.dims.push_back(d.value);
      for (const Dim& e : *f.elements) {
        if (!e.is_fixed()) break;
        v.values.push_back(e.value);
      }
      if (v.values.size() == f.elements->size()) known.emplace(t, std::move(v));
    }
    return known;
  }

  ShapeInferenceReport run() {
    apply_overrides(*model_.graph);
    infer_graph(*model_.graph, nullptr);
    count_graph(*model_.graph);
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
    if (const Function* f = find_function(node)) return infer_call(node, *f);
    std::vector<const ValueFacts*> inputs;
    for (const TensorPtr& in : node.inputs()) inputs.push_back(in ? &facts_of(in.get()) : nullptr);
    const int64_t opset = opset_of(node.domain);
    const ops::ShapeFnDef* def = ops::find_shape_fn(node.domain, node.op_type, opset);
    const ops::ShapeFn fn = plugins::shape_fn_for(node, opset, def ? def->fn : nullptr);
    if (!fn) {
      if (without_shape_fn_.insert(&node).second) {
        ++report_.ops_without_shape_fn[ops::normal_domain(node.domain).empty() ? node.op_type
                                                                               : node.domain + "." + node.op_type];
      }
      for (const TensorPtr& out : node.outputs()) record_output(node, out, ValueFacts{});
      return;
    }
    ops::ShapeContext ctx(node, opset, std::move(inputs), [this](const Graph& sub, const std::vector<ValueType>& ins) {
      return infer_subgraph(const_cast<Graph&>(sub), ins);
    });
    try {
      fn(ctx);
    } catch (const Error& e) {
      throw Error(node.describe() + " in " + node.graph()->describe() + ": " + e.what() + input_summary(node));
    }
    for (size_t i = 0; i < node.outputs().size(); ++i) record_output(node, node.output(i), ctx.outputs()[i]);
  }

  // A subgraph is inferred afresh each time (from what the file declared), so its values
  // end with the types of the last inference: the one whose results the node used. One
  // whose inference fails (an If branch that cannot run) is left as declared.
  std::vector<ValueType> infer_subgraph(Graph& g, const std::vector<ValueType>& inputs) {
    auto [it, first] = declared_.try_emplace(&g);
    const DeclaredTypes& declared = it->second;  // stays valid while nested subgraphs are added
    if (first) save_declared(g, it->second);
    else restore(declared);
    try {
      return infer_graph(g, &inputs);
    } catch (const Error&) {
      restore(declared);
      throw;
    }
  }

  void restore(const DeclaredTypes& d) {
    for (const auto& [t, type] : d.types) t->type = type;
    for (const auto& [g, list] : d.value_info) {
      g->value_info = list;
      value_info_listed_.erase(g);
    }
  }

  // Model-local functions are called by domain and name.
  const Function* find_function(const Node& node) const {
    for (const Function& f : model_.functions) {
      if (f.name == node.op_type && ops::normal_domain(f.domain) == ops::normal_domain(node.domain)) return &f;
    }
    return nullptr;
  }

  // Inside a function body, its own opset imports decide.
  int64_t opset_of(const std::string& domain) const {
    if (function_) {
      for (const OpsetImport& o : function_->opset_imports) {
        if (ops::normal_domain(o.domain) == ops::normal_domain(domain)) return o.version;
      }
    }
    return model_.opset(domain);
  }

  // Infers the function's body with the caller's input types and attributes; the body
  // itself is left as the file declared it (its types belong to no single call).
  void infer_call(Node& node, const Function& f) {
    std::vector<ValueType> outs(f.body->outputs.size());
    CallAttributes attrs;
    if (!active_.count(&f) && attrs.bind(f, node)) {
      std::vector<ValueType> ins;
      for (size_t i = 0; i < f.body->inputs.size(); ++i) {
        ins.push_back(node.input(i) ? facts_of(node.input(i).get()).type : ValueType{});
      }
      CallScope scope(*this, f);
      try {
        outs = infer_graph(*f.body, &ins);
      } catch (const Error& e) {
        throw Error(node.describe() + " in " + node.graph()->describe() + ", calling function '" + f.name + "': " +
                    e.what());
      }
    }
    attrs.unbind();
    for (size_t i = 0; i < node.outputs().size(); ++i) {
      record_output(node, node.output(i), ValueFacts{i < outs.size() ? outs[i] : ValueType{}});
    }
  }

  // While a function body is inferred: its opsets apply, it may not call itself, and when
  // the call ends its values go back to their declared types and leave no facts behind.
  class CallScope {
   public:
    CallScope(Inference& inference, const Function& f) : inference_(inference), f_(f), caller_(inference.function_) {
      save_declared(*f.body, declared_);
      inference_.function_ = &f;
      inference_.active_.insert(&f);
    }
    ~CallScope() {
      inference_.restore(declared_);
      for (const auto& [t, type] : declared_.types) inference_.facts_.erase(t.get());
      inference_.active_.erase(&f_);
      inference_.function_ = caller_;
    }

   private:
    Inference& inference_;
    const Function& f_;
    const Function* caller_;
    DeclaredTypes declared_;
  };

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
    facts_[out.get()] = std::move(inferred);
    if (options_.write_value_info && out->type.kind != ValueType::Kind::kNone) add_value_info(*node.graph(), out);
  }

  // Combines what inference found with what the file declared, into the tensor's type.
  void merge_into(Tensor& t, const ValueType& inferred, const Node* node) {
    if (is_unknown(inferred)) return;
    if (auto merged = merge_types(inferred, t.type)) {
      t.type = std::move(*merged);
      return;
    }
    report_.warnings.push_back("'" + t.name + "' is declared " + t.type.str() + " but " +
                               (node ? node->describe() : std::string("its use")) + " gives " + inferred.str() +
                               "; kept the inferred type");
    ValueType kept = inferred;
    kept.denotation = t.type.denotation;
    t.type = std::move(kept);
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

  void count_graph(const Graph& g) {
    for (const auto& node : g.nodes()) {
      for (const TensorPtr& out : node->outputs()) {
        if (out) count(out->type);
      }
      for (const Graph* sub : node->subgraphs()) count_graph(*sub);
    }
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
  std::unordered_map<const Graph*, DeclaredTypes> declared_;  // subgraphs, as first seen
  std::unordered_set<const Node*> without_shape_fn_;
  std::unordered_set<const Function*> active_;  // functions being inferred (no recursion)
  const Function* function_ = nullptr;           // whose body is being inferred
};

}  // namespace

ShapeInferenceReport infer_shapes(Model& model, const ShapeInferenceOptions& options, KnownValues* known) {
  Inference inference(model, options);
  ShapeInferenceReport report = inference.run();
  if (known) *known = inference.known_values();
  return report;
}

std::map<std::string, Shape> parse_input_shapes(const std::string& text) {
  std::map<std::string, Shape> out;
  for (auto& [name, shape] : parse_named_shapes(text)) out.emplace(name, std::move(shape));
  return out;
}

}  // namespace graft::folding
