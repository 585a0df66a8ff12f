// graft build: sanitize a model, lower it to engine layers, time the tactics and write a
// plan file, like `trtexec --onnx=model.onnx --saveEngine=model.plan`.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/gpu_backend.h"
#include "engine/plan_file.h"
#include "engine/random_inputs.h"
#include "folding/sanitize.h"
#include "importer/onnx_model.h"
#include "surgeon/error.h"
#include "tools/commands.h"
#include "tools/engine_flags.h"

namespace graft::tools {
namespace {

struct BuildFlags {
  std::string model, output;
  std::string device = "cuda";
  bool fp32 = false, tf32 = false, fp16 = false;
  std::string shapes, min_shapes, opt_shapes, max_shapes;
  std::string timing_cache;
  std::string precision_constraints;
  bool no_sanitize = false;
  bool no_autotune = false;
  bool verbose = false;
  bool json = false;
};

cuda::Precision precision_of(const BuildFlags& f) {
  if (int(f.fp32) + int(f.tf32) + int(f.fp16) > 1) throw Error("--fp32, --tf32 and --fp16: give at most one");
  return f.fp16 ? cuda::Precision::kFP16 : f.tf32 ? cuda::Precision::kTF32 : cuda::Precision::kFP32;
}

// --shapes fixes every dynamic input (one profile, min = opt = max); --min/opt/max-shapes
// give a range.
std::vector<engine::Profile> profiles_of(const BuildFlags& f) {
  const bool ranged = !f.min_shapes.empty() || !f.opt_shapes.empty() || !f.max_shapes.empty();
  if (!f.shapes.empty() && ranged) throw Error("--shapes and --min-shapes/--opt-shapes/--max-shapes: give one or the other");
  if (f.shapes.empty() && !ranged) return {};
  engine::Profile p;
  if (!f.shapes.empty()) {
    for (auto& [name, dims] : engine::parse_input_shapes(f.shapes)) p.min[name] = p.opt[name] = p.max[name] = dims;
    return {p};
  }
  if (f.min_shapes.empty() || f.opt_shapes.empty() || f.max_shapes.empty()) {
    throw Error("--min-shapes, --opt-shapes and --max-shapes go together: give all three");
  }
  for (auto& [name, dims] : engine::parse_input_shapes(f.min_shapes)) p.min[name] = dims;
  for (auto& [name, dims] : engine::parse_input_shapes(f.opt_shapes)) p.opt[name] = dims;
  for (auto& [name, dims] : engine::parse_input_shapes(f.max_shapes)) p.max[name] = dims;
  check_profile(p);
  return {p};
}

std::string mib(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / 1048576.0);
  return buf;
}

}  // namespace

Run add_build_command(CLI::App& app) {
  auto flags = std::make_shared<BuildFlags>();
  CLI::App* cmd = app.add_subcommand(
      "build",
      "Build an engine plan from an ONNX model: sanitize it (unless --no-sanitize), lower it to\n"
      "layers (fusing Conv+bias+activation, MatMul+bias, chains of pointwise ops), choose each\n"
      "layer's precision, time the tactics of each layer on this GPU and keep the fastest, plan\n"
      "memory, and write the plan. Prints the layers after fusion and the memory summary.\n"
      "A plan runs only on the GPU architecture and cuDNN/cuBLAS versions it was built with.\n\n"
      "Examples:\n"
      "  graft build model.onnx -o model.plan --fp16\n"
      "  graft build model.onnx -o model.plan --shapes x:1x3x224x224\n"
      "  graft build bert.onnx -o bert.plan --min-shapes ids:1x16 --opt-shapes ids:8x128 --max-shapes ids:32x512\n"
      "  graft build model.onnx -o model.plan --fp16 --precision-constraints softmax_0:fp32 --timing-cache tc.txt\n"
      "  graft build model.onnx -o cpu.plan --device cpu");
  cmd->add_option("model", flags->model, "ONNX model file")->required()->check(existing_file_check);
  cmd->add_option("-o,--output", flags->output, "Plan file to write")->required();
  cmd->add_option("--device", flags->device, "cuda (default) or cpu");
  cmd->add_flag("--fp32", flags->fp32, "FP32 layers, no TF32 (the default)");
  cmd->add_flag("--tf32", flags->tf32, "Let Conv and MatMul round inputs to TF32");
  cmd->add_flag("--fp16", flags->fp16, "FP16 layers where they have an FP16 implementation, FP32 elsewhere");
  cmd->add_option("--shapes", flags->shapes, "Fixed dims for dynamic inputs: x:1x3x224x224,mask:1x128");
  cmd->add_option("--min-shapes", flags->min_shapes, "Smallest dims of the optimization profile");
  cmd->add_option("--opt-shapes", flags->opt_shapes, "Dims the tactics are timed at");
  cmd->add_option("--max-shapes", flags->max_shapes, "Largest dims of the optimization profile");
  cmd->add_option("--timing-cache", flags->timing_cache, "Read and update tactic timings in FILE");
  cmd->add_option("--precision-constraints", flags->precision_constraints,
                  "Pin layers by node name: NODE:fp32|tf32|fp16,...");
  cmd->add_flag("--no-sanitize", flags->no_sanitize, "Build the model as it is");
  cmd->add_flag("--no-autotune", flags->no_autotune, "Take each layer's default tactic (faster builds)");
  cmd->add_flag("-v,--verbose", flags->verbose, "A line per timed layer");
  cmd->add_flag("--json", flags->json, "Print JSON instead of text");
  return [flags] {
    const auto start = std::chrono::steady_clock::now();
    const engine::Device device = device_of(flags->device, "--device");
    engine::BuildOptions options;
    options.precision = precision_of(*flags);
    options.layer_precisions = parse_precision_constraints(flags->precision_constraints);
    options.profiles = profiles_of(*flags);
    options.timing_cache_path = flags->timing_cache;
    options.autotune = !flags->no_autotune;
    options.progress = flags->verbose;
    Model model = importer::load_model(flags->model);
    const size_t nodes_in = model.graph->nodes().size();
    if (!flags->no_sanitize) {
      folding::SanitizeOptions sanitize;
      if (!flags->shapes.empty()) sanitize.passes.shapes.input_shapes = folding::parse_input_shapes(flags->shapes);
      folding::sanitize(model, sanitize);
    }
    engine::BuildResult result;
    engine::PlanTarget target;
    if (device == engine::Device::kCpu) {
      result.network.device = engine::Device::kCpu;
      result.network.profiles = options.profiles;
      for (const auto& n : model.graph->nodes()) result.layers.push_back(n->describe());
      result.network.model = std::move(model);
      target.device = engine::Device::kCpu;
    } else {
      const engine::GpuBackend& gpu = require_gpu_backend();
      target = gpu.target();
      result = gpu.build(std::move(model), options);
    }
    target.graft_version = kGraftVersion;
    engine::write_plan_file(flags->output, result.network, target);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto plan_bytes = std::filesystem::file_size(flags->output);

    if (flags->json) {
      nlohmann::json j = {{"model", flags->model},
                          {"plan", flags->output},
                          {"device", engine::device_name(device)},
                          {"precision", cuda::precision_name(options.precision)},
                          {"nodes", nodes_in},
                          {"layers", result.layers},
                          {"weight_bytes", result.memory.weight_bytes},
                          {"activation_bytes", result.memory.activation_bytes},
                          {"workspace_bytes", result.memory.workspace_bytes},
                          {"tactics_timed", result.tactics_timed},
                          {"timing_cache_hits", result.timing_cache_hits},
                          {"plan_bytes", plan_bytes},
                          {"seconds", seconds}};
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    std::printf("%s: %zu nodes -> %zu layers (%s, %s)\n", flags->model.c_str(), nodes_in, result.layers.size(),
                engine::device_name(device), cuda::precision_name(options.precision));
    for (size_t i = 0; i < result.layers.size(); ++i) std::printf("  %3zu  %s\n", i, result.layers[i].c_str());
    if (device == engine::Device::kCuda) {
      std::printf("memory: weights %s, activations %s (at the opt shapes), workspace %s\n",
                  mib(result.memory.weight_bytes).c_str(), mib(result.memory.activation_bytes).c_str(),
                  mib(result.memory.workspace_bytes).c_str());
      std::printf("tactics: %zu layers timed, %zu from the timing cache\n", result.tactics_timed,
                  result.timing_cache_hits);
    }
    std::printf("wrote %s (%s) in %.2f s\n", flags->output.c_str(), mib(plan_bytes).c_str(), seconds);
    return 0;
  };
}

}  // namespace graft::tools
