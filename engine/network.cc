#include "engine/network.h"

#include "surgeon/error.h"

namespace graft::engine {
namespace {

std::string dims_text(const cpu::Dims& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "x" : "") + std::to_string(d[i]);
  return s.empty() ? "scalar" : s;
}

}  // namespace

const char* device_name(Device d) { return d == Device::kCpu ? "cpu" : "cuda"; }

std::map<std::string, cpu::Dims> opt_input_dims(const Model& model, const Profile* profile) {
  std::map<std::string, cpu::Dims> out;
  for (const TensorPtr& in : model.graph->inputs) {
    if (in->is_constant()) continue;
    if (profile) {
      auto it = profile->opt.find(in->name);
      if (it != profile->opt.end()) {
        out[in->name] = it->second;
        continue;
      }
    }
    const Shape s = in->shape();
    if (!s.has_rank() || !s.is_static()) {
      throw Error("input '" + in->name + "' has dynamic shape " + s.str() +
                  ": give its dims with --shapes or a profile (--min-shapes/--opt-shapes/--max-shapes)");
    }
    cpu::Dims d;
    for (const Dim& x : s.dims()) d.push_back(x.value);
    out[in->name] = d;
  }
  return out;
}

void check_in_profile(const Profile& profile, const std::string& input, const cpu::Dims& dims) {
  auto lo = profile.min.find(input), hi = profile.max.find(input);
  if (lo == profile.min.end() || hi == profile.max.end()) return;
  bool inside = dims.size() == lo->second.size() && dims.size() == hi->second.size();
  for (size_t i = 0; inside && i < dims.size(); ++i) inside = lo->second[i] <= dims[i] && dims[i] <= hi->second[i];
  if (!inside) {
    throw Error("input '" + input + "': dims " + dims_text(dims) + " are outside the optimization profile (min " +
                dims_text(lo->second) + ", max " + dims_text(hi->second) + ")");
  }
}

void check_in_profiles(const std::vector<Profile>& profiles, const std::map<std::string, cpu::Dims>& dims) {
  std::string first_error;
  for (const Profile& p : profiles) {
    try {
      for (const auto& [name, d] : dims) check_in_profile(p, name, d);
      return;
    } catch (const Error& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  if (!first_error.empty()) throw Error(first_error);
}

}  // namespace graft::engine
