#pragma once
// The one argument of every generated pointwise kernel (pointwise_jit.h): included by the
// host code and, as text, by the generated source, so both see one layout. Plain types
// only; the array sizes are pointwise.h's kMaxLoads, kMaxOutputs and kMaxRank (checked there).

namespace graft::cuda::pointwise {

struct JitArgs {
  const void* in[16];  // per load slot
  void* out[4];
  long long n;  // elements
  // Loads read by pattern: element i reads offset (i / inner) % extent; the divisions by
  // magic numbers (pointwise::fast_divisor) while n < 2^31.
  long long inner[16];
  long long extent[16];
  unsigned inner_magic[16], inner_shift[16];
  unsigned extent_magic[16], extent_shift[16];
  // The loop's geometry (pointwise::Geometry), for loads of other strides.
  int rank;
  long long dims[8];
  long long dim_inner[8];
  unsigned dim_magic[8], dim_shift[8];
  long long strides[16][8];
};

}  // namespace graft::cuda::pointwise
