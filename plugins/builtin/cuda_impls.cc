#include "plugins/builtin/cuda_impls.h"

#include <map>
#include <mutex>

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

CudaImpl find_cuda_impl(const std::string& plugin_name) {
  std::lock_guard<std::mutex> lock(mu());
  auto it = impls().find(plugin_name);
  return it == impls().end() ? nullptr : it->second;
}

}  // namespace graft::plugins
