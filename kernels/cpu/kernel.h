#pragma once
// The CPU kernel interface and registry. A kernel reads its inputs and attributes from a
// KernelContext, computes output shapes from the actual inputs, and sets its outputs.
// Each op family lives in one file (kernels/cpu/<family>.cc) and registers its ops:
//
//   void relu(KernelContext& ctx) { ... }
//   GRAFT_CPU_KERNEL("", Relu, 1, relu);   // domain, op type, first opset, function
//
// Errors thrown from a kernel are reported with the node's name and op by the executor.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/cpu/host_tensor.h"
#include "ops/node_attrs.h"
#include "surgeon/node.h"

namespace graft::cpu {

// Runs a subgraph (If branch, Loop/Scan body) with the given graph inputs, in the scope of
// the node that holds it; returns its graph outputs. Provided by the executor.
using SubgraphRunner = std::function<std::vector<Value>(const Graph&, std::vector<Value>)>;

// A slot the executor keeps per node for its whole life, where a kernel caches data it
// derives from constant inputs (packed convolution weights). See KernelContext::cached.
struct NodeCache {
  std::mutex mu;
  std::shared_ptr<const void> value;
};

// Element-wise nodes the executor folded into this node's output 0 (a planned fusion,
// the model is not changed): y = act(y + residual). A kernel that applies them calls
// KernelContext::mark_fused_applied(); otherwise the executor runs the folded nodes.
struct FusedOps {
  enum class Act : int { kNone, kRelu, kClip, kLeakyRelu };
  const Value* residual = nullptr;  // the other input of a folded Add (same shape), or null
  Act act = Act::kNone;
  float lo = 0, hi = 0, alpha = 0;  // Clip bounds, LeakyRelu slope
};

class KernelContext {
 public:
  KernelContext(const Node& node, int64_t opset, std::vector<const Value*> inputs, SubgraphRunner runner);

  const Node& node() const { return node_; }
  int64_t opset() const { return opset_; }  // of the node's domain

  // Inputs. An omitted optional input (or one past the end) is absent.
  size_t num_inputs() const { return inputs_.size(); }
  bool has_input(size_t i) const;
  const HostTensor& input(size_t i) const;  // throws unless a present tensor
  const Value& input_value(size_t i) const;  // throws if absent
  std::vector<int64_t> input_int64s(size_t i) const { return input(i).to_int64s(); }

  // Outputs. Every output the node names must be set.
  size_t num_outputs() const { return outputs_.size(); }
  bool output_wanted(size_t i) const { return i < outputs_.size() && node_.output(i) != nullptr; }
  HostTensor& allocate_output(size_t i, DataType dtype, Dims dims);
  // As allocate_output, but the values are left undefined: for kernels that write all.
  HostTensor& allocate_output_uninitialized(size_t i, DataType dtype, Dims dims);
  void set_output(size_t i, HostTensor t);
  void set_output_value(size_t i, Value v);
  std::vector<Value>& outputs() { return outputs_; }

  // Attributes, with defaults; a present attribute of the wrong type is an error.
  bool has_attr(std::string_view name) const { return node_.attr(name) != nullptr; }
  int64_t attr_int(std::string_view name, int64_t def) const;
  float attr_float(std::string_view name, float def) const;
  std::string attr_string(std::string_view name, const std::string& def) const;
  std::vector<int64_t> attr_ints(std::string_view name, const std::vector<int64_t>& def = {}) const;
  std::vector<float> attr_floats(std::string_view name, const std::vector<float>& def = {}) const;
  std::vector<std::string> attr_strings(std::string_view name) const;
  std::optional<HostTensor> attr_tensor(std::string_view name) const;
  const Graph& attr_graph(std::string_view name) const;  // throws if missing
  int64_t required_attr_int(std::string_view name) const;

  std::vector<Value> run_subgraph(const Graph& g, std::vector<Value> inputs) const;

  // True when input i is a constant of the model (an initializer, as loaded), so what a
  // kernel derives from it may be cached for later runs.
  bool input_is_constant(size_t i) const;
  // The object this node's kernel cached on an earlier run, else make()'s result (a
  // std::shared_ptr<const T>), kept when the executor gave the node a cache slot. Only
  // for data that depends on nothing but constant inputs and attributes.
  template <typename T, typename F>
  std::shared_ptr<const T> cached(F&& make) {
    if (!cache_) return make();
    std::lock_guard<std::mutex> lock(cache_->mu);
    if (!cache_->value) cache_->value = std::shared_ptr<const T>(make());
    return std::static_pointer_cast<const T>(cache_->value);
  }
  void set_cache(NodeCache* cache) { cache_ = cache; }

  // Planned fusion (see FusedOps); null when none.
  const FusedOps* fused() const { return fused_; }
  void set_fused(const FusedOps* f) { fused_ = f; }
  void mark_fused_applied() { fused_applied_ = true; }
  bool fused_applied() const { return fused_applied_; }

  // A bounded, readable error about this node's inputs or attributes.
  [[noreturn]] void fail(const std::string& message) const;

 private:
  const Node& node_;
  ops::NodeAttrs attrs_;
  int64_t opset_;
  std::vector<const Value*> inputs_;
  std::vector<Value> outputs_;
  SubgraphRunner runner_;
  NodeCache* cache_ = nullptr;
  const FusedOps* fused_ = nullptr;
  bool fused_applied_ = false;
};

using KernelFn = void (*)(KernelContext&);

struct KernelDef {
  std::string domain;  // "" for the default ONNX domain
  std::string op_type;
  int since_version = 1;  // the kernel handles this opset and later ones
  KernelFn fn = nullptr;
};

// The kernel for (domain, op) at `opset`: the one with the greatest since_version not
// above it. Null when none.
const KernelDef* find_kernel(const std::string& domain, const std::string& op_type, int64_t opset);
bool register_kernel(KernelDef def);
std::vector<KernelDef> registered_kernels();

#define GRAFT_CPU_KERNEL_CONCAT2(a, b) a##b
#define GRAFT_CPU_KERNEL_CONCAT(a, b) GRAFT_CPU_KERNEL_CONCAT2(a, b)
#define GRAFT_CPU_KERNEL(domain, op, since, fn)                                           \
  static const bool GRAFT_CPU_KERNEL_CONCAT(graft_cpu_kernel_registered_, __COUNTER__) = \
      ::graft::cpu::register_kernel({domain, #op, since, fn})

}  // namespace graft::cpu
