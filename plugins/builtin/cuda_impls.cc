#include "plugins/builtin/cuda_impls.h"

#include <map>
#include <mutex>

#include "surgeon/error.h"

namespace graft::plugins {
namespace {

std::mutex& mu() {
  static std::mutex m;
  return m;
}
std::map<std::string, CudaImpl>& impls() {
  static auto* m = new std::map<std::string, CudaImpl>();
  return *m;
}

}  // namespace

bool register_cuda_impl(const std::string& plugin_name, CudaImpl impl) {
  std::lock_guard<std::mutex> lock(mu());
  return impls().emplace(plugin_name, impl).second;
}

const CudaImpl* find_cuda_impl(const std::string& plugin_name) {
  std::lock_guard<std::mutex> lock(mu());
  auto it = impls().find(plugin_name);
  return it == impls().end() ? nullptr : &it->second;
}

bool has_cuda_impl(const std::string& plugin_name) { return find_cuda_impl(plugin_name) != nullptr; }

size_t cuda_impl_workspace(const std::string& plugin_name, const Fields& fields, const std::vector<DeviceTensor>& inputs) {
  const CudaImpl* impl = find_cuda_impl(plugin_name);
  return impl && impl->workspace ? impl->workspace(fields, inputs) : 0;
}

void enqueue_cuda_impl(const std::string& plugin_name, const Fields& fields, const CudaLaunch& launch) {
  const CudaImpl* impl = find_cuda_impl(plugin_name);
  if (!impl) throw Error("graft::" + plugin_name + " has no CUDA implementation in this binary (link //plugins:builtin_cuda)");
  impl->enqueue(fields, launch);
}

}  // namespace graft::plugins
