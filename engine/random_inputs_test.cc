#include "engine/random_inputs.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cstring>

#include "surgeon/error.h"

namespace graft::engine {
namespace {

using cpu::Dims;
using cpu::HostTensor;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

Shape shape_of(std::vector<Dim> dims) { return Shape(std::move(dims)); }

TEST(InputShapes, Parses) {
  ShapeOverrides s = parse_input_shapes("x:1x3x224x224,mask:1x128,sr:,in/a:0:2");
  EXPECT_EQ(s.at("x"), (Dims{1, 3, 224, 224}));
  EXPECT_EQ(s.at("mask"), (Dims{1, 128}));
  EXPECT_EQ(s.at("sr"), Dims{});
  EXPECT_EQ(s.at("in/a:0"), Dims{2});  // the last ':' separates the dims
  EXPECT_TRUE(parse_input_shapes("").empty());
  EXPECT_NE(error_of([] { parse_input_shapes("x"); }).find("write NAME:DIMS"), std::string::npos);
  EXPECT_NE(error_of([] { parse_input_shapes("x:1x-3"); }).find("dimension -3 is negative"), std::string::npos);
  EXPECT_NE(error_of([] { parse_input_shapes("x:1,x:2"); }).find("two shapes"), std::string::npos);
  EXPECT_NE(error_of([] { parse_input_shapes("x:batchx3"); }).find("give every dimension as a number"), std::string::npos);
  EXPECT_NE(error_of([] { parse_input_shapes("x:1xx2"); }).find("empty dimension"), std::string::npos);
}

TEST(InputShapes, ResolvesSymbolsAndDefaults) {
  std::vector<TensorPtr> in = {
      Tensor::variable("x", DataType::kFloat, shape_of({Dim::symbolic("batch"), Dim::fixed(3), Dim::unknown()})),
      Tensor::variable("state", DataType::kFloat, shape_of({Dim::fixed(2), Dim::symbolic("batch"), Dim::fixed(128)})),
      Tensor::variable("sr", DataType::kInt64, Shape::scalar()),
  };
  std::vector<Dims> d = resolve_input_dims(in, {});
  EXPECT_EQ(d[0], (Dims{1, 3, 1}));
  EXPECT_EQ(d[1], (Dims{2, 1, 128}));
  EXPECT_EQ(d[2], Dims{});
  d = resolve_input_dims(in, parse_input_shapes("x:4x3x7"));
  EXPECT_EQ(d[0], (Dims{4, 3, 7}));
  EXPECT_EQ(d[1], (Dims{2, 4, 128}));  // "batch" bound by x's shape

  EXPECT_NE(error_of([&] { resolve_input_dims(in, parse_input_shapes("y:1")); })
                .find("'y', which is not an input of the model (inputs: x, state, sr)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve_input_dims(in, parse_input_shapes("x:4x3")); }).find("has rank 2"), std::string::npos);
  EXPECT_NE(error_of([&] { resolve_input_dims(in, parse_input_shapes("x:4x5x1")); }).find("dim 1 is fixed at 3"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve_input_dims(in, parse_input_shapes("x:4x3x1,state:2x5x128")); })
                .find("dim 'batch' is 4 here but 5 in another given shape"),
            std::string::npos);
  std::vector<TensorPtr> no_rank = {std::make_shared<Tensor>("u", ValueType::tensor(DataType::kFloat, Shape()))};
  EXPECT_NE(error_of([&] { resolve_input_dims(no_rank, {}); }).find("no known rank"), std::string::npos);
  EXPECT_EQ(resolve_input_dims(no_rank, parse_input_shapes("u:5x2"))[0], (Dims{5, 2}));
}

TEST(RandomTensor, DeterministicAndInRange) {
  const HostTensor a = random_tensor(DataType::kFloat, {1000}, 42);
  const HostTensor b = random_tensor(DataType::kFloat, {1000}, 42);
  const HostTensor c = random_tensor(DataType::kFloat, {1000}, 43);
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0);
  EXPECT_NE(std::memcmp(a.raw(), c.raw(), a.nbytes()), 0);
  double lo = 1, hi = -1, sum = 0;
  for (double v : a.to_doubles()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  EXPECT_GE(lo, -1.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_LT(lo, -0.9);
  EXPECT_GT(hi, 0.9);
  EXPECT_NEAR(sum / 1000, 0.0, 0.1);
  // Pinned: the generator is graft's own, so these values hold on every machine.
  // (splitmix64 from state 0; values checked with an independent Python implementation.)
  const HostTensor pinned = random_tensor(DataType::kFloat, {3}, 0);
  EXPECT_FLOAT_EQ(pinned.data<float>()[0], 0.7666216f);
  EXPECT_FLOAT_EQ(pinned.data<float>()[1], -0.13694406f);
  EXPECT_FLOAT_EQ(pinned.data<float>()[2], -0.94713247f);
  EXPECT_EQ(random_tensor(DataType::kInt64, {3}, 0).to_int64s(), (std::vector<int64_t>{5, 0, 9}));

  for (DataType t : {DataType::kDouble, DataType::kFloat16, DataType::kBfloat16}) {
    for (double v : random_tensor(t, {500}, 1).to_doubles()) {
      ASSERT_GE(v, -1.0) << dtype_name(t);
      ASSERT_LT(v, 1.0) << dtype_name(t);
    }
  }
  for (DataType t : {DataType::kInt8, DataType::kInt16, DataType::kInt32, DataType::kInt64, DataType::kUint16,
                     DataType::kUint32, DataType::kUint64}) {
    const std::vector<int64_t> v = random_tensor(t, {500}, 1).to_int64s();
    EXPECT_EQ(*std::min_element(v.begin(), v.end()), 0) << dtype_name(t);
    EXPECT_EQ(*std::max_element(v.begin(), v.end()), 9) << dtype_name(t);
  }
  const std::vector<int64_t> bytes = random_tensor(DataType::kUint8, {2000}, 1).to_int64s();
  EXPECT_EQ(*std::max_element(bytes.begin(), bytes.end()), 255);
  const HostTensor flags = random_tensor(DataType::kBool, {1000}, 1);
  int trues = 0;
  for (int i = 0; i < 1000; ++i) trues += flags.data<bool>()[i];
  EXPECT_GT(trues, 400);
  EXPECT_LT(trues, 600);
  EXPECT_NE(error_of([] { random_tensor(DataType::kString, {1}, 0); }).find("cannot make random values of type string"),
            std::string::npos);
}

TEST(RandomInputs, OnePerInputIndependentOfOrder) {
  auto x = Tensor::variable("x", DataType::kFloat, shape_of({Dim::symbolic("n"), Dim::fixed(4)}));
  auto ids = Tensor::variable("ids", DataType::kInt64, shape_of({Dim::symbolic("n")}));
  auto r1 = random_inputs({x, ids}, 7, parse_input_shapes("x:3x4"));
  auto r2 = random_inputs({ids, x}, 7, parse_input_shapes("x:3x4"));
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(r1[0].first, "x");
  EXPECT_EQ(r1[0].second.describe(), "float32[3, 4]");
  EXPECT_EQ(r1[1].second.describe(), "int64[3]");
  EXPECT_EQ(std::memcmp(r1[0].second.raw(), r2[1].second.raw(), r1[0].second.nbytes()), 0);
  EXPECT_NE(std::memcmp(random_inputs({x}, 8)[0].second.raw(), random_inputs({x}, 7)[0].second.raw(), 16), 0);

  auto s = Tensor::variable("s", DataType::kString, Shape::of({2}));
  EXPECT_NE(error_of([&] { random_inputs({s}, 0); }).find("input 's': cannot make random values"), std::string::npos);
}

}  // namespace
}  // namespace graft::engine
