#pragma once
// What CUDA sees on this machine. Safe to call in CPU-only builds and on machines
// without a GPU or driver: it then reports no devices and says why.
#include <string>

namespace graft::cuda {

struct DeviceInfo {
  int count = 0;            // usable CUDA devices
  std::string why_none;     // set when count == 0
  std::string name;         // device 0
  int compute_capability = 0;  // e.g. 90 for sm_90
};

DeviceInfo query_devices();

}  // namespace graft::cuda
