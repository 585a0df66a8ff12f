#pragma once
// Running one shape function on a one-node graph, for the per-family shape tests.
#include <memory>
#include <string>
#include <vector>

#include "ops/shape_inference.h"
#include "surgeon/error.h"

namespace graft::ops::testing {

// One node of `op` reading inputs with these facts (absent() is an omitted optional
// input, unknown() a present one of unknown type); infer() returns its output facts.
struct NodeUnderTest {
  Graph graph;
  Node* node = nullptr;
  std::vector<ValueFacts> inputs;
  std::vector<bool> present;

  NodeUnderTest(const std::string& op, std::vector<ValueFacts> in, size_t outputs = 1) : inputs(std::move(in)) {
    std::vector<TensorPtr> ins, outs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      present.push_back(inputs[i].type.kind != ValueType::Kind::kNone);
      ins.push_back(present.back() ? std::make_shared<Tensor>("in" + std::to_string(i)) : nullptr);
    }
    for (size_t i = 0; i < outputs; ++i) outs.push_back(std::make_shared<Tensor>("out" + std::to_string(i)));
    node = graph.add_node(op, ins, outs, op + "_0");
  }

  NodeUnderTest& attr(Attribute a) {
    node->set_attr(std::move(a));
    return *this;
  }

  std::vector<ValueFacts> infer(int64_t opset = 18) {
    std::vector<const ValueFacts*> in;
    for (size_t i = 0; i < inputs.size(); ++i) in.push_back(present[i] ? &inputs[i] : nullptr);
    const ShapeFnDef* def = find_shape_fn("", node->op_type, opset);
    if (!def) throw Error("no shape function for " + node->op_type);
    ShapeContext ctx(*node, opset, in, nullptr);
    def->fn(ctx);
    return ctx.outputs();
  }

  // Output i's type as text ("float32[batch, 8, h, w]").
  std::string type(size_t i = 0, int64_t opset = 18) { return infer(opset)[i].type.str(); }

  // The message of the Error that inference throws; "" when it does not throw.
  std::string error(int64_t opset = 18) {
    try {
      infer(opset);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

inline Dim sym(const char* s) { return Dim::symbolic(s); }
inline Dim fix(int64_t v) { return Dim::fixed(v); }
inline ValueFacts tensor(DataType t, std::vector<Dim> dims) { return ValueFacts{ValueType::tensor(t, Shape(std::move(dims)))}; }
inline ValueFacts floats(std::vector<Dim> dims) { return tensor(DataType::kFloat, std::move(dims)); }
inline ValueFacts absent() { return ValueFacts{}; }
inline ValueFacts unknown() { return ValueFacts{ValueType{ValueType::Kind::kEmpty}}; }

// A 1-D int64 value whose elements inference tracks (a shape computed by earlier nodes).
inline ValueFacts shape_value(std::vector<Dim> values) {
  ValueFacts f = tensor(DataType::kInt64, {Dim::fixed(static_cast<int64_t>(values.size()))});
  f.elements = std::move(values);
  return f;
}

// A 1-D constant (an initializer); the facts point into `keep`, which must outlive them.
template <typename T>
ValueFacts constant(DataType dtype, const std::vector<T>& values, std::vector<std::shared_ptr<TensorData>>& keep) {
  auto data = std::make_shared<TensorData>();
  data->dtype = dtype;
  data->dims = {static_cast<int64_t>(values.size())};
  data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(T));
  keep.push_back(data);
  ValueFacts f = tensor(dtype, {Dim::fixed(static_cast<int64_t>(values.size()))});
  f.constant = data.get();
  return f;
}

}  // namespace graft::ops::testing
