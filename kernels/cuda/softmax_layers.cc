// GPU layers of Softmax, LogSoftmax and Hardmax, with the semantics of kernels/cpu/softmax.cc:
// before opset 13 the input is coerced to 2-D at `axis` (default 1) and the op runs over
// the flattened trailing dims; from 13 it runs along `axis` alone (default -1).
#include <memory>
#include <string>

#include "kernels/cuda/float_layer.h"
#include "kernels/cuda/softmax.h"

namespace graft::cuda {
namespace {

class SoftmaxLayer : public FloatLayer {
 public:
  SoftmaxLayer(const LayerSpec& spec, SoftmaxKind kind)
      : FloatLayer(spec), kind_(kind), coerce_2d_(opset() < 13), axis_(spec.attrs().get_int("axis", coerce_2d_ ? 1 : -1)) {}

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    type_ = float_type(x.dtype);
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    const int64_t axis = axis_in(axis_, rank);
    outer_ = dims_product(x.dims, 0, axis);
    n_ = dims_product(x.dims, axis, coerce_2d_ ? rank : axis + 1);
    inner_ = coerce_2d_ ? 1 : dims_product(x.dims, axis + 1, rank);
  }

  void enqueue(const EnqueueContext& ctx) override {
    check(softmax(kind_, type_, input(ctx, 0).data, output(ctx, 0).data, outer_, n_, inner_, ctx.stream), "softmax");
  }

  std::string summary() const override { return inner_ == 1 ? "softmax along rows" : "softmax along a strided axis"; }

 private:
  SoftmaxKind kind_;
  bool coerce_2d_;
  int64_t axis_;
  NumType type_ = NumType::kFloat;
  int64_t outer_ = 1, n_ = 1, inner_ = 1;
};

template <SoftmaxKind kKind>
std::unique_ptr<Layer> make_softmax(const LayerSpec& spec) {
  return std::make_unique<SoftmaxLayer>(spec, kKind);
}

}  // namespace

GRAFT_GPU_LAYER("", Softmax, 1, make_softmax<SoftmaxKind::kSoftmax>);
GRAFT_GPU_LAYER("", LogSoftmax, 1, make_softmax<SoftmaxKind::kLogSoftmax>);
GRAFT_GPU_LAYER("", Hardmax, 1, make_softmax<SoftmaxKind::kHardmax>);

}  // namespace graft::cuda
