// Resize and Upsample shapes: constant scales on symbolic dims, tracked sizes, opset 18's
// axes and keep_aspect_ratio_policy, Upsample's attribute and input scales.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

std::vector<std::shared_ptr<TensorData>> keep;
ValueFacts scales(const std::vector<float>& v) { return constant(DataType::kFloat, v, keep); }
ValueFacts sizes(const std::vector<int64_t>& v) { return constant(DataType::kInt64, v, keep); }

TEST(ResizeShape, WholeScalesMultiplyAndHalvesDivideExactly) {
  NodeUnderTest up("Resize", {floats({sym("n"), fix(3), sym("h"), sym("w")}), absent(), scales({1, 1, 2, 3})});
  EXPECT_EQ(up.type(0, 13), "float32[n, 3, 2*h, 3*w]");
  NodeUnderTest down("Resize", {floats({sym("n"), fix(3), sym("2*h"), sym("w")}), scales({}), scales({1, 1, 0.5, 0.5})});
  EXPECT_EQ(down.type(0, 11), "float32[n, 3, h, ?]");
  NodeUnderTest fixed("Resize", {floats({fix(1), fix(3), fix(5), fix(7)}), scales({1, 1, 0.6f, 1.5f})}, 1);
  EXPECT_EQ(fixed.type(0, 10), "float32[1, 3, 3, 10]");  // floor(5 * 0.6), floor(7 * 1.5)
}

TEST(ResizeShape, TrackedSizesGiveSymbolicDims) {
  NodeUnderTest r("Resize", {floats({sym("n"), fix(3), sym("h"), sym("w")}), absent(), absent(),
                             shape_value({sym("n"), fix(3), sym("2*h"), fix(64)})});
  EXPECT_EQ(r.type(0, 13), "float32[n, 3, 2*h, 64]");
  NodeUnderTest opset11("Resize", {floats({sym("n"), fix(3), sym("h"), sym("w")}), scales({}), scales({}), sizes({1, 3, 8, 8})});
  EXPECT_EQ(opset11.type(0, 11), "float32[1, 3, 8, 8]");
}

TEST(ResizeShape, UnknownScalesKeepTheRank) {
  NodeUnderTest r("Resize", {floats({sym("n"), fix(3), sym("h"), sym("w")}), absent(), floats({fix(4)})});
  EXPECT_EQ(r.type(0, 13), "float32[?, ?, ?, ?]");
}

TEST(ResizeShape, AxesResizeOnlyThoseDims) {
  NodeUnderTest r("Resize", {floats({sym("n"), fix(3), sym("h"), sym("w")}), absent(), absent(), sizes({32, 48})});
  r.attr(Attribute::of_ints("axes", {-2, -1}));
  EXPECT_EQ(r.type(0, 18), "float32[n, 3, 32, 48]");
  NodeUnderTest s("Resize", {floats({sym("n"), fix(3), sym("h"), sym("w")}), absent(), scales({2, 2})});
  s.attr(Attribute::of_ints("axes", {2, 3}));
  EXPECT_EQ(s.type(0, 18), "float32[n, 3, 2*h, 2*w]");
}

TEST(ResizeShape, KeepAspectRatioUsesTheCommonScale) {
  NodeUnderTest r("Resize", {floats({fix(1), fix(3), fix(20), fix(40)}), absent(), absent(), sizes({10, 20})});
  r.attr(Attribute::of_ints("axes", {2, 3})).attr(Attribute::of_string("keep_aspect_ratio_policy", "not_larger"));
  EXPECT_EQ(r.type(0, 18), "float32[1, 3, 10, 20]");
  NodeUnderTest larger("Resize", {floats({fix(1), fix(3), fix(20), fix(40)}), absent(), absent(), sizes({5, 30})});
  larger.attr(Attribute::of_ints("axes", {2, 3})).attr(Attribute::of_string("keep_aspect_ratio_policy", "not_smaller"));
  EXPECT_EQ(larger.type(0, 18), "float32[1, 3, 15, 30]");  // scale max(5/20, 30/40) = 0.75
}

TEST(ResizeShape, WrongScaleCountNamesX) {
  NodeUnderTest r("Resize", {floats({sym("n"), fix(3), sym("h"), sym("w")}), absent(), scales({2, 2})});
  EXPECT_EQ(r.error(13), "scales has 2 values, expected 4 for X [n, 3, h, w]");
}

TEST(UpsampleShape, ScalesFromAttributeOrInput) {
  NodeUnderTest v7("Upsample", {floats({sym("n"), fix(3), sym("h"), sym("w")})});
  v7.attr(Attribute::of_floats("scales", {1, 1, 2, 3}));
  EXPECT_EQ(v7.type(0, 7), "float32[n, 3, 2*h, 3*w]");
  NodeUnderTest v9("Upsample", {floats({sym("n"), fix(3), sym("h"), sym("w")}), scales({1, 1, 2, 2})});
  EXPECT_EQ(v9.type(0, 9), "float32[n, 3, 2*h, 2*w]");
}

}  // namespace
}  // namespace graft::ops::testing
