#include "tools/engine_flags.h"

#include "surgeon/error.h"

namespace graft::tools {

engine::Device device_of(const std::string& name, const std::string& flag) {
  if (name == "cpu") return engine::Device::kCpu;
  if (name == "cuda") return engine::Device::kCuda;
  throw Error(flag + " " + name + ": expected cpu or cuda");
}

std::map<std::string, cuda::Precision> parse_precision_constraints(const std::string& text) {
  std::map<std::string, cuda::Precision> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const size_t colon = item.rfind(':');
    const auto p = colon == std::string::npos ? std::nullopt : cuda::precision_from_name(item.substr(colon + 1));
    if (!p || colon == 0) {
      throw Error("--precision-constraints: '" + item + "' is not NODE:fp32, NODE:tf32 or NODE:fp16");
    }
    out[item.substr(0, colon)] = *p;
    start = end + 1;
  }
  return out;
}

void check_profile(const engine::Profile& p) {
  for (const auto& [name, opt] : p.opt) {
    if (!p.min.count(name) || !p.max.count(name)) {
      throw Error("input '" + name + "' is in --opt-shapes but not in --min-shapes and --max-shapes");
    }
    const cpu::Dims& lo = p.min.at(name);
    const cpu::Dims& hi = p.max.at(name);
    bool ordered = lo.size() == opt.size() && hi.size() == opt.size();
    for (size_t i = 0; ordered && i < opt.size(); ++i) ordered = lo[i] <= opt[i] && opt[i] <= hi[i];
    if (!ordered) throw Error("input '" + name + "': the profile needs min <= opt <= max in every dim, with one rank");
  }
  if (p.min.size() != p.opt.size() || p.max.size() != p.opt.size()) {
    throw Error("--min-shapes, --opt-shapes and --max-shapes must name the same inputs");
  }
}

const engine::GpuBackend& require_gpu_backend() {
  const engine::GpuBackend* gpu = engine::gpu_backend();
  if (!gpu) throw Error("this graft was built without CUDA; use --device cpu");
  std::string why;
  if (gpu->target(&why).compute_capability == 0) throw Error("no CUDA device: " + why + "; use --device cpu");
  return *gpu;
}

}  // namespace graft::tools
