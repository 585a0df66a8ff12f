// fuse-gelu: the erf and tanh decompositions in their operand orders and groupings become
// one Gelu (exact graph), the CPU engine computes the same, and the cases it must leave alone.
#include <gtest/gtest.h>

#include <cmath>

#include "folding/fold_test_util.h"
#include "surgeon/test_util.h"

namespace graft::folding {
namespace {

using graft::testing::text;
using testing::ModelBuilder;
using testing::transform_and_compare;

const std::vector<std::string> kPasses = {"fuse-gelu", "eliminate-dead-nodes"};

enum class Grouping { kXHthenE, kXEthenH, kXtimesEH };

struct Form {
  int64_t opset = 20;
  bool tanh = false;
  bool div = true;        // erf: x / sqrt(2), else x * (1 / sqrt(2))
  bool pow = true;        // tanh: Pow(x, 3), else x * (x * x)
  Grouping grouping = Grouping::kXEthenH;
  double half = 0.5;
  std::vector<int64_t> half_dims = {};
  bool erf_is_output = false;
};

Model gelu(const Form& f) {
  ModelBuilder b(f.opset);
  TensorPtr x = b.input("x", {4, 8});
  TensorPtr act;
  if (!f.tanh) {
    TensorPtr scaled = f.div ? b.op("Div", "div", {x, b.constant("sqrt2", {}, {std::sqrt(2.0)})})
                             : b.op("Mul", "mul_inv", {b.constant("inv_sqrt2", {1}, {1 / std::sqrt(2.0)}), x});
    act = b.op("Erf", "erf", {scaled});
  } else {
    TensorPtr cube = f.pow ? b.op("Pow", "cube", {x, b.constant("three", {}, {3.0})})
                           : b.op("Mul", "cube", {b.op("Mul", "square", {x, x}), x});
    TensorPtr k = b.op("Mul", "mul_k", {cube, b.constant("k", {}, {0.044715})});
    TensorPtr inner = b.op("Add", "inner", {k, x});
    TensorPtr arg = b.op("Mul", "mul_c", {b.constant("c", {}, {std::sqrt(2.0 / M_PI)}), inner});
    act = b.op("Tanh", "tanh", {arg});
  }
  TensorPtr e = b.op("Add", "add_one", {b.constant("one", {}, {1.0}), act});
  TensorPtr half = b.constant("half", f.half_dims, {f.half});
  TensorPtr y;
  switch (f.grouping) {
    case Grouping::kXHthenE: y = b.op("Mul", "out", {e, b.op("Mul", "xh", {half, x})}); break;
    case Grouping::kXEthenH: y = b.op("Mul", "out", {b.op("Mul", "xe", {x, e}), half}); break;
    case Grouping::kXtimesEH: y = b.op("Mul", "out", {x, b.op("Mul", "eh", {e, half})}); break;
  }
  b.output(y);
  if (f.erf_is_output) b.output(act);
  return std::move(b.model);
}

TEST(FuseGelu, ErfFormsInEveryGroupingBecomeGelu) {
  for (bool div : {true, false}) {
    for (Grouping grouping : {Grouping::kXHthenE, Grouping::kXEthenH, Grouping::kXtimesEH}) {
      Form f;
      f.div = div;
      f.grouping = grouping;
      testing::Transformed t = transform_and_compare([f] { return gelu(f); }, kPasses);
      EXPECT_EQ(text(*t.model.graph), "in: x\nGelu: Gelu(x) -> out\nout: out\n") << div << " " << int(grouping);
      EXPECT_EQ(t.model.graph->nodes()[0]->attr("approximate"), nullptr);
    }
  }
}

TEST(FuseGelu, TanhFormsBecomeGeluWithApproximateTanh) {
  for (bool pow : {true, false}) {
    for (Grouping grouping : {Grouping::kXHthenE, Grouping::kXEthenH, Grouping::kXtimesEH}) {
      Form f;
      f.tanh = true;
      f.pow = pow;
      f.grouping = grouping;
      testing::Transformed t = transform_and_compare([f] { return gelu(f); }, kPasses);
      EXPECT_EQ(text(*t.model.graph), "in: x\nGelu: Gelu(x) -> out\nout: out\n") << pow << " " << int(grouping);
      ASSERT_NE(t.model.graph->nodes()[0]->attr("approximate"), nullptr);
      EXPECT_EQ(t.model.graph->nodes()[0]->attr("approximate")->s, "tanh");
    }
  }
}

TEST(FuseGelu, NoteNamesTheNodes) {
  testing::Transformed t = transform_and_compare([] { return gelu({}); }, kPasses);
  EXPECT_EQ(t.notes().front(), "fused 5 nodes ending at node 'out' (Mul) into Gelu 'Gelu'");
}

// ---- Left alone

void expect_unchanged(const Form& f, const std::string& note_part = "") {
  Model before = gelu(f);
  testing::Transformed t = transform_and_compare([f] { return gelu(f); }, {"fuse-gelu"});
  EXPECT_EQ(text(*t.model.graph), text(*before.graph));
  EXPECT_EQ(t.changes("fuse-gelu"), 0u);
  if (note_part.empty()) return;
  bool found = false;
  for (const std::string& n : t.notes()) found = found || n.find(note_part) != std::string::npos;
  EXPECT_TRUE(found) << "no note mentions: " << note_part;
}

TEST(FuseGelu, BeforeOpset20IsLeftAlone) {
  Form f;
  f.opset = 19;
  expect_unchanged(f);
}

TEST(FuseGelu, OtherConstantsAreLeftAlone) {
  Form f;
  f.half = 0.4999;
  expect_unchanged(f);
}

TEST(FuseGelu, IntermediateGraphOutputIsLeftAlone) {
  Form f;
  f.erf_is_output = true;
  expect_unchanged(f);
}

TEST(FuseGelu, ConstantThatWidensTheOutputIsLeftAlone) {
  Form f;
  f.half_dims = {1, 1, 1};  // the output becomes [1, 4, 8]
  expect_unchanged(f, "may broadcast 'x' (shape [4, 8]) to a bigger shape");
}

}  // namespace
}  // namespace graft::folding
