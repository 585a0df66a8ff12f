#pragma once
// Runs a whole model on the CPU kernels: nodes in topological order, If/Loop/Scan
// subgraphs with their outer scope, sequences and optional values. Each intermediate
// value is released after its last reader.
//
// Planned fusion: a Conv whose output's only reader is an Add (whose other input is
// ready by then) and/or Relu / Clip (constant bounds) / LeakyRelu gets those folded into
// its kernel call (KernelContext::fused); when the kernel applies them, the folded nodes
// are skipped for that run, else they run as usual. The model itself is not changed.
// Each node also gets a cache slot (KernelContext::cached) for data derived from
// constants, such as packed weights, kept for the executor's life.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/cpu/kernel.h"
#include "surgeon/model.h"

namespace graft::engine {

struct NamedValue {
  std::string name;
  cpu::Value value;
};

// Wall time spent in each node's kernel, summed over the runs it was passed to (a folded
// node's time counts as its Conv's; a node holding subgraphs includes their nodes' time).
// For benchmarks: see bench/cpu_engine_bench --profile.
struct NodeProfile {
  std::unordered_map<const Node*, double> ms;
};

class CpuExecutor {
 public:
  // Throws an Error listing every node that has no CPU kernel (name, op, domain, opset).
  explicit CpuExecutor(const Model& model);

  // `inputs` by graph input name; graph inputs with an initializer may be left out.
  // Throws an Error naming the input on a missing input or a wrong dtype, rank or dim.
  std::vector<NamedValue> run(const std::vector<NamedValue>& inputs, NodeProfile* profile = nullptr) const;

  // Graph inputs the caller must provide (those without an initializer).
  std::vector<TensorPtr> required_inputs() const;

 private:
  struct Scope;
  std::vector<cpu::Value> run_graph(const Graph& g, const Scope* outer, std::vector<cpu::Value> inputs,
                                    NodeProfile* profile) const;
  void run_node(const Node& node, Scope& scope) const;
  void release_dead(const Node& node, Scope& scope) const;
  void collect_kernels(const Graph& g, std::vector<std::string>& unsupported);
  void plan_fusions(const Graph& g);
  void plan_chains(const Graph& g);
  struct Chain;
  struct ChainCall;
  bool prepare_chain(const Chain& chain, const Scope& scope, ChainCall& call) const;
  bool run_chain(const Node& node, Scope& scope) const;
  const Tensor* folded_output(const Node* conv) const;

  struct Fusion {
    cpu::FusedOps ops;               // residual filled in per run
    const Tensor* residual = nullptr;  // the folded Add's other input
    const Tensor* out = nullptr;       // the last folded node's output
    std::vector<const Node*> folded;
  };

  const Model model_;  // shares the graph, so the executor keeps it alive
  std::unordered_map<const Node*, cpu::KernelFn> kernels_;
  std::unordered_map<const Node*, int64_t> opsets_;
  // Values produced in a graph that no later node of that graph reads, and that are no
  // graph output, are released right after their last reader.
  std::unordered_map<const Node*, std::vector<const Tensor*>> release_after_;
  std::unordered_map<const Node*, std::unique_ptr<cpu::NodeCache>> caches_;
  std::unordered_map<const Node*, Fusion> fusions_;
  struct Chain {
    std::vector<const Node*> convs;
    // The first input's type (dtype, dims) of runs the kernels declined the chain for (at
    // most 16), so later runs of that type go straight to the nodes.
    mutable std::mutex mu;
    mutable std::vector<std::pair<DataType, cpu::Dims>> declined;
  };
  std::unordered_map<const Node*, std::unique_ptr<Chain>> chains_;  // by their first Conv
};

// Checks `value` against the declared type of graph input `t`; binds symbolic dims in
// `symbols` (so "batch" must agree across inputs). Throws an Error naming the input.
void check_input(const Tensor& t, const cpu::Value& value, std::unordered_map<std::string, int64_t>& symbols);

}  // namespace graft::engine
