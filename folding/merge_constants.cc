// merge-constants: constants with the same dtype, dims and bytes (or strings) become one
// tensor: the readers of each duplicate read the first of them instead (initializers
// before Constant node outputs), and the duplicate initializer or Constant node goes.
// Precondition: a constant is an initializer that is not also a graph input (a caller may
// feed those), or the output of a Constant node (value, value_float(s), value_int(s), ...).
// Left alone: sparse constants, duplicates that are graph outputs (their name is the
// model's interface) or subgraph outputs, and constants whose bytes do not match their
// dims. Each graph (subgraphs included) merges its own constants.
#include <algorithm>
#include <functional>
#include <set>
#include <unordered_map>

#include "folding/pass.h"
#include "folding/pass_util.h"
#include "surgeon/change.h"
#include "surgeon/error.h"
#include "surgeon/find.h"

namespace graft::folding {
namespace {

bool well_formed(const TensorData& d) {
  std::optional<int64_t> n = d.num_elements();
  if (!n) return false;
  if (d.dtype == DataType::kString) return d.strings.size() == static_cast<size_t>(*n);
  std::optional<uint64_t> bytes = dtype_storage_bytes(d.dtype, static_cast<uint64_t>(*n));
  return bytes && d.bytes.size() == *bytes;
}

bool same_values(const TensorData& a, const TensorData& b) {
  return a.dtype == b.dtype && a.dims == b.dims && a.bytes == b.bytes && a.strings == b.strings;
}

size_t hash_of(const TensorData& d) {
  size_t h = std::hash<std::string_view>()(d.bytes.view());
  h = h * 31 + static_cast<size_t>(d.dtype);
  for (int64_t v : d.dims) h = h * 31 + static_cast<size_t>(v);
  for (const std::string& s : d.strings) h = h * 31 + std::hash<std::string>()(s);
  return h;
}

class MergeConstants : public Pass {
 public:
  std::string name() const override { return "merge-constants"; }
  std::string description() const override { return "make constants with equal dtype, dims and values one tensor"; }

  PassResult run(Model& model, const PassOptions&) override {
    result_ = {};
    merged_ = 0;
    for_each_graph(*model.graph, [&](Graph& g) { merge_in(g); });
    if (merged_) result_.notes.insert(result_.notes.begin(), "merged " + std::to_string(merged_) + " duplicate constants");
    return std::move(result_);
  }

 private:
  struct Constant {
    TensorPtr tensor;
    TensorDataPtr data;
    Node* node = nullptr;  // the Constant node, or null for an initializer
  };

  void merge_in(Graph& g) {
    std::vector<Constant> constants;
    for (const TensorPtr& t : g.initializers) {
      if (t->data && !holds(g.inputs, t.get()) && well_formed(*t->data)) constants.push_back({t, t->data, nullptr});
    }
    for (const auto& n : g.nodes()) {
      if (!is_onnx_op(*n, "Constant") || n->outputs().size() != 1 || !n->output(0)) continue;
      TensorDataPtr data = constant_value(g, *n->output(0));
      if (data && well_formed(*data)) constants.push_back({n->output(0), data, n.get()});
    }
    std::unordered_map<size_t, std::vector<size_t>> by_hash;  // -> indices of kept constants
    for (size_t i = 0; i < constants.size(); ++i) {
      std::vector<size_t>& kept = by_hash[hash_of(*constants[i].data)];
      auto same = std::find_if(kept.begin(), kept.end(),
                               [&](size_t k) { return same_values(*constants[k].data, *constants[i].data); });
      if (same == kept.end() || !merge(g, constants[i], constants[*same])) kept.push_back(i);
    }
  }

  // Makes the readers of `dup` read `keep`; false (nothing changed) when `dup` must stay.
  bool merge(Graph& g, const Constant& dup, const Constant& keep) {
    const TensorPtr& t = dup.tensor;
    if (is_passed_out(g, t.get())) return false;  // a graph output or a subgraph's output: its name is needed
    Change change;
    if (dup.node) change.remove.push_back(dup.node);
    std::set<Node*> seen;
    for (Node* reader : t->consumers()) {
      if (!seen.insert(reader).second) continue;
      for (size_t i = 0; i < reader->inputs().size(); ++i) {
        if (reader->input(i) == t) change.node_inputs.push_back({reader, i, keep.tensor});
      }
    }
    try {
      apply_change(g, std::move(change));
    } catch (const Error& e) {
      result_.notes.push_back("kept constant '" + t->name + "': " + e.what());
      return false;
    }
    if (!dup.node) g.initializers.erase(std::find(g.initializers.begin(), g.initializers.end(), t));
    forget_value_info(g, t.get());
    ++merged_;
    ++result_.changes;
    return true;
  }

  PassResult result_;
  size_t merged_ = 0;
};

}  // namespace

GRAFT_PASS(MergeConstants);

}  // namespace graft::folding
