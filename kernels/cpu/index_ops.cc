// NonZero, Unique, TopK, CumSum, Trilu: ops that select, order or accumulate elements
// by their position along an axis.
#include <algorithm>
#include <numeric>

#include "kernels/cpu/movement_util.h"

namespace graft::cpu {
namespace {

void non_zero(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  std::vector<int64_t> hits;
  dispatch_numeric_or_bool(x.dtype(), "NonZero", [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (p[i] != T(0)) hits.push_back(i);
    }
  });
  const int64_t n = static_cast<int64_t>(hits.size());
  HostTensor& y = ctx.allocate_output(0, DataType::kInt64, {rank, n});
  int64_t* out = y.mutable_data<int64_t>();
  for (int64_t j = 0; j < n; ++j) {
    int64_t flat = hits[j];
    for (int64_t d = rank; d-- > 0;) {
      out[d * n + j] = flat % x.dim(d);
      flat /= x.dim(d);
    }
  }
}

// Unique over n slices of `len` contiguous elements each (the input with the axis moved
// to the front, or flattened). Sets the index outputs and returns the unique slices in
// output order as slice numbers.
template <typename T>
std::vector<int64_t> unique_slices(KernelContext& ctx, const T* p, int64_t n, int64_t len, bool sorted) {
  auto less = [&](int64_t a, int64_t b) {
    return std::lexicographical_compare(p + a * len, p + a * len + len, p + b * len, p + b * len + len);
  };
  auto equal = [&](int64_t a, int64_t b) { return std::equal(p + a * len, p + a * len + len, p + b * len); };
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), less);
  // Groups of equal slices, each as its first occurrence, in sorted order.
  std::vector<int64_t> firsts, group_of_sorted(n);
  for (int64_t i = 0; i < n; ++i) {
    if (i == 0 || !equal(order[i - 1], order[i])) firsts.push_back(order[i]);
    group_of_sorted[i] = static_cast<int64_t>(firsts.size()) - 1;
  }
  const int64_t u = static_cast<int64_t>(firsts.size());
  std::vector<int64_t> rank_of_group(u);  // output position of each sorted group
  std::vector<int64_t> groups(u);
  std::iota(groups.begin(), groups.end(), 0);
  if (!sorted) std::sort(groups.begin(), groups.end(), [&](int64_t a, int64_t b) { return firsts[a] < firsts[b]; });
  for (int64_t r = 0; r < u; ++r) rank_of_group[groups[r]] = r;
  std::vector<int64_t> out_firsts(u), inverse(n), counts(u, 0);
  for (int64_t r = 0; r < u; ++r) out_firsts[r] = firsts[groups[r]];
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = rank_of_group[group_of_sorted[i]];
    inverse[order[i]] = r;
    ++counts[r];
  }
  if (ctx.output_wanted(1)) ctx.set_output(1, int64_tensor(out_firsts));
  if (ctx.output_wanted(2)) ctx.set_output(2, int64_tensor(inverse));
  if (ctx.output_wanted(3)) ctx.set_output(3, int64_tensor(counts));
  return out_firsts;
}

void unique(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const bool sorted = ctx.attr_int("sorted", 1) != 0;
  const bool has_axis = ctx.has_attr("axis");
  const int64_t axis = has_axis ? normalize_axis(ctx, ctx.attr_int("axis", 0), rank) : 0;
  // The input with the axis in front: perm_front moves it there, perm_back returns it.
  std::vector<int64_t> perm_front{axis}, perm_back(rank);
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis) perm_front.push_back(d);
  }
  for (int64_t d = 0; d < rank; ++d) perm_back[perm_front[d]] = d;
  const HostTensor front = !has_axis ? x.reshaped({x.numel()}) : permute(x, x.dims(), perm_front, "Unique");
  const int64_t n = front.dim(0), len = n ? front.numel() / n : 0;
  dispatch_ordered(x.dtype(), "Unique", [&](auto tag) {
    using T = decltype(tag);
    const T* p = elems<T>(front);
    const std::vector<int64_t> picked = unique_slices(ctx, p, n, len, sorted);
    Dims dims = front.dims();
    dims[0] = static_cast<int64_t>(picked.size());
    HostTensor y(x.dtype(), dims);
    T* dst = mutable_elems<T>(y);
    for (size_t r = 0; r < picked.size(); ++r) std::copy(p + picked[r] * len, p + picked[r] * len + len, dst + r * len);
    ctx.set_output(0, has_axis ? permute(y, dims, perm_back, "Unique") : y);
  });
}

void top_k(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", -1), rank);
  const int64_t k = ctx.opset() < 10 ? ctx.required_attr_int("k") : scalar_int(ctx, 1, "K");
  const int64_t n = x.dim(axis);
  if (k < 0 || k > n) ctx.fail("k " + std::to_string(k) + " is out of range for axis size " + std::to_string(n));
  const bool largest = ctx.attr_int("largest", 1) != 0;
  Dims dims = x.dims();
  dims[axis] = k;
  HostTensor& values = ctx.allocate_output(0, x.dtype(), dims);
  HostTensor& indices = ctx.allocate_output(1, DataType::kInt64, dims);
  const int64_t outer = dims_product(x.dims(), 0, axis), inner = dims_product(x.dims(), axis + 1, rank);
  dispatch_numeric(x.dtype(), "TopK", [&](auto tag) {
    using T = decltype(tag);
    std::vector<int64_t> order(n);
    T* pv = values.mutable_data<T>();
    int64_t* pi = indices.mutable_data<int64_t>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* col = x.data<T>() + o * n * inner + i;
        // Ties keep the lower index first, as the spec requires.
        auto before = [&](int64_t a, int64_t b) {
          const T va = col[a * inner], vb = col[b * inner];
          return largest ? (va > vb || (va == vb && a < b)) : (va < vb || (va == vb && a < b));
        };
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        for (int64_t j = 0; j < k; ++j) {
          const int64_t at = (o * k + j) * inner + i;
          pv[at] = col[order[j] * inner];
          pi[at] = order[j];
        }
      }
    }
  });
}

void cum_sum(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t axis = normalize_axis(ctx, scalar_int(ctx, 1, "axis"), rank);
  const bool exclusive = ctx.attr_int("exclusive", 0) != 0, reverse = ctx.attr_int("reverse", 0) != 0;
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  const int64_t outer = dims_product(x.dims(), 0, axis), inner = dims_product(x.dims(), axis + 1, rank);
  const int64_t n = rank ? x.dim(axis) : 1;
  dispatch_numeric(x.dtype(), "CumSum", [&](auto tag) {
    using T = decltype(tag);
    using Acc = std::conditional_t<std::is_same_v<T, half> || std::is_same_v<T, bfloat16>, float, T>;
    std::vector<Acc> acc(inner);
    for (int64_t o = 0; o < outer; ++o) {
      std::fill(acc.begin(), acc.end(), Acc(0));
      for (int64_t s = 0; s < n; ++s) {
        const int64_t j = reverse ? n - 1 - s : s;
        const T* src = x.data<T>() + (o * n + j) * inner;
        T* dst = y.mutable_data<T>() + (o * n + j) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          if (exclusive) dst[i] = T(acc[i]);
          acc[i] = Acc(acc[i] + Acc(src[i]));
          if (!exclusive) dst[i] = T(acc[i]);
        }
      }
    }
  });
}

void trilu(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("input must have rank >= 2, got " + x.describe());
  const int64_t k = ctx.has_input(1) ? scalar_int(ctx, 1, "k") : 0;
  const bool upper = ctx.attr_int("upper", 1) != 0;
  const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
  const int64_t mats = rows * cols ? x.numel() / (rows * cols) : 0;
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch_elements(x.dtype(), "Trilu", [&](auto tag) {
    using T = decltype(tag);
    for (int64_t m = 0; m < mats; ++m) {
      for (int64_t r = 0; r < rows; ++r) {
        // Kept columns: j - r >= k (upper) or j - r <= k (lower); the rest stay zero.
        const int64_t lo = upper ? std::clamp(r + k, int64_t{0}, cols) : 0;
        const int64_t hi = upper ? cols : std::clamp(r + k + 1, int64_t{0}, cols);
        const int64_t row = (m * rows + r) * cols;
        std::copy(elems<T>(x) + row + lo, elems<T>(x) + row + hi, mutable_elems<T>(y) + row + lo);
      }
    }
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", NonZero, 1, non_zero);
GRAFT_CPU_KERNEL("", Unique, 1, unique);
GRAFT_CPU_KERNEL("", TopK, 1, top_k);
GRAFT_CPU_KERNEL("", CumSum, 1, cum_sum);
GRAFT_CPU_KERNEL("", Trilu, 1, trilu);

}  // namespace graft::cpu
