#pragma once
// Where plugins meet the rest of graft: shape inference, constant folding and the CPU
// engine ask for a node's shape function / CPU kernel here. A node explicitly mapped to a
// plugin uses the plugin; otherwise graft's own function when there is one; otherwise the
// plugin its (domain, op, opset) resolves to. Plugin errors are Errors naming the plugin
// and its library (the callers add the node).
#include <memory>
#include <string>

#include "plugins/registry.h"

namespace graft::plugins {

// "plugin graft::DeformConv2d v1 (built-in)", "plugin acme::Swish v1 (from libacme.so)"
std::string describe(const Registered& r);

// The plugin for `node`, its fields read from the node's attributes.
std::unique_ptr<Plugin> instantiate(const Registered& r, const Node& node);

ops::ShapeFn shape_fn_for(const Node& node, int64_t opset, ops::ShapeFn builtin);
cpu::KernelFn cpu_kernel_for(const Node& node, int64_t opset, cpu::KernelFn builtin);

}  // namespace graft::plugins
