#include <cublasLt.h>
#include <cudnn.h>

#include <algorithm>
#include <cstring>

#include "engine/cuda_engine.h"
#include "engine/cuda_steps.h"
#include "engine/memory_plan.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

using Slot = CudaEngine::Slot;

size_t dtype_bytes(DataType d) { return static_cast<size_t>(std::max(dtype_bits(d), 8) / 8); }

size_t numel(const cpu::Dims& dims) {
  size_t n = 1;
  for (int64_t d : dims) n *= static_cast<size_t>(d);
  return n;
}

void cuda_free(void*& p) {
  if (p) cudaFree(p);
  p = nullptr;
}

void grow(void*& buffer, size_t& capacity, size_t bytes, const std::string& what) {
  if (bytes <= capacity) return;
  cuda_free(buffer);
  capacity = 0;
  cuda::check_cuda(cudaMalloc(&buffer, bytes), "allocating " + std::to_string(bytes) + " bytes for " + what);
  capacity = bytes;
}

}  // namespace

CudaContext::CudaContext(CudaEngine& engine) : engine_(engine) {
  cudnnHandle_t cudnn = nullptr;
  if (cudnnCreate(&cudnn) != CUDNN_STATUS_SUCCESS) throw Error("cuDNN could not be initialized");
  handles_.cudnn = cudnn;
  cublasLtHandle_t lt = nullptr;
  if (cublasLtCreate(&lt) != CUBLAS_STATUS_SUCCESS) throw Error("cuBLASLt could not be initialized");
  handles_.cublaslt = lt;
  cuda::check_cuda(cudaStreamCreateWithFlags(&own_stream_, cudaStreamNonBlocking), "creating a stream");
}

CudaContext::~CudaContext() {
  if (graph_exec_) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph_exec_));
  for (void* e : events_) cudaEventDestroy(static_cast<cudaEvent_t>(e));
  for (auto& [name, buf] : io_) cudaFree(buf.first);
  cuda_free(arena_);
  cuda_free(host_value_buffer_);
  cuda_free(workspace_);
  cudnnDestroy(static_cast<cudnnHandle_t>(handles_.cudnn));
  cublasLtDestroy(static_cast<cublasLtHandle_t>(handles_.cublaslt));
  cudaStreamDestroy(own_stream_);
}

void CudaContext::set_input_shapes(const std::map<std::string, cpu::Dims>& dims) {
  const Network& net = engine_.net_;
  for (const auto& [name, d] : dims) {
    if (!net.model.graph->find_tensor(name)) throw Error("set_input_shapes: the model has no input '" + name + "'");
  }
  check_in_profiles(net.profiles, dims);
  RunShapes shapes = compute_run_shapes(net.model, dims, engine_.host_nodes_, engine_.constants_);
  std::lock_guard<std::mutex> lock(engine_.mu_);
  shapes_ = std::move(shapes);
  generation_ = ++engine_.generation_;
  place_slots();
  for (size_t i = 0; i < engine_.steps_.size(); ++i) prepare_step(i);
  update_workspace();
}

// Steps another context prepared for its shapes since are prepared again for ours.
void CudaContext::prepare_stale_steps() {
  bool any = false;
  for (size_t k = 0; k < engine_.steps_.size(); ++k) {
    if (engine_.steps_[k].prepared_for == generation_) continue;
    prepare_step(k);
    any = true;
  }
  if (any) update_workspace();
}

void CudaContext::update_workspace() {
  workspace_needed_ = 0;
  for (const auto& step : engine_.steps_) workspace_needed_ = std::max(workspace_needed_, step.workspace);
  grow(workspace_, workspace_bytes_, workspace_needed_, "layer workspace");
}

cpu::Dims CudaContext::dims_of(const std::string& tensor_name) const {
  const TensorPtr t = engine_.net_.model.graph->find_tensor(tensor_name);
  auto it = t ? shapes_.dims.find(t.get()) : shapes_.dims.end();
  if (it == shapes_.dims.end()) throw Error("no dims known for tensor '" + tensor_name + "' (set the input shapes first)");
  return it->second;
}

cuda::TensorDesc CudaContext::desc(int slot) const {
  const Slot& s = engine_.slots_[slot];
  return cuda::TensorDesc{s.storage, shapes_.dims.at(s.tensor), s.format};
}

// Lifetimes of the activation slots over the steps; host values packed into one buffer.
void CudaContext::place_slots() {
  const auto& slots = engine_.slots_;
  const auto& steps = engine_.steps_;
  std::vector<Lifetime> lifetimes;
  std::vector<int> lifetime_of(slots.size(), -1);
  // An alias lives in its root's memory, so reading it keeps the root alive.
  auto root = [&](int s) { return slots[s].alias_of >= 0 ? slots[s].alias_of : s; };
  for (size_t k = 0; k < steps.size(); ++k) {
    for (int s : steps[k].outputs) {
      if (s < 0 || slots[s].kind != Slot::Kind::kActivation || slots[s].alias_of >= 0) continue;
      lifetime_of[s] = static_cast<int>(lifetimes.size());
      lifetimes.push_back(Lifetime{numel(shapes_.dims.at(slots[s].tensor)) * dtype_bytes(slots[s].storage), int(k), int(k)});
    }
    for (int s : steps[k].inputs) {
      if (s >= 0 && lifetime_of[root(s)] >= 0) lifetimes[lifetime_of[root(s)]].last = static_cast<int>(k);
    }
  }
  const MemoryPlan plan = plan_memory(lifetimes);
  grow(arena_, arena_bytes_, plan.arena_bytes, "activations");
  slot_offsets_.assign(slots.size(), 0);
  size_t host_bytes = 0;
  for (size_t s = 0; s < slots.size(); ++s) {
    if (lifetime_of[s] >= 0) slot_offsets_[s] = plan.offsets[lifetime_of[s]];
    if (slots[s].kind != Slot::Kind::kHostValue) continue;
    slot_offsets_[s] = host_bytes;
    host_bytes += (shapes_.host_values.at(slots[s].tensor).nbytes() + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  }
  grow(host_value_buffer_, host_value_bytes_, host_bytes, "shape tensors");
  for (size_t s = 0; s < slots.size(); ++s) {
    if (slots[s].kind != Slot::Kind::kHostValue) continue;
    const cpu::HostTensor& v = shapes_.host_values.at(slots[s].tensor);
    cuda::check_cuda(cudaMemcpy(static_cast<char*>(host_value_buffer_) + slot_offsets_[s], v.raw(), v.nbytes(),
                                cudaMemcpyHostToDevice),
                     "uploading shape tensor '" + slots[s].tensor->name + "'");
  }
}

void CudaContext::prepare_step(size_t index) {
  CudaEngine::Step& step = engine_.steps_[index];
  cuda::PrepareContext pc;
  pc.handles = handles_;
  for (size_t i = 0; i < step.inputs.size(); ++i) {
    const int s = step.inputs[i];
    pc.inputs.push_back(s >= 0 ? desc(s) : cuda::TensorDesc{});
    const cpu::HostTensor* value = step.constant_values[i];
    if (!value && s >= 0) {
      auto it = shapes_.host_values.find(engine_.slots_[s].tensor);
      if (it != shapes_.host_values.end()) value = &it->second;
    }
    pc.host_values.push_back(value);
  }
  for (int s : step.outputs) pc.outputs.push_back(s >= 0 ? desc(s) : cuda::TensorDesc{});
  step.layer->prepare(pc);
  if (step.record >= 0 && !engine_.net_.layers[step.record].tactic.empty()) {
    step.layer->set_tactic(engine_.net_.layers[step.record].tactic);
  }
  step.workspace = step.layer->workspace_bytes();
  step.prepared_for = generation_;
}

void* CudaContext::slot_address(int slot, const std::map<std::string, void*>& bindings) const {
  if (engine_.slots_[slot].alias_of >= 0) return slot_address(engine_.slots_[slot].alias_of, bindings);
  const Slot& s = engine_.slots_[slot];
  switch (s.kind) {
    case Slot::Kind::kInput:
    case Slot::Kind::kOutput: {
      auto it = bindings.find(s.tensor->name);
      if (it == bindings.end()) {
        throw Error(std::string("no binding for graph ") + (s.kind == Slot::Kind::kInput ? "input" : "output") + " '" +
                    s.tensor->name + "'");
      }
      return it->second;
    }
    case Slot::Kind::kWeight: return s.weight;
    case Slot::Kind::kHostValue: return static_cast<char*>(host_value_buffer_) + slot_offsets_[slot];
    case Slot::Kind::kActivation: return static_cast<char*>(arena_) + slot_offsets_[slot];
  }
  return nullptr;
}

cuda::DeviceTensor CudaContext::device_tensor(int slot, const std::map<std::string, void*>& bindings) const {
  if (slot < 0) return {};
  const cuda::TensorDesc d = desc(slot);
  return cuda::DeviceTensor{d.dtype, d.dims, slot_address(slot, bindings), d.format};
}

void CudaContext::enqueue_steps(const std::map<std::string, void*>& bindings, cudaStream_t stream) {
  auto& steps = engine_.steps_;
  if (profiling_ && events_.size() != steps.size() + 1) {
    for (void* e : events_) cudaEventDestroy(static_cast<cudaEvent_t>(e));
    events_.assign(steps.size() + 1, nullptr);
    for (void*& e : events_) cuda::check_cuda(cudaEventCreate(reinterpret_cast<cudaEvent_t*>(&e)), "creating events");
  }
  if (cudnnSetStream(static_cast<cudnnHandle_t>(handles_.cudnn), stream) != CUDNN_STATUS_SUCCESS) {
    throw Error("cudnnSetStream failed");
  }
  for (size_t k = 0; k < steps.size(); ++k) {
    if (profiling_) cudaEventRecord(static_cast<cudaEvent_t>(events_[k]), stream);
    enqueue_step(k, bindings, stream);
  }
  if (profiling_) cudaEventRecord(static_cast<cudaEvent_t>(events_.back()), stream);
}

void CudaContext::enqueue_step(size_t k, const std::map<std::string, void*>& bindings, cudaStream_t stream) {
  CudaEngine::Step& step = engine_.steps_[k];
  cuda::EnqueueContext ec;
  ec.stream = stream;
  ec.handles = handles_;
  ec.workspace = step.workspace ? workspace_ : nullptr;
  for (int s : step.inputs) ec.inputs.push_back(device_tensor(s, bindings));
  for (int s : step.outputs) ec.outputs.push_back(device_tensor(s, bindings));
  step.layer->enqueue(ec);
}

void CudaContext::enqueue(const std::map<std::string, void*>& bindings, cudaStream_t stream, bool cuda_graph) {
  if (!has_shapes()) throw Error("enqueue: set the input shapes first");
  std::lock_guard<std::mutex> lock(engine_.mu_);
  bool stale = false;
  for (const auto& step : engine_.steps_) stale |= step.prepared_for != generation_;
  prepare_stale_steps();
  if (!cuda_graph) return enqueue_steps(bindings, stream);
  const auto key = std::make_pair(generation_, bindings);
  if (!graph_exec_ || graph_key_ != key || stale) {
    if (graph_exec_) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph_exec_));
    graph_exec_ = nullptr;
    const bool was_profiling = profiling_;
    profiling_ = false;
    cuda::check_cuda(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "starting CUDA graph capture");
    cudaGraph_t graph = nullptr;
    try {
      enqueue_steps(bindings, stream);
    } catch (...) {
      cudaStreamEndCapture(stream, &graph);
      if (graph) cudaGraphDestroy(graph);
      profiling_ = was_profiling;
      throw;
    }
    profiling_ = was_profiling;
    cuda::check_cuda(cudaStreamEndCapture(stream, &graph), "capturing the CUDA graph");
    cudaGraphExec_t exec = nullptr;
    const cudaError_t err = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    cuda::check_cuda(err, "instantiating the CUDA graph");
    graph_exec_ = exec;
    graph_key_ = key;
  }
  cuda::check_cuda(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph_exec_), stream), "launching the CUDA graph");
}

void CudaContext::upload_inputs(const std::vector<NamedValue>& inputs, cudaStream_t stream) {
  std::map<std::string, cpu::Dims> dims;
  for (const NamedValue& v : inputs) {
    const TensorPtr t = engine_.net_.model.graph->find_tensor(v.name);
    if (!t) throw Error("the model has no input '" + v.name + "'");
    if (!v.value.is_tensor() || v.value.tensor.dtype() != t->dtype()) {
      throw Error("input '" + v.name + "': expected " + dtype_name(t->dtype()) + ", got " + v.value.describe());
    }
    dims[v.name] = v.value.tensor.dims();
  }
  bool same = has_shapes();
  for (const auto& [name, d] : dims) same = same && dims_of(name) == d;
  if (!same) set_input_shapes(dims);
  auto bind = [&](const std::string& name, size_t bytes) {
    auto& buf = io_[name];
    grow(buf.first, buf.second, std::max<size_t>(bytes, 1), "'" + name + "'");
    io_bindings_[name] = buf.first;
    return buf.first;
  };
  for (const NamedValue& v : inputs) {
    const cpu::HostTensor& t = v.value.tensor;
    cuda::check_cuda(cudaMemcpyAsync(bind(v.name, t.nbytes()), t.raw(), t.nbytes(), cudaMemcpyHostToDevice, stream),
                     "copying input '" + v.name + "' to the device");
  }
  for (const TensorPtr& out : engine_.net_.model.graph->outputs) {
    bind(out->name, numel(dims_of(out->name)) * dtype_bytes(out->dtype()));
  }
}

void CudaContext::enqueue_io(cudaStream_t stream, bool cuda_graph) { enqueue(io_bindings_, stream, cuda_graph); }

std::vector<NamedValue> CudaContext::download_outputs(cudaStream_t stream, bool wait) {
  std::vector<NamedValue> out;
  for (const TensorPtr& o : engine_.net_.model.graph->outputs) {
    cpu::HostTensor t = cpu::HostTensor::uninitialized(o->dtype(), dims_of(o->name));
    cuda::check_cuda(cudaMemcpyAsync(t.mutable_raw(), io_bindings_.at(o->name), t.nbytes(), cudaMemcpyDeviceToHost, stream),
                     "copying output '" + o->name + "' to the host");
    out.push_back({o->name, cpu::Value::of(std::move(t))});
  }
  if (wait) cuda::check_cuda(cudaStreamSynchronize(stream), "running the engine");
  return out;
}

std::vector<NamedValue> CudaContext::run(const std::vector<NamedValue>& inputs) {
  upload_inputs(inputs, own_stream_);
  enqueue_io(own_stream_);
  return download_outputs(own_stream_);
}

MemoryReport CudaContext::memory() const {
  MemoryReport r;
  r.weight_bytes = engine_.weight_bytes_;
  r.activation_bytes = arena_bytes_;
  r.workspace_bytes = workspace_needed_;
  for (const auto& [name, buf] : io_) r.io_bytes += buf.second;
  return r;
}

std::vector<LayerTime> CudaContext::layer_times() const {
  std::vector<LayerTime> out;
  if (events_.size() != engine_.steps_.size() + 1) return out;
  for (size_t k = 0; k < engine_.steps_.size(); ++k) {
    float ms = 0;
    cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(events_[k]), static_cast<cudaEvent_t>(events_[k + 1]));
    out.push_back({describe_step(engine_.steps_[k], engine_.net_), ms});
  }
  return out;
}

}  // namespace graft::engine
