// GPU layers of the reductions, with the semantics of kernels/cpu/reduce.cc: ReduceSum ...
// ReduceSumSquare over any set of axes, ArgMax and ArgMin along one axis. Output dims come
// from the engine; only which axes are reduced is read here.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cuda/node_layer.h"
#include "kernels/cuda/reduce.h"

namespace graft::cuda {
namespace {

// The reduction layers' common part: which input dtypes the kernels take (the set of
// `kind`), checked on the declared dtype when the layer is made and on the stored one.
class ReductionLayer : public NodeLayer {
 public:
  bool supports_fp16() const override { return true; }

 protected:
  ReductionLayer(const LayerSpec& spec, ReduceKind kind) : NodeLayer(spec), kind_(kind) {
    const TensorPtr x = spec.main().input(0);
    if (x && x->dtype() != DataType::kUndefined) type_of(x->dtype());
  }

  NumType type_of(DataType t) const {
    const std::optional<NumType> n = num_type_of(t);
    if (!n || !reduce_supports(kind_, *n)) fail("does not support " + dtype_name(t) + " input on the GPU");
    return *n;
  }

  ReduceKind kind_;
};

class ReduceLayer : public ReductionLayer {
 public:
  ReduceLayer(const LayerSpec& spec, ReduceKind kind)
      : ReductionLayer(spec, kind), noop_(spec.attrs().get_int("noop_with_empty_axes", 0) != 0) {
    if (spec.attrs().has("axes")) axes_attr_ = spec.attrs().get_ints("axes");
  }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    type_ = type_of(x.dtype);
    shape_ = {x.dims, reduced_axes(ctx, static_cast<int64_t>(x.dims.size()))};
    workspace_ = reduce_workspace_bytes(kind_, type_, shape_);
  }
  size_t workspace_bytes() const override { return workspace_; }

  void enqueue(const EnqueueContext& ctx) override {
    check(reduce(kind_, type_, input(ctx, 0).data, output(ctx, 0).data, shape_, ctx.workspace, ctx.stream), "reduce");
  }

  std::string summary() const override { return "reduction"; }

 private:
  // The 'axes' attribute (older opsets) or the optional second input (ReduceSum 13+, the
  // others 18+); none means all, unless noop_with_empty_axes asks for no reduction.
  std::vector<bool> reduced_axes(const PrepareContext& ctx, int64_t rank) const {
    std::vector<int64_t> axes;
    if (axes_attr_) {
      axes = *axes_attr_;
    } else if (has_input(1)) {
      const cpu::HostTensor& t = host_value(ctx, 1, "axes");
      if (t.dtype() != DataType::kInt64) fail("input 'axes' must be int64, got " + t.describe());
      axes = t.to_int64s();
    }
    std::vector<bool> flags(rank, axes.empty() && !noop_);
    for (int64_t a : axes) flags[axis_in(a, rank)] = true;
    return flags;
  }

  bool noop_;
  std::optional<std::vector<int64_t>> axes_attr_;
  NumType type_ = NumType::kFloat;
  ReduceShape shape_;
  size_t workspace_ = 0;
};

template <ReduceKind kKind>
std::unique_ptr<Layer> make_reduce(const LayerSpec& spec) {
  return std::make_unique<ReduceLayer>(spec, kKind);
}

// ArgMax (max) and ArgMin along `axis`; ties go to the first index unless select_last_index.
class ArgLayer : public ReductionLayer {
 public:
  ArgLayer(const LayerSpec& spec, bool max)
      : ReductionLayer(spec, ReduceKind::kMax),  // the same element types as ReduceMax
        max_(max),
        axis_(spec.attrs().get_int("axis", 0)),
        last_(spec.attrs().get_int("select_last_index", 0) != 0) {}

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    type_ = type_of(x.dtype);
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    const int64_t axis = axis_in(axis_, std::max<int64_t>(rank, 1));
    n_ = rank ? x.dims[axis] : 1;
    if (n_ == 0) fail("cannot take the index over empty axis " + std::to_string(axis) + " of " + dims_str(x.dims));
    outer_ = dims_product(x.dims, 0, axis);
    inner_ = dims_product(x.dims, axis + 1, x.dims.size());
    workspace_ = arg_reduce_workspace_bytes(type_, outer_, n_, inner_);
  }
  size_t workspace_bytes() const override { return workspace_; }

  void enqueue(const EnqueueContext& ctx) override {
    check(arg_reduce(max_, last_, type_, input(ctx, 0).data, static_cast<int64_t*>(output(ctx, 0).data), outer_, n_,
                     inner_, ctx.workspace, ctx.stream),
          "arg reduce");
  }

  std::string summary() const override { return max_ ? "argmax" : "argmin"; }

 private:
  bool max_;
  int64_t axis_;
  bool last_;
  NumType type_ = NumType::kFloat;
  int64_t outer_ = 1, n_ = 1, inner_ = 1;
  size_t workspace_ = 0;
};

template <bool kMax>
std::unique_ptr<Layer> make_arg(const LayerSpec& spec) {
  return std::make_unique<ArgLayer>(spec, kMax);
}

}  // namespace

GRAFT_GPU_LAYER("", ReduceSum, 1, make_reduce<ReduceKind::kSum>);
GRAFT_GPU_LAYER("", ReduceMean, 1, make_reduce<ReduceKind::kMean>);
GRAFT_GPU_LAYER("", ReduceProd, 1, make_reduce<ReduceKind::kProd>);
GRAFT_GPU_LAYER("", ReduceMax, 1, make_reduce<ReduceKind::kMax>);
GRAFT_GPU_LAYER("", ReduceMin, 1, make_reduce<ReduceKind::kMin>);
GRAFT_GPU_LAYER("", ReduceL1, 1, make_reduce<ReduceKind::kL1>);
GRAFT_GPU_LAYER("", ReduceL2, 1, make_reduce<ReduceKind::kL2>);
GRAFT_GPU_LAYER("", ReduceLogSum, 1, make_reduce<ReduceKind::kLogSum>);
GRAFT_GPU_LAYER("", ReduceLogSumExp, 1, make_reduce<ReduceKind::kLogSumExp>);
GRAFT_GPU_LAYER("", ReduceSumSquare, 1, make_reduce<ReduceKind::kSumSquare>);
GRAFT_GPU_LAYER("", ArgMax, 1, make_arg<true>);
GRAFT_GPU_LAYER("", ArgMin, 1, make_arg<false>);

}  // namespace graft::cuda
