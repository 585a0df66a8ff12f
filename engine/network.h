#pragma once
// A built network: what `graft build` decides and a plan file stores. The model (already
// sanitized and in topological order) plus, per layer, which nodes it runs, its precision
// and its tactic; the host nodes that compute shape tensors; the optimization profiles.
// Everything else (storage dtypes, conversions, memory offsets) follows from these when
// an engine is created, so a plan holds only decisions and weights.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kernels/cpu/host_tensor.h"
#include "kernels/cuda/precision.h"
#include "surgeon/model.h"

namespace graft::engine {

enum class Device : uint8_t { kCpu, kCuda };
const char* device_name(Device d);  // "cpu", "cuda"

// min / opt / max dims per dynamic input. Inputs with static dims need no entry.
struct Profile {
  std::map<std::string, cpu::Dims> min, opt, max;
};

struct LayerRecord {
  std::vector<size_t> nodes;  // indices into model.graph->nodes(), in execution order
  cuda::Precision precision = cuda::Precision::kFP32;
  std::string tactic;         // empty: the layer's default
};

struct Network {
  Device device = Device::kCuda;
  cuda::Precision precision = cuda::Precision::kFP32;  // what the build asked for
  Model model;
  std::vector<size_t> host_nodes;   // node indices computed on the host
  std::vector<LayerRecord> layers;  // in execution order
  std::vector<Profile> profiles;    // at least one for models with dynamic inputs
};

// The dims of every graph input for `profile`'s opt point: static dims as declared, the
// profile's opt dims for the others. Throws an Error naming an input left undetermined.
std::map<std::string, cpu::Dims> opt_input_dims(const Model& model, const Profile* profile);
// Throws an Error naming the input and the profile's range when `dims` lie outside it.
void check_in_profile(const Profile& profile, const std::string& input, const cpu::Dims& dims);
// Passes when some profile holds every input's dims (or there are no profiles); otherwise
// throws the first profile's complaint.
void check_in_profiles(const std::vector<Profile>& profiles, const std::map<std::string, cpu::Dims>& dims);

}  // namespace graft::engine
