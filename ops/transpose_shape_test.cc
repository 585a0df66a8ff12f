// Transpose, DepthToSpace and SpaceToDepth shapes with symbolic dims.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

TEST(TransposeShape, PermutesAndReversesByDefault) {
  NodeUnderTest t("Transpose", {floats({sym("b"), sym("seq"), fix(12), fix(64)})});
  EXPECT_EQ(t.type(), "float32[64, 12, seq, b]");
  t.attr(Attribute::of_ints("perm", {0, 2, 1, 3}));
  EXPECT_EQ(t.type(), "float32[b, 12, seq, 64]");
  NodeUnderTest bad("Transpose", {floats({fix(1), fix(2)})});
  EXPECT_EQ(bad.attr(Attribute::of_ints("perm", {0, 0})).error(), "perm [0, 0] is not a permutation");
}

TEST(TransposeShape, DepthToSpaceAndBack) {
  NodeUnderTest d2s("DepthToSpace", {floats({sym("n"), fix(16), sym("h"), sym("w")})});
  EXPECT_EQ(d2s.attr(Attribute::of_int("blocksize", 2)).type(), "float32[n, 4, 2*h, 2*w]");
  NodeUnderTest s2d("SpaceToDepth", {floats({sym("n"), fix(4), sym("2*h"), fix(6)})});
  EXPECT_EQ(s2d.attr(Attribute::of_int("blocksize", 2)).type(), "float32[n, 16, h, 3]");
  NodeUnderTest bad("DepthToSpace", {floats({fix(1), fix(6), fix(2), fix(2)})});
  EXPECT_EQ(bad.attr(Attribute::of_int("blocksize", 2)).error(), "channels of [1, 6, 2, 2] are not divisible by 4");
}

}  // namespace
}  // namespace graft::ops::testing
