#pragma once
// The built-in plugins' CUDA implementations, registered by plugins/builtin/*.cu at
// start-up in binaries that link //plugins:builtin_cuda. Keeping them apart lets the CPU
// tools and tests link without CUDA; a built-in plugin reports has_cuda() only where its
// implementation is linked.
#include <string>

#include "plugins/plugin.h"

namespace graft::plugins {

using CudaImpl = void (*)(const Fields& fields, const CudaLaunch& launch);

bool register_cuda_impl(const std::string& plugin_name, CudaImpl impl);
CudaImpl find_cuda_impl(const std::string& plugin_name);  // null when none is linked

}  // namespace graft::plugins
