// GPU layers of CumSum and TopK, with the semantics of kernels/cpu/index_ops.cc. CumSum's
// axis must be known on the host; TopK's k is the output's size along the axis (which the
// engine works out from K before the run). TopK always writes its picks sorted, as the
// CPU kernel does whatever `sorted` says.
#include <memory>
#include <optional>
#include <string>

#include "kernels/cuda/index_ops.h"
#include "kernels/cuda/node_layer.h"

namespace graft::cuda {
namespace {

// [outer, n, inner] around `axis` of dims.
struct AxisView {
  int64_t outer = 1, n = 1, inner = 1;
};
AxisView view_at(const Dims& dims, int64_t axis) {
  return {dims_product(dims, 0, axis), dims[axis], dims_product(dims, axis + 1, dims.size())};
}

class CumSumLayer : public NodeLayer {
 public:
  explicit CumSumLayer(const LayerSpec& spec) : NodeLayer(spec) {
    const ops::NodeAttrs attrs = spec.attrs();
    args_.exclusive = attrs.get_int("exclusive", 0) != 0;
    args_.reverse = attrs.get_int("reverse", 0) != 0;
    const TensorPtr x = spec.main().input(0);
    if (x && x->dtype() != DataType::kUndefined) summed_type(x->dtype());
  }

  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    args_.type = summed_type(x.dtype);
    const cpu::HostTensor& axis = host_value(ctx, 1, "axis");
    if (axis.numel() != 1) fail("axis must hold one value, got " + axis.describe());
    const AxisView v = view_at(x.dims, axis_in(axis.to_int64s()[0], static_cast<int64_t>(x.dims.size())));
    args_.outer = v.outer;
    args_.n = v.n;
    args_.inner = v.inner;
  }

  void enqueue(const EnqueueContext& ctx) override {
    CumSumArgs a = args_;
    a.x = input(ctx, 0).data;
    a.y = output(ctx, 0).data;
    check(cum_sum(a, ctx.stream), "cumulative sum");
  }

  std::string summary() const override { return "cumulative sum"; }

 private:
  NumType summed_type(DataType t) const {
    const std::optional<NumType> n = num_type_of(t);
    if (!n || !(*n == NumType::kFloat || *n == NumType::kHalf || *n == NumType::kDouble || *n == NumType::kInt32 ||
                *n == NumType::kInt64)) {
      fail("sums float, float16, double, int32 and int64 tensors on the GPU, not " + dtype_name(t));
    }
    return *n;
  }

  CumSumArgs args_;
};

class TopKLayer : public NodeLayer {
 public:
  explicit TopKLayer(const LayerSpec& spec) : NodeLayer(spec), axis_(spec.attrs().get_int("axis", -1)) {
    args_.largest = spec.attrs().get_int("largest", 1) != 0;
    const TensorPtr x = spec.main().input(0);
    if (x && x->dtype() != DataType::kUndefined) picked_type(x->dtype());
  }

  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    args_.type = picked_type(x.dtype);
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    const int64_t axis = axis_in(axis_, rank);
    const TensorDesc& y = has_output(0) ? output(ctx, 0) : output(ctx, 1);
    if (y.dims.size() != x.dims.size()) fail("outputs " + dims_str(y.dims) + " must have the rank of X " + dims_str(x.dims));
    const AxisView v = view_at(x.dims, axis);
    args_.outer = v.outer;
    args_.n = v.n;
    args_.inner = v.inner;
    args_.k = y.dims[axis];
    if (args_.k > args_.n) {
      fail("k " + std::to_string(args_.k) + " is out of range for axis size " + std::to_string(args_.n));
    }
    if (has_output(0) && output(ctx, 0).dtype != x.dtype) {
      fail("Values are stored as " + dtype_name(output(ctx, 0).dtype) + ", X as " + dtype_name(x.dtype));
    }
    if (has_output(1) && output(ctx, 1).dtype != DataType::kInt64) fail("Indices must be int64");
    if (!top_k_fits(args_)) {
      fail("lines longer than 2048 elements are sorted on the GPU only while X holds fewer than 2^31 elements, got " +
           dims_str(x.dims));
    }
    workspace_ = top_k_workspace_bytes(args_);
  }

  size_t workspace_bytes() const override { return workspace_; }

  void enqueue(const EnqueueContext& ctx) override {
    TopKArgs a = args_;
    a.x = input(ctx, 0).data;
    a.values = has_output(0) ? output(ctx, 0).data : nullptr;
    a.indices = has_output(1) ? static_cast<int64_t*>(output(ctx, 1).data) : nullptr;
    check(top_k(a, ctx.workspace, workspace_, ctx.stream), "top-k");
  }

  std::string summary() const override { return workspace_ ? "top-k by radix sort" : "top-k by shared-memory sort"; }

 private:
  NumType picked_type(DataType t) const {
    const std::optional<NumType> n = num_type_of(t);
    if (!n || *n == NumType::kBool) fail("does not support " + dtype_name(t) + " input on the GPU");
    return *n;
  }

  int64_t axis_;
  TopKArgs args_;
  size_t workspace_ = 0;
};

}  // namespace

GRAFT_GPU_LAYER("", CumSum, 11, make_layer<CumSumLayer>);
GRAFT_GPU_LAYER("", TopK, 1, make_layer<TopKLayer>);

}  // namespace graft::cuda
