#pragma once
// Data-movement CUDA kernels: outputs whose elements are read from computed positions
// (Transpose, Slice, Expand, Tile, Concat, Split, Pad, the Gather family, ScatterND,
// Trilu, ReverseSequence) and small generators (fill, EyeLike, Range, OneHot). Pointers
// are device pointers. Copies move elements by byte size (`elem_size` 1, 2, 4, 8 or 16),
// so every fixed-size dtype works. Each launcher enqueues on `stream`, launches nothing
// for an empty output, and returns the launch error (cudaErrorNotSupported for sizes or
// ranks it cannot take).
#include <cstddef>
#include <cstdint>
#include <vector>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

// The most dims a strided walk takes (Tile walks [repeat, dim] pairs, two per axis).
constexpr int kMaxWalkDims = 16;

// dst (contiguous, of `dims`)[i...] = src[src_offset + sum_d i_d * src_strides[d]]; strides
// may be 0 (broadcast) or negative (reversed Slice). Planes that move the source's
// contiguous dim off the innermost position (NCHW <-> NHWC) go through shared-memory tiles.
cudaError_t copy_strided(const void* src, int64_t src_offset, std::vector<int64_t> src_strides, void* dst,
                         std::vector<int64_t> dims, size_t elem_size, cudaStream_t stream);

// Concat: dst viewed as [outer, sum(widths)] holds part p ([outer, widths[p]]) in its
// columns after those of parts 0..p-1. One launch per 32 parts.
cudaError_t concat_rows(const std::vector<const void*>& parts, const std::vector<int64_t>& widths, void* dst,
                        int64_t outer, size_t elem_size, cudaStream_t stream);
// Split, the inverse: part p gets its columns of src; null parts are skipped.
cudaError_t split_rows(const void* src, const std::vector<void*>& parts, const std::vector<int64_t>& widths,
                       int64_t outer, size_t elem_size, cudaStream_t stream);

enum class PadMode : int { kConstant, kReflect, kEdge, kWrap };
// dst (out_dims) = src (in_dims) with `before[d]` positions in front of dim d (negative:
// cropped); positions outside src read, in constant mode, `value` (one element on the
// device) or, if that is null, the element of the low bytes of `value_bits`; in the other
// modes the reflected, edge or wrapped source position.
cudaError_t pad(const void* src, const std::vector<int64_t>& in_dims, void* dst, const std::vector<int64_t>& out_dims,
                const std::vector<int64_t>& before, PadMode mode, const void* value, uint64_t value_bits,
                size_t elem_size, cudaStream_t stream);

// Index tensors (int32 or int64) are read on the device; a negative index counts from the
// end of its dim and an index out of range yields zeros (the CPU kernels refuse it).

// Gather: y[o, j, i] = x[o, idx[j], i], x viewed as [outer, n, inner], m indices.
cudaError_t gather(const void* x, int64_t outer, int64_t n, int64_t inner, const void* indices, bool int64_indices,
                   int64_t m, void* y, size_t elem_size, cudaStream_t stream);
// GatherElements: y (of idx_dims)[p] = x[p with its `axis` coordinate replaced by idx[p]].
cudaError_t gather_elements(const void* x, const std::vector<int64_t>& x_dims, const void* indices,
                            bool int64_indices, const std::vector<int64_t>& idx_dims, int axis, void* y,
                            size_t elem_size, cudaStream_t stream);
// GatherND: per index tuple (last dim of indices, after `batch_dims` batch dims) the slice
// of x it addresses.
cudaError_t gather_nd(const void* x, const std::vector<int64_t>& x_dims, const void* indices, bool int64_indices,
                      const std::vector<int64_t>& idx_dims, int batch_dims, void* y, size_t elem_size,
                      cudaStream_t stream);

enum class ScatterReduction : int { kNone, kAdd, kMul, kMax, kMin };
// ScatterND: y = x, then each update slice combined into the slice its index tuple
// addresses (atomically; with kNone, duplicate tuples leave one of the updates). `type`
// matters only for reductions (float, half, double, int32, int64).
cudaError_t scatter_nd(const void* x, const std::vector<int64_t>& x_dims, const void* indices, bool int64_indices,
                       const std::vector<int64_t>& idx_dims, const void* updates, void* y, NumType type,
                       size_t elem_size, ScatterReduction reduction, cudaStream_t stream);

// Trilu over `mats` rows x cols matrices: keeps column j of row r where j - r >= k
// (upper) or j - r <= k (lower), zeros the rest; k is read from `k_device` (one int64)
// when given, else 0.
cudaError_t trilu(const void* x, void* y, int64_t mats, int64_t rows, int64_t cols, const int64_t* k_device,
                  bool upper, size_t elem_size, cudaStream_t stream);

// y[0..n) = the element whose bytes are the low elem_size bytes of `bits`.
cudaError_t fill(void* y, int64_t n, uint64_t bits, size_t elem_size, cudaStream_t stream);

// EyeLike: y (rows x cols) holds the element of the low elem_size bytes of `one_bits` where
// column - row == k, zeros elsewhere.
cudaError_t eye(void* y, int64_t rows, int64_t cols, int64_t k, uint64_t one_bits, size_t elem_size,
                cudaStream_t stream);

// ReverseSequence: y = x (n elements) with the first lens[b] positions along the time dim
// reversed where the batch dim's index is b. `time_stride` and `batch_stride` are the
// element strides of the two dims, `steps` and `batch` their sizes. lens (int32 or int64)
// are read on the device, clamped to [0, steps].
cudaError_t reverse_sequence(const void* x, void* y, int64_t n, int64_t steps, int64_t time_stride, int64_t batch,
                             int64_t batch_stride, const void* lens, bool int64_lens, size_t elem_size,
                             cudaStream_t stream);

// Range: y[i] = start + i * delta computed in `in` (float, double, int16, int32, int64),
// stored as `out` (`in`, or half for float); start and delta are one element each on the device.
cudaError_t range(const void* start, const void* delta, NumType in, void* y, NumType out, int64_t n,
                  cudaStream_t stream);

// OneHot: y viewed as [outer, depth, inner] is values[1] where indices[o, i] (truncated to an
// integer, negative counted from depth) equals the depth position, else values[0].
cudaError_t one_hot(const void* indices, NumType index_type, int64_t outer, int64_t depth, int64_t inner,
                    const void* values, void* y, size_t elem_size, cudaStream_t stream);

}  // namespace graft::cuda
