// An example plugin library: acme::ScaledSwish, y = x * sigmoid(beta * x), float32.
// Built as a shared library (examples/BUILD) and loaded with `--plugins`; see
// docs/plugins.md for the walk-through.
#include <cmath>

#include "plugins/plugin.h"
#include "surgeon/error.h"

namespace acme {

using namespace graft;
using namespace graft::plugins;

class ScaledSwish : public Plugin {
 public:
  explicit ScaledSwish(float beta) : beta_(beta) {}

  size_t num_outputs() const override { return 1; }

  void infer(ops::ShapeContext& ctx) const override {
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));  // symbolic dims pass through
  }

  bool supports(size_t index, DataType dtype, Layout layout) const override {
    return index == 0 && dtype == DataType::kFloat && layout == Layout::kLinear;
  }

  void run_cpu(cpu::KernelContext& ctx) const override {
    const cpu::HostTensor& x = ctx.input(0);
    cpu::HostTensor& y = ctx.allocate_output_uninitialized(0, DataType::kFloat, x.dims());
    const float* in = x.data<float>();
    float* out = y.mutable_data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] / (1.f + std::exp(-beta_ * in[i]));
  }

 private:
  float beta_;
};

class ScaledSwishCreator : public PluginCreator {
 public:
  PluginId id() const override { return {"acme", "ScaledSwish", 1}; }
  std::string description() const override { return "x * sigmoid(beta * x) (example plugin library)"; }
  std::vector<FieldSpec> field_specs() const override {
    return {{"beta", AttrType::kFloat, Attribute::of_float("beta", 1.f)}};
  }
  std::unique_ptr<Plugin> create(const Fields& f) const override {
    const float beta = f.get_float("beta");
    if (!(beta > 0)) throw Error("beta must be > 0, got " + std::to_string(beta));
    return std::make_unique<ScaledSwish>(beta);
  }
};

}  // namespace acme

extern "C" const GraftPluginTable* graft_plugin_entry() {
  static const acme::ScaledSwishCreator creator;
  static const graft::plugins::PluginCreator* const creators[] = {&creator};
  static const GraftPluginTable table{graft::plugins::kAbiVersion, 1, creators};
  return &table;
}
