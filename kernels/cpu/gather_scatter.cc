// Gather, GatherElements, GatherND, Scatter, ScatterElements, ScatterND, Compress:
// elements read or written at positions given by an index (or mask) tensor.
#include "kernels/cpu/movement_util.h"

namespace graft::cpu {
namespace {

// Index values (int32 or int64), negative ones counted from the end of a dim of size n.
std::vector<int64_t> indices_within(const KernelContext& ctx, const HostTensor& indices, int64_t n) {
  if (indices.dtype() != DataType::kInt32 && indices.dtype() != DataType::kInt64) {
    ctx.fail("indices must be int32 or int64, got " + indices.describe());
  }
  std::vector<int64_t> idx = indices.to_int64s();
  for (int64_t& i : idx) {
    if (i < -n || i >= n) ctx.fail("index " + std::to_string(i) + " is out of range for a dim of size " + std::to_string(n));
    if (i < 0) i += n;
  }
  return idx;
}

// y[o, j, i] = x[o, idx[j], i], x viewed as [outer, n, inner]: Gather and Compress.
void take(const HostTensor& x, int64_t outer, int64_t n, int64_t inner, const std::vector<int64_t>& idx,
          HostTensor& y, const char* what) {
  const int64_t m = static_cast<int64_t>(idx.size());
  dispatch_elements(x.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    const T* src = elems<T>(x);
    T* dst = mutable_elems<T>(y);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < m; ++j) {
        const T* from = src + (o * n + idx[j]) * inner;
        std::copy(from, from + inner, dst + (o * m + j) * inner);
      }
    }
  });
}

void gather(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& indices = ctx.input(1);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", 0), rank);
  const std::vector<int64_t> idx = indices_within(ctx, indices, x.dim(axis));
  Dims dims(x.dims().begin(), x.dims().begin() + axis);
  dims.insert(dims.end(), indices.dims().begin(), indices.dims().end());
  dims.insert(dims.end(), x.dims().begin() + axis + 1, x.dims().end());
  HostTensor& y = ctx.allocate_output(0, x.dtype(), dims);
  const int64_t outer = dims_product(x.dims(), 0, axis), inner = dims_product(x.dims(), axis + 1, rank);
  take(x, outer, x.dim(axis), inner, idx, y, "Gather");
}

// GatherElements / ScatterElements walk the index tensor; `run(data_offset, position)`
// gets, for each index position (row-major, = the updates/output position), the data
// offset it addresses.
template <typename Run>
void for_each_element_index(const KernelContext& ctx, const HostTensor& data, const HostTensor& indices,
                            int64_t axis_attr, Run&& run) {
  const int64_t rank = static_cast<int64_t>(data.rank());
  if (static_cast<int64_t>(indices.rank()) != rank) {
    ctx.fail("indices " + indices.describe() + " must have the rank of data " + data.describe());
  }
  const int64_t axis = normalize_axis(ctx, axis_attr, rank);
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis && indices.dim(d) > data.dim(d)) {
      ctx.fail("indices " + indices.describe() + " are larger than data " + data.describe() + " off the axis");
    }
  }
  const std::vector<int64_t> idx = indices_within(ctx, indices, data.dim(axis));
  std::vector<int64_t> strides = strides_of(data.dims());
  const int64_t axis_stride = strides[axis];
  strides[axis] = 0;
  for_each_strided(indices.dims(), strides, strides_of(indices.dims()),
                   [&](int64_t so, int64_t io, int64_t ss, int64_t is, int64_t n) {
                     for (int64_t k = 0; k < n; ++k) run(so + k * ss + idx[io + k * is] * axis_stride, io + k * is);
                   });
}

void gather_elements(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& indices = ctx.input(1);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), indices.dims());
  dispatch_elements(x.dtype(), "GatherElements", [&](auto tag) {
    using T = decltype(tag);
    const T* src = elems<T>(x);
    T* dst = mutable_elems<T>(y);
    for_each_element_index(ctx, x, indices, ctx.attr_int("axis", 0), [&](int64_t s, int64_t o) { dst[o] = src[s]; });
  });
}

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Reduction reduction_attr(const KernelContext& ctx) {
  const std::string r = ctx.attr_string("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  ctx.fail("unknown reduction '" + r + "'");
}

// Calls f(tag, combine) where combine(dst, update) applies the reduction in the element
// type: plain moves for "none" (any dtype), arithmetic otherwise (numeric dtypes).
template <typename F>
void dispatch_reduction(DataType t, Reduction r, const char* what, F&& f) {
  if (r == Reduction::kNone) {
    dispatch_elements(t, what, [&](auto tag) { f(tag, [](auto& a, const auto& b) { a = b; }); });
    return;
  }
  dispatch_numeric(t, what, [&](auto tag) {
    using T = decltype(tag);
    switch (r) {
      case Reduction::kAdd: f(tag, [](T& a, T b) { a = T(a + b); }); return;
      case Reduction::kMul: f(tag, [](T& a, T b) { a = T(a * b); }); return;
      case Reduction::kMax: f(tag, [](T& a, T b) { a = b > a ? b : a; }); return;
      default: f(tag, [](T& a, T b) { a = b < a ? b : a; }); return;
    }
  });
}

void scatter_elements(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& indices = ctx.input(1);
  const HostTensor& updates = ctx.input(2);
  if (updates.dims() != indices.dims() || updates.dtype() != x.dtype()) {
    ctx.fail("updates " + updates.describe() + " must match indices " + indices.describe() + " in shape and data " +
             x.describe() + " in type");
  }
  HostTensor y = x.clone();
  dispatch_reduction(x.dtype(), reduction_attr(ctx), "ScatterElements", [&](auto tag, auto combine) {
    using T = decltype(tag);
    const T* upd = elems<T>(updates);
    T* dst = mutable_elems<T>(y);
    for_each_element_index(ctx, x, indices, ctx.attr_int("axis", 0),
                           [&](int64_t s, int64_t o) { combine(dst[s], upd[o]); });
  });
  ctx.set_output(0, y);
}

// GatherND / ScatterND: for each index tuple (the last dim of `indices`, after batch_dims
// leading batch dims), run(data_offset, tuple_number) addresses a slice of `slice` elements.
template <typename Run>
void for_each_nd_slice(const KernelContext& ctx, const HostTensor& data, const HostTensor& indices, int64_t b,
                       int64_t& slice, Run&& run) {
  const int64_t r = static_cast<int64_t>(data.rank()), q = static_cast<int64_t>(indices.rank());
  const int64_t k = q ? indices.dim(q - 1) : 0;
  if (q < 1 || b < 0 || b >= q || b + k > r) {
    ctx.fail("indices " + indices.describe() + " with batch_dims " + std::to_string(b) + " do not fit data " + data.describe());
  }
  for (int64_t d = 0; d < b; ++d) {
    if (indices.dim(d) != data.dim(d)) ctx.fail("batch dims of indices " + indices.describe() + " and data " + data.describe() + " differ");
  }
  if (indices.dtype() != DataType::kInt64 && indices.dtype() != DataType::kInt32) ctx.fail("indices must be int64");
  const std::vector<int64_t> idx = indices.to_int64s();
  const std::vector<int64_t> strides = strides_of(data.dims());
  slice = dims_product(data.dims(), b + k, r);
  const int64_t batch_stride = dims_product(data.dims(), b, r);
  const int64_t per_batch = dims_product(indices.dims(), b, q - 1);
  const int64_t batches = dims_product(indices.dims(), 0, b);
  for (int64_t bi = 0; bi < batches; ++bi) {
    for (int64_t t = 0; t < per_batch; ++t) {
      const int64_t tuple = bi * per_batch + t;
      int64_t offset = bi * batch_stride;
      for (int64_t j = 0; j < k; ++j) {
        int64_t i = idx[tuple * k + j];
        const int64_t n = data.dim(b + j);
        if (i < -n || i >= n) ctx.fail("index " + std::to_string(i) + " is out of range for data " + data.describe());
        offset += (i < 0 ? i + n : i) * strides[b + j];
      }
      run(offset, tuple);
    }
  }
}

void gather_nd(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& indices = ctx.input(1);
  const int64_t b = ctx.attr_int("batch_dims", 0);
  Dims dims(indices.dims().begin(), indices.dims().end() - (indices.rank() ? 1 : 0));
  const int64_t k = indices.rank() ? indices.dims().back() : 0;
  if (b + k <= static_cast<int64_t>(x.rank())) dims.insert(dims.end(), x.dims().begin() + b + k, x.dims().end());
  HostTensor& y = ctx.allocate_output(0, x.dtype(), dims);
  dispatch_elements(x.dtype(), "GatherND", [&](auto tag) {
    using T = decltype(tag);
    const T* src = elems<T>(x);
    T* dst = mutable_elems<T>(y);
    int64_t slice = 0;
    for_each_nd_slice(ctx, x, indices, b, slice, [&](int64_t offset, int64_t tuple) {
      std::copy(src + offset, src + offset + slice, dst + tuple * slice);
    });
  });
}

void scatter_nd(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& indices = ctx.input(1);
  const HostTensor& updates = ctx.input(2);
  const int64_t k = indices.rank() ? indices.dims().back() : 0;
  Dims expected(indices.dims().begin(), indices.dims().end() - (indices.rank() ? 1 : 0));
  if (k <= static_cast<int64_t>(x.rank())) expected.insert(expected.end(), x.dims().begin() + k, x.dims().end());
  if (updates.dims() != expected || updates.dtype() != x.dtype()) {
    ctx.fail("updates " + updates.describe() + " must be " + dims_str(expected) + " of the data's type for indices " +
             indices.describe() + " and data " + x.describe());
  }
  HostTensor y = x.clone();
  dispatch_reduction(x.dtype(), reduction_attr(ctx), "ScatterND", [&](auto tag, auto combine) {
    using T = decltype(tag);
    const T* upd = elems<T>(updates);
    T* dst = mutable_elems<T>(y);
    int64_t slice = 0;
    for_each_nd_slice(ctx, x, indices, 0, slice, [&](int64_t offset, int64_t tuple) {
      for (int64_t i = 0; i < slice; ++i) combine(dst[offset + i], upd[tuple * slice + i]);
    });
  });
  ctx.set_output(0, y);
}

void compress(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& cond = ctx.input(1);
  if (cond.dtype() != DataType::kBool || cond.rank() != 1) ctx.fail("condition must be a 1-D bool tensor, got " + cond.describe());
  const bool flat = !ctx.has_attr("axis");
  const HostTensor data = flat ? x.reshaped({x.numel()}) : x;
  const int64_t rank = static_cast<int64_t>(data.rank());
  const int64_t axis = flat ? 0 : normalize_axis(ctx, ctx.attr_int("axis", 0), rank);
  const int64_t n = std::min(cond.numel(), data.dim(axis));
  std::vector<int64_t> selected;
  for (int64_t i = 0; i < n; ++i) {
    if (cond.data<bool>()[i]) selected.push_back(i);
  }
  Dims dims = data.dims();
  dims[axis] = static_cast<int64_t>(selected.size());
  HostTensor& y = ctx.allocate_output(0, x.dtype(), dims);
  const int64_t outer = dims_product(dims, 0, axis), inner = dims_product(dims, axis + 1, rank);
  take(data, outer, data.dim(axis), inner, selected, y, "Compress");
}

}  // namespace

GRAFT_CPU_KERNEL("", Gather, 1, gather);
GRAFT_CPU_KERNEL("", GatherElements, 1, gather_elements);
GRAFT_CPU_KERNEL("", GatherND, 1, gather_nd);
GRAFT_CPU_KERNEL("", Scatter, 1, scatter_elements);
GRAFT_CPU_KERNEL("", ScatterElements, 1, scatter_elements);
GRAFT_CPU_KERNEL("", ScatterND, 1, scatter_nd);
GRAFT_CPU_KERNEL("", Compress, 1, compress);

}  // namespace graft::cpu
