#include "engine/cuda_engine.h"

#include <cstring>

#include <Eigen/Core>

#include "engine/cuda_steps.h"
#include "surgeon/error.h"

namespace graft::engine {

class CudaEngine::Weights : public cuda::WeightAllocator {
 public:
  ~Weights() override {
    for (void* p : blocks_) cudaFree(p);
  }
  void* allocate(size_t bytes) override {
    void* p = nullptr;
    cuda::check_cuda(cudaMalloc(&p, std::max<size_t>(bytes, 1)), "allocating " + std::to_string(bytes) + " bytes of weights");
    blocks_.push_back(p);
    bytes_ += bytes;
    return p;
  }
  size_t bytes() const { return bytes_; }

 private:
  std::vector<void*> blocks_;
  size_t bytes_ = 0;
};

namespace {

// The bytes of `t` stored as `storage` (float32 constants become float16 for FP16 layers).
std::vector<uint8_t> stored_bytes(const cpu::HostTensor& t, DataType storage) {
  if (storage == t.dtype()) return std::vector<uint8_t>(t.raw(), t.raw() + t.nbytes());
  if (t.dtype() == DataType::kFloat && storage == DataType::kFloat16) {
    std::vector<uint8_t> out(t.numel() * 2);
    auto* h = reinterpret_cast<Eigen::half*>(out.data());
    for (int64_t i = 0; i < t.numel(); ++i) h[i] = Eigen::half(t.data<float>()[i]);
    return out;
  }
  throw Error("cannot store constant of " + dtype_name(t.dtype()) + " as " + dtype_name(storage));
}

size_t rank_of(const Tensor& t) {
  const Shape s = t.shape();
  return s.has_rank() ? s.rank() : 0;
}

}  // namespace

CudaEngine::CudaEngine(Network net) : net_(std::move(net)), weights_(std::make_unique<Weights>()) {
  for (const TensorPtr& t : net_.model.graph->initializers) {
    if (t->data) constants_.emplace(t.get(), cpu::HostTensor::from_data(*t->data));
  }
  for (size_t i : net_.host_nodes) host_nodes_.insert(net_.model.graph->nodes().at(i).get());
  create_steps();
  weight_bytes_ = weights_->bytes();
}

CudaEngine::~CudaEngine() = default;

size_t CudaEngine::num_steps() const { return steps_.size(); }

void CudaEngine::create_steps() {
  for (const TensorPtr& in : net_.model.graph->inputs) {
    if (!in->is_constant()) slots_.push_back(Slot{in.get(), in->dtype(), Slot::Kind::kInput});
  }
  std::vector<std::string> unsupported;
  for (size_t r = 0; r < net_.layers.size(); ++r) {
    try {
      add_layer_step(r);
    } catch (const Error& e) {
      unsupported.push_back(e.what());
    }
  }
  if (!unsupported.empty()) {
    std::string msg = std::to_string(unsupported.size()) + " layer(s) cannot run on the GPU:";
    for (const std::string& u : unsupported) msg += "\n  " + u;
    throw Error(msg);
  }
  finish_graph_outputs();
}

int CudaEngine::slot_for(const Tensor* t, DataType storage, cuda::Format format) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].tensor == t && slots_[i].storage == storage && slots_[i].format == format) return static_cast<int>(i);
  }
  return -1;
}

// A new activation slot holding `t` as (storage, format), converted from the first slot
// that holds it.
int CudaEngine::converted_slot(const Tensor* t, DataType storage, cuda::Format format) {
  int source = -1;
  for (size_t i = 0; i < slots_.size() && source < 0; ++i) {
    if (slots_[i].tensor == t) source = static_cast<int>(i);
  }
  if (source < 0) throw Error("tensor '" + t->name + "' is read before any layer writes it");
  slots_.push_back(Slot{t, storage, Slot::Kind::kActivation, nullptr, format});
  const int converted = static_cast<int>(slots_.size() - 1);
  steps_.push_back(make_conversion_step(t, slots_[source], slots_[converted], source, converted));
  return converted;
}

// A slot holding `t` as (wanted, format): the existing one, an uploaded constant, a host
// value, or a conversion of a slot that holds it otherwise.
int CudaEngine::input_slot(const Tensor* t, DataType wanted, cuda::Format format, bool taken_by_layer) {
  if (int s = slot_for(t, wanted, format); s >= 0) return s;
  const bool linear = format == cuda::Format::kLinear;
  if (t->is_constant() && (linear || taken_by_layer)) {
    Slot slot{t, wanted, Slot::Kind::kWeight, nullptr, format};
    if (!taken_by_layer) {
      std::vector<uint8_t> bytes = stored_bytes(constants_.at(t), wanted);
      slot.weight = weights_->allocate(bytes.size());
      cuda::check_cuda(cudaMemcpy(slot.weight, bytes.data(), bytes.size(), cudaMemcpyHostToDevice),
                       "uploading constant '" + t->name + "'");
    }
    slots_.push_back(slot);
    return static_cast<int>(slots_.size() - 1);
  }
  if (t->is_constant() && slot_for(t, t->dtype(), cuda::Format::kLinear) < 0) {
    input_slot(t, t->dtype(), cuda::Format::kLinear, false);
  }
  if (t->producer() && host_nodes_.count(t->producer()) && slot_for(t, t->dtype(), cuda::Format::kLinear) < 0) {
    slots_.push_back(Slot{t, t->dtype(), Slot::Kind::kHostValue});
    if (wanted == t->dtype() && linear) return static_cast<int>(slots_.size() - 1);
  }
  return converted_slot(t, wanted, format);
}

int CudaEngine::output_slot(const Tensor* t, DataType storage, cuda::Format format) {
  slots_.push_back(Slot{t, storage, Slot::Kind::kActivation, nullptr, format});
  return static_cast<int>(slots_.size() - 1);
}

void CudaEngine::add_layer_step(size_t record) {
  const LayerRecord& rec = net_.layers[record];
  Step step = make_layer_step(net_.model, rec);
  step.record = static_cast<int>(record);
  cuda::Layer& layer = *step.layer;
  for (size_t i = 0; i < step.spec.inputs.size(); ++i) {
    const Tensor* t = step.spec.inputs[i];
    if (!t) {
      step.inputs.push_back(-1);
      step.constant_values.push_back(nullptr);
      continue;
    }
    const bool taken = t->is_constant() && layer.takes_constant(i);
    step.inputs.push_back(input_slot(t, layer.input_storage(i, t->dtype()), layer.input_format(i, rank_of(*t)), taken));
    if (t->is_constant()) step.constant_values.push_back(&constants_.at(t));
    else step.constant_values.push_back(nullptr);
  }
  for (size_t j = 0; j < step.spec.outputs.size(); ++j) {
    const Tensor* t = step.spec.outputs[j];
    step.outputs.push_back(
        t ? output_slot(t, layer.output_storage(j, t->dtype()), layer.output_format(j, rank_of(*t))) : -1);
  }
  for (size_t j = 0; j < step.outputs.size(); ++j) {
    const int k = layer.aliased_input(j);
    if (k < 0 || step.outputs[j] < 0 || step.inputs.at(k) < 0) continue;
    const Slot& in = slots_[step.inputs[k]];
    Slot& out = slots_[step.outputs[j]];
    if (in.storage == out.storage && in.format == out.format) out.alias_of = in.alias_of >= 0 ? in.alias_of : step.inputs[k];
  }
  cudaStream_t stream = nullptr;
  layer.load(cuda::LoadContext{step.spec, *weights_, stream});
  cuda::check_cuda(cudaStreamSynchronize(stream), step.spec.describe() + ": loading weights");
  steps_.push_back(std::move(step));
}

// Graph outputs: the slot in the model's dtype becomes the user's binding; a layer that
// stored it otherwise, a constant or a host value gets a conversion or copy into it.
void CudaEngine::finish_graph_outputs() {
  for (const TensorPtr& out : net_.model.graph->outputs) {
    const Tensor* t = out.get();
    const int s = slot_for(t, t->dtype(), cuda::Format::kLinear);
    if (s >= 0 && slots_[s].kind == Slot::Kind::kActivation) {
      slots_[s].kind = Slot::Kind::kOutput;  // the user's memory: no longer an alias
      slots_[s].alias_of = -1;
      continue;
    }
    if (s < 0 && t->is_constant()) input_slot(t, t->dtype(), cuda::Format::kLinear, false);
    if (s < 0 && t->producer() && host_nodes_.count(t->producer())) input_slot(t, t->dtype(), cuda::Format::kLinear, false);
    converted_slot(t, t->dtype(), cuda::Format::kLinear);
    slots_.back().kind = Slot::Kind::kOutput;
  }
}

std::unique_ptr<CudaContext> CudaEngine::create_context() {
  return std::unique_ptr<CudaContext>(new CudaContext(*this));
}

std::vector<std::string> CudaEngine::describe_layers() const {
  std::vector<std::string> lines;
  for (const Step& s : steps_) lines.push_back(describe_step(s, net_));
  return lines;
}

}  // namespace graft::engine
