// Reduction shapes: axes as an attribute or an input, keepdims, noop_with_empty_axes,
// and ReduceProd of a tracked shape value.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

ValueFacts hidden() { return floats({sym("b"), sym("seq"), fix(768)}); }

TEST(ReduceShape, AxesAttributeBeforeOpset18) {
  NodeUnderTest mean("ReduceMean", {hidden()});
  mean.attr(Attribute::of_ints("axes", {-1})).attr(Attribute::of_int("keepdims", 0));
  EXPECT_EQ(mean.type(0, 13), "float32[b, seq]");
}

TEST(ReduceShape, AxesInputFromOpset13ForReduceSum) {
  EXPECT_EQ(NodeUnderTest("ReduceSum", {hidden(), shape_value({fix(1)})}).type(0, 13), "float32[b, 1, 768]");
  NodeUnderTest all("ReduceSum", {hidden()});
  EXPECT_EQ(all.attr(Attribute::of_int("keepdims", 0)).type(0, 13), "float32[]");
}

TEST(ReduceShape, UnknownAxesKeepTheRankAndTheDimsOfOne) {
  NodeUnderTest sum("ReduceSum", {floats({sym("b"), fix(1), fix(768)}), tensor(DataType::kInt64, {fix(1)})});
  EXPECT_EQ(sum.type(0, 13), "float32[?, 1, ?]");
  sum.attr(Attribute::of_int("keepdims", 0));
  EXPECT_EQ(sum.type(0, 13), "float32?");
}

TEST(ReduceShape, NoopWithEmptyAxesKeepsTheShape) {
  NodeUnderTest max("ReduceMax", {hidden()});
  EXPECT_EQ(max.attr(Attribute::of_int("noop_with_empty_axes", 1)).type(0, 18), "float32[b, seq, 768]");
}

TEST(ReduceShape, ReduceProdOfATrackedShapeIsTheElementCount) {
  NodeUnderTest prod("ReduceProd", {shape_value({sym("b"), sym("seq"), fix(12)})});
  ValueFacts out = prod.attr(Attribute::of_int("keepdims", 0)).infer(13)[0];
  EXPECT_EQ(out.type.str(), "int64[]");
  ASSERT_TRUE(out.elements);
  EXPECT_EQ(Shape(*out.elements).str(), "[12*b*seq]");
}

TEST(ReduceShape, ArgMaxGivesInt64) {
  NodeUnderTest arg("ArgMax", {hidden()});
  arg.attr(Attribute::of_int("axis", 1)).attr(Attribute::of_int("keepdims", 0));
  EXPECT_EQ(arg.type(), "int64[b, 768]");
  NodeUnderTest bad("ArgMin", {hidden()});
  EXPECT_EQ(bad.attr(Attribute::of_int("axis", 3)).error(), "axis 3 is out of range for rank 3");
}

}  // namespace
}  // namespace graft::ops::testing
