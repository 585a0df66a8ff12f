#include "plugins/node_plugin.h"

#include "surgeon/error.h"

namespace graft::plugins {
namespace {

// Runs f, turning anything a plugin throws into an Error that names it.
template <typename F>
auto guarded(const Registered& r, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw Error(describe(r) + ": " + e.what());
  }
}

const Registered& resolved(const Node& node, int64_t opset) {
  const Registered* r = Registry::global().resolve(node, opset);
  if (!r) throw Error("no plugin for " + node.describe() + " (it was unloaded?)");
  return *r;
}

void check_dtype(const Registered& r, const Plugin& p, size_t i, DataType dtype) {
  if (dtype == DataType::kUndefined || p.supports(i, dtype, Layout::kLinear)) return;
  throw Error(describe(r) + " does not take " + dtype_name(dtype) + " for input " + std::to_string(i));
}

void check_output_count(const Registered& r, const Plugin& p, const Node& node) {
  if (node.outputs().size() <= p.num_outputs()) return;
  throw Error(describe(r) + " has " + std::to_string(p.num_outputs()) + " output(s), the node names " +
              std::to_string(node.outputs().size()));
}

void plugin_shape_fn(ops::ShapeContext& ctx) {
  const Registered& r = resolved(ctx.node(), ctx.opset());
  std::unique_ptr<Plugin> p = instantiate(r, ctx.node());
  check_output_count(r, *p, ctx.node());
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.has_input(i)) check_dtype(r, *p, i, ctx.input_dtype(i));
  }
  guarded(r, [&] { p->infer(ctx); });
}

void plugin_cpu_kernel(cpu::KernelContext& ctx) {
  const Registered& r = resolved(ctx.node(), ctx.opset());
  std::unique_ptr<Plugin> p = instantiate(r, ctx.node());
  check_output_count(r, *p, ctx.node());
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.has_input(i) && ctx.input_value(i).kind == cpu::Value::Kind::kTensor) {
      check_dtype(r, *p, i, ctx.input(i).dtype());
    }
  }
  guarded(r, [&] { p->run_cpu(ctx); });
}

}  // namespace

std::string describe(const Registered& r) {
  return "plugin " + r.id.str() + (r.library == kBuiltIn ? " (built-in)" : " (from " + r.library + ")");
}

std::unique_ptr<Plugin> instantiate(const Registered& r, const Node& node) {
  return guarded(r, [&] {
    std::unique_ptr<Plugin> p = r.creator->create(fields_from_attributes(r.creator->field_specs(), node.attributes));
    if (!p) throw Error("its creator returned no plugin");
    return p;
  });
}

ops::ShapeFn shape_fn_for(const Node& node, int64_t opset, ops::ShapeFn builtin) {
  const Registry& reg = Registry::global();
  if (reg.mapped(node) || (!builtin && reg.resolve(node, opset))) return plugin_shape_fn;
  return builtin;
}

cpu::KernelFn cpu_kernel_for(const Node& node, int64_t opset, cpu::KernelFn builtin) {
  const Registry& reg = Registry::global();
  if (reg.mapped(node) || (!builtin && reg.resolve(node, opset))) return plugin_cpu_kernel;
  return builtin;
}

}  // namespace graft::plugins
