#pragma once
// Helpers for the pass tests: small models built in code, one run of a pass, and a check
// that the CPU engine computes the same outputs before and after (rtol 1e-5).
//
//   Model m = model(13);
//   TensorPtr x = input(m, "x", DataType::kFloat, {2, 3});
//   TensorPtr y = node(*m.graph, "Identity", "id", {x});
//   output(m, node(*m.graph, "Relu", "relu", {y}));
//   PassResult r = run_checked(m, "remove-identity");   // also compares outputs
//   EXPECT_EQ(graft::testing::text(*m.graph), "...");
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/conformance.h"
#include "engine/cpu_executor.h"
#include "engine/random_inputs.h"
#include "folding/infer_shapes.h"
#include "folding/pass.h"
#include "surgeon/clone.h"
#include "surgeon/test_util.h"

namespace graft::folding::testing {

inline Model model(int64_t opset = 17) {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", opset}};
  return m;
}

inline TensorPtr input(Model& m, const std::string& name, DataType dtype, const std::vector<int64_t>& dims) {
  TensorPtr t = Tensor::variable(name, dtype, Shape::of(dims));
  m.graph->inputs.push_back(t);
  return t;
}

// As input(), with dims given as Dim (symbolic ones: Dim::symbolic("batch")).
inline TensorPtr shaped_input(Model& m, const std::string& name, DataType dtype, Shape shape) {
  TensorPtr t = Tensor::variable(name, dtype, std::move(shape));
  m.graph->inputs.push_back(t);
  return t;
}

inline void output(Model& m, const TensorPtr& t) { m.graph->outputs.push_back(t); }

inline TensorPtr ints(Graph& g, const std::string& name, const std::vector<int64_t>& values, bool scalar = false) {
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kInt64;
  if (!scalar) data->dims = {static_cast<int64_t>(values.size())};
  data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(int64_t));
  data->name = name;
  TensorPtr t = Tensor::constant(name, data);
  g.initializers.push_back(t);
  return t;
}

inline TensorPtr floats(Graph& g, const std::string& name, const std::vector<float>& values,
                        const std::vector<int64_t>& dims) {
  TensorDataPtr data = graft::testing::float_data(values, dims);
  data->dims = dims;  // {} is a scalar
  data->name = name;
  TensorPtr t = Tensor::constant(name, data);
  g.initializers.push_back(t);
  return t;
}

// A node `name` of `op` reading `ins`, writing `outputs` fresh tensors named `name`,
// `name`_1, ...; returns its first output.
inline TensorPtr node(Graph& g, const std::string& op, const std::string& name, std::vector<TensorPtr> ins,
                      std::vector<Attribute> attrs = {}, size_t outputs = 1) {
  std::vector<TensorPtr> outs;
  for (size_t i = 0; i < outputs; ++i) outs.push_back(std::make_shared<Tensor>(i ? name + "_" + std::to_string(i) : name));
  Node* n = g.add_node(op, std::move(ins), outs, name);
  for (Attribute& a : attrs) n->set_attr(std::move(a));
  return outs.front();
}

inline std::vector<engine::NamedValue> run_model(const Model& m) {
  engine::CpuExecutor exec(m);
  std::vector<engine::NamedValue> inputs;
  for (auto& [name, t] : engine::random_inputs(exec.required_inputs(), 11)) {
    inputs.push_back({name, cpu::Value::of(std::move(t))});
  }
  return exec.run(inputs);
}

// Shape inference, then one run of `pass`; checks the graph, its links, and that the CPU
// engine gives the same outputs as before (inputs seeded).
inline PassResult run_checked(Model& m, const std::string& pass) {
  infer_shapes(m);
  const Model before = clone(m);
  PassResult r = make_pass(pass)->run(m, {});
  m.graph->check();
  EXPECT_TRUE(graft::testing::links_consistent(*m.graph));
  std::vector<engine::NamedValue> expected = run_model(before), actual = run_model(m);
  EXPECT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
    EXPECT_EQ(expected[i].name, actual[i].name);
    engine::Comparison c = engine::compare(expected[i].value, actual[i].value, {1e-5, 1e-6});
    EXPECT_TRUE(c.ok) << "output " << expected[i].name << ": " << c.detail;
  }
  return r;
}

// The graph as text (surgeon's test format), without the initializer line.
inline std::string nodes_text(const Graph& g) {
  std::string s = graft::testing::text(g), out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find('\n', pos);
    std::string line = s.substr(pos, end - pos + 1);
    if (line.rfind("init: ", 0) != 0) out += line;
    pos = end + 1;
  }
  return out;
}

}  // namespace graft::folding::testing
