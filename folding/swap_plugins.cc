// swap-plugins: rewrites each node whose op type is mapped to a plugin (--plugin-map
// DeformConv=graft::DeformConv2d) into a node of the plugin's domain and op type, so the
// model names its plugin itself and runs without the mapping. The plugin's fields are read
// from the node's attributes first: a node the plugin cannot take is refused and kept.
// The model gains an opset import for the plugin's namespace.
// Precondition: none (opt-in: `graft sanitize --swap-plugins`).
#include "folding/pass.h"
#include "plugins/node_plugin.h"
#include "surgeon/error.h"

namespace graft::folding {
namespace {

class SwapPlugins : public Pass {
 public:
  std::string name() const override { return "swap-plugins"; }
  std::string description() const override { return "rewrite nodes mapped by --plugin-map into their plugin's op"; }
  bool opt_in() const override { return true; }

  PassResult run(Model& model, const PassOptions&) override {
    result_ = {};
    swap_in(model, *model.graph);
    return std::move(result_);
  }

 private:
  void swap_in(Model& model, Graph& g) {
    for (const auto& node : g.nodes()) {
      for (Graph* sub : node->subgraphs()) swap_in(model, *sub);
      const plugins::Registered* r = plugins::Registry::global().mapped(*node);
      if (!r || (node->domain == r->id.ns && node->op_type == r->id.name)) continue;
      try {
        plugins::instantiate(*r, *node);
      } catch (const Error& e) {
        result_.notes.push_back("kept " + node->describe() + ": " + e.what());
        continue;
      }
      const std::string from = node->describe();
      node->domain = r->id.ns;
      node->op_type = r->id.name;
      import_namespace(model, r->id);
      result_.notes.push_back("swapped " + from + " -> " + plugins::describe(*r));
      ++result_.changes;
    }
  }

  static void import_namespace(Model& model, const plugins::PluginId& id) {
    for (OpsetImport& o : model.opset_imports) {
      if (o.domain != id.ns) continue;
      if (o.version < id.version) o.version = id.version;
      return;
    }
    model.opset_imports.push_back({id.ns, id.version});
  }

  PassResult result_;
};

GRAFT_PASS(SwapPlugins);

}  // namespace
}  // namespace graft::folding
