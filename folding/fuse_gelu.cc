// fuse-gelu (opt-in): Gelu as exporters decompose it becomes one Gelu node (opset >= 20)
// that writes the last node's output (its name, readers and graph-output place stay):
//   erf form:   0.5 * x * (1 + Erf(x / sqrt(2)))                  -> Gelu(x)
//               (x / sqrt(2) also as x * (1 / sqrt(2)))
//   tanh form:  0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
//                                                                 -> Gelu(x, approximate="tanh")
//               (x^3 as Pow(x, 3) or x * (x * x))
// in every operand order of the Muls and Adds, and with the three products grouped as
// (x * h) * E, (x * E) * h or x * (E * h) (h = 0.5, E = 1 + Erf/Tanh(...)).
// Precondition: default-domain opset >= 20; x is float32/float64/float16/bfloat16; the
// constants hold one value each, within 1e-6 (relative) of 0.5, 1, sqrt(2), 1/sqrt(2),
// 3, 0.044715 and sqrt(2/pi), and have rank 0 or no more than x's (known) rank, so nothing
// broadcasts to a bigger shape; every intermediate is read only inside the pattern and is
// no graph output.
#include <cmath>
#include <set>

#include "folding/pass.h"
#include "surgeon/edit.h"
#include "surgeon/error.h"
#include "surgeon/find.h"
#include "surgeon/rewriter.h"

namespace graft::folding {
namespace {

ValuesCheck near(double expected) {
  return [expected](const TensorData& d) {
    if (d.num_elements() != 1) return false;
    std::optional<double> v = value_at(d, 0);
    return v && std::abs(*v - expected) <= 1e-6 * std::abs(expected);
  };
}

bool is_float_like(DataType t) {
  return t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16 || t == DataType::kBfloat16;
}

enum class Inner { kErfDiv, kErfMul, kTanhPow, kTanhMul };
enum class Grouping { kXHthenE, kXEthenH, kXtimesEH };

class FuseGelu : public Pass {
 public:
  std::string name() const override { return "fuse-gelu"; }
  std::string description() const override {
    return "fuse the erf and tanh Gelu decompositions into Gelu (opset >= 20)";
  }
  bool opt_in() const override { return true; }

  PassResult run(Model& model, const PassOptions&) override {
    PassResult result;
    if (model.opset("") < 20) return result;
    std::set<std::string> refusals;
    std::vector<RewriteRule> rules;
    for (Inner inner : {Inner::kErfDiv, Inner::kErfMul, Inner::kTanhPow, Inner::kTanhMul}) {
      for (Grouping grouping : {Grouping::kXHthenE, Grouping::kXEthenH, Grouping::kXtimesEH}) {
        rules.push_back(rule(inner, grouping, result, refusals));
      }
    }
    RewriteReport report = apply_rules(*model.graph, rules);
    result.changes = report.total();
    result.notes.insert(result.notes.end(), refusals.begin(), refusals.end());
    return result;
  }

 private:
  static RewriteRule rule(Inner inner, Grouping grouping, PassResult& result, std::set<std::string>& refusals) {
    Pattern p;
    std::vector<PatternValue> consts;
    auto constant = [&](double v) {
      PatternValue c = p.constant().values(near(v));
      consts.push_back(c);
      return c;
    };
    PatternValue x = p.any();
    const bool tanh = inner == Inner::kTanhPow || inner == Inner::kTanhMul;
    auto cube_of_x = [&] {
      if (inner == Inner::kTanhPow) return p.op("Pow", {x, constant(3.0)}).single_use();
      PatternValue xx = p.op("Mul", {x, x}).single_use();
      return p.op("Mul", {x, xx}).commutative().single_use();
    };
    auto activation = [&] {
      if (inner == Inner::kErfDiv) return p.op("Erf", {p.op("Div", {x, constant(std::sqrt(2.0))}).single_use()}).single_use();
      if (inner == Inner::kErfMul) {
        return p.op("Erf", {p.op("Mul", {x, constant(1 / std::sqrt(2.0))}).commutative().single_use()}).single_use();
      }
      PatternValue scaled_cube = p.op("Mul", {cube_of_x(), constant(0.044715)}).commutative().single_use();
      PatternValue inner_sum = p.op("Add", {x, scaled_cube}).commutative().single_use();
      PatternValue arg = p.op("Mul", {inner_sum, constant(std::sqrt(2.0 / M_PI))}).commutative().single_use();
      return p.op("Tanh", {arg}).single_use();
    };
    PatternValue act = activation();
    PatternValue e = p.op("Add", {act, constant(1.0)}).commutative().single_use();
    PatternValue half = constant(0.5);
    switch (grouping) {
      case Grouping::kXHthenE: p.op("Mul", {p.op("Mul", {x, half}).commutative().single_use(), e}).commutative(); break;
      case Grouping::kXEthenH: p.op("Mul", {p.op("Mul", {x, e}).commutative().single_use(), half}).commutative(); break;
      case Grouping::kXtimesEH: p.op("Mul", {x, p.op("Mul", {e, half}).commutative().single_use()}).commutative(); break;
    }
    std::string name = std::string("Gelu ") + (tanh ? "tanh" : "erf") + " #" + std::to_string(int(inner)) + "." +
                       std::to_string(int(grouping));
    return {name, std::move(p), [=, &result, &refusals](Graph& g, const Match& m) {
              for (Node* n : m.nodes()) {
                if (!is_default_domain(n->domain)) return false;
              }
              const TensorPtr& xt = m.tensor(x);
              auto refuse = [&](const std::string& why) {
                refusals.insert("kept the Gelu pattern ending at " + m.root()->describe() + ": " + why);
                return false;
              };
              const DataType dtype = xt->dtype();
              if (!is_float_like(dtype)) return refuse("'" + xt->name + "' is " + dtype_name(dtype) + ", not a float type");
              const Shape shape = xt->shape();
              for (PatternValue c : consts) {
                const size_t r = m.values(c)->dims.size();
                if (r > 0 && (!shape.has_rank() || r > shape.rank())) {
                  return refuse("the constant '" + m.tensor(c)->name + "' may broadcast '" + xt->name + "' (shape " +
                                shape.str() + ") to a bigger shape");
                }
              }
              const std::string gelu_name = unique_node_name(g, "Gelu");
              NodeSpec spec{"Gelu", gelu_name, "", {xt}, {m.root()->output(0)}, {}};
              if (tanh) spec.attributes.push_back(Attribute::of_string("approximate", "tanh"));
              const std::string note = "fused " + std::to_string(m.nodes().size()) + " nodes ending at " +
                                       m.root()->describe() + " into Gelu '" + gelu_name + "'" +
                                       (tanh ? " (approximate=tanh)" : "");
              try {
                replace_subgraph(g, m.nodes(), {std::move(spec)});
              } catch (const Error& e) {
                return refuse(e.what());
              }
              result.notes.push_back(note);
              return true;
            }};
  }
};

}  // namespace

GRAFT_PASS(FuseGelu);

}  // namespace graft::folding
