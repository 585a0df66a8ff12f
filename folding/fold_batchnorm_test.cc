// fold-batchnorm: the exact graph and constants after folding, the same outputs on the CPU
// engine, and the cases it must leave alone.
#include <gtest/gtest.h>

#include <cmath>

#include "folding/fold_test_util.h"
#include "surgeon/test_util.h"

namespace graft::folding {
namespace {

using graft::testing::text;
using testing::floats_of;
using testing::ModelBuilder;
using testing::transform_and_compare;

const std::vector<std::string> kPasses = {"fold-batchnorm", "eliminate-dead-nodes"};

// BatchNormalization parameters for `c` channels: gamma, beta, mean, var.
std::vector<TensorPtr> bn_params(ModelBuilder& b, int64_t c) {
  return {b.weights("gamma", {c}, 1.0, 0.2), b.weights("beta", {c}), b.weights("mean", {c}, 0.1),
          b.weights("var", {c}, 1.0, 0.5)};
}

TensorPtr batchnorm(ModelBuilder& b, const TensorPtr& in, const std::vector<TensorPtr>& p, const std::string& out = "bn",
                    std::vector<Attribute> attrs = {Attribute::of_float("epsilon", 1e-3f)}) {
  return b.op("BatchNormalization", "bn", {in, p[0], p[1], p[2], p[3]}, std::move(attrs), out);
}

Model conv_bn(bool with_bias) {
  ModelBuilder b(15);
  TensorPtr x = b.input("x", {2, 3, 5, 5});
  std::vector<TensorPtr> ins = {x, b.weights("w", {4, 3, 3, 3})};
  if (with_bias) ins.push_back(b.weights("b", {4}));
  TensorPtr c = b.op("Conv", "conv", ins, {Attribute::of_ints("pads", {1, 1, 1, 1})});
  b.output(b.op("Relu", "relu", {batchnorm(b, c, bn_params(b, 4))}, {}, "y"));
  return std::move(b.model);
}

TEST(FoldBatchNorm, ConvWithBiasFoldsIntoNewWeightAndBiasValues) {
  Model before = conv_bn(true);
  testing::Transformed t = transform_and_compare([] { return conv_bn(true); }, kPasses);
  EXPECT_EQ(text(*t.model.graph),
            "in: x\n"
            "init: w, b\n"
            "conv: Conv(x, w, b) -> bn\n"
            "relu: Relu(bn) -> y\n"
            "out: y\n");
  EXPECT_EQ(t.notes().front(), "folded node 'bn' (BatchNormalization) into node 'conv' (Conv)");
  // w'[c] = w[c] * a[c], b'[c] = (b[c] - mean[c]) * a[c] + beta[c], a = gamma / sqrt(var + eps), in double.
  const Graph& g0 = *before.graph;
  std::vector<double> w = floats_of(g0.initializers[0]), bias = floats_of(g0.initializers[1]);
  std::vector<double> gamma = floats_of(g0.initializers[2]), beta = floats_of(g0.initializers[3]),
                      mean = floats_of(g0.initializers[4]), var = floats_of(g0.initializers[5]);
  std::vector<double> w2 = floats_of(t.model.graph->initializers[0]), b2 = floats_of(t.model.graph->initializers[1]);
  ASSERT_EQ(w2.size(), 4u * 27u);
  ASSERT_EQ(b2.size(), 4u);
  for (size_t c = 0; c < 4; ++c) {
    const double a = gamma[c] / std::sqrt(var[c] + double(1e-3f));
    EXPECT_EQ(b2[c], double(float((bias[c] - mean[c]) * a + beta[c])));
    for (size_t i = 0; i < 27; ++i) EXPECT_EQ(w2[c * 27 + i], double(float(w[c * 27 + i] * a)));
  }
}

TEST(FoldBatchNorm, ConvWithoutBiasGetsOne) {
  testing::Transformed t = transform_and_compare([] { return conv_bn(false); }, kPasses);
  EXPECT_EQ(text(*t.model.graph),
            "in: x\n"
            "init: w, conv_bias\n"
            "conv: Conv(x, w, conv_bias) -> bn\n"
            "relu: Relu(bn) -> y\n"
            "out: y\n");
}

TEST(FoldBatchNorm, GraphOutputKeepsItsName) {
  auto build = [] {
    ModelBuilder b(15);
    TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 2, 4, 4}), b.weights("w", {3, 2, 1, 1})});
    b.output(batchnorm(b, c, bn_params(b, 3), "y"));
    return std::move(b.model);
  };
  testing::Transformed t = transform_and_compare(build, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w, conv_bias\nconv: Conv(x, w, conv_bias) -> y\nout: y\n");
}

TEST(FoldBatchNorm, GroupedConvTransposeFolds) {
  auto build = [] {
    ModelBuilder b(15);
    // weight [C_in=4, M/group=3, 2, 2] with group 2: 6 output channels.
    TensorPtr c = b.op("ConvTranspose", "deconv", {b.input("x", {1, 4, 3, 3}), b.weights("w", {4, 3, 2, 2}), b.weights("b", {6})},
                       {Attribute::of_int("group", 2), Attribute::of_ints("strides", {2, 2})});
    b.output(batchnorm(b, c, bn_params(b, 6), "y"));
    return std::move(b.model);
  };
  testing::Transformed t = transform_and_compare(build, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w, b\ndeconv: ConvTranspose(x, w, b) -> y\nout: y\n");
}

TEST(FoldBatchNorm, GemmFoldsWithTransposedWeightAlphaAndBeta) {
  auto build = [] {
    ModelBuilder b(15);
    TensorPtr g = b.op("Gemm", "gemm", {b.input("x", {3, 4}), b.weights("w", {6, 4}), b.weights("c", {1, 6})},
                       {Attribute::of_int("transB", 1), Attribute::of_float("alpha", 0.5f), Attribute::of_float("beta", 2.0f)});
    b.output(batchnorm(b, g, bn_params(b, 6), "y"));
    return std::move(b.model);
  };
  testing::Transformed t = transform_and_compare(build, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w, c\ngemm: Gemm(x, w, c) -> y\nout: y\n");
  const Node& gemm = *t.model.graph->nodes()[0];
  EXPECT_EQ(gemm.attr("beta")->f, 1.0f);
  EXPECT_EQ(gemm.attr("alpha")->f, 0.5f);
}

TEST(FoldBatchNorm, GemmWithoutBiasGetsOne) {
  auto build = [] {
    ModelBuilder b(15);
    TensorPtr g = b.op("Gemm", "gemm", {b.input("x", {3, 4}), b.weights("w", {4, 6})});
    b.output(batchnorm(b, g, bn_params(b, 6), "y"));
    return std::move(b.model);
  };
  testing::Transformed t = transform_and_compare(build, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w, gemm_bias\ngemm: Gemm(x, w, gemm_bias) -> y\nout: y\n");
}

TEST(FoldBatchNorm, MatMulBecomesGemm) {
  auto build = [] {
    ModelBuilder b(15);
    TensorPtr m = b.op("MatMul", "matmul", {b.input("x", {3, 4}), b.weights("w", {4, 6})});
    b.output(batchnorm(b, m, bn_params(b, 6), "y"));
    return std::move(b.model);
  };
  testing::Transformed t = transform_and_compare(build, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w, matmul_bias\nmatmul: Gemm(x, w, matmul_bias) -> y\nout: y\n");
  EXPECT_EQ(t.notes().front(), "folded node 'bn' (BatchNormalization) into node 'matmul' (MatMul), now a Gemm");
}

TEST(FoldBatchNorm, Float64Folds) {
  auto build = [] {
    ModelBuilder b(15);
    const DataType f64 = DataType::kDouble;
    TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 2, 3, 3}, f64), b.weights("w", {2, 2, 1, 1}, 0, 0.3, f64)});
    TensorPtr bn = b.op("BatchNormalization", "bn",
                        {c, b.weights("gamma", {2}, 1, 0.2, f64), b.weights("beta", {2}, 0, 0.3, f64),
                         b.weights("mean", {2}, 0, 0.3, f64), b.weights("var", {2}, 1, 0.5, f64)},
                        {}, "y");
    b.output(bn);
    return std::move(b.model);
  };
  testing::Transformed t = transform_and_compare(build, kPasses);
  EXPECT_EQ(text(*t.model.graph), "in: x\ninit: w, conv_bias\nconv: Conv(x, w, conv_bias) -> y\nout: y\n");
  EXPECT_EQ(t.model.graph->initializers[0]->data->dtype, DataType::kDouble);
}

TEST(FoldBatchNorm, FoldsInsideSubgraphsOnOuterWeights) {
  auto build = [] {
    ModelBuilder b(15);
    TensorPtr x = b.input("x", {1, 2, 3, 3});
    auto flag = std::make_shared<TensorData>();  // a constant condition: the then branch runs
    flag->dtype = DataType::kBool;
    const uint8_t one = 1;
    flag->bytes = Bytes::copy_of(&one, 1);
    TensorPtr cond = Tensor::constant("cond", flag);
    b.graph().initializers.push_back(cond);
    TensorPtr w = b.weights("w", {2, 2, 1, 1});
    TensorPtr y = std::make_shared<Tensor>("y");
    Node* n = b.graph().add_node("If", {cond}, {y}, "if");
    auto then_g = std::make_shared<Graph>("then", &b.graph());
    auto else_g = std::make_shared<Graph>("else", &b.graph());
    {
      TensorPtr c = std::make_shared<Tensor>("c"), o = std::make_shared<Tensor>("t_out");
      then_g->add_node("Conv", {x, w}, {c}, "conv");
      std::vector<TensorPtr> p = {b.weights("gamma", {2}, 1, 0.2), b.weights("beta", {2}), b.weights("mean", {2}),
                                  b.weights("var", {2}, 1, 0.5)};
      then_g->add_node("BatchNormalization", {c, p[0], p[1], p[2], p[3]}, {o}, "bn");
      then_g->outputs = {o};
    }
    {
      TensorPtr o = std::make_shared<Tensor>("e_out");
      else_g->add_node("Neg", {x}, {o}, "neg");
      else_g->outputs = {o};
    }
    n->set_attr(Attribute::of_graph("then_branch", then_g));
    n->set_attr(Attribute::of_graph("else_branch", else_g));
    b.output(y);
    return std::move(b.model);
  };
  testing::Transformed t = transform_and_compare(build, kPasses);
  EXPECT_EQ(text(*t.model.graph),
            "in: x\n"
            "init: cond, w\n"
            "if: If(cond) -> y\n"
            "  in: \n"
            "  init: conv_bias\n"
            "  conv: Conv(x, w, conv_bias) -> t_out\n"
            "  out: t_out\n"
            "  in: \n"
            "  neg: Neg(x) -> e_out\n"
            "  out: e_out\n"
            "out: y\n");
}

// ---- Left alone

void expect_unchanged(const std::function<Model()>& build, const std::string& note_part = "") {
  Model before = build();
  testing::Transformed t = transform_and_compare(build, {"fold-batchnorm"});
  EXPECT_EQ(text(*t.model.graph), text(*before.graph));
  EXPECT_EQ(t.changes("fold-batchnorm"), 0u);
  if (note_part.empty()) return;
  bool found = false;
  for (const std::string& n : t.notes()) found = found || n.find(note_part) != std::string::npos;
  EXPECT_TRUE(found) << "no note mentions: " << note_part;
}

TEST(FoldBatchNorm, SharedWeightIsLeftAlone) {
  expect_unchanged(
      [] {
        ModelBuilder b(15);
        TensorPtr x = b.input("x", {1, 2, 3, 3}), w = b.weights("w", {2, 2, 1, 1});
        TensorPtr c = b.op("Conv", "conv", {x, w});
        b.output(batchnorm(b, c, bn_params(b, 2), "y"));
        b.output(b.op("Conv", "conv2", {x, w}));
        return std::move(b.model);
      },
      "kept node 'bn' (BatchNormalization) after node 'conv' (Conv): its weight 'w' is shared with other nodes");
}

TEST(FoldBatchNorm, ProducerOutputReadElsewhereOrAGraphOutputIsLeftAlone) {
  for (bool as_output : {false, true}) {
    expect_unchanged([as_output] {
      ModelBuilder b(15);
      TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 2, 3, 3}), b.weights("w", {2, 2, 1, 1})});
      b.output(batchnorm(b, c, bn_params(b, 2), "y"));
      b.output(as_output ? c : b.op("Relu", "relu", {c}));
      return std::move(b.model);
    });
  }
}

TEST(FoldBatchNorm, TrainingModeIsLeftAlone) {
  expect_unchanged(
      [] {
        ModelBuilder b(15);
        TensorPtr c = b.op("Conv", "conv", {b.input("x", {2, 2, 3, 3}), b.weights("w", {2, 2, 1, 1})});
        b.output(batchnorm(b, c, bn_params(b, 2), "y", {Attribute::of_int("training_mode", 1)}));
        return std::move(b.model);
      },
      "it is in training mode");
}

TEST(FoldBatchNorm, NonConstantStatisticsOrWeightAreLeftAlone) {
  expect_unchanged([] {  // mean is a graph input: the pattern does not match
    ModelBuilder b(15);
    TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 2, 3, 3}), b.weights("w", {2, 2, 1, 1})});
    TensorPtr mean = b.input("mean_in", {2});
    b.output(b.op("BatchNormalization", "bn",
                  {c, b.weights("gamma", {2}, 1), b.weights("beta", {2}), mean, b.weights("var", {2}, 1, 0.5)}, {}, "y"));
    return std::move(b.model);
  });
  expect_unchanged(
      [] {
        ModelBuilder b(15);
        TensorPtr c = b.op("Conv", "conv", {b.input("x", {1, 2, 3, 3}), b.input("w", {2, 2, 1, 1})});
        b.output(batchnorm(b, c, bn_params(b, 2), "y"));
        return std::move(b.model);
      },
      "its weight 'w' is not a constant");
}

TEST(FoldBatchNorm, MatMulOnRank3IsLeftAlone) {
  expect_unchanged(
      [] {  // BatchNormalization's axis 1 is the sequence axis here, not the MatMul's features
        ModelBuilder b(15);
        TensorPtr m = b.op("MatMul", "matmul", {b.input("x", {2, 4, 3}), b.weights("w", {3, 4})});
        b.output(batchnorm(b, m, bn_params(b, 4), "y"));
        return std::move(b.model);
      },
      "rank 2 expected");
}

TEST(FoldBatchNorm, LoneBatchNormStays) {
  expect_unchanged([] {
    ModelBuilder b(15);
    b.output(batchnorm(b, b.input("x", {1, 3, 2, 2}), bn_params(b, 3), "y"));
    return std::move(b.model);
  });
}

}  // namespace
}  // namespace graft::folding
