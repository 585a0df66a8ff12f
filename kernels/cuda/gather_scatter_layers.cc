// GPU layers of Gather, GatherElements, GatherND, ScatterND and Compress, with the
// semantics of kernels/cpu/gather_scatter.cc. Indices (int32 or int64) are read on the
// device, so they need not be known before the run; negative ones count from the end of
// their dim. The CPU kernels refuse an index out of range; here it yields zeros (Gather)
// or is skipped (ScatterND), since a kernel cannot throw.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/cuda/movement.h"
#include "kernels/cuda/node_layer.h"

namespace graft::cuda {
namespace {

class IndexLayer : public NodeLayer {
 public:
  using NodeLayer::NodeLayer;
  bool supports_fp16() const override { return true; }

 protected:
  // Whether the indices (node input k) are int64 (else int32); throws for other types.
  bool wide_indices(const PrepareContext& ctx, size_t k) const {
    const DataType t = input(ctx, k).dtype;
    if (t != DataType::kInt64 && t != DataType::kInt32) fail("indices must be int32 or int64, got " + dtype_name(t));
    return t == DataType::kInt64;
  }
};

class GatherLayer : public IndexLayer {
 public:
  explicit GatherLayer(const LayerSpec& spec) : IndexLayer(spec), axis_attr_(spec.attrs().get_int("axis", 0)) {}

  void prepare(const PrepareContext& ctx) override {
    const Dims& x = input(ctx, 0).dims;
    const int64_t axis = axis_in(axis_attr_, static_cast<int64_t>(x.size()));
    elem_size_ = element_size(input(ctx, 0).dtype);
    wide_ = wide_indices(ctx, 1);
    outer_ = dims_product(x, 0, axis);
    n_ = x[axis];
    inner_ = dims_product(x, axis + 1, x.size());
    m_ = input(ctx, 1).numel();
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(gather(input(ctx, 0).data, outer_, n_, inner_, input(ctx, 1).data, wide_, m_, output(ctx, 0).data, elem_size_,
                 ctx.stream),
          "gather");
  }
  std::string summary() const override { return "gather"; }

 private:
  int64_t axis_attr_;
  size_t elem_size_ = 0;
  bool wide_ = true;
  int64_t outer_ = 0, n_ = 0, inner_ = 0, m_ = 0;
};

class GatherElementsLayer : public IndexLayer {
 public:
  explicit GatherElementsLayer(const LayerSpec& spec) : IndexLayer(spec), axis_attr_(spec.attrs().get_int("axis", 0)) {}

  void prepare(const PrepareContext& ctx) override {
    x_dims_ = input(ctx, 0).dims;
    idx_dims_ = input(ctx, 1).dims;
    const int64_t rank = static_cast<int64_t>(x_dims_.size());
    if (static_cast<int64_t>(idx_dims_.size()) != rank) {
      fail("indices " + dims_str(idx_dims_) + " must have the rank of data " + dims_str(x_dims_));
    }
    axis_ = static_cast<int>(axis_in(axis_attr_, rank));
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis_ && idx_dims_[d] > x_dims_[d]) {
        fail("indices " + dims_str(idx_dims_) + " are larger than data " + dims_str(x_dims_) + " off the axis");
      }
    }
    elem_size_ = element_size(input(ctx, 0).dtype);
    wide_ = wide_indices(ctx, 1);
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(gather_elements(input(ctx, 0).data, x_dims_, input(ctx, 1).data, wide_, idx_dims_, axis_, output(ctx, 0).data,
                          elem_size_, ctx.stream),
          "gather elements");
  }

 private:
  int64_t axis_attr_;
  int axis_ = 0;
  size_t elem_size_ = 0;
  bool wide_ = true;
  Dims x_dims_, idx_dims_;
};

class GatherNDLayer : public IndexLayer {
 public:
  explicit GatherNDLayer(const LayerSpec& spec) : IndexLayer(spec), batch_dims_(spec.attrs().get_int("batch_dims", 0)) {}

  void prepare(const PrepareContext& ctx) override {
    x_dims_ = input(ctx, 0).dims;
    idx_dims_ = input(ctx, 1).dims;
    check_tuples(x_dims_, idx_dims_, batch_dims_);
    elem_size_ = element_size(input(ctx, 0).dtype);
    wide_ = wide_indices(ctx, 1);
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(gather_nd(input(ctx, 0).data, x_dims_, input(ctx, 1).data, wide_, idx_dims_, static_cast<int>(batch_dims_),
                    output(ctx, 0).data, elem_size_, ctx.stream),
          "gather nd");
  }

 protected:
  // The index tuples must fit the data (checked as the CPU kernel does).
  void check_tuples(const Dims& x, const Dims& idx, int64_t b) const {
    const int64_t r = static_cast<int64_t>(x.size()), q = static_cast<int64_t>(idx.size());
    const int64_t k = q ? idx.back() : 0;
    if (q < 1 || b < 0 || b >= q || b + k > r) {
      fail("indices " + dims_str(idx) + " with batch_dims " + std::to_string(b) + " do not fit data " + dims_str(x));
    }
    for (int64_t d = 0; d < b; ++d) {
      if (idx[d] != x[d]) fail("batch dims of indices " + dims_str(idx) + " and data " + dims_str(x) + " differ");
    }
  }

  int64_t batch_dims_;
  size_t elem_size_ = 0;
  bool wide_ = true;
  Dims x_dims_, idx_dims_;
};

// ScatterND addresses slices as GatherND does with batch_dims 0.
class ScatterNDLayer : public GatherNDLayer {
 public:
  explicit ScatterNDLayer(const LayerSpec& spec) : GatherNDLayer(spec) {
    batch_dims_ = 0;
    const std::string r = spec.attrs().get_string("reduction", "none");
    if (r == "none") reduction_ = ScatterReduction::kNone;
    else if (r == "add") reduction_ = ScatterReduction::kAdd;
    else if (r == "mul") reduction_ = ScatterReduction::kMul;
    else if (r == "max") reduction_ = ScatterReduction::kMax;
    else if (r == "min") reduction_ = ScatterReduction::kMin;
    else fail("unknown reduction '" + r + "'");
  }

  void prepare(const PrepareContext& ctx) override {
    GatherNDLayer::prepare(ctx);
    const Dims& updates = input(ctx, 2).dims;
    const int64_t k = idx_dims_.back();
    Dims expected(idx_dims_.begin(), idx_dims_.end() - 1);
    expected.insert(expected.end(), x_dims_.begin() + k, x_dims_.end());
    if (updates != expected) fail("updates " + dims_str(updates) + " must be " + dims_str(expected));
    type_ = NumType::kFloat;
    if (reduction_ != ScatterReduction::kNone) {
      const std::optional<NumType> t = num_type_of(input(ctx, 0).dtype);
      if (!t || *t == NumType::kInt8 || *t == NumType::kUint8 || *t == NumType::kInt16 || *t == NumType::kBool) {
        fail("reductions run on float, float16, double, int32 and int64 data on the GPU, not " +
             dtype_name(input(ctx, 0).dtype));
      }
      type_ = *t;
    }
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(scatter_nd(input(ctx, 0).data, x_dims_, input(ctx, 1).data, wide_, idx_dims_, input(ctx, 2).data,
                     output(ctx, 0).data, type_, elem_size_, reduction_, ctx.stream),
          "scatter nd");
  }

 private:
  ScatterReduction reduction_ = ScatterReduction::kNone;
  NumType type_ = NumType::kFloat;
};

// Compress runs only with a constant condition (the output's size depends on it): the kept
// positions are uploaded at load and gathered as Gather's int64 indices.
class CompressLayer : public NodeLayer {
 public:
  explicit CompressLayer(const LayerSpec& spec)
      : NodeLayer(spec), flat_(!spec.attrs().has("axis")), axis_attr_(spec.attrs().get_int("axis", 0)) {
    const TensorPtr condition = spec.main().input(1);
    if (!condition || !condition->data) {
      fail("the condition must be a constant to run on the GPU (the output's size depends on its values)");
    }
    const cpu::HostTensor c = cpu::HostTensor::from_data(*condition->data);
    if (c.dtype() != DataType::kBool || c.rank() != 1) fail("condition must be a 1-D bool tensor, got " + c.describe());
    for (int64_t i = 0; i < c.numel(); ++i) {
      if (c.data<bool>()[i]) kept_.push_back(i);
    }
  }
  bool supports_fp16() const override { return true; }
  bool takes_constant(size_t slot) const override { return node_input_of(slot) == 1; }

  void load(const LoadContext& ctx) override {
    if (kept_.empty()) return;
    const size_t bytes = kept_.size() * sizeof(int64_t);
    kept_device_ = ctx.weights.allocate(bytes);
    // A pageable source is staged before cudaMemcpyAsync returns.
    check(cudaMemcpyAsync(kept_device_, kept_.data(), bytes, cudaMemcpyHostToDevice, ctx.stream), "condition upload");
  }

  void prepare(const PrepareContext& ctx) override {
    const Dims& x = input(ctx, 0).dims;
    const Dims view = flat_ ? Dims{num_elements(x)} : x;
    const int64_t axis = flat_ ? 0 : axis_in(axis_attr_, static_cast<int64_t>(view.size()));
    outer_ = dims_product(view, 0, axis);
    n_ = view[axis];
    inner_ = dims_product(view, axis + 1, view.size());
    // Condition values past the axis are ignored.
    m_ = std::lower_bound(kept_.begin(), kept_.end(), n_) - kept_.begin();
    if (outer_ * m_ * inner_ != output(ctx, 0).numel()) {
      fail("output dims " + dims_str(output(ctx, 0).dims) + " do not match the condition");
    }
    elem_size_ = element_size(input(ctx, 0).dtype);
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(gather(input(ctx, 0).data, outer_, n_, inner_, kept_device_, true, m_, output(ctx, 0).data, elem_size_,
                 ctx.stream),
          "compress");
  }
  std::string summary() const override { return "gather of the kept positions"; }

 private:
  bool flat_;
  int64_t axis_attr_;
  std::vector<int64_t> kept_;  // positions whose condition is true, ascending
  void* kept_device_ = nullptr;
  size_t elem_size_ = 0;
  int64_t outer_ = 0, n_ = 0, inner_ = 0, m_ = 0;
};

}  // namespace

GRAFT_GPU_LAYER("", Gather, 1, make_layer<GatherLayer>);
GRAFT_GPU_LAYER("", GatherElements, 11, make_layer<GatherElementsLayer>);
GRAFT_GPU_LAYER("", GatherND, 11, make_layer<GatherNDLayer>);
GRAFT_GPU_LAYER("", ScatterND, 11, make_layer<ScatterNDLayer>);
GRAFT_GPU_LAYER("", Compress, 9, make_layer<CompressLayer>);

}  // namespace graft::cuda
