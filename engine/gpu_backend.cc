#include "engine/gpu_backend.h"

namespace graft::engine {
namespace {
const GpuBackend*& registered() {
  static const GpuBackend* backend = nullptr;
  return backend;
}
}  // namespace

const GpuBackend* gpu_backend() { return registered(); }

bool register_gpu_backend(const GpuBackend* backend) {
  registered() = backend;
  return true;
}

}  // namespace graft::engine
