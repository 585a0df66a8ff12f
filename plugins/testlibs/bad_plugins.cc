// Plugin libraries that must be refused or must fail cleanly, one per BAD_* define
// (plugins/BUILD builds each as its own .so):
//   BAD_NO_ENTRY     no graft_plugin_entry symbol
//   BAD_ABI          built for another ABI version
//   BAD_DUPLICATE    registers graft::DeformConv2d v1, which is built in
//   BAD_THROWING     acme::Broken, whose shape function and CPU run throw std::runtime_error
//   BAD_FAULTS       acme::Crash (its CPU run raises SIGSEGV) and acme::Hang (its CPU run
//                    sleeps forever), both with an identity shape function: the models of
//                    testdata/zoo use them to crash and hang `graft zoo`'s converter
#include <csignal>
#include <stdexcept>
#include <unistd.h>

#include "plugins/plugin.h"

namespace {

using namespace graft;
using namespace graft::plugins;

class Broken : public Plugin {
 public:
  size_t num_outputs() const override { return 1; }
  void infer(ops::ShapeContext&) const override { throw std::runtime_error("shapes are hard"); }
  bool supports(size_t, DataType, Layout) const override { return true; }
  void run_cpu(cpu::KernelContext&) const override { throw std::runtime_error("running is hard too"); }
};

class Creator : public PluginCreator {
 public:
  explicit Creator(PluginId id) : id_(std::move(id)) {}
  PluginId id() const override { return id_; }
  std::string description() const override { return "a test plugin that fails"; }
  std::vector<FieldSpec> field_specs() const override { return {}; }
  std::unique_ptr<Plugin> create(const Fields&) const override { return std::make_unique<Broken>(); }

 private:
  PluginId id_;
};

// Shapes as the input's; the CPU run faults.
class Faulty : public Plugin {
 public:
  explicit Faulty(bool crash) : crash_(crash) {}
  size_t num_outputs() const override { return 1; }
  void infer(ops::ShapeContext& ctx) const override { ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0)); }
  bool supports(size_t, DataType, Layout) const override { return true; }
  void run_cpu(cpu::KernelContext&) const override {
    if (crash_) std::raise(SIGSEGV);
    for (;;) pause();
  }

 private:
  bool crash_;
};

class FaultyCreator : public PluginCreator {
 public:
  explicit FaultyCreator(bool crash) : crash_(crash) {}
  PluginId id() const override { return {"acme", crash_ ? "Crash" : "Hang", 1}; }
  std::string description() const override { return crash_ ? "a test plugin that crashes" : "a test plugin that hangs"; }
  std::vector<FieldSpec> field_specs() const override { return {}; }
  std::unique_ptr<Plugin> create(const Fields&) const override { return std::make_unique<Faulty>(crash_); }

 private:
  bool crash_;
};

#if defined(BAD_DUPLICATE)
const PluginId kId{"graft", "DeformConv2d", 1};
#else
const PluginId kId{"acme", "Broken", 1};
#endif

#if defined(BAD_ABI)
constexpr uint32_t kBuiltAbi = kAbiVersion + 100;
#else
constexpr uint32_t kBuiltAbi = kAbiVersion;
#endif

}  // namespace

#if defined(BAD_NO_ENTRY)
extern "C" int not_a_graft_plugin() { return 1; }
#elif defined(BAD_FAULTS)
extern "C" const GraftPluginTable* graft_plugin_entry() {
  static const FaultyCreator crash(true), hang(false);
  static const PluginCreator* const creators[] = {&crash, &hang};
  static const GraftPluginTable table{kAbiVersion, 2, creators};
  return &table;
}
#else
extern "C" const GraftPluginTable* graft_plugin_entry() {
  static const Creator creator(kId);
  static const PluginCreator* const creators[] = {&creator};
  static const GraftPluginTable table{kBuiltAbi, 1, creators};
  return &table;
}
#endif
