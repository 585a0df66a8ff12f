// GPU layers of the data-movement ops, with the semantics of the CPU kernels in
// kernels/cpu/transpose.cc, concat_split.cc, slice_pad.cc (ReverseSequence among them),
// shape_ops.cc and index_ops.cc (Trilu). Output dims come from the engine, so only what
// they do not say (perm, Slice starts, Pad pads) is read from attributes or host-known
// inputs. Elements are moved by size: every fixed-size dtype works, and float tensors stay
// in their storage dtype (half at FP16).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include "kernels/cuda/movement.h"
#include "kernels/cuda/node_layer.h"

namespace graft::cuda {
namespace {

// ---- strided copies: Transpose, DepthToSpace, SpaceToDepth, Slice, Expand, Tile ----

// out (contiguous, walked as `walk`) reads the input at offset + sum(i * strides).
struct StridedPlan {
  int64_t offset = 0;
  Dims strides, walk;
};

// `in` viewed as `view` (same element count), permuted by `perm`.
StridedPlan permuted(const Dims& view, const Dims& perm) {
  const Dims s = strides_of(view);
  StridedPlan p;
  for (int64_t a : perm) {
    p.walk.push_back(view[a]);
    p.strides.push_back(s[a]);
  }
  return p;
}

class StridedLayer : public NodeLayer {
 public:
  using NodeLayer::NodeLayer;
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    elem_size_ = element_size(input(ctx, 0).dtype);
    plan_ = plan(ctx, input(ctx, 0).dims, output(ctx, 0).dims);
    if (num_elements(plan_.walk) != num_elements(output(ctx, 0).dims)) fail("output dims do not match the copy");
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(copy_strided(input(ctx, 0).data, plan_.offset, plan_.strides, output(ctx, 0).data, plan_.walk, elem_size_,
                       ctx.stream),
          "strided copy");
  }
  std::string summary() const override { return "strided copy"; }

 protected:
  virtual StridedPlan plan(const PrepareContext& ctx, const Dims& in, const Dims& out) const = 0;

 private:
  size_t elem_size_ = 0;
  StridedPlan plan_;
};

class TransposeLayer : public StridedLayer {
 public:
  explicit TransposeLayer(const LayerSpec& spec) : StridedLayer(spec), perm_(spec.attrs().get_ints("perm")) {}

 protected:
  StridedPlan plan(const PrepareContext&, const Dims& in, const Dims&) const override {
    const int64_t rank = static_cast<int64_t>(in.size());
    Dims perm = perm_;
    if (perm.empty()) {
      for (int64_t i = rank; i-- > 0;) perm.push_back(i);
    }
    if (static_cast<int64_t>(perm.size()) != rank) fail("perm " + dims_str(perm_) + " does not match rank " + std::to_string(rank));
    std::vector<bool> seen(rank, false);
    for (int64_t& p : perm) {
      p = axis_in(p, rank);
      if (seen[p]) fail("perm " + dims_str(perm_) + " is not a permutation");
      seen[p] = true;
    }
    return permuted(in, perm);
  }

 private:
  Dims perm_;
};

// DepthToSpace / SpaceToDepth: a 4-D input permuted as a 6-D view.
class BlockLayer : public StridedLayer {
 public:
  BlockLayer(const LayerSpec& spec, bool to_space)
      : StridedLayer(spec),
        to_space_(to_space),
        b_(spec.attrs().required_int("blocksize")),
        crd_(spec.attrs().get_string("mode", "DCR") == "CRD") {
    if (b_ <= 0) fail("blocksize " + std::to_string(b_) + " must be positive");
  }

 protected:
  StridedPlan plan(const PrepareContext&, const Dims& in, const Dims&) const override {
    if (in.size() != 4) fail("input must be 4-D [N, C, H, W], got " + dims_str(in));
    const int64_t n = in[0], c = in[1], h = in[2], w = in[3], b = b_;
    if (to_space_) {
      if (c % (b * b) != 0) fail("channels of " + dims_str(in) + " are not divisible by blocksize^2");
      const int64_t oc = c / (b * b);
      return crd_ ? permuted({n, oc, b, b, h, w}, {0, 1, 4, 2, 5, 3}) : permuted({n, b, b, oc, h, w}, {0, 3, 4, 1, 5, 2});
    }
    if (h % b != 0 || w % b != 0) fail("height and width of " + dims_str(in) + " are not divisible by blocksize");
    return permuted({n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4});
  }

 private:
  bool to_space_;
  int64_t b_;
  bool crd_;
};

// Start of a slice along a dim of size n and its element count, by the ONNX clamping rules.
std::pair<int64_t, int64_t> slice_range(int64_t start, int64_t end, int64_t step, int64_t n) {
  auto clamp = [&](int64_t i, int64_t lo, int64_t hi) { return std::clamp(i < 0 ? i + n : i, lo, hi); };
  if (step > 0) {
    start = clamp(start, 0, n);
    end = clamp(end, 0, n);
    return {start, end > start ? (end - start + step - 1) / step : 0};
  }
  start = clamp(start, 0, n - 1);
  end = clamp(end, -1, n - 1);
  return {start, start > end ? (start - end - step - 1) / -step : 0};
}

class SliceLayer : public StridedLayer {
 public:
  explicit SliceLayer(const LayerSpec& spec) : StridedLayer(spec) {
    const ops::NodeAttrs a = spec.attrs();
    starts_ = a.get_ints("starts");
    ends_ = a.get_ints("ends");
    axes_ = a.get_ints("axes");
  }

 protected:
  StridedPlan plan(const PrepareContext& ctx, const Dims& in, const Dims&) const override {
    const bool attrs = opset() < 10;
    const Dims starts = attrs ? starts_ : host_value(ctx, 1, "starts").to_int64s();
    const Dims ends = attrs ? ends_ : host_value(ctx, 2, "ends").to_int64s();
    Dims axes = attrs ? axes_ : (has_input(3) ? host_value(ctx, 3, "axes").to_int64s() : Dims{});
    Dims steps = !attrs && has_input(4) ? host_value(ctx, 4, "steps").to_int64s() : Dims{};
    if (axes.empty()) {
      axes.resize(starts.size());
      std::iota(axes.begin(), axes.end(), 0);
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
      fail("starts " + dims_str(starts) + ", ends " + dims_str(ends) + ", axes " + dims_str(axes) + " and steps " +
           dims_str(steps) + " must have the same length");
    }
    const int64_t rank = static_cast<int64_t>(in.size());
    const Dims in_strides = strides_of(in);
    StridedPlan p{0, in_strides, in};
    std::vector<bool> seen(rank, false);
    for (size_t i = 0; i < starts.size(); ++i) {
      const int64_t axis = axis_in(axes[i], rank);
      if (seen[axis]) fail("axes " + dims_str(axes) + " repeat an axis");
      seen[axis] = true;
      if (steps[i] == 0) fail("steps " + dims_str(steps) + " has a zero step");
      const auto [start, count] = slice_range(starts[i], ends[i], steps[i], in[axis]);
      p.walk[axis] = count;
      p.strides[axis] = in_strides[axis] * steps[i];
      if (count > 0) p.offset += start * in_strides[axis];
    }
    return p;
  }

 private:
  Dims starts_, ends_, axes_;
};

class ExpandLayer : public StridedLayer {
 public:
  using StridedLayer::StridedLayer;

 protected:
  StridedPlan plan(const PrepareContext&, const Dims& in, const Dims& out) const override {
    if (in.size() > out.size()) fail("input " + dims_str(in) + " has more dims than the output " + dims_str(out));
    const Dims s = strides_of(in);
    StridedPlan p{0, Dims(out.size(), 0), out};
    const size_t lead = out.size() - in.size();
    for (size_t i = 0; i < in.size(); ++i) p.strides[lead + i] = in[i] == 1 ? 0 : s[i];
    return p;
  }
};

// Tile walks [r0, d0, r1, d1, ...], reading dim i with stride 0 along its repeat index;
// the repeats are the output dims over the input dims.
class TileLayer : public StridedLayer {
 public:
  using StridedLayer::StridedLayer;

 protected:
  StridedPlan plan(const PrepareContext&, const Dims& in, const Dims& out) const override {
    if (in.size() != out.size()) fail("output " + dims_str(out) + " must have the rank of the input " + dims_str(in));
    const Dims s = strides_of(in);
    StridedPlan p;
    for (size_t d = 0; d < in.size(); ++d) {
      const int64_t repeats = in[d] ? out[d] / in[d] : 0;
      p.walk.insert(p.walk.end(), {repeats, in[d]});
      p.strides.insert(p.strides.end(), {0, s[d]});
    }
    return p;
  }
};

// ---- Pad ----

std::optional<PadMode> pad_mode(const std::string& mode) {
  if (mode == "constant") return PadMode::kConstant;
  if (mode == "reflect") return PadMode::kReflect;
  if (mode == "edge") return PadMode::kEdge;
  if (mode == "wrap") return PadMode::kWrap;
  return std::nullopt;
}

class PadLayer : public NodeLayer {
 public:
  explicit PadLayer(const LayerSpec& spec) : NodeLayer(spec) {
    const ops::NodeAttrs a = spec.attrs();
    mode_name_ = a.get_string("mode", "constant");
    const std::optional<PadMode> mode = pad_mode(mode_name_);
    if (!mode) fail("unknown mode '" + mode_name_ + "'");
    mode_ = *mode;
    pads_attr_ = a.get_ints(opset() < 2 ? "paddings" : "pads");
    value_attr_ = a.get_float("value", 0.f);
  }
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    elem_size_ = element_size(x.dtype);
    in_dims_ = x.dims;
    out_dims_ = output(ctx, 0).dims;
    const int64_t rank = static_cast<int64_t>(in_dims_.size());
    const Dims pads = pads_for_all_axes(ctx, rank);
    before_.assign(pads.begin(), pads.begin() + rank);
    for (int64_t d = 0; d < rank; ++d) {
      if (in_dims_[d] + pads[d] + pads[rank + d] != out_dims_[d]) fail("pads " + dims_str(pads) + " do not give the output dims");
      if (in_dims_[d] == 0 && out_dims_[d] > 0 && mode_ != PadMode::kConstant) fail("cannot " + mode_name_ + "-pad an empty axis");
    }
    value_bits_ = 0;
    if (opset() < 11) {
      const std::optional<uint64_t> bits = scalar_bits(x.dtype, value_attr_);
      if (!bits) fail("cannot pad " + dtype_name(x.dtype) + " with a value");
      value_bits_ = *bits;
    }
  }
  void enqueue(const EnqueueContext& ctx) override {
    const void* value = nullptr;
    if (opset() >= 11 && has_input(2) && input(ctx, 2).numel() > 0) value = input(ctx, 2).data;
    check(pad(input(ctx, 0).data, in_dims_, output(ctx, 0).data, out_dims_, before_, mode_, value, value_bits_,
              elem_size_, ctx.stream),
          "pad");
  }
  std::string summary() const override { return mode_name_ + " pad"; }

 private:
  // [begin_0, ..., begin_r-1, end_0, ..., end_r-1] over all dims (opset 18 may pad some axes).
  Dims pads_for_all_axes(const PrepareContext& ctx, int64_t rank) const {
    const Dims pads = opset() < 11 ? pads_attr_ : host_value(ctx, 1, "pads").to_int64s();
    Dims axes;
    if (opset() >= 18 && has_input(3)) {
      for (int64_t a : host_value(ctx, 3, "axes").to_int64s()) axes.push_back(axis_in(a, rank));
    } else {
      axes.resize(rank);
      std::iota(axes.begin(), axes.end(), 0);
    }
    const size_t n = axes.size();
    if (pads.size() != 2 * n) fail("pads " + dims_str(pads) + " must have 2 values per padded axis");
    Dims all(2 * rank, 0);
    for (size_t i = 0; i < n; ++i) {
      all[axes[i]] = pads[i];
      all[rank + axes[i]] = pads[n + i];
    }
    return all;
  }

  std::string mode_name_;
  PadMode mode_;
  Dims pads_attr_;
  float value_attr_ = 0;
  size_t elem_size_ = 0;
  Dims in_dims_, out_dims_, before_;
  uint64_t value_bits_ = 0;
};

// ---- Concat / Split: [outer, axis * inner] blocks side by side ----

class ConcatLayer : public NodeLayer {
 public:
  explicit ConcatLayer(const LayerSpec& spec)
      : NodeLayer(spec), axis_(spec.attrs().required_int("axis")), inputs_(spec.main().inputs().size()) {}
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const Dims& out = output(ctx, 0).dims;
    if (out.empty()) fail("inputs must have rank >= 1");
    const int64_t axis = axis_in(axis_, static_cast<int64_t>(out.size()));
    elem_size_ = element_size(output(ctx, 0).dtype);
    outer_ = dims_product(out, 0, axis);
    const int64_t inner = dims_product(out, axis + 1, out.size());
    widths_.clear();
    for (size_t k = 0; k < inputs_; ++k) {
      const Dims& d = input(ctx, k).dims;
      if (d.size() != out.size()) fail("input " + std::to_string(k) + " " + dims_str(d) + " does not match the output rank");
      widths_.push_back(d[axis] * inner);
    }
  }
  void enqueue(const EnqueueContext& ctx) override {
    std::vector<const void*> parts;
    for (size_t k = 0; k < inputs_; ++k) parts.push_back(input(ctx, k).data);
    check(concat_rows(parts, widths_, output(ctx, 0).data, outer_, elem_size_, ctx.stream), "concat");
  }
  std::string summary() const override { return "concat"; }

 private:
  int64_t axis_;
  size_t inputs_;
  size_t elem_size_ = 0;
  int64_t outer_ = 0;
  Dims widths_;
};

// The parts' sizes are the output dims along the axis; an output the layer does not write
// (if the builder leaves unread ones out) is sized as the CPU kernel sizes it.
class SplitLayer : public NodeLayer {
 public:
  explicit SplitLayer(const LayerSpec& spec)
      : NodeLayer(spec),
        axis_(spec.attrs().get_int("axis", 0)),
        split_attr_(spec.attrs().get_ints("split")),
        num_outputs_attr_(spec.attrs().get_int("num_outputs", 0)),
        outputs_(spec.main().outputs().size()) {}
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const Dims& in = input(ctx, 0).dims;
    const int64_t axis = axis_in(axis_, static_cast<int64_t>(in.size()));
    elem_size_ = element_size(input(ctx, 0).dtype);
    outer_ = dims_product(in, 0, axis);
    const int64_t inner = dims_product(in, axis + 1, in.size());
    bool all_written = true;
    for (size_t k = 0; k < outputs_; ++k) all_written = all_written && has_output(k);
    Dims sizes;
    if (all_written) {
      for (size_t k = 0; k < outputs_; ++k) sizes.push_back(output(ctx, k).dims.at(axis));
    } else {
      sizes = split_sizes(ctx, in[axis]);
    }
    widths_.clear();
    int64_t total = 0;
    for (int64_t size : sizes) {
      widths_.push_back(size * inner);
      total += size;
    }
    if (total != in[axis] || sizes.size() != outputs_) fail("the parts " + dims_str(sizes) + " do not split the axis of " + dims_str(in));
  }
  void enqueue(const EnqueueContext& ctx) override {
    std::vector<void*> parts;
    for (size_t k = 0; k < outputs_; ++k) parts.push_back(has_output(k) ? output(ctx, k).data : nullptr);
    check(split_rows(input(ctx, 0).data, parts, widths_, outer_, elem_size_, ctx.stream), "split");
  }
  std::string summary() const override { return "split"; }

 private:
  // From `split` (attribute before opset 13, else input 1), else equal parts (the last
  // one smaller if the axis does not divide).
  Dims split_sizes(const PrepareContext& ctx, int64_t dim) const {
    Dims sizes = opset() < 13 ? split_attr_ : (has_input(1) ? host_value(ctx, 1, "split").to_int64s() : Dims{});
    if (!sizes.empty()) return sizes;
    const int64_t n = num_outputs_attr_ > 0 ? num_outputs_attr_ : static_cast<int64_t>(outputs_);
    const int64_t each = (dim + n - 1) / n;
    for (int64_t i = 0; i < n; ++i) sizes.push_back(std::max<int64_t>(0, std::min(each, dim - i * each)));
    return sizes;
  }

  int64_t axis_;
  Dims split_attr_;
  int64_t num_outputs_attr_;
  size_t outputs_;
  size_t elem_size_ = 0;
  int64_t outer_ = 0;
  Dims widths_;
};

// ---- Reshape, Flatten, Squeeze, Unsqueeze: the same bytes under other dims ----

class ReshapeLayer : public NodeLayer {
 public:
  using NodeLayer::NodeLayer;
  bool supports_fp16() const override { return true; }
  int aliased_input(size_t) const override { return 0; }
  void enqueue(const EnqueueContext& ctx) override {
    const DeviceTensor& x = input(ctx, 0);
    const DeviceTensor& y = output(ctx, 0);
    if (x.nbytes() != y.nbytes()) fail("input and output sizes differ");
    if (x.nbytes() == 0 || x.data == y.data) return;
    check(cudaMemcpyAsync(y.data, x.data, x.nbytes(), cudaMemcpyDeviceToDevice, ctx.stream), "copy");
  }
  std::string summary() const override { return "view of its input (a copy where it cannot share memory)"; }
};

// ---- Trilu: a copy that zeros one triangle ----

class TriluLayer : public NodeLayer {
 public:
  explicit TriluLayer(const LayerSpec& spec) : NodeLayer(spec), upper_(spec.attrs().get_int("upper", 1) != 0) {}
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    if (x.dims.size() < 2) fail("input must have rank >= 2, got " + dims_str(x.dims));
    elem_size_ = element_size(x.dtype);
    rows_ = x.dims[x.dims.size() - 2];
    cols_ = x.dims.back();
    mats_ = rows_ * cols_ != 0 ? x.numel() / (rows_ * cols_) : 0;
    if (has_input(1) && (input(ctx, 1).dtype != DataType::kInt64 || input(ctx, 1).numel() != 1)) {
      fail("k must be one int64 value");
    }
  }
  // k is read on the device, so it need not be known before the run.
  void enqueue(const EnqueueContext& ctx) override {
    const int64_t* k = has_input(1) ? static_cast<const int64_t*>(input(ctx, 1).data) : nullptr;
    check(trilu(input(ctx, 0).data, output(ctx, 0).data, mats_, rows_, cols_, k, upper_, elem_size_, ctx.stream),
          "trilu");
  }

 private:
  bool upper_;
  size_t elem_size_ = 0;
  int64_t rows_ = 0, cols_ = 0, mats_ = 0;
};

// ---- ReverseSequence: sequence_lens read on the device ----

// Lengths the host knows are checked as the CPU kernel checks them; others are clamped to
// [0, steps] by the kernel.
class ReverseSequenceLayer : public NodeLayer {
 public:
  explicit ReverseSequenceLayer(const LayerSpec& spec)
      : NodeLayer(spec),
        batch_axis_(spec.attrs().get_int("batch_axis", 1)),
        time_axis_(spec.attrs().get_int("time_axis", 0)) {}
  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const Dims& x = input(ctx, 0).dims;
    const int64_t rank = static_cast<int64_t>(x.size());
    if (rank < 2) fail("input must have rank >= 2, got " + dims_str(x));
    const int64_t b = axis_in(batch_axis_, rank), t = axis_in(time_axis_, rank);
    if (b == t) fail("batch_axis and time_axis must differ");
    const TensorDesc& lens = input(ctx, 1);
    if (lens.dtype != DataType::kInt64 && lens.dtype != DataType::kInt32) {
      fail("sequence_lens must be int32 or int64, got " + dtype_name(lens.dtype));
    }
    if (lens.numel() != x[b]) {
      fail("sequence_lens has " + std::to_string(lens.numel()) + " values for batch size " + std::to_string(x[b]));
    }
    const int slot = input_slot(1);
    if (const cpu::HostTensor* known = static_cast<size_t>(slot) < ctx.host_values.size() ? ctx.host_values[slot] : nullptr) {
      const Dims v = known->to_int64s();
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] < 0 || v[i] > x[t]) fail("sequence_lens[" + std::to_string(i) + "] is out of range");
      }
    }
    const Dims strides = strides_of(x);
    n_ = num_elements(x);
    steps_ = x[t];
    time_stride_ = strides[t];
    batch_ = x[b];
    batch_stride_ = strides[b];
    wide_ = lens.dtype == DataType::kInt64;
    elem_size_ = element_size(input(ctx, 0).dtype);
  }
  void enqueue(const EnqueueContext& ctx) override {
    check(reverse_sequence(input(ctx, 0).data, output(ctx, 0).data, n_, steps_, time_stride_, batch_, batch_stride_,
                           input(ctx, 1).data, wide_, elem_size_, ctx.stream),
          "reverse sequence");
  }

 private:
  int64_t batch_axis_, time_axis_;
  int64_t n_ = 0, steps_ = 0, time_stride_ = 1, batch_ = 0, batch_stride_ = 1;
  bool wide_ = true;
  size_t elem_size_ = 0;
};

std::unique_ptr<Layer> make_depth_to_space(const LayerSpec& spec) { return std::make_unique<BlockLayer>(spec, true); }
std::unique_ptr<Layer> make_space_to_depth(const LayerSpec& spec) { return std::make_unique<BlockLayer>(spec, false); }

}  // namespace

GRAFT_GPU_LAYER("", Transpose, 1, make_layer<TransposeLayer>);
GRAFT_GPU_LAYER("", DepthToSpace, 1, make_depth_to_space);
GRAFT_GPU_LAYER("", SpaceToDepth, 1, make_space_to_depth);
GRAFT_GPU_LAYER("", Slice, 1, make_layer<SliceLayer>);
GRAFT_GPU_LAYER("", Expand, 8, make_layer<ExpandLayer>);
GRAFT_GPU_LAYER("", Tile, 1, make_layer<TileLayer>);
GRAFT_GPU_LAYER("", Pad, 1, make_layer<PadLayer>);
GRAFT_GPU_LAYER("", Concat, 1, make_layer<ConcatLayer>);
GRAFT_GPU_LAYER("", Split, 1, make_layer<SplitLayer>);
GRAFT_GPU_LAYER("", Reshape, 1, make_layer<ReshapeLayer>);
GRAFT_GPU_LAYER("", Flatten, 1, make_layer<ReshapeLayer>);
GRAFT_GPU_LAYER("", Squeeze, 1, make_layer<ReshapeLayer>);
GRAFT_GPU_LAYER("", Unsqueeze, 1, make_layer<ReshapeLayer>);
GRAFT_GPU_LAYER("", Trilu, 14, make_layer<TriluLayer>);
GRAFT_GPU_LAYER("", ReverseSequence, 10, make_layer<ReverseSequenceLayer>);

}  // namespace graft::cuda
