// fold-batchnorm: a BatchNormalization in inference form after a Conv, ConvTranspose, Gemm
// or MatMul folds into that node's weight and bias:
//   w'[c] = w[c] * a[c],  b'[c] = (b[c] - mean[c]) * a[c] + beta[c],  a = scale / sqrt(var + eps)
// (computed in double, rounded once to the weight's type; a missing bias is created; a
// MatMul becomes a Gemm with that bias). The folded node then writes the
// BatchNormalization's output, so its name, readers and graph-output place stay.
// Precondition: the BatchNormalization has one output, no training mode (training_mode=1,
// or is_test=0 with several outputs before opset 7) and no spatial=0 (before opset 9); its
// scale, B, mean and var are constants of one value per output channel; the producer's
// output is read by the BatchNormalization only and is no graph output; the producer's
// weight (and bias) are float32/float64 constants that no other node reads; a MatMul reads
// a rank-2 input (so axis 1 is its output features). Anything else is left alone, including
// a BatchNormalization that no foldable node feeds.
#include <cmath>
#include <set>

#include "folding/channel_fold.h"
#include "folding/pass.h"
#include "surgeon/error.h"
#include "surgeon/find.h"
#include "surgeon/rewriter.h"

namespace graft::folding {
namespace {

class FoldBatchNorm : public Pass {
 public:
  std::string name() const override { return "fold-batchnorm"; }
  std::string description() const override {
    return "fold an inference BatchNormalization into the weights and bias of the Conv/ConvTranspose/Gemm/MatMul before it";
  }

  PassResult run(Model& model, const PassOptions&) override {
    PassResult result;
    std::set<std::string> refusals;
    const int64_t opset = model.opset("");
    Pattern p;
    PatternValue x = p.any(), w = p.any(), b = p.optional();
    PatternValue producer = p.op_any_of({"Conv", "ConvTranspose", "Gemm", "MatMul"}, {x, w, b}).single_use();
    p.op("BatchNormalization", {producer, p.constant(), p.constant(), p.constant(), p.constant()});
    RewriteRule rule{"fold BatchNormalization", std::move(p), [&, producer](Graph& g, const Match& m) {
                       Node& bn = *m.root();
                       Node& node = *m.node(producer);
                       std::string why_not = inference_form(bn, opset);
                       std::optional<ChannelFoldTarget> target;
                       if (why_not.empty()) target = channel_fold_target(g, node, opset, why_not);
                       std::vector<double> a, shift;
                       if (target && !(why_not = coefficients(g, bn, target->channels, a, shift)).empty()) target.reset();
                       if (!target) {
                         refusals.insert("kept " + bn.describe() + " after " + node.describe() + ": " + why_not);
                         return false;
                       }
                       const std::string note = "folded " + bn.describe() + " into " + node.describe() +
                                                (node.op_type == "MatMul" ? ", now a Gemm" : "");
                       try {
                         apply_channel_fold(g, *target, bn, a, shift);
                       } catch (const Error& e) {
                         refusals.insert("kept " + bn.describe() + ": " + e.what());
                         return false;
                       }
                       result.notes.push_back(note);
                       return true;
                     }};
    RewriteReport report = apply_rules(*model.graph, {rule});
    result.changes = report.total();
    result.notes.insert(result.notes.end(), refusals.begin(), refusals.end());
    return result;
  }

 private:
  // "" when `bn` computes y = (x - mean) / sqrt(var + eps) * scale + B with its inputs.
  static std::string inference_form(const Node& bn, int64_t opset) {
    for (size_t i = 1; i < bn.outputs().size(); ++i) {
      if (bn.output(i)) return "it has more than one output (training statistics)";
    }
    const Attribute* training = bn.attr("training_mode");
    if (opset >= 14 && training && training->i != 0) return "it is in training mode";
    const Attribute* spatial = bn.attr("spatial");
    if (opset < 9 && spatial && spatial->i == 0) return "spatial=0 normalizes per element, not per channel";
    return "";
  }

  // a = scale / sqrt(var + eps) and shift = B - mean * a, one per channel.
  static std::string coefficients(const Graph& g, const Node& bn, int64_t channels, std::vector<double>& a,
                                  std::vector<double>& shift) {
    std::vector<double> param[4];
    for (size_t i = 0; i < 4; ++i) {
      TensorDataPtr data = constant_value(g, *bn.input(i + 1));
      std::optional<std::vector<double>> v = data ? values_as_doubles(*data) : std::nullopt;
      if (!v) return "its input " + std::to_string(i + 1) + " is not a readable numeric constant";
      if (static_cast<int64_t>(v->size()) != channels) {
        return "its input '" + bn.input(i + 1)->name + "' has " + std::to_string(v->size()) + " values for " +
               std::to_string(channels) + " channels";
      }
      param[i] = std::move(*v);
    }
    const Attribute* e = bn.attr("epsilon");
    const double eps = e ? e->f : 1e-5f;
    a.resize(channels);
    shift.resize(channels);
    for (size_t c = 0; c < a.size(); ++c) {
      a[c] = param[0][c] / std::sqrt(param[3][c] + eps);
      shift[c] = param[1][c] - param[2][c] * a[c];
    }
    return "";
  }
};

}  // namespace

GRAFT_PASS(FoldBatchNorm);

}  // namespace graft::folding
