#pragma once
// Activation memory planning: tensors live from the step that writes them to the last
// step that reads them; tensors whose lifetimes do not overlap share bytes of one arena.
// Placement is greedy, largest first, at the lowest offset that fits (as TensorRT and
// ONNX Runtime's planners do); it is cheap enough to redo whenever input shapes change.
#include <cstddef>
#include <vector>

namespace graft::engine {

struct Lifetime {
  size_t bytes = 0;
  int first = 0;  // step that writes it
  int last = 0;   // last step that reads it (>= first)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per lifetime, aligned
  size_t arena_bytes = 0;
};

inline constexpr size_t kArenaAlignment = 256;

MemoryPlan plan_memory(const std::vector<Lifetime>& lifetimes, size_t alignment = kArenaAlignment);

}  // namespace graft::engine
