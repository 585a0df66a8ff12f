// graft sanitize must never change what a model computes, and must fold the exporter
// patterns that engines refuse:
//  - every conformance case, the real models and testdata/patterns: the sanitized model
//    gives the same outputs as the original on the same inputs (CPU engine, rtol 1e-5),
//    survives a save/load round trip and passes Graph::check();
//  - the folding patterns end as the ops an engine wants, with constants as initializers.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "engine/conformance.h"
#include "engine/cpu_executor.h"
#include "engine/random_inputs.h"
#include "engine/tensor_io.h"
#include "folding/sanitize.h"
#include "importer/onnx_model.h"
#include "surgeon/error.h"
#include "testdata/test_paths.h"

namespace graft::folding {
namespace {

namespace fs = std::filesystem;

const engine::Tolerance kSame{1e-5, 1e-6};

struct Tally {
  size_t compared = 0, engine_cannot_run = 0, nondeterministic = 0;
} tally;

// input_N.pb of a conformance data set: the N-th graph input that has no initializer.
std::vector<engine::NamedValue> conformance_inputs(const Model& m, const std::string& set_dir) {
  std::vector<engine::NamedValue> inputs;
  std::set<const Tensor*> initialized;
  for (const TensorPtr& t : m.graph->initializers) initialized.insert(t.get());
  size_t n = 0;
  for (const TensorPtr& in : m.graph->inputs) {
    if (initialized.count(in.get())) continue;
    const std::string pb = set_dir + "/input_" + std::to_string(n++) + ".pb";
    if (fs::exists(pb)) inputs.push_back({in->name, engine::read_value_pb(pb, in->type)});
  }
  return inputs;
}

std::vector<engine::NamedValue> inputs_for(const Model& m, const std::string& case_dir, bool conformance) {
  if (conformance) return conformance_inputs(m, case_dir);
  std::vector<engine::NamedValue> inputs;
  if (!case_dir.empty()) {
    for (engine::LoadedInput& in : engine::read_inputs(case_dir, m.graph->inputs)) {
      inputs.push_back({in.name, std::move(in.value)});
    }
    return inputs;
  }
  engine::CpuExecutor exec(m);
  for (auto& [name, t] : engine::random_inputs(exec.required_inputs(), 7)) inputs.push_back({name, cpu::Value::of(std::move(t))});
  return inputs;
}

// Random ops without a seed give different values on every run.
bool has_unseeded_random_op(const Graph& g) {
  static const std::set<std::string> random_ops = {"RandomNormal", "RandomUniform", "RandomNormalLike",
                                                   "RandomUniformLike", "Bernoulli", "Multinomial"};
  for (const auto& n : g.nodes()) {
    if (random_ops.count(n->op_type) && !n->attr("seed")) return true;
    for (const Graph* sub : n->subgraphs()) {
      if (has_unseeded_random_op(*sub)) return true;
    }
  }
  return false;
}

bool same_values(const std::vector<engine::NamedValue>& a, const std::vector<engine::NamedValue>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (!engine::compare(a[i].value, b[i].value, {0, 0}).ok) return false;
  }
  return true;
}

// Sanitizes a copy of the model at `path` and checks it computes the same; returns the
// sanitized model. `data_dir`: a folder of input files, or "" for seeded random inputs.
Model expect_same_outputs(const std::string& path, const std::string& data_dir, const SanitizeOptions& options = {},
                          bool conformance = false) {
  Model original = importer::load_model(path);
  std::vector<engine::NamedValue> inputs = inputs_for(original, data_dir, conformance);
  std::vector<engine::NamedValue> expected;
  try {
    engine::CpuExecutor exec(original);
    expected = exec.run(inputs);
    if (has_unseeded_random_op(*original.graph) || !same_values(expected, exec.run(inputs))) {
      ++tally.nondeterministic;  // unseeded random ops
      return original;
    }
  } catch (const Error&) {
    ++tally.engine_cannot_run;  // a known conformance failure
    return original;
  }
  ++tally.compared;
  Model sanitized = importer::load_model(path);
  sanitize(sanitized, options);
  const std::string saved = testing::make_temp_dir("sanitized") + "/model.onnx";
  importer::save_model(sanitized, saved);
  Model reloaded = importer::load_model(saved);
  reloaded.graph->check();
  std::vector<engine::NamedValue> actual;
  try {
    actual = engine::CpuExecutor(reloaded).run(inputs);
  } catch (const Error& e) {
    ADD_FAILURE() << path << ": the sanitized model fails: " << e.what();
    return sanitized;
  }
  EXPECT_EQ(actual.size(), expected.size()) << path;
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
    engine::Comparison c = engine::compare(expected[i].value, actual[i].value, kSame);
    EXPECT_TRUE(c.ok) << path << ": output " << expected[i].name << ": " << c.detail;
  }
  return sanitized;
}

TEST(Sanitize, ConformanceModelsComputeTheSame) {
  size_t n = 0;
  for (const std::string& dir : engine::find_cases(testing::conformance_dir())) {
    expect_same_outputs(dir + "/model.onnx", dir + "/test_data_set_0", {}, /*conformance=*/true);
    ++n;
  }
  std::cout << n << " cases: " << tally.compared << " compared, " << tally.engine_cannot_run
            << " not runnable on the CPU engine, " << tally.nondeterministic << " nondeterministic\n";
  EXPECT_GT(tally.compared, 1000u);
}

TEST(Sanitize, RealModelsComputeTheSame) {
  for (const std::string& path : testing::find_files(testing::shared_models_dir(), ".onnx")) {
    const std::string ref = "testdata/reference/" + fs::path(path).stem().string() + "/inputs";
    Model m = expect_same_outputs(path, ref);
    EXPECT_TRUE(m.graph->nodes().size() > 0);
  }
}

TEST(Sanitize, PatternModelsComputeTheSame) {
  for (const std::string& path : testing::find_files("testdata/patterns", ".onnx")) expect_same_outputs(path, "");
}

std::map<std::string, size_t> ops_after(const std::string& name) {
  Model m = expect_same_outputs("testdata/patterns/" + name + ".onnx", "");
  return op_histogram(*m.graph);
}

using Ops = std::map<std::string, size_t>;

TEST(Sanitize, ResizeScalesBecomeAnInitializer) {
  Model m = expect_same_outputs("testdata/patterns/resize_scales_chain.onnx", "");
  EXPECT_EQ(op_histogram(*m.graph), (Ops{{"Resize", 1}}));
  const Node& resize = *m.graph->nodes()[0];
  ASSERT_TRUE(resize.input(2));
  ASSERT_TRUE(resize.input(2)->data);
  EXPECT_EQ(resize.input(2)->data->dims, std::vector<int64_t>{4});
}

TEST(Sanitize, ShapeChainsFoldOnStaticShapes) {
  EXPECT_EQ(ops_after("shape_gather_reshape"), (Ops{{"Reshape", 1}, {"Relu", 1}}));
  EXPECT_EQ(ops_after("slice_ends_from_shape"), (Ops{{"Slice", 1}}));
  EXPECT_EQ(ops_after("constant_of_shape_chain"), (Ops{{"Add", 1}}));
}

TEST(Sanitize, ShapeChainsFoldWhereSymbolicShapesAreKnownInPart) {
  // The batch dim stays dynamic, the channel count (3) folds: Shape -> Gather(0) remains.
  Ops ops = ops_after("shape_gather_reshape_symbolic");
  EXPECT_EQ(ops["Gather"], 1u);
  EXPECT_EQ(ops["Reshape"], 1u);
}

TEST(Sanitize, ConstantConditionIfIsInlined) {
  EXPECT_EQ(ops_after("constant_if"), (Ops{{"Relu", 1}, {"Sigmoid", 1}}));
}

TEST(Sanitize, FoldSizeLimitKeepsHugeExpands) {
  SanitizeOptions options;
  options.passes.fold_size_limit = 8;  // bytes: the ConstantOfShape output (30 floats) is larger
  Model m = expect_same_outputs("testdata/patterns/constant_of_shape_chain.onnx", "", options);
  EXPECT_EQ(op_histogram(*m.graph)["ConstantOfShape"], 1u);
}

TEST(Sanitize, InputShapeOverridesMustNameInputs) {
  Model m = importer::load_model("testdata/patterns/shape_gather_reshape_symbolic.onnx");
  SanitizeOptions options;
  options.passes.shapes.input_shapes["nope"] = Shape::of({1});
  try {
    sanitize(m, options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'nope', which is not an input of the model (inputs: x)"), std::string::npos)
        << e.what();
  }
}

TEST(Sanitize, NoopChainLeavesOnlyTheRelu) {
  // Identity, Dropout, same-type Cast, same-shape Reshape, identity Transpose, zero Pad, full Slice.
  EXPECT_EQ(ops_after("noop_chain"), (Ops{{"Relu", 1}}));
}

TEST(Sanitize, ReshapeAndTransposeChainsCollapse) {
  // Reshape(Reshape) -> one Reshape; Transpose(Transpose) with inverse perms and
  // Squeeze(Unsqueeze) of the same axes -> nothing.
  EXPECT_EQ(ops_after("reshape_transpose_chains"), (Ops{{"Reshape", 1}, {"Relu", 1}}));
}

TEST(Sanitize, DuplicateConstantsAndNodesMerge) {
  // Two equal constants merge, then the two Muls, then the two Relus: Add(r, r) remains.
  EXPECT_EQ(ops_after("duplicates_and_cse"), (Ops{{"Mul", 1}, {"Relu", 1}, {"Add", 1}}));
}

TEST(Sanitize, BatchNormAndScaleFoldIntoConvAndGemm) {
  EXPECT_EQ(ops_after("conv_batchnorm"), (Ops{{"Conv", 1}, {"Relu", 1}}));
  EXPECT_EQ(ops_after("gemm_batchnorm"), (Ops{{"Gemm", 1}}));
  EXPECT_EQ(ops_after("matmul_batchnorm"), (Ops{{"Gemm", 1}}));
  EXPECT_EQ(ops_after("conv_mul_add"), (Ops{{"Conv", 1}}));
}

// The default pipeline with opt-in passes before the final dead-node removal (as --enable).
std::map<std::string, size_t> ops_after_enabling(const std::string& name, const std::vector<std::string>& extra) {
  SanitizeOptions options;
  options.pass_names = default_pipeline();
  options.pass_names.insert(options.pass_names.end() - 1, extra.begin(), extra.end());
  Model m = expect_same_outputs("testdata/patterns/" + name + ".onnx", "", options);
  return op_histogram(*m.graph);
}

TEST(Sanitize, OptInFusionsMakeLayerNormalizationAndGelu) {
  EXPECT_EQ(ops_after_enabling("layernorm_decomposed", {"fuse-layernorm"}), (Ops{{"LayerNormalization", 1}}));
  EXPECT_EQ(ops_after_enabling("gelu_decomposed", {"fuse-gelu"}), (Ops{{"Gelu", 1}}));
  EXPECT_EQ(ops_after_enabling("gelu_tanh_decomposed", {"fuse-layernorm", "fuse-gelu"}), (Ops{{"Gelu", 1}}));
  // Opt-in: the default pipeline leaves them decomposed.
  EXPECT_EQ(ops_after("gelu_decomposed")["Gelu"], 0u);
  EXPECT_EQ(ops_after("layernorm_decomposed")["LayerNormalization"], 0u);
}

}  // namespace
}  // namespace graft::folding
