#include "kernels/cuda/layer.h"

#include "surgeon/error.h"

namespace graft::cuda {

const char* format_name(Format f) { return f == Format::kChannelsLast ? "NHWC" : "linear"; }

namespace {
int64_t product(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}
}  // namespace

int64_t DeviceTensor::numel() const { return product(dims); }
size_t DeviceTensor::nbytes() const { return static_cast<size_t>(numel()) * static_cast<size_t>(dtype_bits(dtype) / 8); }
int64_t TensorDesc::numel() const { return product(dims); }

std::string LayerSpec::describe() const {
  std::string out;
  for (const Node* n : nodes) {
    if (!out.empty()) out += " + ";
    out += n->describe();
  }
  return out;
}

int LayerSpec::input_index(const Tensor* t) const {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] == t) return static_cast<int>(i);
  }
  return -1;
}

DataType Layer::stored(DataType model_dtype) const {
  return precision_ == Precision::kFP16 && model_dtype == DataType::kFloat ? DataType::kFloat16 : model_dtype;
}
DataType Layer::input_storage(size_t, DataType model_dtype) const { return stored(model_dtype); }
DataType Layer::output_storage(size_t, DataType model_dtype) const { return stored(model_dtype); }

const LayerDef* find_layer(const std::string& domain, const std::string& op_type, int64_t opset) {
  return LayerRegistry::instance().find(domain, op_type, opset);
}

bool register_layer(LayerDef def) {
  LayerRegistry::instance().add(std::move(def));
  return true;
}

void check_cuda(int err, const std::string& what) {
#ifdef GRAFT_WITH_CUDA
  if (err != cudaSuccess) throw Error(what + ": " + cudaGetErrorString(static_cast<cudaError_t>(err)));
#else
  if (err != 0) throw Error(what + ": CUDA error " + std::to_string(err));
#endif
}

}  // namespace graft::cuda
