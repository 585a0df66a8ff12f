#pragma once
// Helpers shared by the shape and data-movement kernels (shape_ops.cc, transpose.cc,
// concat_split.cc, slice_pad.cc, gather_scatter.cc, generators.cc, index_ops.cc).
#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"

namespace graft::cpu {

// Calls f with std::string{} for string tensors, else with the unsigned type of the
// element's size (dispatch_by_size): for kernels that only move elements.
template <typename F>
void dispatch_elements(DataType t, const char* what, F&& f) {
  if (t == DataType::kString) {
    f(std::string{});
    return;
  }
  dispatch_by_size(t, what, f);
}

// Numeric, bool and string: for kernels that compare elements (Unique, TopK).
template <typename F>
void dispatch_ordered(DataType t, const char* what, F&& f) {
  if (t == DataType::kString) {
    f(std::string{});
    return;
  }
  dispatch_numeric_or_bool(t, what, f);
}

// The elements of a tensor as T (std::string for string tensors).
template <typename T>
const T* elems(const HostTensor& t) {
  if constexpr (std::is_same_v<T, std::string>) {
    return t.strings().data();
  } else {
    return t.data<T>();
  }
}
template <typename T>
T* mutable_elems(HostTensor& t) {
  if constexpr (std::is_same_v<T, std::string>) {
    return t.mutable_strings().data();
  } else {
    return t.mutable_data<T>();
  }
}

// Walks the index space `dims` in row-major order, in runs along the innermost dim:
// run(src_offset, dst_offset, src_step, dst_step, count) where the offsets are
// sum(i[d] * stride[d]) for the first element of the run. Strides may be 0 or negative.
template <typename Run>
void for_each_strided(const Dims& dims, const std::vector<int64_t>& src_strides,
                      const std::vector<int64_t>& dst_strides, Run&& run) {
  const size_t rank = dims.size();
  for (int64_t d : dims) {
    if (d == 0) return;
  }
  if (rank == 0) {
    run(int64_t{0}, int64_t{0}, int64_t{0}, int64_t{0}, int64_t{1});
    return;
  }
  const int64_t inner = dims[rank - 1];
  const int64_t ss = src_strides[rank - 1], ds = dst_strides[rank - 1];
  std::vector<int64_t> index(rank, 0);
  int64_t so = 0, dso = 0;
  while (true) {
    run(so, dso, ss, ds, inner);
    size_t d = rank - 1;
    while (d-- > 0) {
      so += src_strides[d];
      dso += dst_strides[d];
      if (++index[d] < dims[d]) break;
      so -= src_strides[d] * dims[d];
      dso -= dst_strides[d] * dims[d];
      index[d] = 0;
    }
    if (d == static_cast<size_t>(-1)) return;
  }
}

// Drops size-1 dims and merges dims that are contiguous in both source and destination,
// so the innermost runs of for_each_strided are as long as possible.
inline void collapse_dims(Dims& dims, std::vector<int64_t>& src, std::vector<int64_t>& dst) {
  Dims nd;
  std::vector<int64_t> ns, nt;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1) continue;
    if (!nd.empty() && ns.back() == src[i] * dims[i] && nt.back() == dst[i] * dims[i]) {
      nd.back() *= dims[i];
      ns.back() = src[i];
      nt.back() = dst[i];
      continue;
    }
    nd.push_back(dims[i]);
    ns.push_back(src[i]);
    nt.push_back(dst[i]);
  }
  dims = std::move(nd);
  src = std::move(ns);
  dst = std::move(nt);
}

// dst[i * dst_row + j] = src[i + j * src_col] for a rows x cols plane, in cache-sized tiles
// (a transpose: the source is contiguous down the rows, the destination along them).
template <typename T>
void copy_plane_tiled(const T* src, int64_t src_col, T* dst, int64_t dst_row, int64_t rows, int64_t cols) {
  constexpr int64_t kTile = 32;
  for (int64_t i0 = 0; i0 < rows; i0 += kTile) {
    const int64_t i1 = std::min(rows, i0 + kTile);
    for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
      const int64_t j1 = std::min(cols, j0 + kTile);
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t j = j0; j < j1; ++j) dst[i * dst_row + j] = src[i + j * src_col];
      }
    }
  }
}

// dst[dst_offset + sum(i * dst_strides)] = src[src_offset + sum(i * src_strides)] over `dims`.
template <typename T>
void copy_strided(const T* src, int64_t src_offset, std::vector<int64_t> src_strides, T* dst,
                  int64_t dst_offset, std::vector<int64_t> dst_strides, Dims dims) {
  collapse_dims(dims, src_strides, dst_strides);
  const T* s = src + src_offset;
  T* t = dst + dst_offset;
  const size_t rank = dims.size();
  // The source's contiguous dim, when it is not the innermost one: copy tiled planes.
  const auto unit = std::find(src_strides.begin(), src_strides.end(), 1);
  if (rank >= 2 && dst_strides[rank - 1] == 1 && src_strides[rank - 1] != 1 && unit != src_strides.end() &&
      dims[rank - 1] >= 8) {
    const size_t d = unit - src_strides.begin();
    Dims outer;
    std::vector<int64_t> outer_src, outer_dst;
    for (size_t i = 0; i + 1 < rank; ++i) {
      if (i == d) continue;
      outer.push_back(dims[i]);
      outer_src.push_back(src_strides[i]);
      outer_dst.push_back(dst_strides[i]);
    }
    for_each_strided(outer, outer_src, outer_dst, [&](int64_t so, int64_t dso, int64_t ss, int64_t ds, int64_t n) {
      for (int64_t k = 0; k < n; ++k) {
        copy_plane_tiled(s + so + k * ss, src_strides[rank - 1], t + dso + k * ds, dst_strides[d], dims[d],
                         dims[rank - 1]);
      }
    });
    return;
  }
  for_each_strided(dims, src_strides, dst_strides,
                   [&](int64_t so, int64_t dso, int64_t ss, int64_t ds, int64_t n) {
                     if (ss == 1 && ds == 1) {
                       std::copy(s + so, s + so + n, t + dso);
                     } else {
                       for (int64_t k = 0; k < n; ++k) t[dso + k * ds] = s[so + k * ss];
                     }
                   });
}

// Fills `out` (contiguous, of dims `dims`) from `in` read at src_offset with src_strides:
// the one loop behind Transpose, Slice, Expand, Tile and DepthToSpace. Any dtype.
inline void gather_strided(const HostTensor& in, int64_t src_offset, const std::vector<int64_t>& src_strides,
                           HostTensor& out, const Dims& dims, const char* what) {
  dispatch_elements(in.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    copy_strided(elems<T>(in), src_offset, src_strides, mutable_elems<T>(out), 0, strides_of(dims), dims);
  });
}

// `x` viewed as `view_dims` (same element count), permuted by `perm`, as a new tensor.
inline HostTensor permute(const HostTensor& x, const Dims& view_dims, const std::vector<int64_t>& perm,
                          const char* what) {
  const std::vector<int64_t> in_strides = strides_of(view_dims);
  Dims out_dims(perm.size());
  std::vector<int64_t> src_strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    out_dims[i] = view_dims[perm[i]];
    src_strides[i] = in_strides[perm[i]];
  }
  HostTensor out(x.dtype(), out_dims);
  gather_strided(x, 0, src_strides, out, out_dims, what);
  return out;
}

// Product of dims[begin, end).
inline int64_t dims_product(const Dims& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) p *= dims[i];
  return p;
}

// Axes from the attribute (opsets before `input_since`) or from input `input` (later;
// empty when the optional input is absent).
inline std::vector<int64_t> axes_attr_or_input(const KernelContext& ctx, const char* name, size_t input,
                                               int64_t input_since) {
  if (ctx.opset() < input_since) return ctx.attr_ints(name);
  return ctx.has_input(input) ? ctx.input_int64s(input) : std::vector<int64_t>{};
}

// A 1-D int64 tensor of `v`.
inline HostTensor int64_tensor(const std::vector<int64_t>& v) {
  HostTensor t(DataType::kInt64, {static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.mutable_data<int64_t>());
  return t;
}

// A single integer from a scalar (or one-element) input.
inline int64_t scalar_int(const KernelContext& ctx, size_t input, const char* name) {
  const HostTensor& t = ctx.input(input);
  if (t.numel() != 1) ctx.fail(std::string(name) + " must hold one value, got " + t.describe());
  return t.to_int64s()[0];
}

}  // namespace graft::cpu
