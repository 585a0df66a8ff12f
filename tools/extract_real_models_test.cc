// Extracting subgraphs of the real models (../shared/models, with their reference inputs in
// testdata/reference/) gives models whose outputs equal the full model's intermediate
// tensors. The intermediates are read by making them graph outputs of a copy of the full
// model. Each extracted model is also saved and loaded back (with the importer's checks).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <unordered_set>

#include "engine/cpu_executor.h"
#include "engine/tensor_io.h"
#include "importer/onnx_model.h"
#include "surgeon/clone.h"
#include "surgeon/edit.h"
#include "surgeon/error.h"
#include "surgeon/extract.h"
#include "surgeon/find.h"
#include "testdata/test_paths.h"
#include "tools/io_types.h"

namespace graft::tools {
namespace {

namespace fs = std::filesystem;
using engine::NamedValue;

struct Slice {
  std::vector<std::string> inputs;  // graph inputs that computing `out` needs, the cut first
  bool reaches_cut = false;
};

// What computing `out` needs when `cut` is given: the cut, and the graph inputs (not
// initializers) reached without passing through it; subgraphs' outer reads count.
Slice slice_to(const Graph& g, const Tensor* out, const Tensor* cut) {
  Slice s{.inputs = {cut->name}};
  std::vector<const Tensor*> work = {out};
  std::unordered_set<const Tensor*> seen = {out};
  while (!work.empty()) {
    const Tensor* t = work.back();
    work.pop_back();
    if (t == cut) {
      s.reaches_cut = true;
      continue;
    }
    const Node* p = t->producer();
    if (p && p->graph() == &g) {
      for (const Tensor* r : g.reads_of(*p)) {
        if (r && seen.insert(r).second) work.push_back(r);
      }
    } else if (holds(g.inputs, t) && !holds(g.initializers, t)) {
      s.inputs.push_back(t->name);
    }
  }
  return s;
}

struct Compare {
  double max_abs = 0;
  int64_t bad = 0;
};

Compare compare(const cpu::HostTensor& expected, const cpu::HostTensor& actual) {
  Compare c;
  const std::vector<double> e = expected.to_doubles(), a = actual.to_doubles();
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i] == a[i] || (std::isnan(e[i]) && std::isnan(a[i]))) continue;
    const double d = std::fabs(e[i] - a[i]);
    c.max_abs = std::max(c.max_abs, d);
    if (!(d <= 1e-6 + 1e-5 * std::fabs(e[i]))) ++c.bad;
  }
  return c;
}

void check_cuts(const std::string& model_path, const std::string& ref_dir, size_t cut_count) {
  ASSERT_TRUE(fs::exists(model_path)) << model_path << " is missing";
  Model model = importer::load_model(model_path);
  const Graph& g = *model.graph;
  std::vector<NamedValue> inputs;
  for (engine::LoadedInput& in : engine::read_inputs(ref_dir + "/inputs", g.inputs)) {
    inputs.push_back({in.name, std::move(in.value)});
  }

  // Candidates: outputs of the main graph's non-Constant nodes, in node order.
  std::vector<TensorPtr> candidates;
  for (const auto& n : g.nodes()) {
    if (n->op_type != "Constant" && n->output(0) && !holds(g.outputs, n->output(0).get()))
      candidates.push_back(n->output(0));
  }
  ASSERT_GT(candidates.size(), 10u);

  // Every candidate's value, from one run of a copy with all of them as graph outputs.
  Model probe = clone(model);
  for (const TensorPtr& t : candidates) add_output(*probe.graph, probe.graph->find_tensor(t->name));
  std::map<std::string, cpu::Value> full;
  for (NamedValue& v : engine::CpuExecutor(probe).run(inputs)) full[v.name] = std::move(v.value);

  const std::string tmp = testing::make_temp_dir("extract_" + fs::path(model_path).stem().string());
  size_t checked = 0;
  for (size_t k = 0; k < cut_count; ++k) {
    // The cut at about (k+1)/(count+2) of the way, the output further on and depending on it.
    const size_t from = candidates.size() * (k + 1) / (cut_count + 2);
    const TensorPtr cut = candidates[from];
    if (!full.at(cut->name).is_tensor()) continue;
    for (size_t to = from + candidates.size() / (cut_count + 2); to < candidates.size(); ++to) {
      const TensorPtr out = candidates[to];
      Slice s = slice_to(g, out.get(), cut.get());
      if (!s.reaches_cut || !full.at(out->name).is_tensor()) continue;
      SCOPED_TRACE("cut " + cut->name + " -> " + out->name);
      Model sub = extract(model, s.inputs, {out->name});
      IoTyping typing = type_missing_io(sub, model);
      EXPECT_TRUE(typing.untyped.empty()) << typing.untyped.front();
      const std::string path = tmp + "/cut_" + std::to_string(k) + ".onnx";
      importer::save_model(sub, path);
      Model loaded = importer::load_model(path);  // checks the graph again
      std::vector<NamedValue> sub_inputs;
      for (const std::string& name : s.inputs) {
        auto given = std::find_if(inputs.begin(), inputs.end(), [&](const NamedValue& v) { return v.name == name; });
        sub_inputs.push_back({name, given != inputs.end() ? given->value : full.at(name)});
      }
      std::vector<NamedValue> result = engine::CpuExecutor(loaded).run(sub_inputs);
      ASSERT_EQ(result.size(), 1u);
      const cpu::HostTensor& expected = full.at(out->name).tensor;
      const cpu::HostTensor& actual = result[0].value.tensor;
      ASSERT_EQ(actual.dims(), expected.dims());
      ASSERT_EQ(actual.dtype(), expected.dtype());
      Compare c = compare(expected, actual);
      std::printf("  %-28s -> %-28s %3zu of %3zu nodes, %s, inputs %zu, max abs diff %.3g\n", cut->name.c_str(),
                  out->name.c_str(), loaded.graph->node_count_recursive(), g.node_count_recursive(),
                  actual.describe().c_str(), s.inputs.size(), c.max_abs);
      EXPECT_EQ(c.bad, 0) << "max abs diff " << c.max_abs;
      ++checked;
      break;
    }
  }
  EXPECT_EQ(checked, cut_count);
}

TEST(ExtractRealModels, PaddleOcrClassifier) {
  check_cuts("testdata/real/ch_ppocr_mobile_v2.0_cls_infer.onnx", "testdata/reference/ch_ppocr_mobile_v2.0_cls_infer",
             4);
}

TEST(ExtractRealModels, SileroVad) {
  check_cuts(testing::shared_models_dir() + "/silero_vad_16k_op15.onnx", "testdata/reference/silero_vad_16k_op15", 4);
}

}  // namespace
}  // namespace graft::tools
