#pragma once
// Helpers that many shape functions share: axes, broadcasting, merging what two sources
// say about one dim, and the output size of sliding windows.
#include <cstdint>
#include <optional>
#include <vector>

#include "ops/shape_inference.h"

namespace graft::ops {

// Axis in [-rank, rank) made non-negative; an Error naming the axis and rank otherwise.
int64_t normalize_axis(int64_t axis, int64_t rank);

// Multidirectional (numpy) broadcasting. Symbolic dims that cannot be proven equal give an
// unknown dim; fixed dims that differ and are not 1 are an Error naming both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b);
Shape broadcast_shapes(const std::vector<Shape>& shapes);

// What two sources say about one dim, combined: fixed beats symbolic beats unknown. Two
// different fixed values return std::nullopt (a contradiction for the caller to report).
std::optional<Dim> merge_dim(const Dim& a, const Dim& b);
// The same per dim; std::nullopt on a rank or dim contradiction.
std::optional<Shape> merge_shapes(const Shape& a, const Shape& b);

// merge_dim, or an Error with `message` when the two dims contradict each other.
Dim merge_dim_or_fail(const ShapeContext& ctx, const Dim& a, const Dim& b, const std::string& message);

// A shape of `rank` unknown dims.
Shape unknown_dims(size_t rank);

// Output length of a sliding window (conv, pool): floor or ceil of
// (in + pads - dilation*(kernel-1) - 1) / stride + 1.
Dim window_out_dim(const Dim& in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pads, bool ceil_mode);

// An ints attribute that must hold `n` values (one or two per spatial dim); `n` times
// `fill` when absent. An Error naming the attribute otherwise.
std::vector<int64_t> spatial_ints(const ShapeContext& ctx, const char* name, size_t n, int64_t fill);

// Spatial output dims of a sliding window (Conv, pools) over the spatial input dims `in`
// with `kernel` (a dim that is not fixed gives an unknown output dim), from the node's
// strides, dilations, pads or auto_pad, and ceil_mode for pools. An Error when the
// attributes do not match the spatial rank or an output size would be negative.
std::vector<Dim> window_output_dims(const ShapeContext& ctx, const std::vector<Dim>& in, const std::vector<Dim>& kernel,
                                    bool ceil_mode);

// Output 0 takes input 0's type, shape and tracked elements (Identity, Relu, Neg, ...).
void same_as_input(ShapeContext& ctx);

// What is known of a value that is either `a` or `b` (the two branches of an If, a
// loop-carried value before and after an iteration, two elements of a sequence): equal
// dims stay, others become unknown, differing ranks give an unknown rank, and a side that
// is unknown keeps only the other's kind and dtype. optional(T) joined with U is
// optional(T joined with U).
ValueType join_types(const ValueType& a, const ValueType& b);

// Input i's tracked values (row-major) with its dims, when its shape is static and they
// fill it.
struct TrackedValue {
  std::vector<Dim> values;
  std::vector<int64_t> dims;
};
std::optional<TrackedValue> tracked_value(const ShapeContext& ctx, size_t i);

// The tracked values of a static tensor (row-major) read at offset + sum(i[d] * strides[d])
// for every index i over `dims`, in row-major order: Slice or Transpose of a small value.
std::vector<Dim> strided_elements(const std::vector<Dim>& values, int64_t offset, const std::vector<int64_t>& strides,
                                  const std::vector<int64_t>& dims);

// Row-major strides of fixed dims.
std::vector<int64_t> row_major_strides(const std::vector<int64_t>& dims);

}  // namespace graft::ops
