// GPU layers of MaxPool (with Indices), AveragePool, LpPool and their Global forms, with
// the semantics of kernels/cpu/pool.cc and its window geometry (kernels/cpu/conv_util.h:
// strides, dilations, pads, auto_pad, ceil_mode), over 1 to 3 spatial dims.
#include <algorithm>
#include <memory>

#include "kernels/cuda/node_layer.h"
#include "kernels/cuda/pool.h"

namespace graft::cuda {
namespace {

// LpPool's p: a float attribute in LpPool-1, an int later.
double lp_norm_p(const Node& node) {
  const Attribute* a = node.attr("p");
  if (!a) return 2;
  return a->type == AttrType::kFloat ? a->f : static_cast<double>(a->i);
}

class PoolLayer : public NodeLayer {
 public:
  PoolLayer(const LayerSpec& spec, PoolKind kind) : NodeLayer(spec) {
    const ops::NodeAttrs a = spec.attrs();
    params_.kind = kind;
    params_.count_include_pad = kind == PoolKind::kAvg && a.get_int("count_include_pad", 0) != 0;
    params_.col_major_indices = kind == PoolKind::kMax && a.get_int("storage_order", 0) != 0;
    if (kind == PoolKind::kLp) params_.p = lp_norm_p(spec.main());
    kernel_ = a.get_ints("kernel_shape");
    if (kernel_.empty()) fail("kernel_shape is required");
    const int nd = static_cast<int>(kernel_.size());
    if (nd > 3) fail("only 1 to 3 spatial dims are supported, kernel_shape is " + dims_str(kernel_));
    strides_ = a.get_ints("strides", Dims(nd, 1));
    dilations_ = a.get_ints("dilations", Dims(nd, 1));
    pads_ = a.get_ints("pads", Dims(2 * nd, 0));
    auto_pad_ = a.get_string("auto_pad", "NOTSET");
    ceil_mode_ = a.get_int("ceil_mode", 0) != 0;
    if (static_cast<int>(strides_.size()) != nd || static_cast<int>(dilations_.size()) != nd) {
      fail("strides/dilations lengths do not match " + std::to_string(nd) + " spatial dims");
    }
    if (static_cast<int>(pads_.size()) != 2 * nd) fail("pads length does not match " + std::to_string(nd) + " spatial dims");
    if (auto_pad_ != "NOTSET" && auto_pad_ != "SAME_UPPER" && auto_pad_ != "SAME_LOWER" && auto_pad_ != "VALID" &&
        !auto_pad_.empty()) {
      fail("unknown auto_pad '" + auto_pad_ + "'");
    }
    for (int i = 0; i < nd; ++i) {
      if (strides_[i] <= 0 || dilations_[i] <= 0 || kernel_[i] <= 0) fail("strides, dilations and kernel_shape must be positive");
    }
  }
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    if (x.dims.size() < 3) fail("X must be [N, C, spatial...], got " + dims_str(x.dims));
    type_ = num_type(x.dtype);
    const bool ints = type_ == NumType::kInt8 || type_ == NumType::kUint8 || type_ == NumType::kInt32 || type_ == NumType::kInt64;
    if (type_ == NumType::kBool || type_ == NumType::kInt16 || (ints && params_.kind != PoolKind::kMax)) {
      fail("does not support " + dtype_name(x.dtype) + " inputs on the GPU");
    }
    window_ = window(Dims(x.dims.begin() + 2, x.dims.end()));
    Dims out{x.dims[0], x.dims[1]};
    for (size_t i = 0; i < kernel_.size(); ++i) out.push_back(window_.out[3 - kernel_.size() + i]);
    if (out != output(ctx, 0).dims) fail("the window gives " + dims_str(out) + ", not " + dims_str(output(ctx, 0).dims));
    planes_ = x.dims[0] * x.dims[1];
  }
  void enqueue(const EnqueueContext& ctx) override {
    int64_t* indices = has_output(1) ? static_cast<int64_t*>(output(ctx, 1).data) : nullptr;
    check(pool(input(ctx, 0).data, type_, output(ctx, 0).data, indices, planes_, window_, params_, ctx.stream), "pool");
  }

 private:
  // The CPU's window_geometry: pads from auto_pad or the attribute, output sizes with ceil_mode.
  PoolWindow window(const Dims& in) const {
    const int nd = static_cast<int>(kernel_.size());
    if (static_cast<int>(in.size()) != nd) fail("kernel " + dims_str(kernel_) + " does not match the spatial dims " + dims_str(in));
    PoolWindow w;
    for (int i = 0; i < nd; ++i) {
      const int d = 3 - nd + i;
      w.in[d] = in[i];
      w.kernel[d] = kernel_[i];
      w.stride[d] = strides_[i];
      w.dil[d] = dilations_[i];
      const int64_t s = w.stride[d], span = w.dil[d] * (w.kernel[d] - 1) + 1;
      if (auto_pad_ == "SAME_UPPER" || auto_pad_ == "SAME_LOWER") {
        w.out[d] = (w.in[d] + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (w.out[d] - 1) * s + span - w.in[d]);
        w.pad[d] = auto_pad_ == "SAME_UPPER" ? total / 2 : total - total / 2;
        w.pad_end[d] = total - w.pad[d];
        continue;
      }
      const bool valid = auto_pad_ == "VALID";
      w.pad[d] = valid ? 0 : pads_[i];
      w.pad_end[d] = valid ? 0 : pads_[nd + i];
      const int64_t room = w.in[d] + w.pad[d] + w.pad_end[d] - span;
      if (room < 0) fail("kernel " + dims_str(kernel_) + " is larger than the padded input " + dims_str(in));
      w.out[d] = (ceil_mode_ ? (room + s - 1) / s : room / s) + 1;
      // The last window must start inside the input or its leading padding.
      if (ceil_mode_ && (w.out[d] - 1) * s >= w.in[d] + w.pad[d]) --w.out[d];
    }
    return w;
  }

  PoolParams params_;
  Dims kernel_, strides_, dilations_, pads_;
  std::string auto_pad_;
  bool ceil_mode_ = false;
  NumType type_ = NumType::kFloat;
  PoolWindow window_;
  int64_t planes_ = 0;
};

class GlobalPoolLayer : public NodeLayer {
 public:
  GlobalPoolLayer(const LayerSpec& spec, PoolKind kind)
      : NodeLayer(spec), kind_(kind), p_(kind == PoolKind::kLp ? lp_norm_p(spec.main()) : 2) {}
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    if (x.dims.size() < 2) fail("X must be [N, C, ...], got " + dims_str(x.dims));
    type_ = num_type(x.dtype);
    if (type_ != NumType::kFloat && type_ != NumType::kHalf && type_ != NumType::kDouble) {
      fail("does not support " + dtype_name(x.dtype) + " inputs on the GPU");
    }
    planes_ = x.dims[0] * x.dims[1];
    size_ = planes_ ? x.numel() / planes_ : 0;
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(global_pool(input(ctx, 0).data, type_, output(ctx, 0).data, planes_, size_, kind_, p_, ctx.stream),
          "global pool");
  }

 private:
  PoolKind kind_;
  double p_;
  NumType type_ = NumType::kFloat;
  int64_t planes_ = 0, size_ = 0;
};

template <PoolKind K>
std::unique_ptr<Layer> make_pool(const LayerSpec& spec) {
  return std::make_unique<PoolLayer>(spec, K);
}
template <PoolKind K>
std::unique_ptr<Layer> make_global_pool(const LayerSpec& spec) {
  return std::make_unique<GlobalPoolLayer>(spec, K);
}

}  // namespace

GRAFT_GPU_LAYER("", MaxPool, 1, make_pool<PoolKind::kMax>);
GRAFT_GPU_LAYER("", AveragePool, 1, make_pool<PoolKind::kAvg>);
GRAFT_GPU_LAYER("", LpPool, 1, make_pool<PoolKind::kLp>);
GRAFT_GPU_LAYER("", GlobalMaxPool, 1, make_global_pool<PoolKind::kMax>);
GRAFT_GPU_LAYER("", GlobalAveragePool, 1, make_global_pool<PoolKind::kAvg>);
GRAFT_GPU_LAYER("", GlobalLpPool, 1, make_global_pool<PoolKind::kLp>);

}  // namespace graft::cuda
