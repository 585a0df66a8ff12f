#pragma once
// Folding a per-output-channel affine map  y -> y * scale[c] + shift[c]  into the constant
// weight and bias of the node computing y: Conv, ConvTranspose, Gemm, and MatMul (which
// becomes a Gemm). Shared by fold-batchnorm and fold-scale-into-conv; not a pass itself.
//
// The arithmetic is done in double on the stored values and rounded once to the weight's
// type (float32 or float64; other types are refused).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "surgeon/graph.h"

namespace graft::folding {

// A node whose output channels can take a fold, with what the fold needs to know.
struct ChannelFoldTarget {
  enum class Kind { kConv, kConvTranspose, kGemm, kMatMul } kind = Kind::kConv;
  Node* node = nullptr;
  TensorPtr weight, bias;            // bias: null when the node has none
  TensorDataPtr weight_data, bias_data;
  int64_t channels = 0;              // output channels (Conv) or output features (Gemm, MatMul)
  size_t output_rank = 0;            // rank of the node's output
  DataType dtype = DataType::kUndefined;
};

// Checks that `node` (in `g`, under default-domain opset `opset`) is a Conv, ConvTranspose,
// Gemm or MatMul whose weight (input 1) and bias (input 2, when present) are constants of
// float32/float64 read by no other node, of the shapes the op requires; MatMul needs a
// rank-2 first input and a rank-2 weight (its output channels are then the last axis).
// Returns the target, or sets `why_not` to a sentence saying what is wrong.
std::optional<ChannelFoldTarget> channel_fold_target(const Graph& g, Node& node, int64_t opset, std::string& why_not);

// Replaces `target.node` and `reader` (the node reading the target's output that is being
// folded in, e.g. the BatchNormalization) by one node that computes
//   reader's output 0 = target(x) * scale[c] + shift[c]
// `scale` has target.channels entries; `shift` is empty (no shift) or has that many.
// Weights and biases that are initializers get their new values in place (same names);
// others (Constant outputs, a bias to create) become new initializers. A MatMul becomes a
// Gemm with the same name; a Gemm's beta becomes 1. Throws an Error, changing nothing, if
// the graph edit is refused.
void apply_channel_fold(Graph& g, const ChannelFoldTarget& target, Node& reader, const std::vector<double>& scale,
                        const std::vector<double>& shift);

// Whether `t` is read by `reader` only (once) and is no output of any graph of the model
// tree (subgraph outputs included).
bool only_reader_is(const Graph& g, const Tensor& t, const Node& reader);

// A float32/float64 tensor of `dims` holding `values` (rounded to float32 for kFloat).
TensorDataPtr make_float_data(DataType dtype, std::vector<int64_t> dims, const std::vector<double>& values);

// Whether the constant's bytes are all there for its dtype and dims (external data loaded).
bool values_loaded(const TensorData& data);
// The values of a constant as doubles; nullopt for types value_at cannot read or when the
// bytes do not hold every element.
std::optional<std::vector<double>> values_as_doubles(const TensorData& data);

}  // namespace graft::folding
