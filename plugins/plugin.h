#pragma once
// The plugin interface: an op that graft does not know (a custom domain's op, or one the
// user maps explicitly) runs through a plugin. In the spirit of TensorRT's IPluginV3,
// simpler:
//
//   - a PluginCreator has an identity (namespace, name, version), declares its typed
//     fields (read from the node's attributes) and creates a Plugin from them;
//   - a Plugin gives its output count, infers output dtypes and shapes from the inputs'
//     (symbolic dims included, through ops::ShapeContext), says which dtypes and layouts
//     it takes, runs on the CPU (through cpu::KernelContext, as a kernel does) and, when it
//     has one, on CUDA (enqueue on a stream with a workspace);
//   - a shared library ships plugins through one C entry point, graft_plugin_entry,
//     returning the ABI version it was built against and its creators.
//
// Plugins are C++ objects built with the same compiler and headers as graft: the ABI
// version guards that contract (see docs/plugins.md).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/cpu/kernel.h"
#include "ops/shape_inference.h"
#include "surgeon/attribute.h"
#include "surgeon/dtype.h"

namespace graft::plugins {

// Bump on any change to the classes and structs in this header.
inline constexpr uint32_t kAbiVersion = 1;

struct PluginId {
  std::string ns;    // matched against the node's domain ("graft")
  std::string name;  // ... and op type ("DeformConv2d")
  int64_t version = 1;

  std::string str() const { return ns + "::" + name + " v" + std::to_string(version); }
  bool operator==(const PluginId&) const = default;
};

// A field a plugin reads from its node's attributes. Without a default it is required.
struct FieldSpec {
  std::string name;
  AttrType type = AttrType::kInt;  // int, float, string, ints, floats or strings
  std::optional<Attribute> default_value;
};

// A plugin's typed fields: one Attribute per spec, defaults filled in.
class Fields {
 public:
  Fields() = default;
  explicit Fields(std::vector<Attribute> items) : items_(std::move(items)) {}

  const std::vector<Attribute>& items() const { return items_; }
  const Attribute* find(std::string_view name) const;
  int64_t get_int(std::string_view name) const;  // throws unless present with that type
  float get_float(std::string_view name) const;
  std::string get_string(std::string_view name) const;
  std::vector<int64_t> get_ints(std::string_view name) const;
  std::vector<float> get_floats(std::string_view name) const;

 private:
  const Attribute& typed(std::string_view name, AttrType type) const;
  std::vector<Attribute> items_;
};

// The fields as bytes, for a plan file, and back. Deserializing checks every length and
// throws an Error on truncated or foreign bytes.
std::string serialize_fields(const Fields& fields);
Fields deserialize_fields(std::string_view bytes);

enum class Layout { kLinear, kChannelsLast };

// A tensor in device memory: dims fixed at enqueue time.
struct DeviceTensor {
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> dims;
  void* data = nullptr;  // null for an omitted optional input
};

struct CudaLaunch {
  std::vector<DeviceTensor> inputs;
  std::vector<DeviceTensor> outputs;  // allocated by the caller with the inferred dims
  void* workspace = nullptr;          // cuda_workspace_size() bytes
  void* stream = nullptr;             // a cudaStream_t
};

class Plugin {
 public:
  virtual ~Plugin() = default;

  virtual size_t num_outputs() const = 0;
  // Sets each output's dtype and shape from the inputs' (as an ops shape function does);
  // throws an Error on inputs the plugin cannot take.
  virtual void infer(ops::ShapeContext& ctx) const = 0;
  // Whether input `index` may have this dtype and layout.
  virtual bool supports(size_t index, DataType dtype, Layout layout) const = 0;
  // Computes the outputs from the inputs on the CPU, as a CPU kernel does.
  virtual void run_cpu(cpu::KernelContext& ctx) const = 0;

  virtual bool has_cuda() const { return false; }
  virtual size_t cuda_workspace_size(const std::vector<DeviceTensor>& /*inputs*/) const { return 0; }
  // Enqueues the computation on launch.stream; returns without waiting.
  virtual void enqueue_cuda(const CudaLaunch& launch) const;
};

class PluginCreator {
 public:
  virtual ~PluginCreator() = default;
  virtual PluginId id() const = 0;
  virtual std::string description() const = 0;  // one line for `graft plugins list`
  virtual std::vector<FieldSpec> field_specs() const = 0;
  virtual std::unique_ptr<Plugin> create(const Fields& fields) const = 0;
};

// Reads the fields a creator declares from a node's attributes: checks types, fills in
// defaults, refuses a missing required field. Errors name the field.
Fields fields_from_attributes(const std::vector<FieldSpec>& specs, const std::vector<Attribute>& attrs);

}  // namespace graft::plugins

// The C entry point of a plugin library.
extern "C" {
struct GraftPluginTable {
  uint32_t abi_version;  // graft::plugins::kAbiVersion as the library was built
  uint32_t num_creators;
  const graft::plugins::PluginCreator* const* creators;  // live as long as the library
};
typedef const GraftPluginTable* (*GraftPluginEntry)(void);
}

#define GRAFT_PLUGIN_ENTRY_SYMBOL "graft_plugin_entry"
