#pragma once
// Helpers shared by the sequence and control-flow kernels: joining tensors along an
// axis (an existing one or a new one), slicing along an axis, and the empty stack of a
// scan output that ran zero iterations.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/cpu/kernel.h"
#include "surgeon/error.h"
#include "surgeon/type.h"

namespace graft::cpu {

inline int64_t dims_product(const Dims& d, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to; ++i) n *= d[i];
  return n;
}

// Copies n elements from src (from element src_off) to dst (from element dst_off).
inline void copy_elements(const HostTensor& src, int64_t src_off, HostTensor& dst, int64_t dst_off, int64_t n) {
  if (n <= 0) return;
  if (src.dtype() == DataType::kString) {
    std::copy_n(src.strings().begin() + src_off, n, dst.mutable_strings().begin() + dst_off);
    return;
  }
  const size_t es = static_cast<size_t>(dtype_bits(src.dtype()) / 8);
  std::memcpy(dst.mutable_raw() + dst_off * es, src.raw() + src_off * es, n * es);
}

// Joins `parts` (at least one) along `axis` (non-negative, of the result). With
// new_axis the parts must have equal dims and gain an axis of size 1 there; otherwise
// they must agree on every dim but `axis`.
inline HostTensor concat_tensors(const std::vector<HostTensor>& parts, int64_t axis, bool new_axis) {
  if (parts.empty()) throw Error("cannot concatenate zero tensors");
  auto dims_of = [&](const HostTensor& t) {
    Dims d = t.dims();
    if (new_axis) d.insert(d.begin() + std::min<int64_t>(axis, d.size()), 1);
    return d;
  };
  Dims out = dims_of(parts[0]);
  if (axis < 0 || axis >= static_cast<int64_t>(out.size())) {
    throw Error("axis " + std::to_string(axis) + " is out of range for " + parts[0].describe());
  }
  out[axis] = 0;
  for (const HostTensor& p : parts) {
    Dims d = dims_of(p);
    bool same = p.dtype() == parts[0].dtype() && d.size() == out.size();
    for (size_t i = 0; same && i < d.size(); ++i) same = static_cast<int64_t>(i) == axis || d[i] == out[i];
    if (!same) {
      throw Error("cannot join " + parts[0].describe() + " and " + p.describe() + " along axis " +
                  std::to_string(axis) + (new_axis ? " (new axis)" : ""));
    }
    out[axis] += d[axis];
  }
  HostTensor y(parts[0].dtype(), out);
  const int64_t outer = dims_product(out, 0, axis);
  const int64_t tail = dims_product(out, axis + 1, out.size());
  int64_t off = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (const HostTensor& p : parts) {
      const int64_t chunk = (new_axis ? 1 : p.dim(axis)) * tail;
      copy_elements(p, o * chunk, y, off, chunk);
      off += chunk;
    }
  }
  return y;
}

// Elements [start, start + len) along `axis` (non-negative, in range) of t; axis kept.
inline HostTensor slice_axis(const HostTensor& t, int64_t axis, int64_t start, int64_t len) {
  Dims d = t.dims();
  d[axis] = len;
  HostTensor y(t.dtype(), d);
  const int64_t outer = dims_product(d, 0, axis);
  const int64_t tail = dims_product(d, axis + 1, d.size());
  for (int64_t o = 0; o < outer; ++o) {
    copy_elements(t, (o * t.dim(axis) + start) * tail, y, o * len * tail, len * tail);
  }
  return y;
}

// Index `idx` along `axis` of t, that axis removed.
inline HostTensor take_axis(const HostTensor& t, int64_t axis, int64_t idx) {
  Dims d = t.dims();
  d.erase(d.begin() + axis);
  if (axis == 0) {
    // A leading index is a contiguous block: copy it straight.
    HostTensor y(t.dtype(), d);
    copy_elements(t, idx * y.numel(), y, 0, y.numel());
    return y;
  }
  return slice_axis(t, axis, idx, 1).reshaped(d);
}

// The stack of zero per-iteration values of declared type `type` along new axis `axis`:
// the declared dims with 0 inserted when they are all known, else [0].
inline HostTensor empty_stack(const ValueType& type, int64_t axis) {
  const DataType elem = type.elem == DataType::kUndefined ? DataType::kFloat : type.elem;
  Dims dims;
  bool known = type.kind == ValueType::Kind::kTensor && type.shape.has_rank();
  for (size_t i = 0; known && i < type.shape.rank(); ++i) {
    known = type.shape[i].is_fixed();
    dims.push_back(type.shape[i].value);
  }
  if (!known) return HostTensor(elem, {0});
  if (axis < 0) axis += static_cast<int64_t>(dims.size()) + 1;
  axis = std::clamp<int64_t>(axis, 0, dims.size());
  dims.insert(dims.begin() + axis, 0);
  return HostTensor(elem, dims);
}

}  // namespace graft::cpu
