// eliminate-common-subexpressions: nodes with the same op, domain, attributes and inputs
// compute the same outputs; each later one goes and its readers read the first one's
// outputs. The inputs of Add, Mul, And, Or, Xor, Equal, BitwiseAnd/Or/Xor and a
// two-input Sum may come in either order (IEEE addition and multiplication commute; a
// longer Sum, Max and Min do not: their rounding or NaN result depends on the order).
// Precondition: deterministic ops (no Random*, Bernoulli, Multinomial, any *Dropout), of
// the default, ai.onnx.ml or com.microsoft domain (other domains may hold stateful
// custom ops); no graph-valued attribute (If/Loop/Scan bodies are left alone, but CSE runs
// inside them); attributes equal exactly (an omitted attribute does not equal its default).
// A duplicate's output that is a graph output keeps its name: the first node writes it and
// the first node's readers read it; if both are graph outputs the duplicate stays.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "folding/pass.h"
#include "folding/pass_util.h"
#include "surgeon/change.h"
#include "surgeon/error.h"
#include "surgeon/find.h"

namespace graft::folding {
namespace {

bool same_data(const TensorDataPtr& a, const TensorDataPtr& b) {
  if (!a || !b) return a == b;
  return a->dtype == b->dtype && a->dims == b->dims && a->bytes == b->bytes && a->strings == b->strings;
}

bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

bool same_attribute(const Attribute& a, const Attribute& b) {
  if (a.name != b.name || a.type != b.type || a.ref_attr_name != b.ref_attr_name) return false;
  switch (a.type) {
    case AttrType::kFloat: return std::memcmp(&a.f, &b.f, sizeof(float)) == 0;
    case AttrType::kInt: return a.i == b.i;
    case AttrType::kString: return a.s == b.s;
    case AttrType::kTensor: return same_data(a.t, b.t);
    case AttrType::kFloats: return same_floats(a.floats, b.floats);
    case AttrType::kInts: return a.ints == b.ints;
    case AttrType::kStrings: return a.strings == b.strings;
    case AttrType::kTensors:
      return a.tensors.size() == b.tensors.size() &&
             std::equal(a.tensors.begin(), a.tensors.end(), b.tensors.begin(), same_data);
    case AttrType::kTypeProto: return a.tp == b.tp;
    case AttrType::kTypeProtos: return a.type_protos == b.type_protos;
    default: return false;  // graphs, sparse tensors, unknown kinds: never taken as equal
  }
}

// Attributes sorted by name.
std::vector<const Attribute*> sorted_attributes(const Node& n) {
  std::vector<const Attribute*> attrs;
  for (const Attribute& a : n.attributes) attrs.push_back(&a);
  std::sort(attrs.begin(), attrs.end(), [](const Attribute* x, const Attribute* y) { return x->name < y->name; });
  return attrs;
}

bool same_attributes(const Node& a, const Node& b) {
  if (a.attributes.size() != b.attributes.size()) return false;
  std::vector<const Attribute*> x = sorted_attributes(a), y = sorted_attributes(b);
  for (size_t i = 0; i < x.size(); ++i) {
    if (!same_attribute(*x[i], *y[i])) return false;
  }
  return true;
}

bool commutative(const Node& n) {
  static const std::set<std::string> ops = {"Add", "Mul", "And", "Or", "Xor", "Equal",
                                            "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Sum"};
  return is_default_domain(n.domain) && n.inputs().size() == 2 && ops.count(n.op_type);
}

bool eligible(const Node& n) {
  if (!is_default_domain(n.domain) && n.domain != "ai.onnx.ml" && n.domain != "com.microsoft") return false;
  static const std::set<std::string> random = {"Bernoulli", "Multinomial"};
  if (random.count(n.op_type) || n.op_type.find("Random") != std::string::npos ||
      n.op_type.find("Dropout") != std::string::npos) {
    return false;
  }
  if (n.outputs().empty() || !n.subgraphs().empty()) return false;
  return std::none_of(n.attributes.begin(), n.attributes.end(), [](const Attribute& a) {
    return a.type == AttrType::kSparseTensor || a.type == AttrType::kSparseTensors;
  });
}

// What identifies a node's computation, attributes aside: op, domain and inputs.
struct Key {
  std::string op, domain;
  std::vector<const Tensor*> inputs;
  auto operator<=>(const Key&) const = default;
};

Key key_of(const Node& n) {
  Key k{n.op_type, is_default_domain(n.domain) ? "" : n.domain, {}};
  for (const TensorPtr& t : n.inputs()) k.inputs.push_back(t.get());
  if (commutative(n)) std::sort(k.inputs.begin(), k.inputs.end());
  return k;
}

class EliminateCommonSubexpressions : public Pass {
 public:
  std::string name() const override { return "eliminate-common-subexpressions"; }
  std::string description() const override {
    return "merge nodes with the same op, attributes and inputs (commutative ops in any order)";
  }

  PassResult run(Model& model, const PassOptions&) override {
    result_ = {};
    merged_.clear();
    for_each_graph(*model.graph, [&](Graph& g) {
      // Merging rewires readers, which may make more nodes equal: sweep until none does.
      for (size_t sweep = 0; sweep < 16 && sweep_graph(g); ++sweep) {
      }
    });
    if (!merged_.empty()) {
      std::string s = "merged";
      for (const auto& [op, n] : merged_) s += " " + std::to_string(n) + " " + op + ",";
      s.pop_back();
      result_.notes.insert(result_.notes.begin(), s + " into equal earlier nodes");
    }
    return std::move(result_);
  }

 private:
  // One pass over the nodes in order; whether it merged any.
  bool sweep_graph(Graph& g) {
    std::vector<Node*> nodes;
    for (const auto& n : g.nodes()) nodes.push_back(n.get());
    std::map<Key, std::vector<Node*>> seen;
    std::set<const Node*> removed;
    bool changed = false;
    for (Node* node : nodes) {
      if (removed.count(node) || !eligible(*node)) continue;
      std::vector<Node*>& same_key = seen[key_of(*node)];
      Node* keep = nullptr;
      for (Node* k : same_key) {
        if (k->outputs().size() == node->outputs().size() && same_attributes(*k, *node)) {
          keep = k;
          break;
        }
      }
      const std::string op = node->op_type;
      if (keep && merge(g, *node, *keep)) {
        removed.insert(node);
        ++merged_[op];
        ++result_.changes;
        changed = true;
      } else {
        same_key.push_back(node);
      }
    }
    return changed;
  }

  // Removes `dup`, its readers reading `keep`'s outputs; false (nothing changed) if it must stay.
  bool merge(Graph& g, Node& dup, Node& keep) {
    Change change{.remove = {&dup}};
    std::vector<TensorPtr> gone;  // tensors that stop being defined
    std::vector<const Node*> except{&dup};
    for (size_t i = 0; i < dup.outputs().size(); ++i) {
      const TensorPtr d = dup.output(i), k = keep.output(i);
      if (!d) continue;
      const bool d_out = is_graph_output(g, d.get());
      if (!k) {
        if (d_out || !d->consumers().empty()) return false;  // keep does not compute output i
        continue;
      }
      if (!d_out) {
        // A subgraph passing d out as it is has no consumer link to rewire: leave dup.
        if (is_passed_out(g, d.get())) return false;
        add_readers(*d, k, change);  // its readers read keep's output
        gone.push_back(d);
        continue;
      }
      // d is a graph output: keep writes it, and keep's readers read it.
      if (is_passed_out(g, k.get())) {
        note("kept " + dup.describe() + ": it equals " + keep.describe() + " but both give graph outputs");
        return false;
      }
      change.node_outputs.push_back({&keep, i, d});
      add_readers(*k, d, change);
      gone.push_back(k);
    }
    try {
      apply_change(g, std::move(change));
    } catch (const Error& e) {
      note("kept " + dup.describe() + ": " + e.what());
      return false;
    }
    for (const TensorPtr& t : gone) forget_value_info(g, t.get());
    return true;
  }

  // Sweeps repeat: each refusal is told once.
  void note(const std::string& s) {
    if (std::find(result_.notes.begin(), result_.notes.end(), s) == result_.notes.end()) result_.notes.push_back(s);
  }

  static void add_readers(const Tensor& from, const TensorPtr& to, Change& change) {
    std::set<Node*> seen;
    for (Node* reader : from.consumers()) {
      if (!seen.insert(reader).second) continue;
      for (size_t i = 0; i < reader->inputs().size(); ++i) {
        if (reader->input(i).get() == &from) change.node_inputs.push_back({reader, i, to});
      }
    }
  }

  PassResult result_;
  std::map<std::string, size_t> merged_;
};

}  // namespace

GRAFT_PASS(EliminateCommonSubexpressions);

}  // namespace graft::folding
