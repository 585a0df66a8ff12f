#pragma once
// Helpers for GPU tests: build a model for the CUDA backend, run it, and compare every
// output with the CPU engine (the reference). Tests skip themselves where no CUDA device
// is present (CI), so they pass there without checking anything GPU-side.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/cpu_executor.h"
#include "gtest/gtest.h"
#include "kernels/cuda/layer.h"
#include "surgeon/model.h"

namespace graft::engine::testing {

// Whether a CUDA device is usable here.
bool gpu_available();

#define GRAFT_REQUIRE_GPU()                                                 \
  do {                                                                      \
    if (!::graft::engine::testing::gpu_available()) GTEST_SKIP() << "no CUDA device"; \
  } while (0)

struct GpuCheck {
  cuda::Precision precision = cuda::Precision::kFP32;
  double rtol = 1e-4;
  double atol = 1e-5;
  // Every node must run as a GPU layer (no CPU fallback, no unsupported node).
  bool require_all_on_gpu = true;
  // Set on every layer when not empty (a layer without it runs its first tactic).
  std::string tactic;
};

// Builds `model` for the GPU (no sanitize), runs it on `inputs`, runs the CPU engine on
// the same inputs, and expects every output to have the same dtype and dims and values
// within |gpu - cpu| <= atol + rtol * |cpu| (NaN matches NaN; integers and bools exactly).
void expect_gpu_matches_cpu(const Model& model, const std::vector<NamedValue>& inputs, const GpuCheck& check = {});
// The same on seeded random inputs (engine/random_inputs).
void expect_gpu_matches_cpu(const Model& model, uint64_t seed, const GpuCheck& check = {});

}  // namespace graft::engine::testing
