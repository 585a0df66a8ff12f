#pragma once
// The built-in plugins' CUDA implementations, registered by cuda_ops.cc at start-up in
// binaries that link //plugins:builtin_cuda. Keeping them apart lets the CPU tools and
// tests link without CUDA; a built-in plugin reports has_cuda() only where its
// implementation is linked.
#include <string>
#include <vector>

#include "plugins/plugin.h"

namespace graft::plugins {

struct CudaImpl {
  void (*enqueue)(const Fields& fields, const CudaLaunch& launch) = nullptr;
  size_t (*workspace)(const Fields& fields, const std::vector<DeviceTensor>& inputs) = nullptr;  // null: none
};

bool register_cuda_impl(const std::string& plugin_name, CudaImpl impl);
const CudaImpl* find_cuda_impl(const std::string& plugin_name);  // null when none is linked

// What a built-in plugin's CUDA overrides forward to.
bool has_cuda_impl(const std::string& plugin_name);
size_t cuda_impl_workspace(const std::string& plugin_name, const Fields& fields, const std::vector<DeviceTensor>& inputs);
void enqueue_cuda_impl(const std::string& plugin_name, const Fields& fields, const CudaLaunch& launch);

}  // namespace graft::plugins
