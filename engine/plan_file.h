#pragma once
// Plan files: a built network, serialized. Layout (little-endian):
//
//   "GRAFTPLN"  u32 format version
//   header: graft version, device ("cpu" | "cuda"), GPU name, compute capability,
//           CUDA runtime, cuDNN and cuBLASLt versions (zero for cpu plans)
//   u64 body size, u64 FNV-1a checksum of the body
//   body:   requested precision; the model (one ModelProto, weights embedded); host nodes;
//           layers (node indices, precision, tactic); optimization profiles
//
// A plan loads only where it was built for: the same format version, and for cuda plans
// the same compute capability and the same major.minor cuDNN and cuBLASLt. A truncated or
// corrupt file (size or checksum), or a foreign one, is refused with a message that says
// which check failed.
#include <cstdint>
#include <string>

#include "engine/network.h"

namespace graft::engine {

inline constexpr uint32_t kPlanFormatVersion = 1;

// Where a plan is built or loaded: the GPU and the libraries.
struct PlanTarget {
  std::string graft_version;
  Device device = Device::kCpu;
  std::string gpu_name;
  int compute_capability = 0;  // 90 for sm_90
  int cuda_runtime = 0;        // 13000
  uint64_t cudnn = 0;          // cudnnGetVersion(): 91400
  uint64_t cublaslt = 0;       // cublasLtGetVersion(): 130100
};

std::string serialize_plan(const Network& net, const PlanTarget& target);
// `current` is this machine's target for the plan's device. Throws an Error naming the
// source and the failed check.
Network deserialize_plan(const std::string& bytes, const std::string& source, const PlanTarget& current);
// The header alone (for `graft inspect` and error messages).
PlanTarget read_plan_target(const std::string& bytes, const std::string& source);

void write_plan_file(const std::string& path, const Network& net, const PlanTarget& target);  // atomic
Network read_plan_file(const std::string& path, const PlanTarget& current);
bool looks_like_plan(const std::string& path);  // starts with the magic

}  // namespace graft::engine
