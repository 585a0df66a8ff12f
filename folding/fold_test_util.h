#pragma once
// Helpers for the fold/fuse pass tests: building small models, running passes on them and
// checking that the CPU engine computes the same before and after (rtol 1e-5).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "engine/conformance.h"
#include "engine/cpu_executor.h"
#include "engine/random_inputs.h"
#include "folding/pass.h"
#include "surgeon/model.h"

namespace graft::folding::testing {

// A model of one graph under default-domain `opset`, built node by node.
class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset) {
    model.ir_version = 8;
    model.opset_imports = {{"", opset}};
    model.graph->name = "g";
  }

  Graph& graph() { return *model.graph; }

  TensorPtr input(const std::string& name, std::vector<int64_t> dims, DataType dtype = DataType::kFloat) {
    TensorPtr t = Tensor::variable(name, dtype, Shape::of(dims));
    model.graph->inputs.push_back(t);
    return t;
  }
  TensorPtr input(const std::string& name, Shape shape, DataType dtype = DataType::kFloat) {
    TensorPtr t = Tensor::variable(name, dtype, std::move(shape));
    model.graph->inputs.push_back(t);
    return t;
  }

  // An initializer with `values` (float32, or float64 when asked).
  TensorPtr constant(const std::string& name, std::vector<int64_t> dims, const std::vector<double>& values,
                     DataType dtype = DataType::kFloat) {
    auto data = std::make_shared<TensorData>();
    data->dtype = dtype;
    data->dims = std::move(dims);
    if (dtype == DataType::kDouble) {
      data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(double));
    } else {
      std::vector<float> f(values.begin(), values.end());
      data->bytes = Bytes::copy_of(f.data(), f.size() * sizeof(float));
    }
    TensorPtr t = Tensor::constant(name, data);
    model.graph->initializers.push_back(t);
    return t;
  }

  // An initializer of deterministic values around `center` (+- spread).
  TensorPtr weights(const std::string& name, std::vector<int64_t> dims, double center = 0, double spread = 0.3,
                    DataType dtype = DataType::kFloat) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::vector<double> v(static_cast<size_t>(n));
    for (size_t i = 0; i < v.size(); ++i) v[i] = center + spread * std::sin(1.7 * double(i) + double(name.size()));
    return constant(name, std::move(dims), v, dtype);
  }

  // A node `name` writing one tensor named `out` (default: `name`); returns that tensor.
  TensorPtr op(const std::string& op_type, const std::string& name, std::vector<TensorPtr> inputs,
               std::vector<Attribute> attributes = {}, const std::string& out = "") {
    TensorPtr t = std::make_shared<Tensor>(out.empty() ? name : out);
    Node* n = model.graph->add_node(op_type, std::move(inputs), {t}, name);
    n->attributes = std::move(attributes);
    return t;
  }

  void output(const TensorPtr& t) { model.graph->outputs.push_back(t); }

  Model model;
};

// The values of a float32 constant, as doubles.
inline std::vector<double> floats_of(const TensorPtr& t) {
  std::vector<double> v;
  if (!t || !t->data) return v;
  for (size_t i = 0; i < t->data->bytes.size() / sizeof(float); ++i) v.push_back(t->data->at<float>(i));
  return v;
}

inline PassManagerReport run_passes(Model& model, const std::vector<std::string>& passes) {
  PassManager pm;
  for (const std::string& p : passes) pm.add(p);
  return pm.run(model);
}

inline std::vector<engine::NamedValue> run_cpu(const Model& model, uint64_t seed = 7) {
  engine::CpuExecutor exec(model);
  std::vector<engine::NamedValue> inputs;
  for (auto& [name, t] : engine::random_inputs(exec.required_inputs(), seed)) {
    inputs.push_back({name, cpu::Value::of(std::move(t))});
  }
  return exec.run(inputs);
}

struct Transformed {
  Model model;
  PassManagerReport report;
  // The notes of every pass, in order.
  std::vector<std::string> notes() const {
    std::vector<std::string> all;
    for (const PassTotal& p : report.passes) all.insert(all.end(), p.notes.begin(), p.notes.end());
    return all;
  }
  size_t changes(const std::string& pass) const {
    for (const PassTotal& p : report.passes) {
      if (p.name == pass) return p.changes;
    }
    return 0;
  }
};

// Builds the model twice, runs `passes` on one copy, and expects both to compute the same
// outputs on seeded random inputs (rtol 1e-5, atol 1e-6) and the result to pass check().
inline Transformed transform_and_compare(const std::function<Model()>& build, const std::vector<std::string>& passes) {
  Model original = build();
  Transformed t{build(), {}};
  t.report = run_passes(t.model, passes);
  t.model.graph->check();
  std::vector<engine::NamedValue> expected = run_cpu(original), actual = run_cpu(t.model);
  EXPECT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
    EXPECT_EQ(expected[i].name, actual[i].name);
    engine::Comparison c = engine::compare(expected[i].value, actual[i].value, {1e-5, 1e-6});
    EXPECT_TRUE(c.ok) << "output " << expected[i].name << ": " << c.detail;
  }
  return t;
}

}  // namespace graft::folding::testing
