// GPU layers of the normalizations, with the semantics of kernels/cpu/normalization.cc.
// LayerNormalization, GroupNormalization and InstanceNormalization normalize rows by their
// own statistics in one kernel; BatchNormalization (inference) and
// MeanVarianceNormalization apply per-slot statistics (BatchNormalization's folded at load);
// LRN sums squares over a window of channels.
#include <cuda_runtime_api.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/float_layer.h"
#include "kernels/cuda/normalization.h"
#include "kernels/cuda/reduce.h"

namespace graft::cuda {
namespace {

size_t align256(size_t n) { return (n + 255) / 256 * 256; }

// Rows normalized by their own statistics; subclasses say how x splits into rows and
// how the parameters map onto them.
class RowNormLayer : public FloatLayer {
 public:
  explicit RowNormLayer(const LayerSpec& spec)
      : FloatLayer(spec), epsilon_(spec.attrs().get_float("epsilon", 1e-5f)) {}

  void enqueue(const EnqueueContext& ctx) override {
    RowNorm a = args_;
    a.x = input(ctx, 0).data;
    a.y = output(ctx, 0).data;
    a.scale.data = input(ctx, 1).data;
    a.bias.data = has_input(2) ? input(ctx, 2).data : nullptr;
    a.mean = has_output(1) ? output(ctx, 1).data : nullptr;
    a.inv_std = has_output(2) ? output(ctx, 2).data : nullptr;
    check(normalize_rows(a, ctx.stream), "row normalization");
  }

 protected:
  // Starts args_ for x; the subclass sets rows, cols, groups and the parameter spans.
  void start(const TensorDesc& x) {
    args_ = RowNorm{};
    args_.type = float_type(x.dtype);
    args_.epsilon = epsilon_;
  }

  // Input k (a parameter, `name` in messages) in x's storage dtype with `numel` values.
  int64_t param_numel(const PrepareContext& ctx, size_t k, const char* name) const {
    const TensorDesc& p = input(ctx, k);
    if (p.dtype != input(ctx, 0).dtype) {
      fail(std::string("input '") + name + "' is stored as " + dtype_name(p.dtype) + ", X as " + dtype_name(input(ctx, 0).dtype));
    }
    return p.numel();
  }

  RowNorm args_;

 private:
  float epsilon_;
};

// Mean and InvStdDev (optional) keep the dims before `axis`, in the stash type.
class LayerNormLayer : public RowNormLayer {
 public:
  explicit LayerNormLayer(const LayerSpec& spec) : RowNormLayer(spec), axis_(spec.attrs().get_int("axis", -1)) {}

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    start(x);
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    args_.cols = dims_product(x.dims, axis_in(axis_, rank), rank);
    args_.rows = args_.cols ? x.numel() / args_.cols : 0;
    args_.scale.span = span(ctx, 1, "Scale");
    if (has_input(2)) args_.bias.span = span(ctx, 2, "B");
    for (size_t k : {1, 2}) {
      if (has_output(k)) args_.stats_type = float_type(output(ctx, k).dtype);
    }
    if (has_output(1) && has_output(2) && output(ctx, 1).dtype != output(ctx, 2).dtype) {
      fail("Mean and InvStdDev must have one type");
    }
  }

  std::string summary() const override { return "layer normalization"; }

 private:
  // One value per normalized element, or one for all.
  int64_t span(const PrepareContext& ctx, size_t k, const char* name) const {
    const int64_t n = param_numel(ctx, k, name);
    if (n != args_.cols && n != 1) {
      fail(std::string("input '") + name + "' " + dims_str(input(ctx, k).dims) +
           " must hold one value per normalized element or a single value on the GPU");
    }
    return n == args_.cols ? 1 : args_.cols;
  }

  int64_t axis_;
};

// GroupNormalization (num_groups; scale and bias per channel, opset 21, or per group,
// opset 18) and InstanceNormalization (a group per channel).
class GroupNormLayer : public RowNormLayer {
 public:
  GroupNormLayer(const LayerSpec& spec, bool instance)
      : RowNormLayer(spec), groups_(instance ? 0 : spec.attrs().required_int("num_groups")) {
    if (!instance && groups_ <= 0) fail("num_groups must be positive, got " + std::to_string(groups_));
  }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    start(x);
    if (x.dims.size() < 2) fail("input X must have rank >= 2 (N, C, ...), got " + dims_str(x.dims));
    const int64_t channels = x.dims[1];
    const int64_t groups = groups_ ? groups_ : channels;
    if (channels % groups != 0) {
      fail("num_groups " + std::to_string(groups) + " must divide the channel count " + std::to_string(channels));
    }
    spatial_ = dims_product(x.dims, 2, x.dims.size());
    args_.rows = x.dims[0] * groups;
    args_.cols = channels / groups * spatial_;
    args_.groups = groups;
    args_.scale.span = span(ctx, 1, "scale", channels);
    args_.bias.span = span(ctx, 2, "bias", channels);
  }

  std::string summary() const override { return "group normalization"; }

 private:
  // One value per channel, or per group.
  int64_t span(const PrepareContext& ctx, size_t k, const char* name, int64_t channels) const {
    const int64_t n = param_numel(ctx, k, name);
    if (n == channels) return spatial_;
    if (n == args_.groups) return args_.cols;
    fail(std::string("input '") + name + "' must have one value per channel (" + std::to_string(channels) +
         ") or per group (" + std::to_string(args_.groups) + "), got " + dims_str(input(ctx, k).dims));
  }

  int64_t groups_;  // 0: one per channel
  int64_t spatial_ = 1;
};

// Inference only: y = (x - mean) * scale / sqrt(var + epsilon) + B per channel, the
// coefficients worked out once at load.
class BatchNormLayer : public FloatLayer {
 public:
  explicit BatchNormLayer(const LayerSpec& spec)
      : FloatLayer(spec), epsilon_(spec.attrs().get_float("epsilon", 1e-5f)) {
    const ops::NodeAttrs attrs = spec.attrs();
    const bool training = opset() >= 14 ? attrs.get_int("training_mode", 0) != 0
                                        : opset() < 7 && attrs.get_int("is_test", 0) == 0 && spec.main().outputs().size() > 1;
    if (training) fail("training mode (batch statistics) is not supported on the GPU; export the model for inference");
    for (size_t k = 1; k < spec.main().outputs().size(); ++k) {
      if (has_output(k)) fail("outputs beyond Y (running statistics) are only produced in training mode");
    }
    for (size_t k = 1; k <= 4; ++k) {
      const TensorPtr t = spec.main().input(k);
      if (!t || !t->data) fail("scale, B, input_mean and input_var must be constants to run on the GPU");
    }
    wide_ = spec.main().input(0) && spec.main().input(0)->dtype() == DataType::kDouble;
  }

  bool takes_constant(size_t slot) const override {
    const int k = node_input_of(slot);
    return k >= 1 && k <= 4;
  }

  void load(const LoadContext& ctx) override {
    std::vector<double> v[4];
    for (size_t k = 1; k <= 4; ++k) v[k - 1] = cpu::HostTensor::from_data(*ctx.spec.main().input(k)->data).to_doubles();
    channels_ = static_cast<int64_t>(v[0].size());
    for (const std::vector<double>& p : v) {
      if (static_cast<int64_t>(p.size()) != channels_) {
        fail("scale, B, input_mean and input_var must hold one value per channel each");
      }
    }
    // mean, scale / sqrt(var + epsilon), B
    std::vector<double> coef(3 * channels_);
    for (int64_t c = 0; c < channels_; ++c) {
      coef[c] = v[2][c];
      coef[channels_ + c] = v[0][c] / std::sqrt(v[3][c] + double(epsilon_));
      coef[2 * channels_ + c] = v[1][c];
    }
    coef_ = upload(coef, ctx);
  }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    type_ = float_type(x.dtype);
    if ((type_ == NumType::kDouble) != wide_) fail("X changed type after loading");
    if (x.dims.size() < 2 || x.dims[1] != channels_) {
      fail("X " + dims_str(x.dims) + " must be [N, C, ...] with C = " + std::to_string(channels_));
    }
    const size_t bytes = wide_ ? sizeof(double) : sizeof(float);
    const char* coef = static_cast<const char*>(coef_);
    args_ = SlotNorm{type_, nullptr, nullptr, x.dims, Dims(x.dims.size(), 0), coef, coef + channels_ * bytes,
                     coef + 2 * channels_ * bytes};
    args_.slot_strides[1] = 1;
  }

  void enqueue(const EnqueueContext& ctx) override {
    args_.x = input(ctx, 0).data;
    args_.y = output(ctx, 0).data;
    check(normalize_slots(args_, ctx.stream), "batch normalization");
  }

  std::string summary() const override { return "batch normalization (inference)"; }

 private:
  // The coefficients as float (double for double X) in weight memory.
  void* upload(const std::vector<double>& coef, const LoadContext& ctx) const {
    const std::vector<float> narrow(coef.begin(), coef.end());
    const void* host = wide_ ? static_cast<const void*>(coef.data()) : narrow.data();
    const size_t bytes = coef.size() * (wide_ ? sizeof(double) : sizeof(float));
    void* device = ctx.weights.allocate(bytes);
    // A pageable source is staged before cudaMemcpyAsync returns.
    check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, ctx.stream), "coefficient upload");
    return device;
  }

  float epsilon_;
  bool wide_ = false;
  int64_t channels_ = 0;
  const void* coef_ = nullptr;
  NumType type_ = NumType::kFloat;
  SlotNorm args_;
};

// (x - mean) / (std + 1e-9) with the statistics over `axes` (default 0, 2, 3).
class MeanVarianceLayer : public FloatLayer {
 public:
  explicit MeanVarianceLayer(const LayerSpec& spec)
      : FloatLayer(spec), axes_(spec.attrs().get_ints("axes", {0, 2, 3})) {}

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    type_ = float_type(x.dtype);
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    shape_ = {x.dims, std::vector<bool>(rank, false)};
    for (int64_t a : axes_) shape_.reduced[axis_in(a, rank)] = true;
    // Each element's statistics slot: its index among the kept dims.
    args_ = SlotNorm{type_, nullptr, nullptr, x.dims, Dims(rank, 0)};
    int64_t slots = 1;
    for (int64_t d = rank; d-- > 0;) {
      if (shape_.reduced[d]) continue;
      args_.slot_strides[d] = slots;
      slots *= x.dims[d];
    }
    stats_bytes_ = align256(slots * (type_ == NumType::kDouble ? sizeof(double) : sizeof(float)));
    workspace_ = 2 * stats_bytes_ + mvn_statistics_workspace_bytes(type_, shape_);
  }
  size_t workspace_bytes() const override { return workspace_; }

  void enqueue(const EnqueueContext& ctx) override {
    char* mean = static_cast<char*>(ctx.workspace);
    char* inv_std = mean + stats_bytes_;
    args_.x = input(ctx, 0).data;
    args_.y = output(ctx, 0).data;
    args_.mean = mean;
    args_.scale = inv_std;
    check(mvn_statistics(type_, args_.x, shape_, mean, inv_std, inv_std + stats_bytes_, ctx.stream), "mean and variance");
    check(normalize_slots(args_, ctx.stream), "normalization");
  }

  std::string summary() const override { return "mean variance normalization"; }

 private:
  std::vector<int64_t> axes_;
  NumType type_ = NumType::kFloat;
  ReduceShape shape_;
  SlotNorm args_;
  size_t stats_bytes_ = 0, workspace_ = 0;
};

// LRN across channels (AlexNet, GoogLeNet): the window of `size` channels around each.
class LrnLayer : public FloatLayer {
 public:
  explicit LrnLayer(const LayerSpec& spec) : FloatLayer(spec) {
    const ops::NodeAttrs a = spec.attrs();
    if (!a.has("size")) fail("attribute 'size' is required");
    args_.size = a.get_int("size", 1);
    if (args_.size <= 0) fail("attribute 'size' must be positive, got " + std::to_string(args_.size));
    args_.alpha = a.get_float("alpha", 1e-4f);
    args_.beta = a.get_float("beta", 0.75f);
    args_.bias = a.get_float("bias", 1.0f);
  }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    args_.type = float_type(x.dtype);
    if (x.dims.size() < 2) fail("input X must have rank >= 2 (N, C, ...), got " + dims_str(x.dims));
    args_.n = x.dims[0];
    args_.c = x.dims[1];
    args_.s = dims_product(x.dims, 2, x.dims.size());
  }

  void enqueue(const EnqueueContext& ctx) override {
    LocalResponseNorm a = args_;
    a.x = input(ctx, 0).data;
    a.y = output(ctx, 0).data;
    check(local_response_norm(a, ctx.stream), "local response normalization");
  }

  std::string summary() const override { return "local response normalization"; }

 private:
  LocalResponseNorm args_;
};

std::unique_ptr<Layer> make_group_norm(const LayerSpec& spec) { return std::make_unique<GroupNormLayer>(spec, false); }
std::unique_ptr<Layer> make_instance_norm(const LayerSpec& spec) { return std::make_unique<GroupNormLayer>(spec, true); }

}  // namespace

GRAFT_GPU_LAYER("", LayerNormalization, 1, make_layer<LayerNormLayer>);
GRAFT_GPU_LAYER("", GroupNormalization, 1, make_group_norm);
GRAFT_GPU_LAYER("", InstanceNormalization, 1, make_instance_norm);
GRAFT_GPU_LAYER("", BatchNormalization, 1, make_layer<BatchNormLayer>);
GRAFT_GPU_LAYER("", MeanVarianceNormalization, 1, make_layer<MeanVarianceLayer>);
GRAFT_GPU_LAYER("", LRN, 1, make_layer<LrnLayer>);

}  // namespace graft::cuda
