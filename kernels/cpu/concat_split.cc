// Concat and Split: tensors joined or cut along one axis, as [outer, axis * inner] blocks.
#include "kernels/cpu/movement_util.h"

namespace graft::cpu {
namespace {

// Copies rows of `n` elements, `rows` times: dst row r at dst + r * dst_pitch, src row r
// at src + r * src_pitch.
template <typename T>
void copy_rows(const T* src, int64_t src_pitch, T* dst, int64_t dst_pitch, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) std::copy(src + r * src_pitch, src + r * src_pitch + n, dst + r * dst_pitch);
}

void concat(KernelContext& ctx) {
  const HostTensor& first = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(first.rank());
  if (rank == 0) ctx.fail("inputs must have rank >= 1, got " + first.describe());
  const int64_t axis = normalize_axis(ctx, ctx.required_attr_int("axis"), rank);
  Dims out_dims = first.dims();
  out_dims[axis] = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const HostTensor& t = ctx.input(i);
    bool same = t.rank() == first.rank() && t.dtype() == first.dtype();
    for (int64_t d = 0; same && d < rank; ++d) same = d == axis || t.dim(d) == first.dim(d);
    if (!same) ctx.fail("input " + std::to_string(i) + " " + t.describe() + " does not match input 0 " + first.describe());
    out_dims[axis] += t.dim(axis);
  }
  HostTensor& y = ctx.allocate_output(0, first.dtype(), out_dims);
  const int64_t outer = dims_product(out_dims, 0, axis), inner = dims_product(out_dims, axis + 1, rank);
  const int64_t out_pitch = out_dims[axis] * inner;
  dispatch_elements(first.dtype(), "Concat", [&](auto tag) {
    using T = decltype(tag);
    T* dst = mutable_elems<T>(y);
    int64_t at = 0;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const HostTensor& t = ctx.input(i);
      const int64_t pitch = t.dim(axis) * inner;
      copy_rows(elems<T>(t), pitch, dst + at, out_pitch, outer, pitch);
      at += pitch;
    }
  });
}

// Sizes of the parts: from the `split` attribute (before opset 13) or input 1, else equal
// parts (the last one smaller if the axis does not divide, as opset 18 allows).
std::vector<int64_t> split_sizes(const KernelContext& ctx, int64_t dim) {
  std::vector<int64_t> sizes = axes_attr_or_input(ctx, "split", 1, 13);
  const int64_t parts = static_cast<int64_t>(ctx.num_outputs());
  if (sizes.empty()) {
    const int64_t n = ctx.attr_int("num_outputs", parts);
    if (n <= 0 || n != parts) ctx.fail("num_outputs " + std::to_string(n) + " must equal the number of outputs");
    const int64_t each = (dim + n - 1) / n;
    for (int64_t i = 0; i < n; ++i) sizes.push_back(std::max<int64_t>(0, std::min(each, dim - i * each)));
    return sizes;
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) ctx.fail("split " + dims_str(sizes) + " has a negative size");
    total += s;
  }
  if (total != dim || static_cast<int64_t>(sizes.size()) != parts) {
    ctx.fail("split " + dims_str(sizes) + " must have one size per output and sum to the axis size " +
             std::to_string(dim));
  }
  return sizes;
}

void split(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", 0), rank);
  const std::vector<int64_t> sizes = split_sizes(ctx, x.dim(axis));
  const int64_t outer = dims_product(x.dims(), 0, axis), inner = dims_product(x.dims(), axis + 1, rank);
  const int64_t in_pitch = x.dim(axis) * inner;
  dispatch_elements(x.dtype(), "Split", [&](auto tag) {
    using T = decltype(tag);
    int64_t at = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      Dims dims = x.dims();
      dims[axis] = sizes[i];
      HostTensor& y = ctx.allocate_output(i, x.dtype(), dims);
      const int64_t pitch = sizes[i] * inner;
      copy_rows(elems<T>(x) + at, in_pitch, mutable_elems<T>(y), pitch, outer, pitch);
      at += pitch;
    }
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", Concat, 1, concat);
GRAFT_CPU_KERNEL("", Split, 1, split);

}  // namespace graft::cpu
