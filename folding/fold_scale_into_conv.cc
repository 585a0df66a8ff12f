// fold-scale-into-conv: a Mul by a constant, or an Add of a constant, right after a Conv,
// ConvTranspose or Gemm folds into that node's weight and bias when the constant holds one
// value per output channel (or one value in all):
//   Mul: w'[c] = w[c] * s[c], b'[c] = b[c] * s[c]      Add: b'[c] = b[c] + t[c]
// (computed in double, rounded once; Add creates a missing bias; a Gemm's beta becomes 1).
// A Mul then an Add (x * scale + shift, as exporters write a frozen affine/BN) fold one
// after the other. The folded node writes the Mul's / Add's output, so its name, readers
// and graph-output place stay.
// Precondition: opset >= 7 (numpy broadcasting); the producer's output is read by the
// Mul/Add only and is no graph output; the producer's weight (and bias) are float32/float64
// constants no other node reads; the other operand is a constant of the same dtype whose
// shape, right-aligned with the output ([N, C, spatial...] for Conv, [N, C] for Gemm), is 1
// everywhere but possibly C on the channel axis: for a 2-D Conv that is [C, 1, 1],
// [1, C, 1, 1] or one value; for Gemm [C], [1, C] or one value. A [C] constant after a Conv
// is refused: numpy broadcasting lines it up with the last spatial axis, not the channels.
#include <set>

#include "folding/channel_fold.h"
#include "folding/pass.h"
#include "surgeon/error.h"
#include "surgeon/find.h"
#include "surgeon/rewriter.h"

namespace graft::folding {
namespace {

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// The constant's value for each of `channels` output channels of an output of rank
// `rank` (channel axis 1), or why it is not a per-channel constant.
std::optional<std::vector<double>> per_channel(const TensorData& c, size_t rank, int64_t channels, std::string& why_not) {
  const std::vector<int64_t>& d = c.dims;
  const std::string what = "the constant's shape " + dims_text(d) + " is ";
  if (d.size() > rank) {
    why_not = what + "of higher rank than the output's " + std::to_string(rank);
    return std::nullopt;
  }
  bool per_c = false;
  for (size_t i = 0; i < d.size(); ++i) {
    const size_t axis = rank - d.size() + i;
    if (d[i] == 1) continue;
    if (axis == 1 && d[i] == channels) {
      per_c = true;
      continue;
    }
    why_not = what + "not one value per channel on axis 1 of a rank-" + std::to_string(rank) + " output with " +
              std::to_string(channels) + " channels";
    return std::nullopt;
  }
  std::optional<std::vector<double>> v = values_as_doubles(c);
  if (!v) {
    why_not = "the constant's values cannot be read";
    return std::nullopt;
  }
  if (!per_c) return std::vector<double>(static_cast<size_t>(channels), v->at(0));
  return v;
}

class FoldScaleIntoConv : public Pass {
 public:
  std::string name() const override { return "fold-scale-into-conv"; }
  std::string description() const override {
    return "fold a per-channel constant Mul / Add after a Conv, ConvTranspose or Gemm into its weights and bias";
  }

  PassResult run(Model& model, const PassOptions&) override {
    PassResult result;
    std::set<std::string> refusals;
    const int64_t opset = model.opset("");
    std::vector<RewriteRule> rules;
    for (const char* op : {"Mul", "Add"}) {
      Pattern p;
      PatternValue x = p.any(), w = p.any(), b = p.optional(), k = p.constant();
      PatternValue producer = p.op_any_of({"Conv", "ConvTranspose", "Gemm"}, {x, w, b}).single_use();
      p.op(op, {producer, k}).commutative();
      const bool is_mul = std::string(op) == "Mul";
      rules.push_back({std::string("fold ") + op, std::move(p), [&, producer, k, is_mul](Graph& g, const Match& m) {
                         Node& reader = *m.root();
                         Node& node = *m.node(producer);
                         if (!is_default_domain(reader.domain)) return false;
                         auto refuse = [&](const std::string& why) {
                           refusals.insert("kept " + reader.describe() + " after " + node.describe() + ": " + why);
                           return false;
                         };
                         if (opset < 7) return refuse("before opset 7 Mul/Add broadcast with legacy attributes");
                         std::string why_not;
                         std::optional<ChannelFoldTarget> target = channel_fold_target(g, node, opset, why_not);
                         if (!target) return refuse(why_not);
                         TensorDataPtr c = m.values(k);
                         if (c->dtype != target->dtype) {
                           return refuse("the constant '" + m.tensor(k)->name + "' is " + dtype_name(c->dtype) +
                                         ", the weight " + dtype_name(target->dtype));
                         }
                         std::optional<std::vector<double>> v =
                             per_channel(*c, target->output_rank, target->channels, why_not);
                         if (!v) return refuse(why_not);
                         const std::vector<double> ones(v->size(), 1.0);
                         const std::string note = "folded " + reader.describe() + " into " + node.describe();
                         try {
                           if (is_mul) apply_channel_fold(g, *target, reader, *v, {});
                           else apply_channel_fold(g, *target, reader, ones, *v);
                         } catch (const Error& e) {
                           return refuse(e.what());
                         }
                         result.notes.push_back(note);
                         return true;
                       }});
    }
    RewriteReport report = apply_rules(*model.graph, rules);
    result.changes = report.total();
    result.notes.insert(result.notes.end(), refusals.begin(), refusals.end());
    return result;
  }
};

}  // namespace

GRAFT_PASS(FoldScaleIntoConv);

}  // namespace graft::folding
