#include "engine/memory_plan.h"

#include <gtest/gtest.h>

namespace graft::engine {
namespace {

bool disjoint(size_t a, size_t a_bytes, size_t b, size_t b_bytes) { return a + a_bytes <= b || b + b_bytes <= a; }

TEST(MemoryPlan, TensorsAliveTogetherNeverShareBytes) {
  const std::vector<Lifetime> lts = {{1000, 0, 2}, {500, 1, 3}, {2000, 2, 4}, {300, 4, 5}, {700, 0, 5}};
  const MemoryPlan plan = plan_memory(lts, 256);
  for (size_t i = 0; i < lts.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % 256, 0u);
    EXPECT_LE(plan.offsets[i] + lts[i].bytes, plan.arena_bytes);
    for (size_t j = i + 1; j < lts.size(); ++j) {
      const bool alive_together = lts[i].first <= lts[j].last && lts[j].first <= lts[i].last;
      if (alive_together) EXPECT_TRUE(disjoint(plan.offsets[i], lts[i].bytes, plan.offsets[j], lts[j].bytes)) << i << " " << j;
    }
  }
}

TEST(MemoryPlan, AChainReusesMemory) {
  // x0 -> x1 -> x2 -> x3, each read only by the next step: two buffers suffice.
  const std::vector<Lifetime> lts = {{1024, 0, 1}, {1024, 1, 2}, {1024, 2, 3}, {1024, 3, 4}};
  EXPECT_EQ(plan_memory(lts, 256).arena_bytes, 2048u);
}

TEST(MemoryPlan, SmallTensorFillsAGap) {
  // A big tensor dies at step 1; a small one born at step 2 goes where it was.
  const std::vector<Lifetime> lts = {{4096, 0, 1}, {4096, 0, 5}, {256, 2, 3}};
  const MemoryPlan plan = plan_memory(lts, 256);
  EXPECT_EQ(plan.arena_bytes, 8192u);
  EXPECT_EQ(plan.offsets[2], plan.offsets[0]);
}

TEST(MemoryPlan, Empty) { EXPECT_EQ(plan_memory({}).arena_bytes, 0u); }

}  // namespace
}  // namespace graft::engine
