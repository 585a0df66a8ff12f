// Runs the whole ONNX conformance suite on the CPU engine. Every case listed in
// engine/conformance_passing.txt must still pass; newly passing cases are reported so the
// list can grow (scripts/update_conformance.sh rewrites it and docs/conformance.md).
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "engine/conformance.h"
#include "testdata/test_paths.h"

namespace graft::engine {
namespace {

std::set<std::string> recorded_passing() {
  std::ifstream in("engine/conformance_passing.txt");
  EXPECT_TRUE(in) << "engine/conformance_passing.txt is missing";
  std::set<std::string> names;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') names.insert(line);
  }
  return names;
}

TEST(Conformance, RecordedPassesStillPass) {
  const std::set<std::string> expected = recorded_passing();
  const std::vector<std::string> cases = find_cases(testing::conformance_dir());
  ASSERT_EQ(cases.size(), 1072u) << "is libonnx-testdata installed?";
  size_t passed = 0, newly = 0, failed = 0;
  std::set<std::string> seen;
  for (const std::string& dir : cases) {
    CaseResult r = run_case(dir);
    seen.insert(r.name);
    const bool pass = r.status == CaseResult::Status::kPass;
    passed += pass;
    if (expected.count(r.name) && !pass) {
      ++failed;
      ADD_FAILURE() << r.name << " passed before and now is " << status_name(r.status) << ": " << r.detail;
    }
    if (!expected.count(r.name) && pass) ++newly;
  }
  for (const std::string& name : expected) EXPECT_TRUE(seen.count(name)) << name << " is listed but not found";
  std::printf("conformance: %zu of %zu cases pass (%zu recorded, %zu newly passing, %zu regressed)\n", passed,
              cases.size(), expected.size(), newly, failed);
}

}  // namespace
}  // namespace graft::engine
