// eliminate-dead-nodes: removes nodes whose outputs nothing reads (no node, no graph
// output, no subgraph), then initializers and value_info entries nothing refers to, in
// every subgraph too. Graph inputs stay: they are the model's interface.
#include "folding/pass.h"

namespace graft::folding {
namespace {

class EliminateDeadNodes : public Pass {
 public:
  std::string name() const override { return "eliminate-dead-nodes"; }
  std::string description() const override {
    return "remove nodes, initializers and value_info that no graph output depends on";
  }

  PassResult run(Model& model, const PassOptions&) override {
    CleanupReport r = model.graph->cleanup();
    PassResult result;
    result.changes = r.nodes + r.initializers;
    if (r.nodes || r.initializers) {
      result.notes.push_back("removed " + std::to_string(r.nodes) + " dead nodes and " + std::to_string(r.initializers) +
                             " unused initializers");
    }
    return result;
  }
};

}  // namespace

GRAFT_PASS(EliminateDeadNodes);

}  // namespace graft::folding
