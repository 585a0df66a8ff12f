#pragma once
// Arithmetic on dims that may be symbolic. A symbolic dim's name is read as a polynomial
// over named symbols ("batch", "2*seq", "seq + 1", "h*w"), so inference can say that a
// Concat of two [seq] tensors is [2*seq] and that Reshape(x, [b, h*w]) keeps its size.
// Results are written back in a canonical form, so equal expressions compare equal.
// A value that is not a polynomial (a division that is not exact) becomes unknown.
#include <cstdint>
#include <optional>

#include "surgeon/type.h"

namespace graft::ops {

Dim dim_add(const Dim& a, const Dim& b);
Dim dim_sub(const Dim& a, const Dim& b);
Dim dim_mul(const Dim& a, const Dim& b);
// a / b: floor division for fixed values (as ONNX's integer Div on shapes); for symbolic
// ones, exact division by a single term ("6*b*s" / "2*b" = "3*s"); unknown otherwise.
Dim dim_div(const Dim& a, const Dim& b);
// ceil(a / b) for fixed values; symbolic only when exact.
Dim dim_ceil_div(const Dim& a, const Dim& b);

// True when the two dims are the same value or the same expression.
bool same_dim(const Dim& a, const Dim& b);
// The canonical spelling of a symbolic dim ("2*seq" for "seq*2"); fixed and unknown dims as is.
Dim canonical(const Dim& d);

// The product of dims[begin, end).
Dim dim_product(const std::vector<Dim>& dims, size_t begin, size_t end);
inline Dim dim_product(const std::vector<Dim>& dims) { return dim_product(dims, 0, dims.size()); }

}  // namespace graft::ops
