// The pointwise layer against the CPU engine: every op, float/float16/double, the integer
// types and bool, broadcasting, legacy attributes, fused chains (one layer), FP16
// storage, empty tensors, errors, each with the generated kernel (jit) and the
// interpreter (program); Gelu's decompositions fused; and bandwidths of every tactic.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "engine/gpu_backend.h"
#include "engine/gpu_test_util.h"
#include "engine/random_inputs.h"
#include "folding/infer_shapes.h"
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cuda/layer.h"
#include "kernels/cuda/pointwise_jit.h"
#include "surgeon/clone.h"
#include "surgeon/error.h"
#include "surgeon/run_test_util.h"

namespace graft::cuda {
namespace {

using engine::NamedValue;
using engine::testing::expect_gpu_matches_cpu;
using engine::testing::GpuCheck;
using graft::testing::empty_model;
using Dims = std::vector<int64_t>;

const GpuCheck kHalfCheck{Precision::kFP32, 1e-2, 1e-3};
const GpuCheck kFp16{Precision::kFP16, 1e-2, 1e-3};

// The generated kernel and the interpreter, each against the CPU engine.
void expect_matches_cpu(const Model& m, const std::vector<NamedValue>& inputs, GpuCheck check = {}) {
  for (const char* tactic : {"jit", "program"}) {
    SCOPED_TRACE(std::string("tactic ") + tactic);
    check.tactic = tactic;
    expect_gpu_matches_cpu(m, inputs, check);
  }
}

void expect_matches_cpu(const Model& m, uint64_t seed, GpuCheck check = {}) {
  for (const char* tactic : {"jit", "program"}) {
    SCOPED_TRACE(std::string("tactic ") + tactic);
    check.tactic = tactic;
    expect_gpu_matches_cpu(m, seed, check);
  }
}

TensorPtr input(Graph& g, const std::string& name, DataType t, Dims dims) {
  TensorPtr x = Tensor::variable(name, t, Shape::of(dims));
  g.inputs.push_back(x);
  return x;
}

TensorPtr output(Graph& g, const std::string& name) {
  TensorPtr y = std::make_shared<Tensor>(name);
  g.outputs.push_back(y);
  return y;
}

TensorPtr var(const std::string& name) { return std::make_shared<Tensor>(name); }

bool is_floating(DataType t) { return t == DataType::kFloat || t == DataType::kFloat16 || t == DataType::kDouble; }

// A tensor of `dims` filled with `values` over and over (converted as static_cast does).
cpu::HostTensor filled(DataType t, Dims dims, const std::vector<double>& values) {
  cpu::HostTensor h(t, std::move(dims));
  cpu::dispatch_numeric_or_bool(t, "test", [&](auto tag) {
    using T = decltype(tag);
    T* p = h.mutable_data<T>();
    for (int64_t i = 0; i < h.numel(); ++i) {
      const double v = values[static_cast<size_t>(i) % values.size()];
      if constexpr (std::is_integral_v<T>) {
        p[i] = static_cast<T>(static_cast<int64_t>(v));
      } else {
        p[i] = static_cast<T>(static_cast<float>(v));
      }
    }
  });
  return h;
}

// Integers given exactly (uint64 through its int64 bit pattern).
cpu::HostTensor ints(DataType t, Dims dims, const std::vector<int64_t>& values) {
  cpu::HostTensor h(t, std::move(dims));
  cpu::dispatch_integer(t, "test", [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < h.numel(); ++i) h.mutable_data<T>()[i] = static_cast<T>(values[static_cast<size_t>(i) % values.size()]);
  });
  return h;
}

TensorPtr constant(Graph& g, const std::string& name, const cpu::HostTensor& values) {
  TensorPtr t = Tensor::constant(name, std::make_shared<TensorData>(values.to_data()));
  g.initializers.push_back(t);
  return t;
}

// -3 .. 3 in steps of 1/4 (halves included, for Round), then a few larger values.
std::vector<double> spread() {
  std::vector<double> v;
  for (int i = -12; i <= 12; ++i) v.push_back(i * 0.25);
  for (double x : {-7.3, 5.9, 0.001, -0.002, 11.0}) v.push_back(x);
  return v;
}

// The values an op is defined on, from spread().
std::vector<double> domain_of(const std::string& op) {
  std::vector<double> v = spread();
  for (double& x : v) {
    if (op == "Log" || op == "Sqrt" || op == "Reciprocal") x = std::abs(x) + 0.1;
    if (op == "Acosh") x = std::abs(x) + 1;
    if (op == "Asin" || op == "Acos" || op == "Atanh") x = std::tanh(x) * 0.99;
  }
  return v;
}

// Independent single-node cases in one model (one engine build): case k reads its own
// inputs and writes its own graph output, named after its op.
class Cases {
 public:
  explicit Cases(int64_t opset = 17) : model_(empty_model(opset)) {}

  Node* add(const std::string& op, const std::vector<cpu::HostTensor>& inputs, const std::vector<Attribute>& attrs = {}) {
    Graph& g = *model_.graph;
    const std::string tag = op + "_" + std::to_string(count_++);
    std::vector<TensorPtr> ins;
    for (size_t i = 0; i < inputs.size(); ++i) {
      ins.push_back(input(g, tag + "_in" + std::to_string(i), inputs[i].dtype(), inputs[i].dims()));
      values_.push_back({ins.back()->name, cpu::Value::of(inputs[i])});
    }
    Node* n = g.add_node(op, ins, {output(g, tag)}, tag);
    for (const Attribute& a : attrs) n->set_attr(a);
    return n;
  }
  // Random inputs (engine/random_inputs) of these types and dims.
  Node* add_random(const std::string& op, const std::vector<std::pair<DataType, Dims>>& inputs,
                   const std::vector<Attribute>& attrs = {}) {
    std::vector<cpu::HostTensor> values;
    for (const auto& [t, d] : inputs) values.push_back(engine::random_tensor(t, d, 100 + count_ * 7 + values.size()));
    return add(op, values, attrs);
  }
  void check(const GpuCheck& check = {}) const { expect_matches_cpu(model_, values_, check); }
  const Model& model() const { return model_; }

 private:
  Model model_;
  std::vector<NamedValue> values_;
  int count_ = 0;
};

struct Op1 {
  std::string op;
  std::vector<Attribute> attrs = {};
  int64_t opset = 17;
};

Model unary_model(const Op1& u, DataType t, Dims dims) {
  Cases c(u.opset);
  c.add_random(u.op, {{t, dims}}, u.attrs);
  return c.model();
}

const std::vector<Op1>& float_unary_ops() {
  static const std::vector<Op1> ops = {
      {"Abs"}, {"Neg"}, {"Sign"}, {"Reciprocal"}, {"Sqrt"}, {"Exp"}, {"Log"}, {"Erf"}, {"Ceil"}, {"Floor"},
      {"Round"}, {"Sin"}, {"Cos"}, {"Tan"}, {"Asin"}, {"Acos"}, {"Atan"}, {"Sinh"}, {"Cosh"}, {"Tanh"},
      {"Asinh"}, {"Acosh"}, {"Atanh"}, {"Relu"}, {"Sigmoid"}, {"Softplus"}, {"Softsign"}, {"HardSwish"},
      {"LeakyRelu"}, {"LeakyRelu", {Attribute::of_float("alpha", 0.2f)}},
      {"Elu"}, {"Elu", {Attribute::of_float("alpha", 0.5f)}},
      {"Selu"}, {"Selu", {Attribute::of_float("alpha", 1.5f), Attribute::of_float("gamma", 2.0f)}},
      {"Celu"}, {"Celu", {Attribute::of_float("alpha", 2.0f)}},
      {"HardSigmoid"}, {"HardSigmoid", {Attribute::of_float("alpha", 0.3f), Attribute::of_float("beta", 0.4f)}},
      {"ThresholdedRelu"}, {"ThresholdedRelu", {Attribute::of_float("alpha", 0.5f)}},
      {"Shrink"}, {"Shrink", {Attribute::of_float("bias", 0.1f), Attribute::of_float("lambd", 0.3f)}},
      {"Identity"},
      {"Dropout", {Attribute::of_float("ratio", 0.3f)}},
  };
  return ops;
}

// Every unary op (at `opset`, Gelu at 20, Clip's attribute form at 6) on values in its domain.
void expect_unary_ops(DataType t, const GpuCheck& check, bool with_gelu = true) {
  const Dims dims = {3, 5, 7};
  Cases c(17);
  for (const Op1& u : float_unary_ops()) c.add(u.op, {filled(t, dims, domain_of(u.op))}, u.attrs);
  c.check(check);
  Cases gelu(20);
  if (with_gelu) {
    gelu.add("Gelu", {filled(t, dims, spread())});
    gelu.add("Gelu", {filled(t, dims, spread())}, {Attribute::of_string("approximate", "tanh")});
  }
  gelu.add("Clip", {filled(t, dims, spread())});
  gelu.check(check);
  Cases clip(6);
  clip.add("Clip", {filled(t, dims, spread())}, {Attribute::of_float("min", -0.5f), Attribute::of_float("max", 1.25f)});
  clip.add("Clip", {filled(t, dims, spread())}, {Attribute::of_float("max", 0.3f)});
  clip.check(check);
}

TEST(PointwiseGpu, UnaryFloat32) {
  GRAFT_REQUIRE_GPU();
  expect_unary_ops(DataType::kFloat, {});
}

TEST(PointwiseGpu, UnaryFloat64) {
  GRAFT_REQUIRE_GPU();
  expect_unary_ops(DataType::kDouble, {Precision::kFP32, 1e-12, 1e-14}, false);
  Cases gelu(20);  // the GPU computes double Gelu as the CPU does, in double
  gelu.add("Gelu", {filled(DataType::kDouble, {40}, spread())});
  gelu.add("Gelu", {filled(DataType::kDouble, {40}, spread())}, {Attribute::of_string("approximate", "tanh")});
  gelu.check({Precision::kFP32, 1e-12, 1e-14});
}

TEST(PointwiseGpu, UnaryFloat16) {
  GRAFT_REQUIRE_GPU();
  expect_unary_ops(DataType::kFloat16, kHalfCheck);
}

TEST(PointwiseGpu, UnaryAtFp16Storage) {
  GRAFT_REQUIRE_GPU();
  expect_unary_ops(DataType::kFloat, kFp16);
}

TEST(PointwiseGpu, IsNaNIsInfAndNaNInMaxMin) {
  GRAFT_REQUIRE_GPU();
  const std::vector<double> special = {1.0, NAN, INFINITY, -INFINITY, -2.0, 0.0, -0.0};
  for (DataType t : {DataType::kFloat, DataType::kFloat16, DataType::kDouble}) {
    SCOPED_TRACE(dtype_name(t));
    Cases c(13);
    c.add("IsNaN", {filled(t, {7, 3}, special)});
    c.add("IsInf", {filled(t, {7, 3}, special)});
    c.add("IsInf", {filled(t, {7, 3}, special)}, {Attribute::of_int("detect_negative", 0)});
    c.add("IsInf", {filled(t, {7, 3}, special)}, {Attribute::of_int("detect_positive", 0)});
    const cpu::HostTensor a = filled(t, {6}, {NAN, 1, 2, NAN, -1, 0}), b = filled(t, {6}, {1, NAN, 3, NAN, -2, -0.0});
    c.add("Max", {a, b});
    c.add("Min", {a, b});
    c.check();
  }
}

// ---- binary ops and broadcasting ----

Model binary_model(const std::string& op, DataType ta, Dims da, DataType tb, Dims db, std::vector<Attribute> attrs = {},
                   int64_t opset = 17) {
  Cases c(opset);
  c.add_random(op, {{ta, da}, {tb, db}}, attrs);
  return c.model();
}

const std::vector<std::pair<Dims, Dims>>& broadcast_cases() {
  static const std::vector<std::pair<Dims, Dims>> cases = {
      {{2, 3, 4, 5}, {2, 3, 4, 5}}, {{2, 3, 4, 5}, {3, 1, 1}}, {{2, 3, 4, 5}, {5}}, {{2, 3, 4, 5}, {}},
      {{}, {2, 3, 4, 5}},           {{2, 1, 4, 1}, {3, 1, 5}}, {{1, 7}, {9, 1}},    {{4, 1}, {4, 33}},
  };
  return cases;
}

bool is_comparison(const std::string& op) {
  return op == "Equal" || op == "Less" || op == "Greater" || op == "LessOrEqual" || op == "GreaterOrEqual";
}

// Every binary float op on each pair of broadcast shapes.
void expect_binary_ops(DataType t, const GpuCheck& check, const std::vector<std::pair<Dims, Dims>>& shapes) {
  for (const auto& [da, db] : shapes) {
    SCOPED_TRACE(dtype_name(t) + " " + cpu::dims_str(da) + " with " + cpu::dims_str(db));
    Cases c;
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu", "Equal", "Less",
                           "Greater", "LessOrEqual", "GreaterOrEqual"}) {
      if (std::string(op) == "PRelu" && cpu::num_elements(db) > cpu::num_elements(da)) continue;  // slope broadcasts to X
      // At FP16 storage the inputs are rounded to half: comparisons of close values may flip.
      if (check.precision == Precision::kFP16 && is_comparison(op)) continue;
      c.add_random(op, {{t, da}, {t, db}});
    }
    c.check(check);
  }
}

TEST(PointwiseGpu, BinaryFloat32Broadcasting) {
  GRAFT_REQUIRE_GPU();
  expect_binary_ops(DataType::kFloat, {}, broadcast_cases());
}

TEST(PointwiseGpu, BinaryOtherFloatsBroadcasting) {
  GRAFT_REQUIRE_GPU();
  const std::vector<std::pair<Dims, Dims>> some = {broadcast_cases()[0], broadcast_cases()[1], broadcast_cases()[5]};
  expect_binary_ops(DataType::kFloat16, kHalfCheck, some);
  expect_binary_ops(DataType::kDouble, {}, some);
  expect_binary_ops(DataType::kFloat, kFp16, broadcast_cases());
}

TEST(PointwiseGpu, ModFloat) {
  GRAFT_REQUIRE_GPU();
  const std::vector<double> a = {5.5, -5.5, 3, -3, 0.75, 7}, b = {2, 2, -2, -2, 0.5, -2.5};
  for (DataType t : {DataType::kFloat, DataType::kDouble, DataType::kFloat16}) {
    SCOPED_TRACE(dtype_name(t));
    Cases c;
    for (int fmod : {0, 1}) c.add("Mod", {filled(t, {6}, a), filled(t, {6}, b)}, {Attribute::of_int("fmod", fmod)});
    c.check();
  }
}

TEST(PointwiseGpu, PowMixedTypes) {
  GRAFT_REQUIRE_GPU();
  const std::vector<std::pair<DataType, DataType>> pairs = {
      {DataType::kFloat, DataType::kInt64},  {DataType::kFloat, DataType::kInt32},   {DataType::kFloat, DataType::kDouble},
      {DataType::kInt64, DataType::kInt64},  {DataType::kInt32, DataType::kInt64},   {DataType::kInt64, DataType::kFloat},
      {DataType::kInt32, DataType::kFloat},  {DataType::kDouble, DataType::kFloat},
      {DataType::kUint8, DataType::kUint8},  {DataType::kInt8, DataType::kInt8},
  };
  Cases c;
  for (const auto& [tx, te] : pairs) {
    const std::vector<double> x = {2, 3, 1.5, 0.5, 7, 1, 4, 5};
    const std::vector<double> e = is_floating(te) ? std::vector<double>{3, 2, 2, 4, 3, 9, 0.5, 1}
                                                  : std::vector<double>{3, 2, 2, 4, 3, 9, 0, 1};
    c.add("Pow", {filled(tx, {8}, x), filled(te, {8}, e)});
  }
  // Negative integer exponents go through double; int8 powers wrap.
  c.add("Pow", {ints(DataType::kInt64, {4}, {2, 1, -1, 3}), ints(DataType::kInt64, {4}, {-1, -3, -3, 40})});
  c.add("Pow", {ints(DataType::kInt8, {3}, {3, -2, 7}), ints(DataType::kInt8, {3}, {5, 7, 3})});
  c.check();
  Cases half;
  half.add("Pow", {filled(DataType::kFloat16, {8}, {2, 3, 1.5, 0.5, 7, 1, 4, 5}), filled(DataType::kFloat, {8}, {3, 2, 2, 4, 3, 9, 0.5, 1})});
  half.check(kHalfCheck);
}

// Before opset 7: B lines up with A at `axis` (broadcast=1), not at the end; PRelu's
// 1-D slope is per channel. (Shapes that numpy broadcasting also accepts, as shape
// inference checks those.)
TEST(PointwiseGpu, LegacyBroadcast) {
  GRAFT_REQUIRE_GPU();
  expect_matches_cpu(binary_model("Add", DataType::kFloat, {2, 3, 4, 3}, DataType::kFloat, {3},
                                      {Attribute::of_int("broadcast", 1), Attribute::of_int("axis", 1)}, 6),
                         1);
  expect_matches_cpu(binary_model("Mul", DataType::kFloat, {2, 3, 4, 5}, DataType::kFloat, {4, 5},
                                      {Attribute::of_int("broadcast", 1)}, 6),
                         2);
  expect_matches_cpu(binary_model("Sub", DataType::kFloat, {2, 4, 4, 4}, DataType::kFloat, {4, 4},
                                      {Attribute::of_int("broadcast", 1), Attribute::of_int("axis", -3)}, 6),
                         3);
  expect_matches_cpu(binary_model("PRelu", DataType::kFloat, {2, 3, 4, 5}, DataType::kFloat, {3}, {}, 6), 4);
  expect_matches_cpu(binary_model("PRelu", DataType::kFloat, {2, 3, 4, 3}, DataType::kFloat, {3}, {}, 9), 5);
}

// ---- integers and bool ----

const std::vector<DataType>& int_types() {
  static const std::vector<DataType> types = {DataType::kInt8,  DataType::kInt16,  DataType::kInt32,  DataType::kInt64,
                                              DataType::kUint8, DataType::kUint16, DataType::kUint32, DataType::kUint64};
  return types;
}

bool is_signed_int(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 || t == DataType::kInt64;
}

// Values near the type's edges, zero, and small numbers of both signs.
std::vector<int64_t> edge_values(DataType t) {
  const int bits = dtype_bits(t);
  if (is_signed_int(t)) {
    const int64_t hi = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
    return {0, 1, -1, 7, -7, 3, -3, hi, -hi - 1, hi - 5, 100, -100, 2, 13};
  }
  const int64_t hi = bits == 64 ? -1 : static_cast<int64_t>((uint64_t{1} << bits) - 1);
  return {0, 1, 7, 3, hi, hi - 5, 100, 2, 13, 9, bits == 64 ? INT64_MIN + 3 : hi / 2 + 3, 5, 64, 200};
}

TEST(PointwiseGpu, IntegerArithmetic) {
  GRAFT_REQUIRE_GPU();
  for (DataType t : int_types()) {
    SCOPED_TRACE(dtype_name(t));
    const std::vector<int64_t> a = edge_values(t);
    const std::vector<int64_t> b(a.rbegin(), a.rend());
    const Dims dims = {static_cast<int64_t>(a.size())};
    Cases c;
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "PRelu", "Equal", "Less", "Greater",
                           "LessOrEqual", "GreaterOrEqual"}) {
      c.add(op, {ints(t, dims, a), ints(t, dims, b)});
    }
    for (int fmod : {0, 1}) c.add("Mod", {ints(t, dims, a), ints(t, dims, b)}, {Attribute::of_int("fmod", fmod)});
    for (const char* op : {"Abs", "Neg", "Sign", "Relu", "Identity"}) c.add(op, {ints(t, dims, a)});
    c.add_random("Add", {{t, {3, 4, 5}}, {t, {4, 1}}});
    c.check();
  }
}

TEST(PointwiseGpu, IntegerShrinkAndClip) {
  GRAFT_REQUIRE_GPU();
  for (DataType t : {DataType::kInt32, DataType::kInt8, DataType::kUint8, DataType::kInt64}) {
    SCOPED_TRACE(dtype_name(t));
    std::vector<int64_t> v = {0, 1, 2, 3, 5, 7, 9, 100};
    if (is_signed_int(t)) v.insert(v.end(), {-1, -3, -100});
    const cpu::HostTensor x = ints(t, {static_cast<int64_t>(v.size())}, v);
    Cases c13(13);
    c13.add("Shrink", {x}, {Attribute::of_float("bias", 1.5f), Attribute::of_float("lambd", 2.0f)});
    c13.add("Clip", {x, ints(t, {}, {3}), ints(t, {}, {50})});
    c13.add("Clip", {x, ints(t, {1}, {3})});
    c13.check();
    Cases c6(6);
    c6.add("Clip", {x}, {Attribute::of_float("min", 2.0f), Attribute::of_float("max", 8.0f)});
    c6.check();
  }
}

TEST(PointwiseGpu, BitShift) {
  GRAFT_REQUIRE_GPU();
  Cases c;
  for (DataType t : {DataType::kUint8, DataType::kUint16, DataType::kUint32, DataType::kUint64}) {
    const int bits = dtype_bits(t);
    const std::vector<int64_t> a = {1, 3, 255, 7, -1, 12345, 2, 9}, s = {0, 1, 4, bits - 1, bits, bits + 3, 7, 2};
    for (const char* dir : {"LEFT", "RIGHT"}) {
      c.add("BitShift", {ints(t, {8}, a), ints(t, {8}, s)}, {Attribute::of_string("direction", dir)});
    }
  }
  c.check();
}

TEST(PointwiseGpu, BoolLogicAndWhere) {
  GRAFT_REQUIRE_GPU();
  Cases c(16);
  for (const char* op : {"And", "Or", "Xor", "Equal"}) c.add_random(op, {{DataType::kBool, {3, 4, 5}}, {DataType::kBool, {4, 1}}});
  c.add_random("Not", {{DataType::kBool, {5, 6}}});
  for (DataType t : {DataType::kFloat, DataType::kFloat16, DataType::kDouble, DataType::kInt8, DataType::kInt64,
                     DataType::kUint64, DataType::kBool}) {
    c.add_random("Where", {{DataType::kBool, {3, 1, 5}}, {t, {4, 1}}, {t, {}}});
  }
  c.check();
}

// ---- Cast ----

const std::vector<DataType>& all_types() {
  static const std::vector<DataType> types = {DataType::kFloat,  DataType::kFloat16, DataType::kDouble, DataType::kInt8,
                                              DataType::kInt16,  DataType::kInt32,   DataType::kInt64,  DataType::kUint8,
                                              DataType::kUint16, DataType::kUint32,  DataType::kUint64, DataType::kBool};
  return types;
}

TEST(PointwiseGpu, CastBetweenEveryPair) {
  GRAFT_REQUIRE_GPU();
  for (DataType from : all_types()) {
    SCOPED_TRACE("from " + dtype_name(from));
    Cases c;
    for (DataType to : all_types()) {
      // Values every type holds (fractions truncate toward zero); negatives only where defined.
      std::vector<double> v = {0, 1, 2.5, 7.75, 100, 99.9, 0.25, 1, 0};
      if (is_signed_int(to) || is_floating(to) || to == DataType::kBool) {
        if (is_signed_int(from) || is_floating(from)) v.insert(v.end(), {-1, -3.5, -100});
      }
      if (from == DataType::kBool) v = {0, 1, 1, 0};
      c.add("Cast", {filled(from, {static_cast<int64_t>(v.size())}, v)}, {Attribute::of_int("to", static_cast<int64_t>(to))});
    }
    c.check();
  }
}

TEST(PointwiseGpu, CastNarrowsIntegersAndCastLike) {
  GRAFT_REQUIRE_GPU();
  const std::vector<int64_t> v = {300, -1, 128, -129, 65535, 70000, -70000, INT64_MAX, INT64_MIN};
  Cases c;
  for (DataType from : {DataType::kInt64, DataType::kUint64}) {
    for (DataType to : int_types()) c.add("Cast", {ints(from, {9}, v)}, {Attribute::of_int("to", static_cast<int64_t>(to))});
  }
  c.add_random("CastLike", {{DataType::kFloat, {4, 6}}, {DataType::kFloat16, {1}}});
  c.add_random("CastLike", {{DataType::kInt32, {4, 6}}, {DataType::kDouble, {}}});
  c.check();
}

// ---- fusion ----

// Every node in one layer: x -> Add bias -> Mul scale -> Sigmoid -> Sub c -> Abs -> Clip ->
// Cast float16 -> Cast float -> Where(cond, ., y), with inputs of several shapes.
Model chain_model() {
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr x = input(g, "x", DataType::kFloat, {2, 8, 5, 5});
  TensorPtr bias = constant(g, "bias", filled(DataType::kFloat, {8, 1, 1}, {0.5, -0.25, 1, 0, 2, -1, 0.125, 0.75}));
  TensorPtr scale = input(g, "scale", DataType::kFloat, {5});
  TensorPtr c = constant(g, "c", filled(DataType::kFloat, {}, {0.4}));
  TensorPtr lo = constant(g, "lo", filled(DataType::kFloat, {}, {0.05}));
  TensorPtr cond = input(g, "cond", DataType::kBool, {2, 1, 5, 1});
  TensorPtr y = input(g, "y", DataType::kFloat, {8, 1, 5});
  TensorPtr t[8];
  for (int i = 0; i < 8; ++i) t[i] = var("t" + std::to_string(i));
  g.add_node("Add", {x, bias}, {t[0]}, "add");
  g.add_node("Mul", {t[0], scale}, {t[1]}, "mul");
  g.add_node("Sigmoid", {t[1]}, {t[2]}, "sigmoid");
  g.add_node("Sub", {t[2], c}, {t[3]}, "sub");
  g.add_node("Abs", {t[3]}, {t[4]}, "abs");
  g.add_node("Clip", {t[4], lo}, {t[5]}, "clip");
  g.add_node("Cast", {t[5]}, {t[6]}, "to_half")->set_attr(Attribute::of_int("to", static_cast<int64_t>(DataType::kFloat16)));
  g.add_node("Cast", {t[6]}, {t[7]}, "to_float")->set_attr(Attribute::of_int("to", static_cast<int64_t>(DataType::kFloat)));
  g.add_node("Where", {cond, t[7], y}, {output(g, "out")}, "where");
  return m;
}

size_t layer_count(const Model& m, Precision p) {
  engine::BuildOptions options;
  options.precision = p;
  options.autotune = false;
  size_t layers = 0;
  for (const std::string& l : engine::gpu_backend()->build(m, options).layers) layers += l.rfind("[reformat]", 0) != 0;
  return layers;  // not counting the float16 conversions at the inputs and outputs
}

TEST(PointwiseGpu, FusedChainIsOneLayer) {
  GRAFT_REQUIRE_GPU();
  const Model m = chain_model();
  EXPECT_EQ(layer_count(m, Precision::kFP32), 1u);
  expect_matches_cpu(m, 21);
  expect_matches_cpu(m, 22, kFp16);
}

// Gelu as exporters decompose it: 0.5 * x * (1 + erf(x / sqrt(2))); x is read twice. The
// forms a chain of nodes can take: x / sqrt(2) or x * (1/sqrt(2)), then (x * a) * 0.5 or
// x * (a * 0.5), operands in either order.
struct GeluForm {
  bool multiply_by_inverse = false;
  bool half_before_x = false;
  bool swap_operands = false;
};

Model gelu_model(const Dims& dims, GeluForm form = {}) {
  Model m = empty_model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(g, "x", DataType::kFloat, dims);
  TensorPtr d = var("d"), e = var("e"), a = var("a"), p = var("p");
  auto pair = [&](TensorPtr u, TensorPtr v) { return form.swap_operands ? std::vector<TensorPtr>{v, u} : std::vector<TensorPtr>{u, v}; };
  auto scalar = [&](const std::string& name, double v) { return constant(g, name, filled(DataType::kFloat, {}, {v})); };
  if (form.multiply_by_inverse) {
    g.add_node("Mul", pair(x, scalar("inv_sqrt2", 0.7071067811865476)), {d}, "scale");
  } else {
    g.add_node("Div", {x, scalar("sqrt2", 1.4142135623730951)}, {d}, "div");
  }
  g.add_node("Erf", {d}, {e}, "erf");
  g.add_node("Add", pair(e, scalar("one", 1)), {a}, "add");
  if (form.half_before_x) {
    g.add_node("Mul", pair(a, scalar("half", 0.5)), {p}, "mul_half");
    g.add_node("Mul", pair(p, x), {output(g, "y")}, "mul");
  } else {
    g.add_node("Mul", pair(x, a), {p}, "mul");
    g.add_node("Mul", pair(p, scalar("half", 0.5)), {output(g, "y")}, "mul_half");
  }
  return m;
}

std::string program_summary(const Model& m, Precision p);

TEST(PointwiseGpu, GeluDecompositionIsOneLayer) {
  GRAFT_REQUIRE_GPU();
  const Model m = gelu_model({4, 16, 33});
  EXPECT_EQ(layer_count(m, Precision::kFP16), 1u);
  expect_matches_cpu(m, 3);
  expect_matches_cpu(m, 4, kFp16);
}

// Every form computes in one fused step (load, gelu, store), as the nodes compute it.
TEST(PointwiseGpu, GeluDecompositionsFuseIntoOneOp) {
  GRAFT_REQUIRE_GPU();
  for (int bits = 0; bits < 8; ++bits) {
    const GeluForm form{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0};
    SCOPED_TRACE("form " + std::to_string(bits));
    const Model m = gelu_model({3, 7, 11}, form);
    EXPECT_EQ(layer_count(m, Precision::kFP32), 1u);
    EXPECT_NE(program_summary(m, Precision::kFP32).find("program of 3 instructions"), std::string::npos)
        << program_summary(m, Precision::kFP32);
    expect_matches_cpu(m, 5 + bits);
    expect_matches_cpu(m, 6 + bits, kFp16);
  }
  // Not Gelu: another constant stays five ops.
  Model other = gelu_model({3, 7, 11});
  for (const TensorPtr& t : other.graph->initializers) {
    if (t->name == "one") t->data = std::make_shared<TensorData>(filled(DataType::kFloat, {}, {2}).to_data());
  }
  EXPECT_NE(program_summary(other, Precision::kFP32).find("program of 10 instructions"), std::string::npos)
      << program_summary(other, Precision::kFP32);
  expect_matches_cpu(other, 9);
}

// Integer chains narrow after every op, as the CPU's typed results do.
TEST(PointwiseGpu, Int8ChainWrapsBetweenOps) {
  GRAFT_REQUIRE_GPU();
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr a = input(g, "a", DataType::kInt8, {6}), b = input(g, "b", DataType::kInt8, {6});
  TensorPtr s = var("s"), n = var("n"), c = var("c");
  g.add_node("Add", {a, b}, {s}, "add");
  g.add_node("Neg", {s}, {n}, "neg");
  g.add_node("Greater", {n, constant(g, "zero", ints(DataType::kInt8, {}, {0}))}, {c}, "greater");
  g.add_node("Cast", {c}, {output(g, "y")}, "cast")->set_attr(Attribute::of_int("to", static_cast<int64_t>(DataType::kInt32)));
  EXPECT_EQ(layer_count(m, Precision::kFP32), 1u);
  expect_matches_cpu(m, {{"a", cpu::Value::of(ints(DataType::kInt8, {6}, {100, -100, 127, 1, -128, 50}))},
                             {"b", cpu::Value::of(ints(DataType::kInt8, {6}, {100, -100, 1, 1, -1, 50}))}});
}

TEST(PointwiseGpu, VariadicWithBroadcasting) {
  GRAFT_REQUIRE_GPU();
  for (DataType t : {DataType::kFloat, DataType::kFloat16, DataType::kInt32}) {
    SCOPED_TRACE(dtype_name(t));
    Cases c(13);
    for (const char* op : {"Sum", "Mean", "Max", "Min"}) c.add_random(op, {{t, {3, 1, 4}}, {t, {5, 1}}, {t, {}}, {t, {3, 5, 4}}});
    c.add_random("Sum", {{t, {2, 3}}});
    c.check(t == DataType::kFloat16 ? kHalfCheck : GpuCheck{});
  }
}

TEST(PointwiseGpu, DropoutMaskAndTrainingModeOff) {
  GRAFT_REQUIRE_GPU();
  Model m = empty_model(13);
  Graph& g = *m.graph;
  g.add_node("Dropout",
             {input(g, "x", DataType::kFloat, {3, 7}), constant(g, "ratio", filled(DataType::kFloat, {}, {0.5})),
              constant(g, "training", filled(DataType::kBool, {}, {0}))},
             {output(g, "y"), output(g, "mask")}, "dropout");
  expect_matches_cpu(m, 12);
}

TEST(PointwiseGpu, EmptyTensors) {
  GRAFT_REQUIRE_GPU();
  Cases c;
  c.add_random("Add", {{DataType::kFloat, {0, 3}}, {DataType::kFloat, {3}}});
  c.add_random("Relu", {{DataType::kFloat, {2, 0, 4}}});
  c.add_random("Cast", {{DataType::kFloat, {0}}}, {Attribute::of_int("to", static_cast<int64_t>(DataType::kInt32))});
  c.check();
}

// Tails of the 4-element runs, several blocks per launch, strided loads over big dims.
TEST(PointwiseGpu, OddSizesAndLargerTensors) {
  GRAFT_REQUIRE_GPU();
  Cases c;
  c.add_random("Add", {{DataType::kFloat, {1000003}}, {DataType::kFloat, {1000003}}});
  c.add_random("Mul", {{DataType::kFloat, {3, 257, 1031}}, {DataType::kFloat, {257, 1}}});
  c.add_random("Where", {{DataType::kBool, {33, 1, 65}}, {DataType::kFloat, {1, 129, 65}}, {DataType::kFloat, {33, 129, 1}}});
  c.check();
  Cases half;
  half.add_random("Sigmoid", {{DataType::kFloat16, {999, 1001}}});
  half.add_random("Add", {{DataType::kFloat16, {999, 1001}}, {DataType::kFloat16, {1001}}});
  half.check(kHalfCheck);
  Cases fp16;
  fp16.add_random("Sub", {{DataType::kFloat, {4097, 33}}, {DataType::kFloat, {}}});
  fp16.add_random("Add", {{DataType::kFloat, {4097, 33}}, {DataType::kFloat, {4097, 33}}});
  fp16.check(kFp16);
}

// ---- errors ----

std::string build_error(const Model& m) {
  try {
    engine::BuildOptions options;
    options.autotune = false;
    engine::gpu_backend()->build(m, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The build fails naming the node and what it does not support.
void expect_refused(const Model& m, const std::string& what) {
  const std::string err = build_error(m);
  EXPECT_NE(err.find("'" + m.graph->nodes()[0]->name + "'"), std::string::npos) << err;
  EXPECT_NE(err.find(what), std::string::npos) << err;
}

TEST(PointwiseGpu, UnsupportedAttributesNameTheNode) {
  GRAFT_REQUIRE_GPU();
  expect_refused(unary_model({"Gelu", {Attribute::of_string("approximate", "fast")}, 20}, DataType::kFloat, {4}), "approximate");
  expect_refused(binary_model("BitShift", DataType::kUint8, {4}, DataType::kUint8, {4}, {Attribute::of_string("direction", "UP")}),
                 "direction");
  expect_refused(unary_model({"Cast", {Attribute::of_int("to", static_cast<int64_t>(DataType::kString))}}, DataType::kFloat, {4}),
                 "string");
  expect_refused(unary_model({"Exp"}, DataType::kInt32, {4}), "int32");
}

// ---- every tactic of a layer, and its bandwidth ----

// SiLU: x * sigmoid(x), x read twice (by the two ops).
Model silu_model(const Dims& dims) {
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr x = input(g, "x", DataType::kFloat, dims), s = var("s");
  g.add_node("Sigmoid", {x}, {s}, "sigmoid");
  g.add_node("Mul", {x, s}, {output(g, "y")}, "mul");
  return m;
}

// The layer the registry makes for all of a model's nodes (one group), run on device
// buffers of random values (constants: their values) outside the engine.
class LayerRun {
 public:
  LayerRun(const Model& model, Precision p) : model_(graft::clone(model)) {
    folding::infer_shapes(model_);
    for (const auto& n : model_.graph->nodes()) {
      spec_.nodes.push_back(n.get());
      spec_.opsets.push_back(model_.opset(""));
    }
    for (const Node* n : spec_.nodes) {
      for (const TensorPtr& t : n->inputs()) {
        if (!t->producer() && spec_.input_index(t.get()) < 0) spec_.inputs.push_back(t.get());
      }
    }
    spec_.outputs.push_back(model_.graph->outputs[0].get());
    spec_.precision = p;
    layer_ = find_layer("", spec_.main().op_type, model_.opset(""))->make(spec_);
    layer_->set_precision(p);
    PrepareContext prep;
    for (size_t i = 0; i < spec_.inputs.size(); ++i) {
      const Tensor* t = spec_.inputs[i];
      const cpu::HostTensor values = t->data ? cpu::HostTensor::from_data(*t->data) : engine::random_tensor(t->dtype(), dims_of(t), 77 + i);
      const DataType storage = layer_->input_storage(i, t->dtype());
      prep.inputs.push_back({storage, values.dims()});
      run_.inputs.push_back(upload(stored_as(values, storage)));
    }
    prep.host_values.assign(spec_.inputs.size(), nullptr);
    const Tensor* y = spec_.outputs[0];
    const DataType out_storage = layer_->output_storage(0, y->dtype());
    prep.outputs.push_back({out_storage, dims_of(y)});
    run_.outputs.push_back(upload(cpu::HostTensor(out_storage, dims_of(y))));
    layer_->prepare(prep);
    cudaStreamCreate(&run_.stream);
  }
  ~LayerRun() {
    for (const DeviceTensor& t : run_.inputs) cudaFree(t.data);
    cudaFree(run_.outputs[0].data);
    cudaStreamDestroy(run_.stream);
  }

  std::vector<std::string> tactics() const { return layer_->tactics(); }
  std::string summary() const { return layer_->summary(); }

  // The output's values after a run with `tactic`, as doubles.
  std::vector<double> output(const std::string& tactic) {
    layer_->set_tactic(tactic);
    layer_->enqueue(run_);
    const DeviceTensor& y = run_.outputs[0];
    cpu::HostTensor host(y.dtype, y.dims);
    EXPECT_EQ(cudaMemcpyAsync(host.mutable_raw(), y.data, y.nbytes(), cudaMemcpyDeviceToHost, run_.stream), cudaSuccess);
    EXPECT_EQ(cudaStreamSynchronize(run_.stream), cudaSuccess);
    return host.to_doubles();
  }

  // Milliseconds per run with `tactic`, and the bytes read and written per run.
  double milliseconds(const std::string& tactic) {
    layer_->set_tactic(tactic);
    for (int i = 0; i < 3; ++i) layer_->enqueue(run_);
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    constexpr int kRuns = 20;
    cudaEventRecord(start, run_.stream);
    for (int i = 0; i < kRuns; ++i) layer_->enqueue(run_);
    cudaEventRecord(stop, run_.stream);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    return ms / kRuns;
  }
  size_t bytes() const {
    size_t n = run_.outputs[0].nbytes();
    for (const DeviceTensor& t : run_.inputs) n += t.nbytes();
    return n;
  }

 private:
  static Dims dims_of(const Tensor* t) {
    Dims d;
    const Shape shape = t->shape();
    for (const Dim& x : shape.dims()) d.push_back(x.value);
    return d;
  }
  static cpu::HostTensor stored_as(const cpu::HostTensor& t, DataType storage) {
    if (storage == t.dtype()) return t;
    cpu::HostTensor h(storage, t.dims());  // float32 stored as float16
    for (int64_t i = 0; i < t.numel(); ++i) h.mutable_data<cpu::half>()[i] = cpu::half(t.data<float>()[i]);
    return h;
  }
  static DeviceTensor upload(const cpu::HostTensor& t) {
    DeviceTensor d{t.dtype(), t.dims(), nullptr};
    EXPECT_EQ(cudaMalloc(&d.data, std::max<size_t>(t.nbytes(), 1)), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(d.data, t.raw(), t.nbytes(), cudaMemcpyHostToDevice), cudaSuccess);
    return d;
  }

  Model model_;
  LayerSpec spec_;
  std::unique_ptr<Layer> layer_;
  EnqueueContext run_;
};

std::string program_summary(const Model& m, Precision p) {
  LayerRun run(m, p);
  run.output("program");
  return run.summary();
}

// The GPU machine has NVRTC: the generated kernel must be there, first (else every test
// above ran the interpreter twice).
TEST(PointwiseGpu, JitIsOfferedFirst) {
  GRAFT_REQUIRE_GPU();
  LayerRun run(gelu_model({4, 5}), Precision::kFP16);
  ASSERT_FALSE(run.tactics().empty());
  EXPECT_EQ(run.tactics().front(), "jit") << pointwise::jit_status();
  std::printf("%s\n", run.summary().c_str());
}

// Models whose layers have several tactics (jit, direct, chain, program).
std::vector<std::pair<std::string, Model>> tactic_models(const Dims& big) {
  std::vector<std::pair<std::string, Model>> models;
  models.emplace_back("Add", binary_model("Add", DataType::kFloat, big, DataType::kFloat, big));
  models.emplace_back("Mul by scalar", binary_model("Mul", DataType::kFloat, big, DataType::kFloat, {}));
  Dims channel(big.size() - 1, 1);
  channel[0] = big[1];
  models.emplace_back("Add channel bias", binary_model("Add", DataType::kFloat, big, DataType::kFloat, channel));
  models.emplace_back("Relu", unary_model({"Relu"}, DataType::kFloat, big));
  models.emplace_back("SiLU", silu_model(big));
  models.emplace_back("Gelu decomposed", gelu_model(big));
  return models;
}

TEST(PointwiseGpu, TacticsAgree) {
  GRAFT_REQUIRE_GPU();
  std::vector<std::pair<std::string, Model>> models = tactic_models({3, 5, 7, 9});
  models.emplace_back("chain", chain_model());
  Cases mean(13);
  mean.add_random("Mean", {{DataType::kFloat, {4, 5}}, {DataType::kFloat, {5}}, {DataType::kFloat, {4, 1}}});
  models.emplace_back("Mean", mean.model());
  Cases clip(6);
  clip.add_random("Clip", {{DataType::kFloat, {77}}}, {Attribute::of_float("min", -0.5f), Attribute::of_float("max", 0.25f)});
  models.emplace_back("Clip", clip.model());
  for (const auto& [name, m] : models) {
    for (Precision p : {Precision::kFP32, Precision::kFP16}) {
      LayerRun run(m, p);
      SCOPED_TRACE(name + " " + precision_name(p) + ": " + run.summary());
      EXPECT_GE(run.tactics().size(), 3u);
      EXPECT_EQ(run.tactics().front(), "jit") << pointwise::jit_status();
      const std::vector<double> want = run.output("program");
      for (const std::string& tactic : run.tactics()) {
        const std::vector<double> got = run.output(tactic);
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
          if (std::isnan(want[i]) && std::isnan(got[i])) continue;
          ASSERT_NEAR(got[i], want[i], 1e-6 + 1e-6 * std::abs(want[i])) << tactic << " at " << i;
        }
      }
    }
  }
}

void print_bandwidths(const std::string& name, const Model& m, Precision p) {
  LayerRun run(m, p);
  for (const std::string& tactic : run.tactics()) {
    const double ms = run.milliseconds(tactic);
    std::printf("[bandwidth] %-22s %-5s %-8s %8.3f ms %8.1f GB/s   %s\n", name.c_str(), precision_name(p), tactic.c_str(), ms,
                run.bytes() / ms / 1e6, run.summary().c_str());
  }
}

TEST(PointwiseGpu, Bandwidth) {
  GRAFT_REQUIRE_GPU();
  for (auto& [name, m] : tactic_models({16, 256, 128, 128})) {  // 64M elements
    for (Precision p : {Precision::kFP32, Precision::kFP16}) print_bandwidths(name, m, p);
  }
}

// Where(IsNaN(x), 0, x).
Model nan_to_zero_model(const Dims& dims) {
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr x = input(g, "x", DataType::kFloat, dims), nan = var("nan");
  g.add_node("IsNaN", {x}, {nan}, "isnan");
  g.add_node("Where", {nan, constant(g, "zero", filled(DataType::kFloat, {}, {0})), x}, {output(g, "y")}, "where");
  return m;
}

// BERT-base's pointwise layers at batch 256, sequence 128.
TEST(PointwiseGpu, BertBandwidth) {
  GRAFT_REQUIRE_GPU();
  const Dims ffn = {256, 128, 3072}, hidden = {256, 128, 768};
  print_bandwidths("Gelu decomposed", gelu_model(ffn), Precision::kFP16);
  print_bandwidths("Gelu decomposed", gelu_model(ffn), Precision::kFP32);
  print_bandwidths("residual Add", binary_model("Add", DataType::kFloat, hidden, DataType::kFloat, hidden), Precision::kFP16);
  print_bandwidths("bias Add [768]", binary_model("Add", DataType::kFloat, hidden, DataType::kFloat, {768}), Precision::kFP16);
  print_bandwidths("IsNaN+Where", nan_to_zero_model({256, 12, 128, 128}), Precision::kFP16);
}

// Last: what NVRTC took for every kernel the tests above generated (compiled side by side).
TEST(PointwiseGpu, NvrtcCompileTimes) {
  GRAFT_REQUIRE_GPU();
  const pointwise::JitStats stats = pointwise::jit_stats();
  std::printf("[nvrtc] %d kernels compiled, %.1f s of compiling in all, %.0f ms each on average\n", stats.kernels, stats.seconds,
              stats.kernels ? stats.seconds / stats.kernels * 1000 : 0.0);
  EXPECT_EQ(pointwise::jit_status(), "");
}

}  // namespace
}  // namespace graft::cuda
