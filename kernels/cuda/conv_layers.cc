// Conv and ConvTranspose through cuDNN, 1 to 3 spatial dims (1-D runs as 2-D with a height
// of 1). A 2-D Conv at FP16 or TF32 reads and writes its activations channels-last (NHWC),
// its filter as KRSC: cuDNN's tensor-core kernels work in that layout, and its NCHW ones at
// those precisions are several times slower (ResNet-50's 3x3 convs on an H200). FP32, 1-D,
// 3-D and ConvTranspose stay NCHW.
//
// Conv takes in, in this order, an Add of a per-channel constant (merged into its bias), an
// Add of a same-shape tensor (the residual) and one activation:
// cudnnConvolutionBiasActivationForward computes them where it can (identity, ReLU or
// Clip(0, max) with the implicit precomputed GEMM), else the plain convolution is followed
// by one epilogue pass (kernels/cuda/epilogue.h).
//
// Two tactics of graft's own come before cuDNN's algorithms where they apply (cuDNN's legacy
// API is slow for both on Hopper): a channels-last 1x1 Conv of one group, stride 1 and no
// pads is one cuBLASLt GEMM (bias, residual and ReLU in its epilogue), and a channels-last
// depthwise Conv of a constant W runs graft's own kernel (conv.h).
//
// cuDNN pads symmetrically: pads whose begin and end differ (SAME_UPPER with stride 2, ...)
// are met by copying the input into a zero-padded workspace buffer; a ConvTranspose whose
// pads cuDNN cannot express is computed uncropped into the workspace and cropped.
#include <cublasLt.h>
#include <cudnn.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cpu/host_tensor.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/cublaslt_util.h"
#include "kernels/cuda/epilogue.h"
#include "kernels/cuda/layer.h"
#include "kernels/cuda/layer_helpers.h"
#include "surgeon/error.h"

namespace graft::cuda {
namespace {

using cpu::dims_str;

constexpr size_t kMaxAlgoWorkspace = size_t(1) << 30;
constexpr size_t kAlign = 256;

size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

void check_cudnn(cudnnStatus_t s, const std::string& what) {
  if (s != CUDNN_STATUS_SUCCESS) throw Error(what + ": " + cudnnGetErrorString(s));
}

template <typename D, cudnnStatus_t (*Create)(D*), cudnnStatus_t (*Destroy)(D)>
class Descriptor {
 public:
  Descriptor() { check_cudnn(Create(&d_), "cudnn: creating a descriptor"); }
  ~Descriptor() { Destroy(d_); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  D get() const { return d_; }

 private:
  D d_{};
};

using CudnnTensor = Descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using CudnnFilter = Descriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using CudnnConv =
    Descriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor, cudnnDestroyConvolutionDescriptor>;
using CudnnActivation =
    Descriptor<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor, cudnnDestroyActivationDescriptor>;

// Tactic names: stored in plan files, so they never change.
const char* forward_algo_name(int algo) {
  static const char* const kNames[] = {"implicit_gemm", "implicit_precomp_gemm", "gemm",     "direct",
                                       "fft",           "fft_tiling",            "winograd", "winograd_nonfused"};
  return algo >= 0 && algo < CUDNN_CONVOLUTION_FWD_ALGO_COUNT ? kNames[algo] : "unknown";
}
const char* backward_data_algo_name(int algo) {
  static const char* const kNames[] = {"bwd_data_0", "bwd_data_1", "fft", "fft_tiling", "winograd", "winograd_nonfused"};
  return algo >= 0 && algo < CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT ? kNames[algo] : "unknown";
}

// graft's own tactics, offered next to cuDNN's algorithms (ids below 0).
constexpr int kDepthwiseAlgo = -1;
const char* const kDepthwiseTactic = "depthwise_nhwc";
constexpr int kGemmAlgo = -2;
const char* const kGemmTactic = "cublaslt_gemm";
constexpr size_t kMaxGemmWorkspace = size_t(32) << 20;

struct Algo {
  int id = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  size_t workspace = 0;
  std::string name;
};

// The math type an algorithm runs with, or none when it does not suit the precision. FP32
// keeps to plain FMA (cuDNN's default math may round float data to TF32 on tensor cores);
// TF32 takes anything but the conversion of float data to half.
std::optional<cudnnMathType_t> math_for(cudnnMathType_t reported, Precision p, bool half_data) {
  if (half_data) return reported;
  if (reported == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return std::nullopt;
  if (p != Precision::kFP32) return reported;
  if (reported == CUDNN_TENSOR_OP_MATH) return std::nullopt;
  return CUDNN_FMA_MATH;
}

// The algorithms cuDNN reports as working, in its order of preference, one per id.
template <typename Perf>
std::vector<Algo> usable_algos(const Perf* perf, int n, Precision p, bool half_data, const char* (*name)(int)) {
  std::vector<Algo> out;
  for (int i = 0; i < n; ++i) {
    const Perf& r = perf[i];
    const std::optional<cudnnMathType_t> math = math_for(r.mathType, p, half_data);
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > kMaxAlgoWorkspace || !math) continue;
    const int id = static_cast<int>(r.algo);
    if (std::none_of(out.begin(), out.end(), [&](const Algo& a) { return a.id == id; })) {
      out.push_back({id, *math, r.memory, name(id)});
    }
  }
  return out;
}

cudnnDataType_t cudnn_type(NumType t) { return t == NumType::kHalf ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT; }

// Strides of a packed tensor of dims [N, C, spatial...], with C innermost when channels_last.
std::vector<int> packed_strides(const std::vector<int>& dims, bool channels_last) {
  std::vector<int> order(dims.size());  // dims from outermost to innermost
  for (size_t i = 0; i < dims.size(); ++i) order[i] = static_cast<int>(i);
  if (channels_last) std::rotate(order.begin() + 1, order.begin() + 2, order.end());
  std::vector<int> s(dims.size(), 1);
  int step = 1;
  for (size_t k = dims.size(); k-- > 0;) {
    s[order[k]] = step;
    step *= dims[order[k]];
  }
  return s;
}

void set_tensor(const CudnnTensor& d, NumType type, const std::vector<int>& dims, bool channels_last) {
  check_cudnn(cudnnSetTensorNdDescriptor(d.get(), cudnn_type(type), static_cast<int>(dims.size()), dims.data(),
                                         packed_strides(dims, channels_last).data()),
              "cudnn: tensor descriptor");
}

// A [K, C, R, S] filter (KCRS) reordered as KRSC, the layout of cuDNN's NHWC filters.
std::vector<float> to_krsc(const std::vector<float>& w, const std::vector<int64_t>& dims) {
  const int64_t k = dims[0], c = dims[1], rs = dims[2] * dims[3];
  std::vector<float> out(w.size());
  for (int64_t o = 0; o < k; ++o) {
    for (int64_t i = 0; i < c; ++i) {
      for (int64_t p = 0; p < rs; ++p) out[(o * rs + p) * c + i] = w[(o * c + i) * rs + p];
    }
  }
  return out;
}

// A depthwise [C, 1, R, S] filter as [R, S, C], the layout of depthwise_conv_nhwc.
std::vector<float> to_rsc(const std::vector<float>& w, const std::vector<int64_t>& dims) {
  const int64_t c = dims[0], rs = dims[2] * dims[3];
  std::vector<float> out(w.size());
  for (int64_t i = 0; i < c; ++i) {
    for (int64_t p = 0; p < rs; ++p) out[p * c + i] = w[i * rs + p];
  }
  return out;
}

size_t ir_rank(const Tensor* t) {
  if (!t) return 0;
  const Shape s = t->shape();
  return s.has_rank() ? s.rank() : 0;
}

int to_int(int64_t v, const std::string& what) {
  if (v < 0 || v > INT_MAX) throw Error(what + ": size " + std::to_string(v) + " is out of cuDNN's range");
  return static_cast<int>(v);
}

// The node's window attributes (ONNX names), read once.
struct ConvAttrs {
  int64_t group = 1;
  std::vector<int64_t> strides, dilations, pads, output_padding, output_shape;
  std::string auto_pad;
};

ConvAttrs read_attrs(const LayerSpec& spec) {
  const ops::NodeAttrs a = spec.attrs();
  ConvAttrs c;
  c.group = a.get_int("group", 1);
  c.strides = a.get_ints("strides");
  c.dilations = a.get_ints("dilations");
  c.pads = a.get_ints("pads");
  c.output_padding = a.get_ints("output_padding");
  c.output_shape = a.get_ints("output_shape");
  c.auto_pad = a.get_string("auto_pad", "NOTSET");
  if (c.auto_pad.empty()) c.auto_pad = "NOTSET";
  if (c.group <= 0) throw Error(spec.describe() + ": group " + std::to_string(c.group) + " must be positive");
  if (c.auto_pad != "NOTSET" && c.auto_pad != "VALID" && c.auto_pad != "SAME_UPPER" && c.auto_pad != "SAME_LOWER") {
    throw Error(spec.describe() + ": unknown auto_pad '" + c.auto_pad + "'");
  }
  return c;
}

// One spatial dim of a window: ONNX sizes and pads, and what cuDNN is given.
struct SpatialDim {
  int64_t in = 1, kernel = 1, out = 1, stride = 1, dil = 1, pad_begin = 0, pad_end = 0;
  int64_t span() const { return dil * (kernel - 1) + 1; }
};

// --------------------------------------------------------------------------------------
// What a Conv group computes after the convolution.

struct ConvFusion {
  const Tensor* bias_add = nullptr;  // a per-channel constant
  const Tensor* residual = nullptr;
  std::optional<ActivationParams> act;
};

// The Conv's rank ([N, C, spatial...]) as far as the IR tells; 0 when it does not.
size_t conv_rank(const Node& conv) {
  const Tensor* w = conv.input(1).get();
  if (w && w->data) return w->data->dims.size();
  for (const Tensor* t : {w, static_cast<const Tensor*>(conv.input(0).get())}) {
    if (t && t->shape().has_rank()) return t->shape().rank();
  }
  const std::vector<int64_t> k = ops::NodeAttrs(conv).get_ints("kernel_shape");
  return k.empty() ? 0 : k.size() + 2;
}

// The Conv's output channels as far as the IR tells; -1 when it does not.
int64_t conv_channels(const Node& conv) {
  const Tensor* w = conv.input(1).get();
  if (w && w->data && !w->data->dims.empty()) return w->data->dims[0];
  if (w && w->shape().has_rank() && w->shape().rank() > 0 && w->shape()[0].is_fixed()) return w->shape()[0].value;
  return -1;
}

// A constant that adds one value per output channel (or one in all) to a Conv of `rank`
// with `channels` output channels: dims all 1 but the channel dim, aligned from the right.
bool is_channel_constant(const Tensor& t, size_t rank, int64_t channels) {
  if (!t.data || !constant_floats(&t) || rank == 0 || channels < 0 || t.data->dims.size() > rank) return false;
  const std::vector<int64_t>& d = t.data->dims;
  const size_t channel_at = rank - 1;  // the channel axis counted from the right, +1
  for (size_t i = 0; i < d.size(); ++i) {
    const size_t from_right = d.size() - i;
    if (d[i] == 1) continue;
    if (from_right != channel_at || d[i] != channels) return false;
  }
  return true;
}

bool shapes_differ(const Tensor& a, const Tensor& b) {
  const Shape sa = a.shape(), sb = b.shape();
  return sa.is_static() && sb.is_static() && !(sa == sb);
}

// Folds `next` into the group's fusion when it fits; false when it does not.
bool add_to_fusion(const Node& conv, const Tensor* last_out, const Node& next, ConvFusion& f) {
  if (f.act) return false;
  if (const Tensor* other = other_add_input(next, last_out)) {
    if (f.residual) return false;
    const size_t rank = conv_rank(conv);
    const Tensor* b = conv.input(2).get();
    if (!f.bias_add && (!b || b->data) && is_channel_constant(*other, rank, conv_channels(conv))) {
      f.bias_add = other;
      return true;
    }
    const Shape s = other->shape();
    if (other->is_constant() && (!other->data || other->data->dims.size() != rank)) return false;
    if (s.has_rank() && rank != 0 && s.rank() != rank) return false;
    if (shapes_differ(*other, *last_out)) return false;
    f.residual = other;
    return true;
  }
  f.act = fused_activation(next);
  return f.act.has_value();
}

ConvFusion conv_fusion(const std::vector<const Node*>& nodes) {
  ConvFusion f;
  for (size_t i = 1; i < nodes.size(); ++i) {
    if (!add_to_fusion(*nodes[0], nodes[i - 1]->output(0).get(), *nodes[i], f)) {
      throw Error(nodes[i]->describe() + " cannot be fused into " + nodes[0]->describe());
    }
  }
  return f;
}

bool conv_absorbs(const std::vector<const Node*>& group, const Node& next) {
  ConvFusion f;
  for (size_t i = 1; i < group.size(); ++i) add_to_fusion(*group[0], group[i - 1]->output(0).get(), *group[i], f);
  return add_to_fusion(*group[0], group.back()->output(0).get(), next, f);
}

struct CudnnAct {
  cudnnActivationMode_t mode = CUDNN_ACTIVATION_IDENTITY;
  double coef = 0.0;
};

// The activation cudnnConvolutionBiasActivationForward applies for a fused one (none,
// Relu, Clip(0, max) as ReLU6 is); std::nullopt when the epilogue must.
std::optional<CudnnAct> cudnn_activation(const std::optional<ActivationParams>& act) {
  if (!act) return CudnnAct{};
  if (act->kind == Activation::kRelu) return CudnnAct{CUDNN_ACTIVATION_RELU, 0.0};
  if (act->kind == Activation::kClip && act->alpha == 0.0f && act->beta > 0.0f) {
    return CudnnAct{CUDNN_ACTIVATION_CLIPPED_RELU, act->beta};
  }
  return std::nullopt;
}

// --------------------------------------------------------------------------------------

class CudnnConvLayer : public Layer {
 public:
  CudnnConvLayer(const LayerSpec& spec, bool transposed)
      : spec_(spec), transposed_(transposed), attrs_(read_attrs(spec)),
        fusion_(transposed ? ConvFusion{} : conv_fusion(spec.nodes)) {
    const Node& conv = spec.main();
    for (const Tensor* t : {conv.input(0).get(), conv.input(1).get()}) {
      if (!t) throw Error(spec.describe() + " needs X and W");
      const DataType dt = t->dtype();
      if (dt != DataType::kUndefined && dt != DataType::kFloat && dt != DataType::kFloat16) float_num_type(dt, spec);
    }
    taken_.assign(spec.inputs.size(), false);
    w_index_ = input_of(conv.input(1).get());
    b_index_ = input_of(conv.input(2).get());
    residual_index_ = input_of(fusion_.residual);
    // Formats are asked per tensor by its IR rank: channels-last only when all of them agree.
    channels_last_capable_ = !transposed && ir_rank(conv.input(0).get()) == 4 && ir_rank(spec.outputs[0]) == 4 &&
                             (!fusion_.residual || ir_rank(fusion_.residual) == 4);
    const Tensor* w = conv.input(1).get();
    if (w->data) {
      w_dims_ = w->data->dims;
      take(w_index_);
    }
    const Tensor* b = conv.input(2).get();
    has_bias_ = b || fusion_.bias_add;
    bias_constant_ = (!b || b->data) && has_bias_;
    if (bias_constant_) {
      take(b_index_);
      take(input_of(fusion_.bias_add));
    }
    // Clip bounds were read from the IR.
    for (size_t i = 1; i < spec.nodes.size(); ++i) {
      if (spec.nodes[i]->op_type != "Clip") continue;
      for (size_t k = 1; k < spec.nodes[i]->inputs().size(); ++k) take(input_of(spec.nodes[i]->input(k).get()));
    }
  }

  bool supports_fp16() const override { return true; }
  bool takes_constant(size_t i) const override { return i < taken_.size() && taken_[i]; }

  // X, the residual and Y channels-last; a W that is not a constant too (an NHWC [K, C, R, S]
  // is KRSC); a constant W is reordered in load().
  Format input_format(size_t i, size_t rank) const override {
    const int k = static_cast<int>(i);
    const bool activation = k == 0 || k == residual_index_ || (k == w_index_ && !taken_[i]);
    return channels_last() && rank == 4 && activation ? Format::kChannelsLast : Format::kLinear;
  }
  Format output_format(size_t /*i*/, size_t rank) const override {
    return channels_last() && rank == 4 ? Format::kChannelsLast : Format::kLinear;
  }

  void load(const LoadContext& ctx) override {
    const Node& conv = spec_.main();
    if (taken_[w_index_]) {
      const DataType storage = input_storage(w_index_, conv.input(1)->dtype());
      const std::vector<float> w = *constant_floats(conv.input(1).get());
      w_dev_ = upload_floats(channels_last() && w_dims_.size() == 4 ? to_krsc(w, w_dims_) : w, storage, ctx);
      if (own_depthwise()) dw_weights_ = upload_floats(to_rsc(w, w_dims_), storage, ctx);
      weight_type_ = float_num_type(storage, spec_);
    }
    if (bias_constant_) {
      const DataType storage = output_storage(0, conv.input(1)->dtype());
      const std::vector<float> bias = constant_bias();
      bias_size_ = static_cast<int64_t>(bias.size());
      bias_dev_ = upload_floats(bias, storage, ctx);
    }
  }

  std::vector<std::string> tactics() const override {
    if (algos_.empty()) return {"default"};
    std::vector<std::string> names;
    for (const Algo& a : algos_) names.push_back(a.name);
    return names;
  }

  void set_tactic(const std::string& name) override {
    tactic_ = name;
    choose_algo();
  }

  void prepare(const PrepareContext& ctx) override;
  size_t workspace_bytes() const override {
    if (empty_) return 0;
    if (algos_.empty()) return scratch_bytes_;
    const Algo& a = algos_[chosen_];
    // graft's own tactics read the input unpadded.
    return a.id < 0 ? a.workspace : align_up(a.workspace) + scratch_bytes_;
  }
  void enqueue(const EnqueueContext& ctx) override;
  std::string summary() const override;

 private:
  int input_of(const Tensor* t) const { return t ? spec_.input_index(t) : -1; }
  // FP32 keeps to NCHW: cuDNN's FMA kernels are no faster channels-last.
  bool channels_last() const { return channels_last_capable_ && precision() != Precision::kFP32; }
  // A channels-last depthwise conv (one input and one output channel per group) of a
  // constant W, which graft's own kernel can run.
  bool own_depthwise() const {
    return channels_last() && w_dims_.size() == 4 && w_dims_[1] == 1 && w_dims_[0] == attrs_.group && attrs_.group > 1;
  }
  bool runs_own_depthwise() const { return !algos_.empty() && algos_[chosen_].id == kDepthwiseAlgo; }
  void run_depthwise(const EnqueueContext& ctx, const void* bias, const void* res);
  // A channels-last 1x1 conv of one group, stride 1, no pads: Y [N*H*W, K] = X [N*H*W, C] W^T.
  bool pointwise_gemm() const;
  bool runs_gemm() const { return !algos_.empty() && algos_[chosen_].id == kGemmAlgo; }
  // What cuBLASLt's epilogue takes of the fusion: a constant bias, ReLU after it.
  bool gemm_bias() const { return bias_dev_ != nullptr; }
  bool gemm_relu() const {
    return fusion_.act && fusion_.act->kind == Activation::kRelu && (gemm_bias() || !has_bias_);
  }
  std::optional<Algo> plan_gemm(cublasLtHandle_t h);
  void run_gemm(const EnqueueContext& ctx, const void* w, const void* bias);
  void check_formats(const PrepareContext& ctx) const;
  void take(int i) {
    if (i >= 0 && spec_.inputs[i] && spec_.inputs[i]->is_constant()) taken_[i] = true;
  }
  std::vector<float> constant_bias() const;
  void compute_geometry(const std::vector<int64_t>& x, const std::vector<int64_t>& w);
  void forward_geometry();
  void transposed_geometry();
  void set_descriptors(const PrepareContext& ctx);
  void find_algos(cudnnHandle_t h);
  void choose_algo();
  bool fused_by_cudnn(bool has_bias) const;
  void run_forward(const EnqueueContext& ctx, const void* x, const void* w, const void* bias, const void* res, void* ws);
  void run_transposed(const EnqueueContext& ctx, const void* x, const void* w, void* ws);
  void epilogue(const EnqueueContext& ctx, const void* bias, const void* res, bool with_act = true);

  const LayerSpec spec_;
  const bool transposed_;
  const ConvAttrs attrs_;
  const ConvFusion fusion_;
  std::vector<bool> taken_;
  int w_index_ = -1, b_index_ = -1, residual_index_ = -1;
  std::vector<int64_t> w_dims_;  // of a constant W
  bool has_bias_ = false, bias_constant_ = false;
  bool channels_last_capable_ = false;
  void* w_dev_ = nullptr;
  void* dw_weights_ = nullptr;  // [R, S, C] for own_depthwise()
  void* bias_dev_ = nullptr;
  int64_t bias_size_ = 0;
  NumType weight_type_ = NumType::kFloat;

  // Set by prepare().
  NumType type_ = NumType::kFloat;
  int64_t batch_ = 0, in_channels_ = 0, out_channels_ = 0;
  std::vector<SpatialDim> dims_;
  bool empty_ = true;
  bool pad_input_ = false;     // Conv: the input goes through a padded copy
  bool crop_output_ = false;   // ConvTranspose: the output is cropped from an uncropped one
  std::vector<int64_t> staged_dims_;  // spatial dims of that copy / uncropped output
  size_t scratch_bytes_ = 0;
  std::vector<Algo> algos_;
  size_t chosen_ = 0;
  std::string tactic_;
  cudnnHandle_t handle_ = nullptr;  // of the last prepare(), for workspace queries
  // The GEMM of pointwise_gemm(): D (K x M) = W^T (K x C) * X^T (C x M), column-major.
  LtMatmulDesc gemm_desc_;
  LtLayout gemm_w_, gemm_x_, gemm_y_;
  cublasLtMatmulHeuristicResult_t gemm_algo_{};
  CudnnTensor x_desc_, y_desc_, bias_desc_;
  CudnnFilter w_desc_;
  CudnnConv conv_desc_;
  CudnnActivation act_desc_;
  std::atomic<bool> cudnn_fusion_failed_{false};
};

// B and the bias Add's constant, as one vector (a fused bias needs the channels known).
std::vector<float> CudnnConvLayer::constant_bias() const {
  const Tensor* b = spec_.main().input(2).get();
  std::vector<float> bias = b ? *constant_floats(b) : std::vector<float>(conv_channels(spec_.main()), 0.0f);
  if (fusion_.bias_add) {
    const std::vector<float> add = *constant_floats(fusion_.bias_add);
    for (size_t c = 0; c < bias.size(); ++c) bias[c] += add.size() == 1 ? add[0] : add[c];
  }
  return bias;
}

// ONNX window geometry, as the CPU kernels compute it (kernels/cpu/conv_util.h, conv.cc).
void CudnnConvLayer::compute_geometry(const std::vector<int64_t>& x, const std::vector<int64_t>& w) {
  const std::string what = spec_.describe();
  const size_t nd = x.size() - 2;
  if (x.size() < 3 || x.size() > 5) throw Error(what + ": X " + dims_str(x) + " must have 1 to 3 spatial dims");
  if (w.size() != x.size()) throw Error(what + ": W " + dims_str(w) + " does not match X " + dims_str(x));
  auto per_dim = [&](const std::vector<int64_t>& v, size_t n, int64_t def, const char* name) {
    if (v.empty()) return std::vector<int64_t>(n, def);
    if (v.size() != n) throw Error(what + ": " + name + " needs " + std::to_string(n) + " values for X " + dims_str(x));
    return v;
  };
  const auto strides = per_dim(attrs_.strides, nd, 1, "strides");
  const auto dils = per_dim(attrs_.dilations, nd, 1, "dilations");
  const auto pads = per_dim(attrs_.pads, 2 * nd, 0, "pads");
  dims_.assign(nd, SpatialDim{});
  for (size_t i = 0; i < nd; ++i) {
    SpatialDim& d = dims_[i];
    d.in = x[2 + i];
    d.kernel = w[2 + i];
    d.stride = strides[i];
    d.dil = dils[i];
    if (d.stride <= 0 || d.dil <= 0 || d.kernel <= 0) throw Error(what + ": strides, dilations and kernel must be positive");
    if (attrs_.auto_pad == "NOTSET") {
      d.pad_begin = pads[i];
      d.pad_end = pads[nd + i];
      if (d.pad_begin < 0 || d.pad_end < 0) throw Error(what + ": negative pads are not supported");
    }
  }
  batch_ = x[0];
  in_channels_ = x[1];
  const int64_t g = attrs_.group;
  const int64_t w_in = transposed_ ? w[0] : w[1] * g;
  out_channels_ = transposed_ ? w[1] * g : w[0];
  if (w_in != in_channels_ || out_channels_ % g != 0 || in_channels_ % g != 0) {
    throw Error(what + ": W " + dims_str(w) + " with group " + std::to_string(g) + " does not match X " + dims_str(x));
  }
  if (transposed_) transposed_geometry();
  else forward_geometry();
}

void CudnnConvLayer::forward_geometry() {
  pad_input_ = false;
  for (SpatialDim& d : dims_) {
    const int64_t s = d.stride;
    if (attrs_.auto_pad == "SAME_UPPER" || attrs_.auto_pad == "SAME_LOWER") {
      d.out = (d.in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (d.out - 1) * s + d.span() - d.in);
      d.pad_begin = attrs_.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      d.pad_end = total - d.pad_begin;
    } else {
      const int64_t room = d.in + d.pad_begin + d.pad_end - d.span();
      if (room < 0) throw Error(spec_.describe() + ": the kernel is larger than the padded input");
      d.out = room / s + 1;
    }
    // cuDNN pads both ends by pad_begin: enough when that gives the same output size (the
    // positions read are the same, and padding is zeros either way).
    const int64_t room = d.in + 2 * d.pad_begin - d.span();
    if (d.pad_begin != d.pad_end && (room < 0 || room / s + 1 != d.out)) pad_input_ = true;
  }
}

void CudnnConvLayer::transposed_geometry() {
  const size_t nd = dims_.size();
  std::vector<int64_t> out_pad = attrs_.output_padding.empty() ? std::vector<int64_t>(nd, 0) : attrs_.output_padding;
  std::vector<int64_t> out_shape = attrs_.output_shape;
  if (out_pad.size() < nd) throw Error(spec_.describe() + ": output_padding needs one value per spatial dim");
  if (out_shape.size() > nd) out_shape.erase(out_shape.begin(), out_shape.end() - nd);
  const bool same = attrs_.auto_pad == "SAME_UPPER" || attrs_.auto_pad == "SAME_LOWER";
  crop_output_ = false;
  for (size_t i = 0; i < nd; ++i) {
    SpatialDim& d = dims_[i];
    const int64_t uncropped = d.stride * (d.in - 1) + d.span();
    const int64_t full = uncropped + out_pad[i];
    if (!out_shape.empty() || same) {
      d.out = !out_shape.empty() ? out_shape[i] : d.in * d.stride;
      const int64_t total = full - d.out;
      const int64_t half_floor = total >= 0 ? total / 2 : -((-total + 1) / 2);
      d.pad_begin = attrs_.auto_pad == "SAME_UPPER" ? half_floor : total - half_floor;
    } else {
      if (attrs_.auto_pad == "VALID") d.pad_begin = d.pad_end = 0;
      d.out = full - d.pad_begin - d.pad_end;
    }
    if (d.out <= 0) throw Error(spec_.describe() + ": the output size would be " + std::to_string(d.out));
    // cuDNN's dx of size `out` with pads pad_begin is the window [pad_begin, pad_begin + out)
    // of the uncropped output when the forward convolution of it gives back `in`.
    const int64_t extra = d.out + 2 * d.pad_begin - uncropped;
    if (d.pad_begin < 0 || extra < 0 || extra >= d.stride) crop_output_ = true;
  }
}

void CudnnConvLayer::prepare(const PrepareContext& ctx) {
  const std::vector<int64_t>& x = ctx.inputs[0].dims;
  const std::vector<int64_t>& w = w_dims_.empty() ? ctx.inputs[w_index_].dims : w_dims_;
  compute_geometry(x, w);
  type_ = float_num_type(ctx.inputs[0].dtype, spec_);
  if (!w_dims_.empty() && weight_type_ != type_) throw Error(spec_.describe() + ": W and X are stored in different dtypes");
  std::vector<int64_t> y{batch_, out_channels_};
  for (const SpatialDim& d : dims_) y.push_back(d.out);
  if (ctx.outputs[0].dims != y) {
    throw Error(spec_.describe() + ": output dims " + dims_str(ctx.outputs[0].dims) + " differ from the convolution's " +
                dims_str(y) + " (a broadcasting Add cannot be fused)");
  }
  if (bias_dev_ && bias_size_ != out_channels_) {
    throw Error(spec_.describe() + ": the bias has " + std::to_string(bias_size_) + " values for " +
                std::to_string(out_channels_) + " output channels");
  }
  if (residual_index_ >= 0 && ctx.inputs[residual_index_].dims != y) {
    throw Error(spec_.describe() + ": the residual " + dims_str(ctx.inputs[residual_index_].dims) +
                " does not have the convolution's dims " + dims_str(y));
  }
  int64_t x_n = 1, y_n = 1;
  for (int64_t v : x) x_n *= v;
  for (int64_t v : y) y_n *= v;
  empty_ = x_n == 0 || y_n == 0;
  algos_.clear();
  check_formats(ctx);
  if (empty_) return;
  set_descriptors(ctx);
  handle_ = static_cast<cudnnHandle_t>(ctx.handles.cudnn);
  find_algos(handle_);
  if (pointwise_gemm()) {
    if (const std::optional<Algo> gemm = plan_gemm(static_cast<cublasLtHandle_t>(ctx.handles.cublaslt))) {
      algos_.insert(algos_.begin(), *gemm);
    }
  }
  choose_algo();
}

// The engine stores each tensor as input_format / output_format asked.
void CudnnConvLayer::check_formats(const PrepareContext& ctx) const {
  const Format want = channels_last() ? Format::kChannelsLast : Format::kLinear;
  bool ok = ctx.outputs[0].format == want && ctx.inputs[0].format == want;
  if (residual_index_ >= 0) ok = ok && ctx.inputs[residual_index_].format == want;
  if (!taken_[w_index_]) ok = ok && ctx.inputs[w_index_].format == want;
  if (!ok) throw Error(spec_.describe() + ": a tensor is not stored " + format_name(want) + " as the layer asked");
}

void CudnnConvLayer::set_descriptors(const PrepareContext& ctx) {
  const std::string what = spec_.describe();
  // cuDNN wants at least 2 spatial dims: a 1-D window becomes 1 x L.
  std::vector<SpatialDim> d = dims_;
  if (d.size() == 1) d.insert(d.begin(), SpatialDim{});
  const int64_t nc_in = in_channels_, nc_out = out_channels_;
  std::vector<int> x{to_int(batch_, what), to_int(nc_in, what)}, y{to_int(batch_, what), to_int(nc_out, what)};
  std::vector<int> pad, stride, dil;
  staged_dims_.clear();
  for (const SpatialDim& s : d) {
    int64_t in = s.in, out = s.out, p = s.pad_begin;
    if (!transposed_ && pad_input_) {
      const int64_t common = std::min(s.pad_begin, s.pad_end);
      in += s.pad_begin + s.pad_end - 2 * common;
      p = common;
      staged_dims_.push_back(in);
    }
    if (transposed_ && crop_output_) {
      out = s.stride * (s.in - 1) + s.span();
      p = 0;
      staged_dims_.push_back(out);
    }
    x.push_back(to_int(in, what));
    y.push_back(to_int(out, what));
    pad.push_back(to_int(p, what));
    stride.push_back(to_int(s.stride, what));
    dil.push_back(to_int(s.dil, what));
  }
  const std::vector<int64_t>& wd = w_dims_.empty() ? ctx.inputs[w_index_].dims : w_dims_;
  std::vector<int> w;
  for (int64_t v : wd) w.push_back(to_int(v, what));
  if (dims_.size() == 1) w.insert(w.begin() + 2, 1);
  size_t staged = 1;
  for (int64_t v : staged_dims_) staged *= static_cast<size_t>(v);
  const size_t elem = type_ == NumType::kHalf ? 2 : 4;
  scratch_bytes_ = staged_dims_.empty() ? 0 : align_up(staged * static_cast<size_t>(batch_) * (transposed_ ? nc_out : nc_in) * elem);

  // For ConvTranspose, X is the forward convolution's dy and Y its dx.
  const bool nhwc = channels_last();
  set_tensor(x_desc_, type_, x, nhwc);
  set_tensor(y_desc_, type_, y, nhwc);
  check_cudnn(cudnnSetFilterNdDescriptor(w_desc_.get(), cudnn_type(type_), nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW,
                                         static_cast<int>(w.size()), w.data()),
              what + ": filter descriptor");
  check_cudnn(cudnnSetConvolutionNdDescriptor(conv_desc_.get(), static_cast<int>(pad.size()), pad.data(), stride.data(),
                                              dil.data(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
              what + ": convolution descriptor");
  check_cudnn(cudnnSetConvolutionGroupCount(conv_desc_.get(), to_int(attrs_.group, what)), what + ": group count");
  const bool half = type_ == NumType::kHalf;
  const cudnnMathType_t math = precision() == Precision::kFP32 && !half ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
  check_cudnn(cudnnSetConvolutionMathType(conv_desc_.get(), math), what + ": math type");
  std::vector<int> bias(y.size(), 1);
  bias[1] = y[1];
  set_tensor(bias_desc_, type_, bias, nhwc);
  const CudnnAct act = cudnn_activation(fusion_.act).value_or(CudnnAct{});
  check_cudnn(cudnnSetActivationDescriptor(act_desc_.get(), act.mode, CUDNN_PROPAGATE_NAN, act.coef),
              what + ": activation descriptor");
}

void CudnnConvLayer::find_algos(cudnnHandle_t h) {
  const std::string what = spec_.describe() + ": cudnn algorithm query";
  const bool half = type_ == NumType::kHalf;
  int n = 0;
  if (transposed_) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[2 * CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    check_cudnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, w_desc_.get(), x_desc_.get(), conv_desc_.get(), y_desc_.get(),
                                                            2 * CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, perf),
                what);
    algos_ = usable_algos(perf, n, precision(), half, backward_data_algo_name);
  } else {
    cudnnConvolutionFwdAlgoPerf_t perf[2 * CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    check_cudnn(cudnnGetConvolutionForwardAlgorithm_v7(h, x_desc_.get(), w_desc_.get(), conv_desc_.get(), y_desc_.get(),
                                                       2 * CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf),
                what);
    algos_ = usable_algos(perf, n, precision(), half, forward_algo_name);
    // First, so that it is the default: several times faster than cuDNN's depthwise kernels.
    if (dw_weights_) algos_.insert(algos_.begin(), Algo{kDepthwiseAlgo, CUDNN_DEFAULT_MATH, 0, kDepthwiseTactic});
  }
  if (algos_.empty()) throw Error(spec_.describe() + ": cuDNN offers no algorithm for these dims and precision");
}

// The tactic by name, or cuDNN's first choice when that is not offered (another library
// version, other dims).
void CudnnConvLayer::choose_algo() {
  chosen_ = 0;
  for (size_t i = 0; i < algos_.size(); ++i) {
    if (algos_[i].name == tactic_) chosen_ = i;
  }
  if (algos_.empty() || algos_[chosen_].id < 0) return;
  Algo& a = algos_[chosen_];
  const std::string what = spec_.describe() + ": cudnn workspace size";
  check_cudnn(cudnnSetConvolutionMathType(conv_desc_.get(), a.math), what);
  if (transposed_) {
    check_cudnn(cudnnGetConvolutionBackwardDataWorkspaceSize(handle_, w_desc_.get(), x_desc_.get(), conv_desc_.get(),
                                                             y_desc_.get(),
                                                             static_cast<cudnnConvolutionBwdDataAlgo_t>(a.id), &a.workspace),
                what);
  } else {
    check_cudnn(cudnnGetConvolutionForwardWorkspaceSize(handle_, x_desc_.get(), w_desc_.get(), conv_desc_.get(),
                                                        y_desc_.get(), static_cast<cudnnConvolutionFwdAlgo_t>(a.id),
                                                        &a.workspace),
                what);
  }
}

bool CudnnConvLayer::fused_by_cudnn(bool has_bias) const {
  return !transposed_ && has_bias && cudnn_activation(fusion_.act) && !cudnn_fusion_failed_.load(std::memory_order_relaxed) &&
         algos_[chosen_].id == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
}

void CudnnConvLayer::enqueue(const EnqueueContext& ctx) {
  if (empty_) return;
  const void* w = w_dev_ ? w_dev_ : ctx.inputs[w_index_].data;
  const void* bias = bias_dev_ ? bias_dev_ : b_index_ >= 0 ? ctx.inputs[b_index_].data : nullptr;
  const void* res = residual_index_ >= 0 ? ctx.inputs[residual_index_].data : nullptr;
  if (runs_own_depthwise()) return run_depthwise(ctx, bias, res);
  if (runs_gemm()) return run_gemm(ctx, w, bias);
  // The handle may be bound to another stream: the engine's tactic timing enqueues on its
  // own stream without binding it, and cuDNN's work would then go untimed on that one.
  check_cudnn(cudnnSetStream(static_cast<cudnnHandle_t>(ctx.handles.cudnn), ctx.stream),
              spec_.describe() + ": cudnnSetStream");
  void* ws = ctx.workspace;
  if (transposed_) run_transposed(ctx, ctx.inputs[0].data, w, ws);
  else run_forward(ctx, ctx.inputs[0].data, w, bias, res, ws);
  if (transposed_ || !fused_by_cudnn(bias != nullptr)) epilogue(ctx, bias, res);
}

WindowCopy window(NumType type, int64_t planes, const std::vector<SpatialDim>& dims) {
  WindowCopy c;
  c.type = type;
  c.planes = planes;
  const size_t first = 3 - dims.size();
  for (size_t i = 0; i < dims.size(); ++i) c.dst_dims[first + i] = dims[i].out;
  return c;
}

void CudnnConvLayer::run_forward(const EnqueueContext& ctx, const void* x, const void* w, const void* bias,
                                 const void* res, void* ws) {
  const std::string what = spec_.describe();
  const Algo& algo = algos_[chosen_];
  if (pad_input_) {
    WindowCopy c = window(type_, channels_last() ? batch_ : batch_ * in_channels_, dims_);
    if (channels_last()) c.inner = in_channels_;
    const size_t first = 3 - dims_.size();
    for (size_t i = 0; i < dims_.size(); ++i) {
      c.src_dims[first + i] = dims_[i].in;
      c.dst_dims[first + i] = staged_dims_[staged_dims_.size() - dims_.size() + i];
      c.offset[first + i] = -(dims_[i].pad_begin - std::min(dims_[i].pad_begin, dims_[i].pad_end));
    }
    c.src = x;
    c.dst = static_cast<char*>(ws) + align_up(algo.workspace);
    check_cuda(copy_window(c, ctx.stream), what + ": padding the input");
    x = c.dst;
  }
  cudnnHandle_t h = static_cast<cudnnHandle_t>(ctx.handles.cudnn);
  const float one = 1.0f, zero = 0.0f;
  const auto fwd_algo = static_cast<cudnnConvolutionFwdAlgo_t>(algo.id);
  if (fused_by_cudnn(bias != nullptr)) {
    const float alpha2 = res ? 1.0f : 0.0f;
    void* y = ctx.outputs[0].data;
    const cudnnStatus_t s = cudnnConvolutionBiasActivationForward(
        h, &one, x_desc_.get(), x, w_desc_.get(), w, conv_desc_.get(), fwd_algo, ws, algo.workspace, &alpha2,
        y_desc_.get(), res ? res : y, bias_desc_.get(), bias, act_desc_.get(), y_desc_.get(), y);
    if (s == CUDNN_STATUS_SUCCESS) return;
    // cuDNN refuses some configurations only when asked: from now on, the epilogue.
    cudnn_fusion_failed_.store(true, std::memory_order_relaxed);
  }
  check_cudnn(cudnnConvolutionForward(h, &one, x_desc_.get(), x, w_desc_.get(), w, conv_desc_.get(), fwd_algo, ws,
                                      algo.workspace, &zero, y_desc_.get(), ctx.outputs[0].data),
              what + ": cudnnConvolutionForward");
}

void CudnnConvLayer::run_transposed(const EnqueueContext& ctx, const void* x, const void* w, void* ws) {
  const Algo& algo = algos_[chosen_];
  void* y = ctx.outputs[0].data;
  void* dx = crop_output_ ? static_cast<char*>(ws) + align_up(algo.workspace) : y;
  const float one = 1.0f, zero = 0.0f;
  check_cudnn(cudnnConvolutionBackwardData(static_cast<cudnnHandle_t>(ctx.handles.cudnn), &one, w_desc_.get(), w,
                                           x_desc_.get(), x, conv_desc_.get(),
                                           static_cast<cudnnConvolutionBwdDataAlgo_t>(algo.id), ws, algo.workspace,
                                           &zero, y_desc_.get(), dx),
              spec_.describe() + ": cudnnConvolutionBackwardData");
  if (!crop_output_) return;
  WindowCopy c = window(type_, batch_ * out_channels_, dims_);
  const size_t first = 3 - dims_.size();
  for (size_t i = 0; i < dims_.size(); ++i) {
    c.src_dims[first + i] = staged_dims_[staged_dims_.size() - dims_.size() + i];
    c.offset[first + i] = dims_[i].pad_begin;
  }
  c.src = dx;
  c.dst = y;
  check_cuda(copy_window(c, ctx.stream), spec_.describe() + ": cropping the output");
}

bool CudnnConvLayer::pointwise_gemm() const {
  if (!channels_last() || attrs_.group != 1) return false;
  return std::all_of(dims_.begin(), dims_.end(), [](const SpatialDim& d) {
    return d.kernel == 1 && d.stride == 1 && d.pad_begin == 0 && d.pad_end == 0;
  });
}

// Descriptors and cuBLASLt's first heuristic choice; none when it offers nothing.
std::optional<Algo> CudnnConvLayer::plan_gemm(cublasLtHandle_t h) {
  const std::string what = spec_.describe() + ": cublasLt 1x1 GEMM";
  const bool half = type_ == NumType::kHalf;
  const cudaDataType t = half ? CUDA_R_16F : CUDA_R_32F;
  cublasLtMatmulDesc_t d = nullptr;
  check_cublas(cublasLtMatmulDescCreate(&d, half ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_FAST_TF32, CUDA_R_32F), what);
  gemm_desc_.reset(d);
  set_lt_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T, what);
  set_lt_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N, what);
  const cublasLtEpilogue_t ep = gemm_bias() ? (gemm_relu() ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS)
                                            : (gemm_relu() ? CUBLASLT_EPILOGUE_RELU : CUBLASLT_EPILOGUE_DEFAULT);
  set_lt_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_EPILOGUE, ep, what);
  if (gemm_bias()) set_lt_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias_dev_, what);
  const int64_t m = batch_ * dims_[0].out * dims_[1].out, c = in_channels_, k = out_channels_;
  gemm_w_ = lt_layout(t, c, k, c, what);
  gemm_x_ = lt_layout(t, c, m, c, what);
  gemm_y_ = lt_layout(t, k, m, k, what);
  cublasLtMatmulPreference_t pref = nullptr;
  check_cublas(cublasLtMatmulPreferenceCreate(&pref), what);
  LtPreference owner(pref);
  const uint64_t max_ws = kMaxGemmWorkspace;
  set_lt_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, max_ws, what);
  int n = 0;
  const cublasStatus_t s = cublasLtMatmulAlgoGetHeuristic(h, d, gemm_w_.get(), gemm_x_.get(), gemm_y_.get(),
                                                          gemm_y_.get(), pref, 1, &gemm_algo_, &n);
  if (s != CUBLAS_STATUS_SUCCESS || n < 1 || gemm_algo_.state != CUBLAS_STATUS_SUCCESS) return std::nullopt;
  return Algo{kGemmAlgo, CUDNN_DEFAULT_MATH, gemm_algo_.workspaceSize, kGemmTactic};
}

// The residual comes in as C (beta 1); what cuBLASLt's epilogue does not apply follows in
// one pass.
void CudnnConvLayer::run_gemm(const EnqueueContext& ctx, const void* w, const void* bias) {
  const void* res = residual_index_ >= 0 ? ctx.inputs[residual_index_].data : nullptr;
  void* y = ctx.outputs[0].data;
  const float one = 1.0f, beta = res ? 1.0f : 0.0f;
  check_cublas(cublasLtMatmul(static_cast<cublasLtHandle_t>(ctx.handles.cublaslt), gemm_desc_.get(), &one, w,
                              gemm_w_.get(), ctx.inputs[0].data, gemm_x_.get(), &beta, res ? res : y, gemm_y_.get(), y,
                              gemm_y_.get(), &gemm_algo_.algo, ctx.workspace, gemm_algo_.workspaceSize, ctx.stream),
               spec_.describe() + ": cublasLtMatmul");
  const bool act_left = fusion_.act && !gemm_relu();
  epilogue(ctx, gemm_bias() ? nullptr : bias, nullptr, act_left);
}

void CudnnConvLayer::run_depthwise(const EnqueueContext& ctx, const void* bias, const void* res) {
  const SpatialDim& h = dims_[0];
  const SpatialDim& w = dims_[1];
  DepthwiseConv d;
  d.type = type_;
  d.x = ctx.inputs[0].data;
  d.w = dw_weights_;
  d.bias = bias;
  d.residual = res;
  d.y = ctx.outputs[0].data;
  d.batch = batch_;
  d.channels = out_channels_;
  d.in_h = h.in, d.in_w = w.in, d.out_h = h.out, d.out_w = w.out;
  d.kernel_h = h.kernel, d.kernel_w = w.kernel, d.stride_h = h.stride, d.stride_w = w.stride;
  d.dil_h = h.dil, d.dil_w = w.dil, d.pad_h = h.pad_begin, d.pad_w = w.pad_begin;
  if (fusion_.act) d.act = *fusion_.act;
  check_cuda(depthwise_conv_nhwc(d, ctx.stream), spec_.describe() + ": depthwise conv");
}

void CudnnConvLayer::epilogue(const EnqueueContext& ctx, const void* bias, const void* res, bool with_act) {
  const bool act = fusion_.act && with_act;
  if (!bias && !res && !act) return;
  EpilogueArgs a;
  a.type = type_;
  a.y = ctx.outputs[0].data;
  a.n = ctx.outputs[0].numel();
  a.channels = out_channels_;
  a.inner = 1;
  if (!channels_last()) {
    for (const SpatialDim& d : dims_) a.inner *= d.out;
  }
  a.bias = bias;
  a.residual = res;
  if (act) a.act = *fusion_.act;
  check_cuda(apply_epilogue(a, ctx.stream), spec_.describe() + ": epilogue");
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kNone: return "";
    case Activation::kRelu: return "relu";
    case Activation::kClip: return "clip";
    case Activation::kLeakyRelu: return "leaky_relu";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kHardSwish: return "hard_swish";
    case Activation::kTanh: return "tanh";
    case Activation::kGelu: return "gelu";
    case Activation::kGeluTanh: return "gelu_tanh";
  }
  return "?";
}

const char* math_name(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_DEFAULT_MATH: return "default";
    case CUDNN_TENSOR_OP_MATH: return "tensor-op";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: return "tensor-op-conversion";
    case CUDNN_FMA_MATH: return "fma";
  }
  return "?";
}

std::string CudnnConvLayer::summary() const {
  const bool own = runs_own_depthwise(), gemm = runs_gemm();
  std::string s = own || gemm ? "conv" : transposed_ ? "cudnn conv_transpose" : "cudnn conv";
  if (own) s += std::string(" ") + kDepthwiseTactic + " (graft kernel)";
  if (gemm) {
    s += std::string(" ") + kGemmTactic + " (1x1 as one GEMM, workspace " +
         std::to_string(algos_[chosen_].workspace >> 10) + " KiB)";
  }
  if (!algos_.empty() && !own && !gemm) {
    const Algo& a = algos_[chosen_];
    s += " " + a.name + " (" + math_name(a.math) + " math, workspace " + std::to_string(a.workspace >> 10) + " KiB)";
  }
  if (attrs_.group > 1) s += ", group " + std::to_string(attrs_.group);
  std::vector<std::string> parts;
  if (has_bias_) parts.push_back("bias");
  if (fusion_.residual) parts.push_back("residual");
  if (fusion_.act) parts.push_back(activation_name(fusion_.act->kind));
  if (!parts.empty()) {
    s += ", fused ";
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? "+" : "") + parts[i];
    const bool lt_all = (!has_bias_ || gemm_bias()) && (!fusion_.act || gemm_relu());
    s += own                                             ? " (kernel)"
         : gemm                                          ? (lt_all ? " (cublasLt)" : " (cublasLt + epilogue)")
         : !algos_.empty() && fused_by_cudnn(has_bias_) ? " (cudnn)"
                                                         : " (epilogue)";
  }
  if (pad_input_ && !own) s += ", padded input copy";
  if (crop_output_) s += ", cropped output";
  return s + (channels_last() ? ", NHWC" : ", NCHW");
}

std::unique_ptr<Layer> make_conv(const LayerSpec& spec) { return std::make_unique<CudnnConvLayer>(spec, false); }
std::unique_ptr<Layer> make_conv_transpose(const LayerSpec& spec) { return std::make_unique<CudnnConvLayer>(spec, true); }

}  // namespace

GRAFT_GPU_LAYER_FUSING("", Conv, 1, make_conv, conv_absorbs);
GRAFT_GPU_LAYER("", ConvTranspose, 1, make_conv_transpose);

}  // namespace graft::cuda
