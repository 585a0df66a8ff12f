// GatherND, GatherElements, ScatterND and Compress shapes.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

ValueFacts indices(std::vector<Dim> dims) { return tensor(DataType::kInt64, std::move(dims)); }

TEST(GatherScatterShape, GatherNDWithBatchDims) {
  NodeUnderTest g("GatherND", {floats({sym("b"), fix(5), fix(6), sym("d")}), indices({sym("b"), sym("k"), fix(2)})});
  EXPECT_EQ(g.attr(Attribute::of_int("batch_dims", 1)).type(0, 12), "float32[b, k, d]");
  NodeUnderTest bad("GatherND", {floats({fix(2), fix(3)}), indices({fix(4), fix(3)})});
  EXPECT_EQ(bad.error(), "indices [4, 3] with batch_dims 0 index more dims than data [2, 3] has");
}

TEST(GatherScatterShape, GatherElementsTakesTheIndicesShape) {
  EXPECT_EQ(NodeUnderTest("GatherElements", {floats({sym("n"), fix(3)}), indices({sym("n"), fix(1)})}).type(), "float32[n, 1]");
}

TEST(GatherScatterShape, ScatterNDChecksTheUpdates) {
  NodeUnderTest ok("ScatterND", {floats({sym("n"), fix(4), fix(5)}), indices({fix(3), fix(1)}), floats({fix(3), fix(4), fix(5)})});
  EXPECT_EQ(ok.type(), "float32[n, 4, 5]");
  NodeUnderTest bad("ScatterND", {floats({fix(8), fix(4)}), indices({fix(3), fix(1)}), floats({fix(3), fix(5)})});
  EXPECT_EQ(bad.error(), "updates [3, 5] must be [3, 4] for indices [3, 1] and data [8, 4]");
}

TEST(GatherScatterShape, CompressCountsAConstantCondition) {
  std::vector<std::shared_ptr<TensorData>> keep;
  const std::vector<uint8_t> cond{0, 1, 1};
  ValueFacts c = constant(DataType::kBool, cond, keep);
  NodeUnderTest axis("Compress", {floats({sym("b"), fix(3)}), c});
  EXPECT_EQ(axis.attr(Attribute::of_int("axis", 1)).type(0, 11), "float32[b, 2]");
  EXPECT_EQ(NodeUnderTest("Compress", {floats({fix(3), fix(2)}), c}).type(0, 11), "float32[2]");  // first 3 of 6
  EXPECT_EQ(NodeUnderTest("Compress", {floats({sym("b"), fix(3)}), indices({fix(3)})}).type(0, 11), "float32[?]");
}

}  // namespace
}  // namespace graft::ops::testing
