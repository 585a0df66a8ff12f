// Pool shapes: symbolic strides, ceil_mode's last-window rule, global pools, MaxUnpool.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

TEST(PoolShape, MaxPoolHalvesEvenSymbolicDimsAndIndicesAreInt64) {
  NodeUnderTest pool("MaxPool", {floats({sym("n"), sym("c"), sym("2*h"), sym("2*w")})}, 2);
  pool.attr(Attribute::of_ints("kernel_shape", {2, 2})).attr(Attribute::of_ints("strides", {2, 2}));
  const auto out = pool.infer(12);
  EXPECT_EQ(out[0].type.str(), "float32[n, c, h, w]");
  EXPECT_EQ(out[1].type.str(), "int64[n, c, h, w]");
}

TEST(PoolShape, CeilModeDropsAWindowStartingInThePadding) {
  NodeUnderTest pool("MaxPool", {floats({fix(1), fix(1), fix(4), fix(5)})});
  pool.attr(Attribute::of_ints("kernel_shape", {2, 2}))
      .attr(Attribute::of_ints("strides", {2, 2}))
      .attr(Attribute::of_ints("pads", {0, 0, 1, 1}))
      .attr(Attribute::of_int("ceil_mode", 1));
  // H: ceil((4 + 1 - 2) / 2) + 1 = 3, but the third window would start at 4, in the end padding.
  EXPECT_EQ(pool.type(), "float32[1, 1, 2, 3]");
}

TEST(PoolShape, CeilModeOnSymbolicDims) {
  NodeUnderTest pool("AveragePool", {floats({sym("n"), fix(3), sym("2*h"), sym("w")})});
  pool.attr(Attribute::of_ints("kernel_shape", {3, 1}))
      .attr(Attribute::of_ints("strides", {2, 1}))
      .attr(Attribute::of_int("ceil_mode", 1));
  EXPECT_EQ(pool.type(), "float32[n, 3, h, w]");  // ceil((2h - 3) / 2) + 1
}

TEST(PoolShape, SameUpperOnOddSymbolicDim) {
  NodeUnderTest pool("LpPool", {floats({sym("n"), fix(3), sym("2*h + 1")})});
  pool.attr(Attribute::of_ints("kernel_shape", {3}))
      .attr(Attribute::of_ints("strides", {2}))
      .attr(Attribute::of_string("auto_pad", "SAME_UPPER"));
  EXPECT_EQ(pool.type(), "float32[n, 3, h + 1]");
}

TEST(PoolShape, KernelThatCannotFitIsAnError) {
  NodeUnderTest pool("MaxPool", {floats({fix(1), fix(1), fix(2)})});
  pool.attr(Attribute::of_ints("kernel_shape", {4}));
  EXPECT_EQ(pool.error(), "window of 4 (dilation 1) does not fit an input of 2 with 0 padding");
}

TEST(PoolShape, GlobalPoolsKeepBatchAndChannels) {
  NodeUnderTest pool("GlobalAveragePool", {floats({sym("n"), fix(64), sym("h"), sym("w")})});
  EXPECT_EQ(pool.type(), "float32[n, 64, 1, 1]");
}

TEST(PoolShape, MaxUnpoolInfersOrTakesOutputShape) {
  const ValueFacts x = floats({sym("n"), sym("c"), sym("h"), sym("w")});
  const ValueFacts indices = tensor(DataType::kInt64, {sym("n"), sym("c"), sym("h"), sym("w")});
  NodeUnderTest unpool("MaxUnpool", {x, indices});
  unpool.attr(Attribute::of_ints("kernel_shape", {2, 2})).attr(Attribute::of_ints("strides", {2, 2}));
  EXPECT_EQ(unpool.type(), "float32[n, c, 2*h, 2*w]");
  NodeUnderTest sized("MaxUnpool", {x, indices, shape_value({sym("n"), sym("c"), sym("2*h + 1"), sym("2*w")})});
  sized.attr(Attribute::of_ints("kernel_shape", {2, 2})).attr(Attribute::of_ints("strides", {2, 2}));
  EXPECT_EQ(sized.type(), "float32[n, c, 2*h + 1, 2*w]");
}

}  // namespace
}  // namespace graft::ops::testing
