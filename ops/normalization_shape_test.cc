// Normalization shapes: LayerNormalization's statistics, BatchNormalization's training
// outputs, channel checks.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

TEST(NormalizationShape, LayerNormStatisticsKeepLeadingDimsInTheStashType) {
  NodeUnderTest ln("LayerNormalization", {tensor(DataType::kDouble, {sym("b"), sym("s"), fix(768)}), floats({fix(768)})}, 3);
  ln.attr(Attribute::of_int("axis", -1));
  const auto out = ln.infer(17);
  EXPECT_EQ(out[0].type.str(), "float64[b, s, 768]");
  EXPECT_EQ(out[1].type.str(), "float32[b, s, 1]");
  EXPECT_EQ(out[2].type.str(), "float32[b, s, 1]");
}

TEST(NormalizationShape, BatchNormTrainingOutputsFollowTheRunningStatistics) {
  const ValueFacts c = floats({fix(16)});
  NodeUnderTest bn("BatchNormalization", {floats({sym("n"), fix(16), sym("h"), sym("w")}), c, c, c, tensor(DataType::kDouble, {fix(16)})}, 3);
  bn.attr(Attribute::of_int("training_mode", 1));
  const auto out = bn.infer(15);
  EXPECT_EQ(out[0].type.str(), "float32[n, 16, h, w]");
  EXPECT_EQ(out[1].type.str(), "float32[16]");
  EXPECT_EQ(out[2].type.str(), "float64[16]");
}

TEST(NormalizationShape, ChannelParametersMustMatch) {
  NodeUnderTest in("InstanceNormalization", {floats({sym("n"), fix(16), sym("h")}), floats({fix(8)}), floats({fix(16)})});
  EXPECT_EQ(in.error(), "scale [8] must hold one value per channel of X [n, 16, h]");
  NodeUnderTest gn("GroupNormalization", {floats({sym("n"), fix(16), sym("h")}), floats({fix(3)}), floats({fix(3)})});
  gn.attr(Attribute::of_int("num_groups", 3));
  EXPECT_EQ(gn.error(), "num_groups 3 must divide the channels of X [n, 16, h]");
}

}  // namespace
}  // namespace graft::ops::testing
