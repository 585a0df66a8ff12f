#include "engine/cpu_executor.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_set>

#include "kernels/cpu/conv_chain.h"
#include "plugins/node_plugin.h"
#include "surgeon/error.h"
#include "surgeon/graph.h"

namespace graft::engine {

using cpu::Value;

struct CpuExecutor::Scope {
  const Scope* parent = nullptr;
  NodeProfile* profile = nullptr;
  std::unordered_map<const Tensor*, Value> values;
  std::unordered_set<const Node*> skipped;  // folded into an earlier node this run

  const Value* find(const Tensor* t) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->values.find(t);
      if (it != s->values.end()) return &it->second;
    }
    return nullptr;
  }
};

CpuExecutor::CpuExecutor(const Model& model) : model_(model) {
  std::vector<std::string> unsupported;
  collect_kernels(*model.graph, unsupported);
  if (!unsupported.empty()) {
    std::string msg = std::to_string(unsupported.size()) + " node(s) have no CPU kernel: ";
    for (size_t i = 0; i < unsupported.size(); ++i) msg += (i ? "; " : "") + unsupported[i];
    throw Error(msg);
  }
}

void CpuExecutor::collect_kernels(const Graph& g, std::vector<std::string>& unsupported) {
  std::unordered_map<const Tensor*, const Node*> last_reader;
  for (const auto& node : g.nodes()) {
    for (const Tensor* t : g.reads_of(*node)) {
      if (t->producer() && t->producer()->graph() == &g) last_reader[t] = node.get();
    }
  }
  for (const auto& [t, node] : last_reader) {
    bool is_output = false;
    for (const TensorPtr& o : g.outputs) is_output |= o.get() == t;
    if (!is_output) release_after_[node].push_back(t);
  }
  for (const auto& node : g.nodes()) {
    const int64_t opset = model_.opset(node->domain);
    const cpu::KernelDef* def = cpu::find_kernel(node->domain, node->op_type, opset);
    const cpu::KernelFn fn = plugins::cpu_kernel_for(*node, opset, def ? def->fn : nullptr);
    caches_[node.get()] = std::make_unique<cpu::NodeCache>();
    if (fn) {
      kernels_[node.get()] = fn;
      opsets_[node.get()] = opset;
    } else {
      const std::string domain = node->domain.empty() ? "ai.onnx" : node->domain;
      unsupported.push_back(node->describe() + " [" + domain + " opset " + std::to_string(opset) + "]");
    }
    for (const Graph* sub : node->subgraphs()) collect_kernels(*sub, unsupported);
  }
  plan_fusions(g);
  plan_chains(g);
}

namespace {

// The one node of `g` that reads t, when t is no graph output and has no other reader.
const Node* only_reader(const Graph& g, const Tensor* t) {
  if (!t || t->consumers().size() != 1 || t->consumers()[0]->graph() != &g) return nullptr;
  for (const TensorPtr& o : g.outputs) {
    if (o.get() == t) return nullptr;
  }
  return t->consumers()[0];
}

// A scalar float32 constant input of `node`, or `def` when the input is omitted; none
// when it is not a constant, or an initializer that a caller may override as an input.
std::optional<float> const_scalar(const Graph& g, const Graph& main, const Node& node, size_t i, float def) {
  if (i >= node.inputs().size() || !node.inputs()[i]) return def;
  const Tensor& t = *node.inputs()[i];
  for (const Graph* graph : {&g, &main}) {
    for (const TensorPtr& in : graph->inputs) {
      if (in.get() == &t) return std::nullopt;
    }
  }
  if (!t.data || t.data->dtype != DataType::kFloat || t.data->bytes.size() != sizeof(float)) return std::nullopt;
  float v;
  std::memcpy(&v, t.data->bytes.data(), sizeof v);
  return v;
}

}  // namespace

void CpuExecutor::plan_fusions(const Graph& g) {
  std::unordered_map<const Node*, size_t> order;
  for (const auto& node : g.nodes()) order.emplace(node.get(), order.size());
  auto plain = [&](const Node* n, const char* op, size_t outputs) {
    return n->domain.empty() && n->op_type == op && n->outputs().size() == outputs && kernels_.count(n);
  };
  for (const auto& node : g.nodes()) {
    if (!plain(node.get(), "Conv", 1) || !node->output(0)) continue;
    Fusion f;
    const Tensor* cur = node->output(0).get();
    const Node* next = only_reader(g, cur);
    if (next && plain(next, "Add", 1) && next->inputs().size() == 2 && next->inputs()[0] && next->inputs()[1] &&
        next->inputs()[0].get() != next->inputs()[1].get()) {
      const Tensor* other = (next->inputs()[0].get() == cur ? next->inputs()[1] : next->inputs()[0]).get();
      const Node* p = other->producer();
      // Ready when the Conv runs: a constant, a graph input, an outer value, or made before.
      if (!p || p->graph() != &g || order.at(p) < order.at(node.get())) {
        f.residual = other;
        f.folded.push_back(next);
        cur = next->output(0).get();
        next = only_reader(g, cur);
      }
    }
    if (next && plain(next, "Relu", 1)) {
      f.ops.act = cpu::FusedOps::Act::kRelu;
    } else if (next && plain(next, "LeakyRelu", 1)) {
      const Attribute* a = next->attr("alpha");
      f.ops.act = cpu::FusedOps::Act::kLeakyRelu;
      f.ops.alpha = a && a->type == AttrType::kFloat ? a->f : 0.01f;
    } else if (next && plain(next, "Clip", 1) && model_.opset(next->domain) >= 11) {
      const std::optional<float> lo = const_scalar(g, *model_.graph, *next, 1, -std::numeric_limits<float>::infinity());
      const std::optional<float> hi = const_scalar(g, *model_.graph, *next, 2, std::numeric_limits<float>::infinity());
      if (lo && hi) {
        f.ops.act = cpu::FusedOps::Act::kClip;
        f.ops.lo = *lo;
        f.ops.hi = *hi;
      }
    }
    if (f.ops.act != cpu::FusedOps::Act::kNone) {
      f.folded.push_back(next);
      cur = next->output(0).get();
    }
    if (f.folded.empty() || !cur) continue;
    f.out = cur;
    fusions_[node.get()] = std::move(f);
  }
}

const Tensor* CpuExecutor::folded_output(const Node* conv) const {
  auto f = fusions_.find(conv);
  return f != fusions_.end() ? f->second.out : conv->output(0).get();
}

void CpuExecutor::plan_chains(const Graph& g) {
  std::unordered_map<const Node*, size_t> order;
  for (const auto& node : g.nodes()) order.emplace(node.get(), order.size());
  // Convs that run graft's own kernel (not a plugin's), which the chain stands in for.
  auto is_conv = [&](const Node* n) {
    if (!n || !n->domain.empty() || n->op_type != "Conv" || n->outputs().size() != 1 || !kernels_.count(n)) return false;
    const cpu::KernelDef* def = cpu::find_kernel("", "Conv", opsets_.at(n));
    return def && def->fn == kernels_.at(n);
  };
  for (const auto& node : g.nodes()) {
    std::vector<const Node*> chain;
    for (const Node* n = node.get(); is_conv(n) && chain.size() < 3;) {
      chain.push_back(n);
      auto f = fusions_.find(n);
      if (f != fusions_.end() && f->second.residual) {
        // A residual ends the chain; it must be ready when the chain's first Conv runs.
        const Node* p = f->second.residual->producer();
        if (p && p->graph() == &g && order.at(p) >= order.at(node.get())) chain.pop_back();
        break;
      }
      const Tensor* out = folded_output(n);
      n = only_reader(g, out);
      if (n && (n->inputs().empty() || n->inputs()[0].get() != out)) break;
    }
    if (chain.size() >= 2) {
      chains_[node.get()] = std::make_unique<Chain>();
      chains_[node.get()]->convs = std::move(chain);
    }
  }
}

std::vector<TensorPtr> CpuExecutor::required_inputs() const {
  std::vector<TensorPtr> out;
  for (const TensorPtr& t : model_.graph->inputs) {
    if (!t->is_constant()) out.push_back(t);
  }
  return out;
}

void check_input(const Tensor& t, const Value& value, std::unordered_map<std::string, int64_t>& symbols) {
  const ValueType& type = t.type;
  auto fail = [&](const std::string& why) {
    throw Error("input '" + t.name + "': expected " + type.str() + ", got " + value.describe() + why);
  };
  if (type.kind == ValueType::Kind::kSequence && !value.is_sequence()) fail("");
  if (type.kind != ValueType::Kind::kTensor) return;
  if (!value.is_tensor()) fail("");
  const cpu::HostTensor& v = value.tensor;
  if (type.elem != DataType::kUndefined && v.dtype() != type.elem) fail(" (wrong element type)");
  if (!type.shape.has_rank()) return;
  if (v.rank() != type.shape.rank()) fail(" (wrong rank)");
  for (size_t d = 0; d < v.rank(); ++d) {
    const Dim& dim = type.shape[d];
    if (dim.is_fixed() && dim.value != v.dim(d)) {
      fail(" (dim " + std::to_string(d) + " is " + std::to_string(v.dim(d)) + ")");
    }
    if (dim.is_symbolic()) {
      auto [it, fresh] = symbols.emplace(dim.param, v.dim(d));
      if (!fresh && it->second != v.dim(d)) {
        fail(" (dim " + std::to_string(d) + " '" + dim.param + "' is " + std::to_string(v.dim(d)) +
             " here but " + std::to_string(it->second) + " in another input)");
      }
    }
  }
}

std::vector<NamedValue> CpuExecutor::run(const std::vector<NamedValue>& inputs, NodeProfile* profile) const {
  const Graph& g = *model_.graph;
  std::unordered_map<std::string, const Value*> by_name;
  for (const NamedValue& nv : inputs) {
    bool known = false;
    for (const TensorPtr& t : g.inputs) known |= t->name == nv.name;
    if (!known) throw Error("'" + nv.name + "' is not an input of the model");
    by_name[nv.name] = &nv.value;
  }
  std::vector<Value> values;
  std::unordered_map<std::string, int64_t> symbols;
  for (const TensorPtr& t : g.inputs) {
    auto it = by_name.find(t->name);
    if (it != by_name.end()) {
      check_input(*t, *it->second, symbols);
      values.push_back(*it->second);
    } else if (t->is_constant()) {
      values.push_back(Value::of(cpu::HostTensor::from_data(*t->data)));
    } else if (t->type.kind == ValueType::Kind::kOptional) {
      values.push_back(Value{});
    } else {
      throw Error("input '" + t->name + "' (" + t->type.str() + ") is required but was not given");
    }
  }
  std::vector<Value> outputs = run_graph(g, nullptr, std::move(values), profile);
  std::vector<NamedValue> named;
  for (size_t i = 0; i < outputs.size(); ++i) named.push_back({g.outputs[i]->name, std::move(outputs[i])});
  return named;
}

std::vector<Value> CpuExecutor::run_graph(const Graph& g, const Scope* outer, std::vector<Value> inputs,
                                          NodeProfile* profile) const {
  Scope scope;
  scope.parent = outer;
  scope.profile = profile;
  for (size_t i = 0; i < g.inputs.size() && i < inputs.size(); ++i) {
    scope.values[g.inputs[i].get()] = std::move(inputs[i]);
  }
  for (const TensorPtr& t : g.initializers) {
    if (!scope.values.count(t.get())) scope.values[t.get()] = Value::of(cpu::HostTensor::from_data(*t->data));
  }
  for (const auto& node : g.nodes()) {
    if (scope.skipped.count(node.get())) {
      release_dead(*node, scope);
    } else if (!run_chain(*node, scope)) {
      run_node(*node, scope);
    }
  }
  std::vector<Value> outputs;
  for (const TensorPtr& t : g.outputs) {
    const Value* v = scope.find(t.get());
    if (!v) throw Error(g.describe() + ": graph output '" + t->name + "' was not computed");
    outputs.push_back(*v);
  }
  return outputs;
}

// What run_conv_chain gets: a context per Conv (X only for the first; the others get it
// from the chain) and its folded ops.
struct CpuExecutor::ChainCall {
  std::vector<std::unique_ptr<cpu::KernelContext>> contexts;
  std::vector<cpu::FusedOps> posts;
  std::vector<cpu::ChainLink> links;
};

// False when an input of the chain has no value (the nodes then report it).
bool CpuExecutor::prepare_chain(const Chain& chain, const Scope& scope, ChainCall& call) const {
  call.posts.resize(chain.convs.size());
  for (size_t i = 0; i < chain.convs.size(); ++i) {
    const Node& conv = *chain.convs[i];
    std::vector<const Value*> inputs;
    for (size_t j = 0; j < conv.inputs().size(); ++j) {
      const TensorPtr& t = conv.inputs()[j];
      inputs.push_back(t && (i == 0 || j > 0) ? scope.find(t.get()) : nullptr);
      if (t && (i == 0 || j > 0) && !inputs.back()) return false;
    }
    call.contexts.push_back(std::make_unique<cpu::KernelContext>(conv, opsets_.at(&conv), std::move(inputs), nullptr));
    call.contexts.back()->set_cache(caches_.at(&conv).get());
    const auto fusion = fusions_.find(&conv);
    if (fusion != fusions_.end()) {
      call.posts[i] = fusion->second.ops;
      if (fusion->second.residual && !(call.posts[i].residual = scope.find(fusion->second.residual))) return false;
    }
    call.links.push_back({call.contexts.back().get(), fusion != fusions_.end() ? &call.posts[i] : nullptr});
  }
  return true;
}

// Runs the chain that starts at `node` if there is one and the kernels take it; else
// false, and the nodes run one by one (and report any error themselves). Declined input
// types are remembered, so later runs of them skip straight to the nodes.
bool CpuExecutor::run_chain(const Node& node, Scope& scope) const {
  const auto found = chains_.find(&node);
  if (found == chains_.end()) return false;
  const Chain& chain = *found->second;
  const Value* x = node.inputs().empty() || !node.inputs()[0] ? nullptr : scope.find(node.inputs()[0].get());
  if (!x || !x->is_tensor()) return false;
  const std::pair<DataType, cpu::Dims> type{x->tensor.dtype(), x->tensor.dims()};
  std::unique_lock<std::mutex> lock(chain.mu);
  if (std::find(chain.declined.begin(), chain.declined.end(), type) != chain.declined.end()) return false;
  lock.unlock();
  const auto t0 = scope.profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  ChainCall call;
  if (!prepare_chain(chain, scope, call)) return false;
  std::optional<cpu::ChainResult> result;
  try {
    result = cpu::run_conv_chain(call.links);
  } catch (const Error&) {
  }
  if (!result) {
    lock.lock();
    if (chain.declined.size() < 16) chain.declined.push_back(type);
    return false;
  }
  for (size_t i = 0; i < result->links; ++i) {
    if (i > 0) scope.skipped.insert(chain.convs[i]);
    const auto fusion = fusions_.find(chain.convs[i]);
    if (fusion != fusions_.end()) scope.skipped.insert(fusion->second.folded.begin(), fusion->second.folded.end());
  }
  scope.values[folded_output(chain.convs[result->links - 1])] = Value::of(std::move(result->out));
  if (scope.profile) {
    scope.profile->ms[&node] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  release_dead(node, scope);
  return true;
}

void CpuExecutor::run_node(const Node& node, Scope& scope) const {
  std::vector<const Value*> inputs;
  for (const TensorPtr& t : node.inputs()) {
    const Value* v = t ? scope.find(t.get()) : nullptr;
    if (t && !v) throw Error(node.describe() + ": input '" + t->name + "' has no value");
    inputs.push_back(v);
  }
  cpu::SubgraphRunner runner = [this, &scope](const Graph& sub, std::vector<Value> sub_inputs) {
    return run_graph(sub, &scope, std::move(sub_inputs), scope.profile);
  };
  cpu::KernelContext ctx(node, opsets_.at(&node), std::move(inputs), std::move(runner));
  ctx.set_cache(caches_.at(&node).get());
  const auto fusion = fusions_.find(&node);
  cpu::FusedOps fused;
  if (fusion != fusions_.end()) {
    fused = fusion->second.ops;
    if (fusion->second.residual) fused.residual = scope.find(fusion->second.residual);
    if (!fusion->second.residual || fused.residual) ctx.set_fused(&fused);
  }
  const auto t0 = scope.profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  try {
    kernels_.at(&node)(ctx);
  } catch (const Error& e) {
    throw Error(node.describe() + ": " + e.what());
  }
  if (scope.profile) {
    scope.profile->ms[&node] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  const bool folded = ctx.fused() && ctx.fused_applied();
  for (size_t i = 0; i < node.outputs().size(); ++i) {
    if (!node.output(i)) continue;
    const Tensor* t = folded && i == 0 ? fusion->second.out : node.output(i).get();
    scope.values[t] = std::move(ctx.outputs()[i]);
  }
  if (folded) {
    for (const Node* n : fusion->second.folded) scope.skipped.insert(n);
  }
  release_dead(node, scope);
}

void CpuExecutor::release_dead(const Node& node, Scope& scope) const {
  auto dead = release_after_.find(&node);
  if (dead != release_after_.end()) {
    for (const Tensor* t : dead->second) scope.values.erase(t);
  }
}

}  // namespace graft::engine
