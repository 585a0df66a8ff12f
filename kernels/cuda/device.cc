#include "kernels/cuda/device.h"

#ifdef GRAFT_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace graft::cuda {

DeviceInfo query_devices() {
  DeviceInfo info;
#ifdef GRAFT_WITH_CUDA
  cudaError_t err = cudaGetDeviceCount(&info.count);
  if (err != cudaSuccess) {
    info.count = 0;
    info.why_none = std::string("CUDA reports: ") + cudaGetErrorString(err);
    return info;
  }
  if (info.count == 0) {
    info.why_none = "no CUDA device found";
    return info;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
    info.name = prop.name;
    info.compute_capability = prop.major * 10 + prop.minor;
  }
#else
  info.why_none = "graft was built without CUDA (no toolkit found at build time)";
#endif
  return info;
}

}  // namespace graft::cuda
