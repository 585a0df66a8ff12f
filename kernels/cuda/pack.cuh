#pragma once
// V consecutive elements of T, loaded and stored as one access (16 bytes for V = 16 /
// sizeof(T)); the pointer must be aligned to sizeof(T) * V.
namespace graft::cuda {

template <typename T, int V>
struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

}  // namespace graft::cuda
