// collapse-transpose: Transpose(Transpose(x, p1), p2) -> Transpose(x, p) with
// p[i] = p1[p2[i]], or -> x when p is the identity.
// Precondition: both perms are known (a missing perm reverses the dims, which needs the
// rank: from the other perm or x's shape) and have the same length. A non-identity result
// needs the inner Transpose's output to be read by the outer one only (no graph output, no
// other reader, subgraphs included); an identity result removes the outer one in any case
// and the inner one too when nothing else reads it. A graph output keeps its name (see
// forward_value). Default-domain ops only.
#include <algorithm>
#include <numeric>
#include <set>

#include "folding/pass.h"
#include "folding/pass_util.h"
#include "surgeon/change.h"
#include "surgeon/error.h"

namespace graft::folding {
namespace {

using Ints = std::vector<int64_t>;

// The node's perm, or the reversal for `rank` when it has none.
std::optional<Ints> perm_of(const Node& node, std::optional<size_t> rank) {
  if (std::optional<Ints> p = ints_attr(node, "perm")) return p;
  if (!rank) return std::nullopt;
  Ints p(*rank);
  std::iota(p.rbegin(), p.rend(), 0);
  return p;
}

bool is_permutation(const Ints& p) {
  std::vector<bool> seen(p.size(), false);
  for (int64_t v : p) {
    if (v < 0 || v >= static_cast<int64_t>(p.size()) || seen[v]) return false;
    seen[v] = true;
  }
  return true;
}

class CollapseTranspose : public Pass {
 public:
  std::string name() const override { return "collapse-transpose"; }
  std::string description() const override { return "compose consecutive Transposes into one, or none"; }

  PassResult run(Model& model, const PassOptions&) override {
    result_ = {};
    collapse_in(*model.graph);
    return std::move(result_);
  }

 private:
  void collapse_in(Graph& g) {
    std::vector<Node*> nodes;
    for (const auto& n : g.nodes()) nodes.push_back(n.get());
    std::set<const Node*> removed;
    for (Node* node : nodes) {
      if (removed.count(node)) continue;
      for (Graph* sub : node->subgraphs()) collapse_in(*sub);
      // A chain: the outer Transpose absorbs one inner one after the other.
      for (std::vector<const Node*> gone; !(gone = collapse(g, *node)).empty();) {
        removed.insert(gone.begin(), gone.end());
        if (std::find(gone.begin(), gone.end(), node) != gone.end()) break;
      }
    }
  }

  // Returns the nodes it removed (destroyed; for identity only).
  std::vector<const Node*> collapse(Graph& g, Node& outer) {
    if (!is_onnx_op(outer, "Transpose") || !outer.output(0)) return {};
    const TensorPtr mid = outer.input(0);
    Node* inner = mid ? mid->producer() : nullptr;
    if (!inner || inner->graph() != &g || !is_onnx_op(*inner, "Transpose") || !inner->input(0)) return {};
    const TensorPtr x = inner->input(0);
    std::optional<size_t> rank;
    if (x->shape().has_rank()) rank = x->shape().rank();
    if (const Attribute* p = inner->attr("perm")) rank = p->ints.size();
    if (const Attribute* p = outer.attr("perm")) rank = p->ints.size();
    std::optional<Ints> p1 = perm_of(*inner, rank), p2 = perm_of(outer, rank);
    if (!p1 || !p2 || p1->size() != p2->size() || !is_permutation(*p1) || !is_permutation(*p2)) return {};
    Ints p(p1->size());
    bool identity = true;
    for (size_t i = 0; i < p.size(); ++i) {
      p[i] = (*p1)[(*p2)[i]];
      identity = identity && p[i] == static_cast<int64_t>(i);
    }
    const bool inner_only_here = read_only_by(g, *mid, {&outer});
    const std::string what = inner->describe() + " and " + outer.describe();
    if (identity) {
      std::vector<Node*> remove{&outer};
      if (inner_only_here) remove.push_back(inner);
      std::string why = forward_value(g, remove, outer.output(0), x);
      if (!why.empty()) {
        result_.notes.push_back("kept " + what + " (together the identity): " + why);
        return {};
      }
      result_.notes.push_back("removed " + what + ": together the identity");
      ++result_.changes;
      return {remove.begin(), remove.end()};
    }
    if (!inner_only_here) return {};
    try {
      apply_change(g, Change{.remove = {inner}, .node_inputs = {{&outer, 0, x}}});
    } catch (const Error& e) {
      result_.notes.push_back("kept " + what + ": " + e.what());
      return {};
    }
    forget_value_info(g, mid.get());
    outer.set_attr(Attribute::of_ints("perm", p));
    result_.notes.push_back("merged " + what + " into one Transpose");
    ++result_.changes;
    return {inner};
  }

  PassResult result_;
};

}  // namespace

GRAFT_PASS(CollapseTranspose);

}  // namespace graft::folding
