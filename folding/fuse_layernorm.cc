// fuse-layernorm (opt-in): LayerNorm over the last axis as exporters decompose it below
// opset 17,
//   mean = ReduceMean(x, [-1]);  xc = Sub(x, mean);  sq = Pow(xc, 2) or Mul(xc, xc);
//   var = ReduceMean(sq, [-1]);  std = Sqrt(Add(var, eps));
//   norm = Div(xc, std) or Mul(xc, Reciprocal(std));  [Mul(norm, gamma)];  [Add(.., beta)]
// becomes one LayerNormalization(x, gamma, beta, axis=-1, epsilon=eps) that writes the last
// node's output (its name, readers and graph-output place stay). A missing gamma becomes
// ones, a missing beta zeros; a gamma/beta of one value is spread over the axis.
// Precondition: default-domain opset >= 17; x is float32/float64/float16/bfloat16 of known
// rank with a fixed last dim D; both ReduceMeans reduce exactly the last axis with keepdims
// (axes attribute before opset 18, constant axes input from 18); eps, the exponent 2, gamma
// and beta are constants of x's dtype no wider than x's rank (so nothing broadcasts to a
// bigger shape), gamma and beta 1 everywhere but the last dim (D or 1); every intermediate
// is read only inside the pattern and is no graph output. Gamma/beta that do not fit are
// left as their own Mul/Add after the LayerNormalization.
#include <cstring>
#include <set>

#include "folding/pass.h"
#include "surgeon/edit.h"
#include "surgeon/error.h"
#include "surgeon/find.h"
#include "surgeon/rewriter.h"

namespace graft::folding {
namespace {

bool is_float_like(DataType t) {
  return t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16 || t == DataType::kBfloat16;
}

// `count` copies of one element of `dtype`: 1 (one = true) or 0.
TensorDataPtr filled(DataType dtype, int64_t count, bool one) {
  auto data = std::make_shared<TensorData>();
  data->dtype = dtype;
  data->dims = {count};
  const size_t size = static_cast<size_t>(dtype_bits(dtype) / 8);
  std::string element(size, '\0');
  if (one) {
    const float f = 1.0f;
    const double d = 1.0;
    const uint16_t h = 0x3C00, bf = 0x3F80;
    if (dtype == DataType::kFloat) std::memcpy(element.data(), &f, 4);
    if (dtype == DataType::kDouble) std::memcpy(element.data(), &d, 8);
    if (dtype == DataType::kFloat16) std::memcpy(element.data(), &h, 2);
    if (dtype == DataType::kBfloat16) std::memcpy(element.data(), &bf, 2);
  }
  std::string bytes;
  for (int64_t i = 0; i < count; ++i) bytes += element;
  data->bytes = Bytes::adopt(std::move(bytes));
  return data;
}

// `data` (D values, or one) as a [D] tensor.
TensorDataPtr as_vector(const TensorData& data, int64_t d) {
  auto out = std::make_shared<TensorData>();
  out->dtype = data.dtype;
  out->dims = {d};
  if (data.num_elements() == d) {
    out->bytes = data.bytes;
  } else {
    std::string bytes;
    for (int64_t i = 0; i < d; ++i) bytes += std::string(data.bytes.view());
    out->bytes = Bytes::adopt(std::move(bytes));
  }
  return out;
}

class FuseLayerNorm : public Pass {
 public:
  std::string name() const override { return "fuse-layernorm"; }
  std::string description() const override {
    return "fuse the ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div(/Mul/Add) LayerNorm decomposition into LayerNormalization (opset >= 17)";
  }
  bool opt_in() const override { return true; }

  PassResult run(Model& model, const PassOptions&) override {
    PassResult result;
    opset_ = model.opset("");
    if (opset_ < 17) return result;
    refusals_.clear();
    std::vector<RewriteRule> rules;
    for (bool pow : {true, false}) {
      for (bool div : {true, false}) rules.push_back(rule(pow, div, result));
    }
    RewriteReport report = apply_rules(*model.graph, rules);
    result.changes = report.total();
    result.notes.insert(result.notes.end(), refusals_.begin(), refusals_.end());
    return result;
  }

 private:
  struct Values {
    PatternValue x, mean, var, eps, two;
    bool pow;
  };

  RewriteRule rule(bool pow, bool div, PassResult& result) {
    Pattern p;
    PatternValue x = p.any();
    PatternValue mean = p.op("ReduceMean", {x, p.optional()}).single_use();
    PatternValue xc = p.op("Sub", {x, mean}).single_use();
    PatternValue two = p.constant().values(single_value());
    PatternValue sq = (pow ? p.op("Pow", {xc, two}) : p.op("Mul", {xc, xc})).single_use();
    PatternValue var = p.op("ReduceMean", {sq, p.optional()}).single_use();
    PatternValue eps = p.constant().values(single_value());
    PatternValue ve = p.op("Add", {var, eps}).commutative().single_use();
    PatternValue sd = p.op("Sqrt", {ve}).single_use();
    if (div) {
      p.op("Div", {xc, sd});
    } else {
      PatternValue rec = p.op("Reciprocal", {sd}).single_use();
      p.op("Mul", {xc, rec}).commutative();
    }
    Values v{x, mean, var, eps, two, pow};
    std::string name = std::string("LayerNorm ") + (pow ? "Pow" : "Mul") + (div ? "/Div" : "/Reciprocal");
    return {name, std::move(p), [this, v, &result](Graph& g, const Match& m) { return fuse(g, m, v, result); }};
  }

  bool fuse(Graph& g, const Match& m, const Values& v, PassResult& result) {
    for (Node* n : m.nodes()) {
      if (!is_default_domain(n->domain)) return false;
    }
    const TensorPtr& x = m.tensor(v.x);
    auto refuse = [&](const std::string& why) {
      refusals_.insert("kept the LayerNorm pattern from " + m.node(v.mean)->describe() + " to " + m.root()->describe() +
                       ": " + why);
      return false;
    };
    const DataType dtype = x->dtype();
    if (!is_float_like(dtype)) return refuse("its input '" + x->name + "' is " + dtype_name(dtype) + ", not a float type");
    const Shape shape = x->shape();
    if (!shape.has_rank() || shape.rank() == 0 || !shape.dims().back().is_fixed()) {
      return refuse("its input '" + x->name + "' has shape " + shape.str() + " (a fixed last dim is needed)");
    }
    const size_t rank = shape.rank();
    const int64_t d = shape.dims().back().value;
    for (PatternValue r : {v.mean, v.var}) {
      std::string why = reduces_last_axis(g, *m.node(r), rank);
      if (!why.empty()) return refuse(why);
    }
    std::vector<PatternValue> consts = {v.eps};
    if (v.pow) consts.push_back(v.two);
    for (PatternValue c : consts) {
      TensorDataPtr data = m.values(c);
      if (data->dims.size() > rank) return refuse("the constant '" + m.tensor(c)->name + "' has a higher rank than x");
      if (data->dtype != dtype && c.id() == v.eps.id()) return refuse("eps is not " + dtype_name(dtype));
    }
    if (v.pow && value_at(*m.values(v.two), 0) != 2.0) return refuse("the exponent is not 2");
    const std::optional<double> eps = value_at(*m.values(v.eps), 0);
    if (!eps || !(*eps >= 0)) return refuse("eps is not a non-negative number");

    // Gamma and beta: a single-reader Mul, then Add, by a fitting constant.
    std::vector<Node*> nodes = m.nodes();
    TensorPtr out = m.root()->output(0);
    TensorPtr gamma = affine_operand(g, out, "Mul", dtype, rank, d, nodes);
    TensorPtr beta = affine_operand(g, out, "Add", dtype, rank, d, nodes);

    const std::string ln_name = unique_node_name(g, "LayerNormalization");
    std::vector<TensorPtr> added;
    // A [D] initializer is read as it is; other constants become [D] initializers.
    auto param = [&](const TensorPtr& t, bool one, const std::string& suffix) {
      if (t && !t->producer() && t->data && t->data->dims == std::vector<int64_t>{d}) return t;
      TensorDataPtr data = t ? as_vector(*constant_value(g, *t), d) : filled(dtype, d, one);
      TensorPtr fresh = Tensor::constant(unique_tensor_name(g, t ? t->name : ln_name + suffix), std::move(data));
      g.initializers.push_back(fresh);
      added.push_back(fresh);
      return fresh;
    };
    TensorPtr scale_t = param(gamma, true, "_scale");
    TensorPtr bias_t = param(beta, false, "_bias");
    NodeSpec spec{"LayerNormalization", ln_name, "", {x, scale_t, bias_t}, {out},
                  {Attribute::of_int("axis", -1), Attribute::of_float("epsilon", static_cast<float>(*eps))}};
    if (dtype == DataType::kDouble) spec.attributes.push_back(Attribute::of_int("stash_type", 11));
    const std::string note = "fused " + std::to_string(nodes.size()) + " nodes from " + m.node(v.mean)->describe() +
                             " to " + nodes.back()->describe() + " into LayerNormalization '" + ln_name + "'";
    try {
      replace_subgraph(g, nodes, {std::move(spec)});
    } catch (const Error& e) {
      std::erase_if(g.initializers, [&](const TensorPtr& t) { return holds(added, t.get()); });
      return refuse(e.what());
    }
    result.notes.push_back(note);
    return true;
  }

  // "" when the ReduceMean `n` reduces exactly axis rank-1 and keeps it.
  std::string reduces_last_axis(const Graph& g, const Node& n, size_t rank) const {
    const Attribute* keep = n.attr("keepdims");
    if (keep && keep->i != 1) return n.describe() + " drops the reduced axis (keepdims=0)";
    std::vector<int64_t> axes;
    if (opset_ < 18) {
      const Attribute* a = n.attr("axes");
      if (n.input(1) || !a) return n.describe() + " does not reduce the last axis alone";
      axes = a->ints;
    } else {
      TensorDataPtr c = n.input(1) ? constant_value(g, *n.input(1)) : nullptr;
      if (!c || (c->dtype != DataType::kInt64 && c->dtype != DataType::kInt32)) {
        return n.describe() + " has no constant axes";
      }
      for (size_t i = 0; i < static_cast<size_t>(c->num_elements().value_or(0)); ++i) {
        axes.push_back(static_cast<int64_t>(*value_at(*c, i)));
      }
    }
    if (axes.size() != 1 || (axes[0] != -1 && axes[0] != static_cast<int64_t>(rank) - 1)) {
      return n.describe() + " does not reduce the last axis alone";
    }
    return "";
  }

  // If the only reader of `out` is an `op_type` (Mul/Add) whose other input is a constant
  // that fits a [D] LayerNormalization parameter, takes it into `nodes`, moves `out` to its
  // output and returns the constant; otherwise null.
  static TensorPtr affine_operand(const Graph& g, TensorPtr& out, const char* op_type, DataType dtype, size_t rank,
                                      int64_t d, std::vector<Node*>& nodes) {
    if (out->consumers().size() != 1) return nullptr;
    Node* n = out->consumers()[0];
    if (n->op_type != op_type || !is_default_domain(n->domain) || n->inputs().size() != 2 || n->outputs().size() != 1) {
      return nullptr;
    }
    bool output = false;
    for_each_graph(root_of(g), [&](const Graph& s) { output = output || holds(s.outputs, out.get()); });
    if (output) return nullptr;
    const TensorPtr& other = n->input(0) == out ? n->input(1) : n->input(0);
    if (!other || other == out) return nullptr;
    TensorDataPtr c = constant_value(g, *other);
    if (!c || c->dtype != dtype || c->dims.size() > rank) return nullptr;
    for (size_t i = 0; i + 1 < c->dims.size(); ++i) {
      if (c->dims[i] != 1) return nullptr;
    }
    const std::optional<int64_t> count = c->num_elements();
    const std::optional<uint64_t> bytes = count ? dtype_storage_bytes(dtype, static_cast<uint64_t>(*count)) : std::nullopt;
    if (!count || (*count != d && *count != 1) || !bytes || c->bytes.size() != *bytes) return nullptr;
    nodes.push_back(n);
    out = n->output(0);
    return other;
  }

  int64_t opset_ = 0;
  std::set<std::string> refusals_;
};

}  // namespace

GRAFT_PASS(FuseLayerNorm);

}  // namespace graft::folding
