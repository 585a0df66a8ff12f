// The kernel registry: one kernel per (domain, op, first opset), and lookups pick the
// newest kernel not newer than the model's opset.
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "kernels/cpu/kernel.h"

namespace graft::cpu {
namespace {

TEST(KernelRegistry, NoOpIsRegisteredTwice) {
  std::map<std::tuple<std::string, std::string, int>, int> count;
  for (const KernelDef& k : registered_kernels()) ++count[{k.domain, k.op_type, k.since_version}];
  for (const auto& [key, n] : count) {
    EXPECT_EQ(n, 1) << std::get<0>(key) << "::" << std::get<1>(key) << " since opset " << std::get<2>(key)
                    << " is registered " << n << " times";
  }
  EXPECT_GT(count.size(), 150u) << "the kernels library was not linked in (alwayslink)";
}

TEST(KernelRegistry, LookupHonoursOpsetAndDomainAliases) {
  EXPECT_NE(find_kernel("", "Add", 17), nullptr);
  EXPECT_EQ(find_kernel("ai.onnx", "Add", 17), find_kernel("", "Add", 17));
  EXPECT_EQ(find_kernel("", "NoSuchOp", 17), nullptr);
  EXPECT_EQ(find_kernel("com.example", "Add", 1), nullptr);
}

}  // namespace
}  // namespace graft::cpu
