#pragma once
// Per-op type and shape inference. Each op family lives in one file (ops/<family>.cc,
// named like its kernels/cpu twin) and registers a function per op:
//
//   void relu_shape(ShapeContext& ctx) { ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0)); }
//   GRAFT_SHAPE_FN("", Relu, 6, relu_shape);   // domain, op type, first opset, function
//
// A shape function sets what it can learn about each output: its type (dtype and a shape
// whose dims may be fixed, symbolic or unknown) and, for small integer tensors that hold
// shapes, their elements (so Shape -> Gather -> Concat -> Reshape chains stay exact even
// with symbolic dims). An output left unset is unknown. A contradiction (a MatMul inner
// dimension mismatch, a Reshape to an impossible size) is an Error naming both shapes; the
// caller adds the node's name.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ops/node_attrs.h"
#include "surgeon/graph.h"

namespace graft::ops {

// What inference knows about one value.
struct ValueFacts {
  ValueType type;                            // kNone when nothing is known
  const TensorData* constant = nullptr;      // its values, when a constant of the model
  std::optional<std::vector<Dim>> elements;  // the values of a small integer tensor (rank <= 1, or static), row-major

  bool known() const { return type.kind != ValueType::Kind::kNone && type.kind != ValueType::Kind::kEmpty; }
};

// The largest integer tensor whose values inference tracks element by element.
inline constexpr size_t kMaxTrackedElements = 64;

// Infers a subgraph (If branch, Loop/Scan body) with these input types in the scope of the
// node that holds it; returns its output types. Provided by the graph-level inference.
using SubgraphInferrer = std::function<std::vector<ValueType>(const Graph&, const std::vector<ValueType>&)>;

class ShapeContext {
 public:
  ShapeContext(const Node& node, int64_t opset, std::vector<const ValueFacts*> inputs, SubgraphInferrer subgraphs);

  const Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  const NodeAttrs& attrs() const { return attrs_; }

  // Inputs. An omitted optional input (or one past the end) is absent and unknown.
  size_t num_inputs() const { return inputs_.size(); }
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i]; }
  const ValueFacts& input(size_t i) const;
  const ValueType& input_type(size_t i) const { return input(i).type; }
  DataType input_dtype(size_t i) const;  // kUndefined when unknown
  const Shape& input_shape(size_t i) const;  // unknown rank when unknown
  bool input_has_rank(size_t i) const { return input_shape(i).has_rank(); }
  // The values of a small integer input (rank <= 1), each fixed, symbolic or unknown:
  // from a constant, or as earlier nodes propagated them.
  std::optional<std::vector<Dim>> input_elements(size_t i) const;
  // The values of an integer input when every one is known.
  std::optional<std::vector<int64_t>> input_int64s(size_t i) const;
  // The values of a floating-point constant input (Resize scales).
  std::optional<std::vector<double>> input_doubles(size_t i) const;

  // Outputs.
  size_t num_outputs() const { return node_.outputs().size(); }
  bool output_wanted(size_t i) const { return node_.output(i) != nullptr; }
  void set_output(size_t i, DataType dtype, Shape shape);
  void set_output_type(size_t i, ValueType type);
  void set_output_elements(size_t i, std::vector<Dim> elements);
  // The output's values are this constant (the Constant op's attribute); also sets its type.
  void set_output_constant(size_t i, const TensorData* data);
  const std::vector<ValueFacts>& outputs() const { return outputs_; }

  std::vector<ValueType> infer_subgraph(const Graph& g, const std::vector<ValueType>& inputs) const;

  [[noreturn]] void fail(const std::string& message) const;

 private:
  const Node& node_;
  int64_t opset_;
  NodeAttrs attrs_;
  std::vector<const ValueFacts*> inputs_;
  std::vector<ValueFacts> outputs_;
  SubgraphInferrer subgraphs_;
};

using ShapeFn = void (*)(ShapeContext&);

struct ShapeFnDef {
  std::string domain;  // "" for the default ONNX domain
  std::string op_type;
  int since_version = 1;  // handles this opset and later ones
  ShapeFn fn = nullptr;
};

// The shape function for (domain, op) at `opset`: the one with the greatest since_version
// not above it. Null when none. "ai.onnx" is the default domain.
const ShapeFnDef* find_shape_fn(const std::string& domain, const std::string& op_type, int64_t opset);
bool register_shape_fn(ShapeFnDef def);
std::vector<ShapeFnDef> registered_shape_fns();

#define GRAFT_SHAPE_FN_CONCAT2(a, b) a##b
#define GRAFT_SHAPE_FN_CONCAT(a, b) GRAFT_SHAPE_FN_CONCAT2(a, b)
#define GRAFT_SHAPE_FN(domain, op, since, fn)                                          \
  static const bool GRAFT_SHAPE_FN_CONCAT(graft_shape_fn_registered_, __COUNTER__) = \
      ::graft::ops::register_shape_fn({domain, #op, since, fn})

}  // namespace graft::ops
