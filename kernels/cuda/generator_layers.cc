// GPU layers of ConstantOfShape, Range, EyeLike and OneHot, with the semantics of
// kernels/cpu/generators.cc. Output dims come from the engine, so the shape, limit and
// depth inputs are not read; Range's start and delta and OneHot's indices and values are
// read on the device.
#include <cstring>
#include <memory>
#include <optional>

#include "kernels/cuda/movement.h"
#include "kernels/cuda/node_layer.h"

namespace graft::cuda {
namespace {

class ConstantOfShapeLayer : public NodeLayer {
 public:
  explicit ConstantOfShapeLayer(const LayerSpec& spec) : NodeLayer(spec) {
    if (const TensorData* v = spec.attrs().get_tensor("value")) {
      const cpu::HostTensor t = cpu::HostTensor::from_data(*v);
      if (t.numel() != 1) fail("value must hold one element, got " + t.describe());
      if (t.nbytes() > sizeof(bits_)) fail("cannot fill " + dtype_name(t.dtype()) + " tensors on the GPU");
      dtype_ = t.dtype();
      std::memcpy(&bits_, t.raw(), t.nbytes());
    }
  }
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const DataType storage = output(ctx, 0).dtype;
    elem_size_ = element_size(storage);
    storage_bits_ = bits_;
    if (storage == dtype_) return;
    if (dtype_ != DataType::kFloat || storage != DataType::kFloat16) fail("cannot store the value as " + dtype_name(storage));
    float v;
    std::memcpy(&v, &bits_, sizeof v);
    storage_bits_ = *scalar_bits(storage, v);
  }
  void enqueue(const EnqueueContext& ctx) override {
    const DeviceTensor& y = output(ctx, 0);
    check(fill(y.data, y.numel(), storage_bits_, elem_size_, ctx.stream), "fill");
  }

 private:
  DataType dtype_ = DataType::kFloat;
  uint64_t bits_ = 0;  // float 0 unless the attribute says otherwise
  uint64_t storage_bits_ = 0;
  size_t elem_size_ = 0;
};

// start, limit and delta stay in the model's dtype (a float32 start is not rounded to
// half at FP16); the output is stored as usual.
class RangeLayer : public NodeLayer {
 public:
  using NodeLayer::NodeLayer;
  bool supports_fp16() const override { return true; }
  DataType input_storage(size_t, DataType model_dtype) const override { return model_dtype; }

  void prepare(const PrepareContext& ctx) override {
    in_ = num_type(input(ctx, 0).dtype);
    out_ = num_type(output(ctx, 0).dtype);
    if (input(ctx, 2).dtype != input(ctx, 0).dtype || input(ctx, 0).numel() != 1 || input(ctx, 2).numel() != 1) {
      fail("start and delta must be scalars of one type");
    }
  }
  void enqueue(const EnqueueContext& ctx) override {
    const DeviceTensor& y = output(ctx, 0);
    check(range(input(ctx, 0).data, input(ctx, 2).data, in_, y.data, out_, y.numel(), ctx.stream), "range");
  }

 private:
  NumType in_ = NumType::kFloat, out_ = NumType::kFloat;
};

// Ones on the k-th diagonal of a 2-D output of the `dtype` attribute's type (the input's by
// default); the input's values are not read.
class EyeLikeLayer : public NodeLayer {
 public:
  explicit EyeLikeLayer(const LayerSpec& spec) : NodeLayer(spec), k_(spec.attrs().get_int("k", 0)) {}
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& y = output(ctx, 0);
    if (y.dims.size() != 2) fail("input must be 2-D, got " + dims_str(y.dims));
    const std::optional<uint64_t> one = scalar_bits(y.dtype, 1.0);
    if (!one) fail("cannot write " + dtype_name(y.dtype) + " tensors on the GPU");
    one_bits_ = *one;
    elem_size_ = element_size(y.dtype);
    rows_ = y.dims[0];
    cols_ = y.dims[1];
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(eye(output(ctx, 0).data, rows_, cols_, k_, one_bits_, elem_size_, ctx.stream), "eye");
  }

 private:
  int64_t k_;
  uint64_t one_bits_ = 0;
  size_t elem_size_ = 0;
  int64_t rows_ = 0, cols_ = 0;
};

// Indices and depth stay in the model's dtype (float indices are not rounded to half).
class OneHotLayer : public NodeLayer {
 public:
  explicit OneHotLayer(const LayerSpec& spec) : NodeLayer(spec), axis_attr_(spec.attrs().get_int("axis", -1)) {}
  bool supports_fp16() const override { return true; }
  DataType input_storage(size_t i, DataType model_dtype) const override {
    return node_input_of(i) == 2 ? stored(model_dtype) : model_dtype;
  }

  void prepare(const PrepareContext& ctx) override {
    const Dims& out = output(ctx, 0).dims;
    const int64_t axis = axis_in(axis_attr_, static_cast<int64_t>(out.size()));
    outer_ = dims_product(out, 0, axis);
    depth_ = out[axis];
    inner_ = dims_product(out, axis + 1, out.size());
    index_type_ = num_type(input(ctx, 0).dtype);
    elem_size_ = element_size(output(ctx, 0).dtype);
    if (input(ctx, 2).numel() != 2) fail("values must hold [off_value, on_value]");
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(one_hot(input(ctx, 0).data, index_type_, outer_, depth_, inner_, input(ctx, 2).data, output(ctx, 0).data,
                  elem_size_, ctx.stream),
          "one hot");
  }

 private:
  int64_t axis_attr_;
  int64_t outer_ = 0, depth_ = 0, inner_ = 0;
  NumType index_type_ = NumType::kInt64;
  size_t elem_size_ = 0;
};

}  // namespace

GRAFT_GPU_LAYER("", ConstantOfShape, 9, make_layer<ConstantOfShapeLayer>);
GRAFT_GPU_LAYER("", Range, 11, make_layer<RangeLayer>);
GRAFT_GPU_LAYER("", EyeLike, 9, make_layer<EyeLikeLayer>);
GRAFT_GPU_LAYER("", OneHot, 9, make_layer<OneHotLayer>);

}  // namespace graft::cuda
