#pragma once
// Flags that `graft build` and `graft run` share: devices, precisions, profiles, and the
// GPU backend they need.
#include <map>
#include <string>

#include "engine/gpu_backend.h"

namespace graft::tools {

inline constexpr const char* kGraftVersion = "0.4.0";

// "cpu" or "cuda"; an Error naming `flag` otherwise.
engine::Device device_of(const std::string& name, const std::string& flag);
// "conv1:fp32,softmax_0:fp16" -> node name -> precision; errors name the bad entry.
std::map<std::string, cuda::Precision> parse_precision_constraints(const std::string& text);
// min <= opt <= max for every input the profile names, in all three with one rank.
void check_profile(const engine::Profile& p);
// The CUDA backend, or an Error saying why there is none (built without CUDA, no device).
const engine::GpuBackend& require_gpu_backend();

}  // namespace graft::tools
