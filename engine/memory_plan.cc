#include "engine/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace graft::engine {
namespace {

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

bool overlap(const Lifetime& a, const Lifetime& b) { return a.first <= b.last && b.first <= a.last; }

}  // namespace

MemoryPlan plan_memory(const std::vector<Lifetime>& lifetimes, size_t alignment) {
  std::vector<size_t> order(lifetimes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return lifetimes[a].bytes > lifetimes[b].bytes; });
  MemoryPlan plan;
  plan.offsets.assign(lifetimes.size(), 0);
  struct Placed {
    size_t begin, end, index;
  };
  std::vector<Placed> placed;  // sorted by begin
  for (size_t i : order) {
    const size_t bytes = round_up(std::max<size_t>(lifetimes[i].bytes, 1), alignment);
    size_t offset = 0;
    for (const Placed& p : placed) {
      if (!overlap(lifetimes[p.index], lifetimes[i])) continue;
      if (offset + bytes <= p.begin) break;
      offset = std::max(offset, p.end);
    }
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + bytes);
    Placed me{offset, offset + bytes, i};
    placed.insert(std::upper_bound(placed.begin(), placed.end(), me,
                                   [](const Placed& a, const Placed& b) { return a.begin < b.begin; }),
                  me);
  }
  return plan;
}

}  // namespace graft::engine
