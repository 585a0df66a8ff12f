// fold-scale-into-conv: the exact graph and constants after folding, the same outputs on
// the CPU engine, and the cases it must leave alone.
#include <gtest/gtest.h>

#include "folding/fold_test_util.h"
#include "surgeon/test_util.h"

namespace graft::folding {
namespace {

using graft::testing::text;
using testing::floats_of;
using testing::ModelBuilder;
using testing::transform_and_compare;

const std::vector<std::string> kPasses = {"fold-scale-into-conv", "eliminate-dead-nodes"};

// x [1, 3, 4, 4] -> Conv (4 output channels, optional bias) -> Mul(scale) -> Add(shift) -> y
Model conv_mul_add(std::vector<int64_t> scale_dims, std::vector<int64_t> shift_dims, bool bias = true) {
  ModelBuilder b(13);
  std::vector<TensorPtr> ins = {b.input("x", {1, 3, 4, 4}), b.weights("w", {4, 3, 3, 3})};
  if (bias) ins.push_back(b.weights("b", {4}));
  TensorPtr c = b.op("Conv", "conv", ins, {Attribute::of_ints("pads", {1, 1, 1, 1})});
  TensorPtr m = b.op("Mul", "mul", {c, b.weights("scale", scale_dims, 1.0, 0.4)});
  b.output(b.op("Add", "add", {b.weights("shift", shift_dims), m}, {}, "y"));
  return std::move(b.model);
}

TEST(FoldScaleIntoConv, PerChannelMulThenAddFoldWithExactValues) {
  Model before = conv_mul_add({1, 4, 1, 1}, {4, 1, 1});
  testing::Transformed t = transform_and_compare([] { return conv_mul_add({1, 4, 1, 1}, {4, 1, 1}); }, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w, b\nconv: Conv(x, w, b) -> y\nout: y\n");
  EXPECT_EQ(t.notes(), (std::vector<std::string>{"folded node 'mul' (Mul) into node 'conv' (Conv)",
                                                 "folded node 'add' (Add) into node 'conv' (Conv)",
                                                 "removed 0 dead nodes and 2 unused initializers"}));
  const Graph& g0 = *before.graph;
  std::vector<double> w = floats_of(g0.initializers[0]), bias = floats_of(g0.initializers[1]),
                      scale = floats_of(g0.initializers[2]), shift = floats_of(g0.initializers[3]);
  std::vector<double> w2 = floats_of(t.model.graph->initializers[0]), b2 = floats_of(t.model.graph->initializers[1]);
  for (size_t c = 0; c < 4; ++c) {
    // Mul first (rounded to float32), then Add.
    const double scaled_bias = double(float(bias[c] * scale[c]));
    EXPECT_EQ(b2[c], double(float(scaled_bias + shift[c])));
    for (size_t i = 0; i < 27; ++i) EXPECT_EQ(w2[c * 27 + i], double(float(w[c * 27 + i] * scale[c])));
  }
}

TEST(FoldScaleIntoConv, ScalarsFoldAndAddCreatesTheBias) {
  testing::Transformed t = transform_and_compare([] { return conv_mul_add({}, {1}, /*bias=*/false); }, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w, conv_bias\nconv: Conv(x, w, conv_bias) -> y\nout: y\n");
}

TEST(FoldScaleIntoConv, GemmMulAndAddFoldAndBetaBecomesOne) {
  auto build = [] {
    ModelBuilder b(13);
    TensorPtr g = b.op("Gemm", "gemm", {b.input("x", {3, 4}), b.weights("w", {4, 5}), b.weights("c", {5})},
                       {Attribute::of_float("beta", 0.5f)});
    TensorPtr m = b.op("Mul", "mul", {g, b.weights("scale", {1, 5}, 1.0, 0.5)});
    b.output(b.op("Add", "add", {m, b.weights("shift", {5})}, {}, "y"));
    return std::move(b.model);
  };
  testing::Transformed t = transform_and_compare(build, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w, c\ngemm: Gemm(x, w, c) -> y\nout: y\n");
  EXPECT_EQ(t.model.graph->nodes()[0]->attr("beta")->f, 1.0f);
}

TEST(FoldScaleIntoConv, ConvTransposeMulFolds) {
  auto build = [] {
    ModelBuilder b(13);
    TensorPtr c = b.op("ConvTranspose", "deconv", {b.input("x", {1, 2, 3, 3}), b.weights("w", {2, 3, 2, 2})});
    b.output(b.op("Mul", "mul", {c, b.weights("scale", {3, 1, 1}, 1.0, 0.4)}, {}, "y"));
    return std::move(b.model);
  };
  testing::Transformed t = transform_and_compare(build, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w\ndeconv: ConvTranspose(x, w) -> y\nout: y\n");
}

// ---- Left alone

void expect_unchanged(const std::function<Model()>& build, const std::string& note_part = "") {
  Model before = build();
  testing::Transformed t = transform_and_compare(build, {"fold-scale-into-conv"});
  EXPECT_EQ(text(*t.model.graph), text(*before.graph));
  EXPECT_EQ(t.changes("fold-scale-into-conv"), 0u);
  if (note_part.empty()) return;
  bool found = false;
  for (const std::string& n : t.notes()) found = found || n.find(note_part) != std::string::npos;
  EXPECT_TRUE(found) << "no note mentions: " << note_part;
}

TEST(FoldScaleIntoConv, RankOneConstantAfterConvBroadcastsOverWidthAndIsLeftAlone) {
  // [4] lines up with the last axis (W = 4), not the 4 channels.
  expect_unchanged(
      [] {
        ModelBuilder b(13);
        TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 3, 4, 4}), b.weights("w", {4, 3, 1, 1})});
        b.output(b.op("Mul", "mul", {c, b.weights("scale", {4}, 1.0, 0.4)}, {}, "y"));
        return std::move(b.model);
      },
      "not one value per channel on axis 1");
}

TEST(FoldScaleIntoConv, ConstantVaryingOverSpatialAxesIsLeftAlone) {
  expect_unchanged(
      [] {
        ModelBuilder b(13);
        TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 3, 2, 2}), b.weights("w", {4, 3, 1, 1})});
        b.output(b.op("Add", "add", {c, b.weights("shift", {1, 4, 2, 1})}, {}, "y"));
        return std::move(b.model);
      },
      "not one value per channel");
}

TEST(FoldScaleIntoConv, ConstantOfHigherRankIsLeftAlone) {
  expect_unchanged(
      [] {  // the Mul's output gains a leading axis
        ModelBuilder b(13);
        TensorPtr g = b.op("Gemm", "gemm", {b.input("x", {3, 4}), b.weights("w", {4, 5})});
        b.output(b.op("Mul", "mul", {g, b.weights("scale", {1, 1, 5}, 1.0, 0.4)}, {}, "y"));
        return std::move(b.model);
      },
      "higher rank");
}

TEST(FoldScaleIntoConv, GemmPerRowConstantIsLeftAlone) {
  expect_unchanged(
      [] {
        ModelBuilder b(13);
        TensorPtr g = b.op("Gemm", "gemm", {b.input("x", {3, 4}), b.weights("w", {4, 5})});
        b.output(b.op("Mul", "mul", {g, b.weights("scale", {3, 1}, 1.0, 0.4)}, {}, "y"));
        return std::move(b.model);
      },
      "not one value per channel");
}

TEST(FoldScaleIntoConv, SharedWeightNonConstantOperandAndReadOutputsAreLeftAlone) {
  expect_unchanged(
      [] {
        ModelBuilder b(13);
        TensorPtr x = b.input("x", {1, 3, 2, 2}), w = b.weights("w", {4, 3, 1, 1});
        b.output(b.op("Mul", "mul", {b.op("Conv", "conv", {x, w}), b.weights("scale", {4, 1, 1}, 1.0, 0.4)}, {}, "y"));
        b.output(b.op("Conv", "conv2", {x, w}));
        return std::move(b.model);
      },
      "its weight 'w' is shared with other nodes");
  expect_unchanged([] {
    ModelBuilder b(13);
    TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 3, 2, 2}), b.weights("w", {4, 3, 1, 1})});
    b.output(b.op("Mul", "mul", {c, b.input("s", {4, 1, 1})}, {}, "y"));
    return std::move(b.model);
  });
  expect_unchanged([] {
    ModelBuilder b(13);
    TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 3, 2, 2}), b.weights("w", {4, 3, 1, 1})});
    b.output(b.op("Mul", "mul", {c, b.weights("scale", {4, 1, 1}, 1.0, 0.4)}, {}, "y"));
    b.output(c);
    return std::move(b.model);
  });
}

TEST(FoldScaleIntoConv, Opset6IsLeftAlone) {
  expect_unchanged(
      [] {
        ModelBuilder b(6);
        TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 3, 2, 2}), b.weights("w", {4, 3, 1, 1})});
        b.output(b.op("Mul", "mul", {c, b.weights("scale", {1}, 1.0, 0.4)}, {Attribute::of_int("broadcast", 1)}, "y"));
        return std::move(b.model);
      },
      "before opset 7");
}

}  // namespace
}  // namespace graft::folding
