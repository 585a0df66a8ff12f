#include "kernels/cuda/pointwise_jit.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <nvrtc.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace graft::cuda::pointwise {
namespace {

// NVRTC, opened at run time.
struct Nvrtc {
  decltype(&nvrtcCreateProgram) create = nullptr;
  decltype(&nvrtcCompileProgram) compile = nullptr;
  decltype(&nvrtcGetProgramLogSize) log_size = nullptr;
  decltype(&nvrtcGetProgramLog) log = nullptr;
  decltype(&nvrtcGetCUBINSize) cubin_size = nullptr;
  decltype(&nvrtcGetCUBIN) cubin = nullptr;
  decltype(&nvrtcDestroyProgram) destroy = nullptr;
  std::string error;  // why it could not be opened
};

template <typename F>
void find_symbol(void* lib, const char* name, F& f, std::string& error) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (!f && error.empty()) error = std::string("NVRTC lacks ") + name;
}

const Nvrtc& nvrtc() {
  static const Nvrtc opened = [] {
    Nvrtc n;
    void* lib = nullptr;
    for (const char* name : {"libnvrtc.so.13", "libnvrtc.so"}) {
      if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
    }
    if (!lib) {
      const char* why = dlerror();
      n.error = std::string("NVRTC not found: ") + (why ? why : "dlopen failed");
      return n;
    }
    find_symbol(lib, "nvrtcCreateProgram", n.create, n.error);
    find_symbol(lib, "nvrtcCompileProgram", n.compile, n.error);
    find_symbol(lib, "nvrtcGetProgramLogSize", n.log_size, n.error);
    find_symbol(lib, "nvrtcGetProgramLog", n.log, n.error);
    find_symbol(lib, "nvrtcGetCUBINSize", n.cubin_size, n.error);
    find_symbol(lib, "nvrtcGetCUBIN", n.cubin, n.error);
    find_symbol(lib, "nvrtcDestroyProgram", n.destroy, n.error);
    return n;
  }();
  return opened;
}

// "sm_90" for the current device (set in `device`); "" without one.
std::string device_arch(int& device) {
  int major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess) {
    cudaGetLastError();
    return "";
  }
  return "sm_" + std::to_string(major * 10 + minor);
}

// A cubin of `source` for `arch`, or the reason there is none.
std::optional<std::vector<char>> compile(const std::string& source, const std::string& arch, std::string& error) {
  const Nvrtc& api = nvrtc();
  if (!api.error.empty()) {
    error = api.error;
    return std::nullopt;
  }
  nvrtcProgram program = nullptr;
  if (api.create(&program, source.c_str(), "graft_pointwise.cu", 0, nullptr, nullptr) != NVRTC_SUCCESS) {
    error = "nvrtcCreateProgram failed";
    return std::nullopt;
  }
  const std::string arch_option = "--gpu-architecture=" + arch;
  // No fast math and no contraction into fused multiply-adds: each op rounds as the
  // interpreter's (built with -fmad=false too) and the CPU's.
  const char* options[] = {arch_option.c_str(), "-default-device", "-std=c++17", "--fmad=false"};
  std::optional<std::vector<char>> cubin;
  size_t size = 0;
  if (api.compile(program, 4, options) == NVRTC_SUCCESS && api.cubin_size(program, &size) == NVRTC_SUCCESS) {
    cubin.emplace(size);
    if (api.cubin(program, cubin->data()) != NVRTC_SUCCESS) cubin.reset();
  }
  if (!cubin) {
    size_t log_size = 0;
    std::string log;
    if (api.log_size(program, &log_size) == NVRTC_SUCCESS && log_size > 1) {
      log.resize(log_size);
      api.log(program, log.data());
      log.resize(log_size - 1);
    }
    error = "NVRTC could not compile a generated pointwise kernel: " + log;
  }
  api.destroy(&program);
  return cubin;
}

// Threads compiling kernels. They live for the process (never joined: exiting ends them),
// as the cache does, so no static destructor runs while one still compiles.
class Workers {
 public:
  void submit(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    if (idle_ == 0 && threads_ < max_threads_) {
      ++threads_;
      std::thread([this] { run(); }).detach();
    } else {
      ready_.notify_one();
    }
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      ready_.wait(lock, [&] { return !tasks_.empty(); });
      --idle_;
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  int threads_ = 0, idle_ = 0;
  const int max_threads_ = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 16u));
};

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::string, JitFuture> kernels;  // by arch and source
  std::vector<std::unique_ptr<JitKernel>> compiled;
  JitStats stats;
  std::string status;
};

Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

Workers& workers() {
  static Workers* w = new Workers;
  return *w;
}

// Loads the cubin into the process (and the device's context, so that a first launch
// inside a CUDA graph capture loads nothing).
std::optional<JitKernel> load(const std::vector<char>& cubin, int device, std::string& error) {
  cudaLibrary_t library = nullptr;
  cudaKernel_t kernel = nullptr;
  cudaFuncAttributes attributes;
  cudaError_t err = cudaSetDevice(device);
  if (err == cudaSuccess) err = cudaLibraryLoadData(&library, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0);
  if (err == cudaSuccess) err = cudaLibraryGetKernel(&kernel, library, kJitKernelName);
  if (err == cudaSuccess) err = cudaFuncGetAttributes(&attributes, reinterpret_cast<const void*>(kernel));
  if (err != cudaSuccess) {
    cudaGetLastError();  // not sticky: later launches must not report it
    error = std::string("loading a generated pointwise kernel: ") + cudaGetErrorString(err);
    return std::nullopt;
  }
  JitKernel k;
  k.kernel = kernel;
  return k;  // the library stays loaded for the process, as the cache holds its kernel
}

// Compiles and loads `source` (on a worker thread); null on failure, with the reason kept.
const JitKernel* build(const std::string& source, const std::string& arch, int device) {
  const auto start = std::chrono::steady_clock::now();
  std::string error;
  std::optional<JitKernel> kernel;
  if (const std::optional<std::vector<char>> cubin = compile(source, arch, error)) kernel = load(*cubin, device, error);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (!kernel) {
    c.status = error;
    return nullptr;
  }
  kernel->compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++c.stats.kernels;
  c.stats.seconds += kernel->compile_seconds;
  c.compiled.push_back(std::make_unique<JitKernel>(*kernel));
  return c.compiled.back().get();
}

}  // namespace

JitFuture jit_kernel(const std::string& source) {
  int device = 0;
  const std::string arch = device_arch(device);
  if (arch.empty()) return {};
  Cache& c = cache();
  const std::string key = arch + "\n" + source;
  std::lock_guard<std::mutex> lock(c.mutex);
  if (auto it = c.kernels.find(key); it != c.kernels.end()) return it->second;
  auto promise = std::make_shared<std::promise<const JitKernel*>>();
  JitFuture future = promise->get_future().share();
  c.kernels.emplace(key, future);
  workers().submit([promise, source, arch, device] {
    const JitKernel* kernel = nullptr;
    try {
      kernel = build(source, arch, device);
    } catch (const std::exception& e) {  // out of memory: no kernel, the interpreter runs
      std::lock_guard<std::mutex> failed(cache().mutex);
      cache().status = e.what();
    }
    promise->set_value(kernel);
  });
  return future;
}

std::string jit_status() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.status;
}

JitStats jit_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

bool jit_aligned(const JitPlan& plan, const Program& bound) {
  for (size_t k = 0; k < plan.in_alignment.size(); ++k) {
    if (reinterpret_cast<uintptr_t>(bound.loads[k].data) % plan.in_alignment[k] != 0) return false;
  }
  for (size_t j = 0; j < plan.out_alignment.size(); ++j) {
    if (reinterpret_cast<uintptr_t>(bound.outputs[j].data) % plan.out_alignment[j] != 0) return false;
  }
  return true;
}

cudaError_t run_jit(const JitKernel& kernel, const JitPlan& plan, const Program& bound, cudaStream_t stream) {
  const int64_t n = bound.geometry.n;
  if (n == 0) return cudaSuccess;
  JitArgs args = plan.args;
  for (size_t k = 0; k < plan.loads.size(); ++k) args.in[k] = bound.loads[k].data;
  for (size_t j = 0; j < plan.out_alignment.size(); ++j) args.out[j] = bound.outputs[j].data;
  const int64_t chunks = n / plan.lanes;
  const int64_t blocks = std::clamp<int64_t>((chunks + kJitThreads - 1) / kJitThreads, 1, int64_t{1} << 20);
  void* params[] = {&args};
  return cudaLaunchKernel(kernel.kernel, dim3(static_cast<unsigned>(blocks)), dim3(kJitThreads), params, 0, stream);
}

}  // namespace graft::cuda::pointwise
