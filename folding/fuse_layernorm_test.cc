// fuse-layernorm: the decomposition becomes one LayerNormalization (exact graph), the CPU
// engine computes the same, and the cases it must leave alone.
#include <gtest/gtest.h>

#include "folding/fold_test_util.h"
#include "surgeon/test_util.h"

namespace graft::folding {
namespace {

using graft::testing::text;
using testing::floats_of;
using testing::ModelBuilder;
using testing::transform_and_compare;

const std::vector<std::string> kPasses = {"fuse-layernorm", "eliminate-dead-nodes"};

struct Form {
  int64_t opset = 17;
  bool pow = true;          // Pow(xc, 2), else Mul(xc, xc)
  bool div = true;          // Div(xc, std), else Mul(xc, Reciprocal(std))
  bool gamma = true, beta = true;
  std::vector<int64_t> gamma_dims = {16};
  int64_t axis = -1;        // of both ReduceMeans
  Shape x_shape = Shape({Dim::symbolic("batch"), Dim::fixed(8), Dim::fixed(16)});
  bool xc_is_output = false;
};

Model layernorm(const Form& f) {
  ModelBuilder b(f.opset);
  TensorPtr x = b.input("x", f.x_shape);
  auto reduce_mean = [&](const std::string& name, const TensorPtr& in) {
    if (f.opset >= 18) {
      TensorPtr axes = std::make_shared<Tensor>(name + "_axes");
      auto data = std::make_shared<TensorData>();
      data->dtype = DataType::kInt64;
      data->dims = {1};
      data->bytes = Bytes::copy_of(&f.axis, sizeof(int64_t));
      axes->data = data;
      b.graph().initializers.push_back(axes);
      return b.op("ReduceMean", name, {in, axes});
    }
    return b.op("ReduceMean", name, {in}, {Attribute::of_ints("axes", {f.axis})});
  };
  TensorPtr mean = reduce_mean("mean", x);
  TensorPtr xc = b.op("Sub", "center", {x, mean});
  TensorPtr sq = f.pow ? b.op("Pow", "square", {xc, b.constant("two", {}, {2.0})}) : b.op("Mul", "square", {xc, xc});
  TensorPtr var = reduce_mean("variance", sq);
  TensorPtr ve = b.op("Add", "add_eps", {b.constant("eps", {}, {1e-5}), var});
  TensorPtr sd = b.op("Sqrt", "std", {ve});
  TensorPtr norm = f.div ? b.op("Div", "normalize", {xc, sd})
                         : b.op("Mul", "normalize", {b.op("Reciprocal", "inv_std", {sd}), xc});
  TensorPtr y = norm;
  if (f.gamma) y = b.op("Mul", "scale", {b.weights("gamma", f.gamma_dims, 1.0, 0.3), y});
  if (f.beta) y = b.op("Add", "shift", {y, b.weights("beta", {16})});
  b.output(y);
  if (f.xc_is_output) b.output(xc);
  return std::move(b.model);
}

testing::Transformed fuse(const Form& f) {
  return transform_and_compare([f] { return layernorm(f); }, kPasses);
}

TEST(FuseLayerNorm, FullPatternBecomesLayerNormalizationReadingGammaAndBeta) {
  testing::Transformed t = fuse({});
  EXPECT_EQ(text(*t.model.graph),
            "in: x\n"
            "init: gamma, beta\n"
            "LayerNormalization: LayerNormalization(x, gamma, beta) -> shift\n"
            "out: shift\n");
  const Node& ln = *t.model.graph->nodes()[0];
  EXPECT_EQ(ln.attr("axis")->i, -1);
  EXPECT_EQ(ln.attr("epsilon")->f, 1e-5f);
  EXPECT_EQ(t.notes().front(),
            "fused 9 nodes from node 'mean' (ReduceMean) to node 'shift' (Add) into LayerNormalization 'LayerNormalization'");
}

TEST(FuseLayerNorm, MulSquareAndReciprocalWithoutGammaAndBetaGetOnesAndZeros) {
  Form f;
  f.pow = false;
  f.div = false;
  f.gamma = f.beta = false;
  testing::Transformed t = fuse(f);
  EXPECT_EQ(text(*t.model.graph),
            "in: x\n"
            "init: LayerNormalization_scale, LayerNormalization_bias\n"
            "LayerNormalization: LayerNormalization(x, LayerNormalization_scale, LayerNormalization_bias) -> normalize\n"
            "out: normalize\n");
  EXPECT_EQ(floats_of(t.model.graph->initializers[0]), std::vector<double>(16, 1.0));
  EXPECT_EQ(floats_of(t.model.graph->initializers[1]), std::vector<double>(16, 0.0));
}

TEST(FuseLayerNorm, OneValueGammaIsSpreadOverTheAxis) {
  Form f;
  f.gamma_dims = {1, 1, 1};
  testing::Transformed t = fuse(f);
  EXPECT_EQ(text(*t.model.graph),
            "in: x\n"
            "init: beta, gamma_1\n"
            "LayerNormalization: LayerNormalization(x, gamma_1, beta) -> shift\n"
            "out: shift\n");
  EXPECT_EQ(t.model.graph->initializers[1]->data->dims, std::vector<int64_t>{16});
}

TEST(FuseLayerNorm, Opset18AxesInputAndPositiveAxis) {
  Form f;
  f.opset = 18;
  f.axis = 2;
  testing::Transformed t = fuse(f);
  EXPECT_EQ(text(*t.model.graph),
            "in: x\n"
            "init: gamma, beta\n"
            "LayerNormalization: LayerNormalization(x, gamma, beta) -> shift\n"
            "out: shift\n");
}

TEST(FuseLayerNorm, GammaThatDoesNotFitStaysAMul) {
  Form f;
  f.gamma_dims = {8, 1};  // per row, not per element of the normalized axis
  testing::Transformed t = fuse(f);
  EXPECT_EQ(text(*t.model.graph),
            "in: x\n"
            "init: gamma, beta, LayerNormalization_scale, LayerNormalization_bias\n"
            "LayerNormalization: LayerNormalization(x, LayerNormalization_scale, LayerNormalization_bias) -> normalize\n"
            "scale: Mul(gamma, normalize) -> scale\n"
            "shift: Add(scale, beta) -> shift\n"
            "out: shift\n");
}

// ---- Left alone

void expect_unchanged(const Form& f, const std::string& note_part = "") {
  Model before = layernorm(f);
  testing::Transformed t = transform_and_compare([f] { return layernorm(f); }, {"fuse-layernorm"});
  EXPECT_EQ(text(*t.model.graph), text(*before.graph));
  EXPECT_EQ(t.changes("fuse-layernorm"), 0u);
  if (note_part.empty()) return;
  bool found = false;
  for (const std::string& n : t.notes()) found = found || n.find(note_part) != std::string::npos;
  EXPECT_TRUE(found) << "no note mentions: " << note_part;
}

TEST(FuseLayerNorm, BeforeOpset17IsLeftAlone) {
  Form f;
  f.opset = 16;
  expect_unchanged(f);
}

TEST(FuseLayerNorm, OtherAxisIsLeftAlone) {
  Form f;
  f.axis = 1;
  f.gamma = f.beta = false;
  expect_unchanged(f, "does not reduce the last axis alone");
}

TEST(FuseLayerNorm, IntermediateGraphOutputIsLeftAlone) {
  Form f;
  f.xc_is_output = true;
  expect_unchanged(f);
}

TEST(FuseLayerNorm, UnknownLastDimIsLeftAlone) {
  Form f;
  f.x_shape = Shape({Dim::fixed(2), Dim::symbolic("d")});
  f.gamma = f.beta = false;
  expect_unchanged(f, "a fixed last dim is needed");
}

}  // namespace
}  // namespace graft::folding
