// TopK, NonZero and Unique shapes: data-dependent counts are unknown, ranks and dtypes are not.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

TEST(IndexOpsShape, TopKTakesATrackedK) {
  ValueFacts k = shape_value({sym("k")});
  NodeUnderTest topk("TopK", {floats({sym("b"), sym("n")}), k}, 2);
  EXPECT_EQ(topk.type(0, 11), "float32[b, k]");
  EXPECT_EQ(topk.type(1, 11), "int64[b, k]");
  NodeUnderTest old("TopK", {floats({sym("b"), fix(10)})}, 2);
  EXPECT_EQ(old.attr(Attribute::of_int("k", 3)).type(1, 9), "int64[b, 3]");
}

TEST(IndexOpsShape, TopKLargerThanTheAxisIsAnError) {
  NodeUnderTest topk("TopK", {floats({fix(2), fix(5)}), shape_value({fix(6)})}, 2);
  EXPECT_EQ(topk.error(11), "k 6 is out of range for axis 1 of [2, 5]");
}

TEST(IndexOpsShape, NonZeroKnowsTheRankNotTheCount) {
  EXPECT_EQ(NodeUnderTest("NonZero", {floats({sym("b"), fix(3)})}).type(), "int64[2, ?]");
  EXPECT_EQ(NodeUnderTest("NonZero", {floats({sym("b"), fix(0)})}).type(), "int64[2, 0]");
}

TEST(IndexOpsShape, UniqueAlongAnAxis) {
  NodeUnderTest u("Unique", {floats({sym("n"), fix(4)})}, 4);
  u.attr(Attribute::of_int("axis", 0));
  EXPECT_EQ(u.type(0), "float32[?, 4]");
  EXPECT_EQ(u.type(2), "int64[n]");  // inverse_indices: one per input slice
  EXPECT_EQ(u.type(3), "int64[?]");
}

}  // namespace
}  // namespace graft::ops::testing
