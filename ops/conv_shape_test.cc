// Conv, ConvTranspose, ConvInteger and QLinearConv shapes with symbolic spatial dims.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

ValueFacts weights(std::vector<int64_t> dims) { return tensor(DataType::kFloat, Shape::of(dims).dims()); }

TEST(ConvShape, PaddingKeepsSymbolicSpatialDims) {
  NodeUnderTest conv("Conv", {floats({sym("batch"), fix(3), sym("h"), sym("w")}), weights({8, 3, 3, 3})});
  conv.attr(Attribute::of_ints("pads", {1, 1, 1, 1}));
  EXPECT_EQ(conv.type(), "float32[batch, 8, h, w]");
}

TEST(ConvShape, StrideTwoHalvesEvenSymbolicDims) {
  NodeUnderTest conv("Conv", {floats({sym("n"), fix(3), sym("2*h"), sym("2*w")}), weights({8, 3, 3, 3}), floats({fix(8)})});
  conv.attr(Attribute::of_ints("pads", {1, 1, 1, 1})).attr(Attribute::of_ints("strides", {2, 2}));
  EXPECT_EQ(conv.type(), "float32[n, 8, h, w]");  // floor((2h + 2 - 3) / 2) + 1
}

TEST(ConvShape, SameUpperIsCeilOfInputOverStride) {
  NodeUnderTest conv("Conv", {floats({sym("n"), fix(3), sym("h"), sym("2*w + 1")}), weights({8, 3, 3, 3})});
  conv.attr(Attribute::of_string("auto_pad", "SAME_UPPER")).attr(Attribute::of_ints("strides", {2, 2}));
  EXPECT_EQ(conv.type(), "float32[n, 8, ?, w + 1]");  // ceil(h / 2) depends on h's parity
}

TEST(ConvShape, KernelShapeAttributeStandsInForUnknownWeights) {
  NodeUnderTest conv("Conv", {floats({fix(1), fix(4), fix(10), fix(10)}), unknown()});
  conv.attr(Attribute::of_ints("kernel_shape", {3, 3})).attr(Attribute::of_ints("dilations", {2, 2}));
  EXPECT_EQ(conv.type(), "float32[1, ?, 6, 6]");
}

TEST(ConvShape, ChannelMismatchNamesBothShapes) {
  NodeUnderTest conv("Conv", {floats({fix(1), fix(6), fix(5), fix(5)}), weights({4, 4, 3, 3})});
  conv.attr(Attribute::of_int("group", 2));
  EXPECT_EQ(conv.error(), "W [4, 4, 3, 3] does not match X [1, 6, 5, 5] with group 2");
}

TEST(ConvShape, BiasMustMatchOutputChannels) {
  NodeUnderTest conv("Conv", {floats({fix(1), fix(3), fix(5), fix(5)}), weights({8, 3, 3, 3}), floats({fix(7)})});
  EXPECT_EQ(conv.error(), "B [7] does not match the output channels of W [8, 3, 3, 3]");
}

TEST(ConvShape, TransposedStrideTwoDoublesSymbolicDims) {
  NodeUnderTest deconv("ConvTranspose", {floats({fix(1), fix(4), sym("h"), sym("w")}), weights({4, 2, 3, 3})});
  deconv.attr(Attribute::of_ints("strides", {2, 2}))
      .attr(Attribute::of_ints("pads", {1, 1, 1, 1}))
      .attr(Attribute::of_ints("output_padding", {1, 1}))
      .attr(Attribute::of_int("group", 2));
  EXPECT_EQ(deconv.type(), "float32[1, 4, 2*h, 2*w]");  // 2 * (h - 1) + 1 + 3 - 2
}

TEST(ConvShape, TransposedOutputShapeWins) {
  NodeUnderTest deconv("ConvTranspose", {floats({fix(1), fix(4), sym("h"), sym("w")}), weights({4, 2, 3, 3})});
  deconv.attr(Attribute::of_ints("strides", {2, 2})).attr(Attribute::of_ints("output_shape", {1, 2, 10, 12}));
  EXPECT_EQ(deconv.type(), "float32[1, 2, 10, 12]");
  deconv.attr(Attribute::of_ints("output_shape", {10, 12}));
  EXPECT_EQ(deconv.type(), "float32[1, 2, 10, 12]");
}

TEST(ConvShape, TransposedSameIsInputTimesStride) {
  NodeUnderTest deconv("ConvTranspose", {floats({sym("n"), fix(4), sym("h"), fix(5)}), weights({4, 2, 3, 3})});
  deconv.attr(Attribute::of_ints("strides", {2, 3})).attr(Attribute::of_string("auto_pad", "SAME_LOWER"));
  EXPECT_EQ(deconv.type(), "float32[n, 2, 2*h, 15]");
}

TEST(ConvShape, IntegerAndQuantizedTypes) {
  const ValueFacts x = tensor(DataType::kUint8, {fix(1), fix(3), sym("h"), sym("w")});
  const ValueFacts w = tensor(DataType::kInt8, {fix(8), fix(3), fix(1), fix(1)});
  NodeUnderTest integer("ConvInteger", {x, w});
  EXPECT_EQ(integer.type(), "int32[1, 8, h, w]");
  const ValueFacts scale = floats({}), zero = tensor(DataType::kInt8, {});
  NodeUnderTest q("QLinearConv", {x, scale, tensor(DataType::kUint8, {}), w, scale, zero, scale, zero});
  EXPECT_EQ(q.type(), "int8[1, 8, h, w]");
}

}  // namespace
}  // namespace graft::ops::testing
