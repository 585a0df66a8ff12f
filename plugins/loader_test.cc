// Plugin libraries through dlopen: the example library runs a model with a custom-domain
// op; bad libraries are refused with errors naming them, and a plugin that throws fails
// the node, not the process.
#include <gtest/gtest.h>

#include "engine/conformance.h"
#include "engine/cpu_executor.h"
#include "engine/npy.h"
#include "folding/infer_shapes.h"
#include "folding/pass_test_util.h"
#include "importer/onnx_model.h"
#include "plugins/loader.h"
#include "surgeon/error.h"

namespace graft::plugins {
namespace {

const std::string kExample = "examples/libacme_plugins.so";
const std::string kLibs = "plugins/testlibs/";

std::string load_error(const std::string& path) {
  try {
    load_plugin_library(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(PluginLoader, ExampleLibraryRunsACustomDomainModel) {
  ASSERT_EQ(load_plugin_library(kExample), 1u);
  EXPECT_EQ(load_plugin_library(kExample), 0u);  // a second load is a no-op
  const Registered* r = Registry::global().find("acme", "ScaledSwish", 1);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->library, kExample);

  Model m = importer::load_model("testdata/plugins/scaled_swish.onnx");
  folding::infer_shapes(m);
  EXPECT_EQ(m.graph->outputs[0]->type.str(), "float32[n, 3, 4]");

  std::map<std::string, cpu::HostTensor> io;
  for (auto& [k, v] : engine::read_npz("testdata/plugins/scaled_swish_io.npz")) io[k] = v;
  const std::vector<engine::NamedValue> out = engine::CpuExecutor(m).run({{"x", cpu::Value::of(io.at("x"))}});
  // float32 exp against float64: a few ulps.
  const engine::Comparison c = engine::compare(cpu::Value::of(io.at("y")), out[0].value, {1e-6, 1e-6});
  EXPECT_TRUE(c.ok) << c.detail;
}

TEST(PluginLoader, RefusesALibraryWithoutTheEntryPoint) {
  EXPECT_EQ(load_error(kLibs + "libno_entry.so"),
            "plugin library plugins/testlibs/libno_entry.so has no graft_plugin_entry entry point (is it a graft "
            "plugin? see docs/plugins.md)");
}

TEST(PluginLoader, RefusesAnotherAbiVersion) {
  EXPECT_EQ(load_error(kLibs + "libabi.so"),
            "plugin library plugins/testlibs/libabi.so was built for plugin ABI version " +
                std::to_string(kAbiVersion + 100) + ", this graft has version " + std::to_string(kAbiVersion) +
                ": rebuild the library against this graft's plugins/plugin.h");
  for (const Registered& r : Registry::global().list()) EXPECT_NE(r.library, kLibs + "libabi.so");
}

TEST(PluginLoader, RefusesAnIdentityAlreadyRegistered) {
  EXPECT_EQ(load_error(kLibs + "libduplicate.so"),
            "plugin graft::DeformConv2d v1 from plugins/testlibs/libduplicate.so is already registered (from built-in)");
  EXPECT_EQ(Registry::global().find("graft", "DeformConv2d", 1)->library, kBuiltIn);
}

TEST(PluginLoader, RefusesAFileDlopenCannotLoad) {
  const std::string e = load_error("testdata/plugins/scaled_swish.onnx");
  EXPECT_EQ(e.rfind("cannot load plugin library testdata/plugins/scaled_swish.onnx: ", 0), 0u) << e;
}

TEST(PluginLoader, APluginThatThrowsFailsItsNodeWithNamesAttached) {
  ASSERT_EQ(load_plugin_library(kLibs + "libthrowing.so"), 1u);
  Model m = folding::testing::model(17);
  m.opset_imports.push_back({"acme", 1});
  TensorPtr x = folding::testing::input(m, "x", DataType::kFloat, {2});
  folding::testing::output(m, folding::testing::node(*m.graph, "Broken", "broken_node", {x}));
  m.graph->nodes()[0]->domain = "acme";
  const std::string plugin = "plugin acme::Broken v1 (from plugins/testlibs/libthrowing.so)";
  try {
    folding::infer_shapes(m);
    FAIL() << "shape inference passed";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("broken_node"), std::string::npos) << what;
    EXPECT_NE(what.find(plugin + ": shapes are hard"), std::string::npos) << what;
  }
  try {
    engine::CpuExecutor(m).run({{"x", cpu::Value::of(cpu::HostTensor(DataType::kFloat, {2}))}});
    FAIL() << "the CPU run passed";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("broken_node"), std::string::npos) << what;
    EXPECT_NE(what.find(plugin + ": running is hard too"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace graft::plugins
