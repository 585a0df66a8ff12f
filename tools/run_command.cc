// graft run: run a model on an engine with given or seeded random inputs, like
// `polygraphy run model.onnx --onnxrt`.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/cpu_executor.h"
#include "engine/gpu_backend.h"
#include "engine/plan_file.h"
#include "folding/sanitize.h"
#include "surgeon/clone.h"
#include "tools/engine_flags.h"
#include "tools/run_timing.h"
#include "engine/npy.h"
#include "engine/random_inputs.h"
#include "engine/tensor_io.h"
#include "importer/onnx_model.h"
#include "surgeon/error.h"
#include "surgeon/graph.h"
#include "tools/commands.h"

namespace graft::tools {
namespace {

namespace fs = std::filesystem;

constexpr size_t kFirstValues = 6;

struct RunFlags {
  std::string model;
  std::string backend;  // default: the plan's device, cpu for an .onnx
  std::string precision = "fp32";
  std::string inputs;
  uint64_t seed = 0;
  std::string input_shapes;
  std::string save_outputs;
  int iterations = 0;  // 0: one run, untimed on the CPU; 10 on CUDA
  int warmup = 2;
  double duration = 0;
  bool cuda_graph = false;
  int streams = 1;
  bool dump_profile = false;
  std::string compare_to;
  double rtol = -1, atol = -1;  // negative: by precision
  bool json = false;
};

struct InputInfo {
  std::string name;
  cpu::Value value;
  std::string source;  // a file, or "random"
};

// Statistics of a tensor's values, for the summary table.
struct ValueStats {
  bool numeric = false;    // min/max/mean meaningful
  double min = 0, max = 0, mean = 0;
  int64_t nan = 0, inf = 0;
  std::vector<std::string> first;   // as printed
  nlohmann::json first_json = nlohmann::json::array();
};

std::string number(double v, bool integer) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  if (integer && std::fabs(v) < 1e18) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  } else {
    std::snprintf(buf, sizeof buf, "%.6g", v);
  }
  return buf;
}

bool is_integer_type(DataType t) {
  switch (t) {
    case DataType::kBool:
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
    case DataType::kUint64: return true;
    default: return false;
  }
}

ValueStats stats_of(const cpu::HostTensor& t) {
  ValueStats s;
  if (t.dtype() == DataType::kString) {
    for (int64_t i = 0; i < t.numel() && s.first.size() < kFirstValues; ++i) {
      s.first.push_back("\"" + t.strings()[i].substr(0, 24) + "\"");
      s.first_json.push_back(t.strings()[i]);
    }
    return s;
  }
  std::vector<double> v;
  if (t.dtype() == DataType::kBool) {
    for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.data<bool>()[i]);
  } else {
    try {
      v = t.to_doubles();
    } catch (const Error&) {
      return s;  // complex, float8, 4-bit: shape and type only
    }
  }
  const bool integer = is_integer_type(t.dtype());
  double sum = 0;
  int64_t finite = 0;
  for (double x : v) {
    if (std::isnan(x)) {
      ++s.nan;
    } else if (std::isinf(x)) {
      ++s.inf;
    } else {
      s.min = finite ? std::min(s.min, x) : x;
      s.max = finite ? std::max(s.max, x) : x;
      sum += x;
      ++finite;
    }
  }
  s.numeric = finite > 0;
  s.mean = finite ? sum / finite : 0;
  for (size_t i = 0; i < v.size() && i < kFirstValues; ++i) {
    s.first.push_back(number(v[i], integer));
    if (integer) {
      s.first_json.push_back(static_cast<int64_t>(v[i]));
    } else {
      s.first_json.push_back(v[i]);  // NaN and infinities become null
    }
  }
  return s;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
  return s;
}

std::string shape_text(const cpu::Value& v) {
  if (v.is_tensor()) return cpu::dims_str(v.tensor.dims());
  if (v.is_sequence()) return std::to_string(v.sequence.size()) + " items";
  return "-";
}

std::string dtype_text(const cpu::Value& v) {
  if (v.is_tensor()) return dtype_name(v.tensor.dtype());
  if (v.is_sequence()) return "seq(" + dtype_name(v.sequence_elem) + ")";
  return "none";
}

std::vector<TensorPtr> required_inputs(const Model& model) {
  std::vector<TensorPtr> out;
  for (const TensorPtr& in : model.graph->inputs) {
    if (!in->is_constant()) out.push_back(in);
  }
  return out;
}

std::vector<InputInfo> make_inputs(const Model& model, const RunFlags& flags) {
  std::vector<InputInfo> out;
  if (!flags.inputs.empty()) {
    if (!flags.input_shapes.empty()) {
      throw Error("--input-shapes sets the shapes of random inputs; it cannot be used with --inputs");
    }
    for (engine::LoadedInput& in : engine::read_inputs(flags.inputs, model.graph->inputs)) {
      out.push_back({in.name, std::move(in.value), in.source});
    }
    return out;
  }
  const engine::ShapeOverrides shapes = engine::parse_input_shapes(flags.input_shapes);
  for (auto& [name, t] : engine::random_inputs(required_inputs(model), flags.seed, shapes)) {
    out.push_back({name, cpu::Value::of(std::move(t)), "random"});
  }
  return out;
}

// Inputs whose random values got a default (1) for a symbolic or unknown dim, "x, mask".
std::string guessed_dims(const std::vector<TensorPtr>& required, const RunFlags& flags) {
  if (!flags.inputs.empty()) return "";
  return engine::inputs_with_default_dims(required, engine::parse_input_shapes(flags.input_shapes));
}

struct SavedOutput {
  std::vector<std::string> files;
  std::string note;  // why there is no .npy
};

// OUTPUT.pb and OUTPUT.npy for each output, names made safe and unique.
std::vector<SavedOutput> save_outputs(const std::string& dir, const std::vector<engine::NamedValue>& outputs) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) throw Error(dir + ": cannot create the folder" + (ec ? ": " + ec.message() : ""));
  std::vector<SavedOutput> saved;
  std::set<std::string> used;
  for (const engine::NamedValue& out : outputs) {
    std::string stem = engine::sanitize_file_name(out.name);
    for (int n = 2; used.count(stem); ++n) stem = engine::sanitize_file_name(out.name) + "_" + std::to_string(n);
    used.insert(stem);
    SavedOutput s;
    const std::string base = (fs::path(dir) / stem).string();
    engine::write_value_pb(base + ".pb", out.value, out.name);
    s.files.push_back(base + ".pb");
    if (out.value.is_tensor() && engine::npy_supports(out.value.tensor.dtype())) {
      engine::write_npy(base + ".npy", out.value.tensor);
      s.files.push_back(base + ".npy");
    } else if (out.value.is_tensor()) {
      s.note = "no .npy: numpy has no " + dtype_name(out.value.tensor.dtype());
    } else {
      s.note = "no .npy: not a tensor";
    }
    saved.push_back(std::move(s));
  }
  return saved;
}

nlohmann::json value_json(const std::string& name, const cpu::Value& v) {
  nlohmann::json j = {{"name", name}, {"dtype", dtype_text(v)}};
  if (v.is_tensor()) {
    j["shape"] = v.tensor.dims();
    const ValueStats s = stats_of(v.tensor);
    if (s.numeric) {
      j["min"] = s.min;
      j["max"] = s.max;
      j["mean"] = s.mean;
    }
    if (s.nan) j["nan"] = s.nan;
    if (s.inf) j["inf"] = s.inf;
    j["first"] = s.first_json;
  } else if (v.is_sequence()) {
    j["items"] = v.sequence.size();
  }
  return j;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], r[c].size());
    }
  }
  for (const auto& r : rows) {
    std::string line = "   ";
    for (size_t c = 0; c < r.size(); ++c) {
      line += " " + r[c];
      if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 1, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

// What `graft run` runs on: the CPU engine, or a GPU engine from a plan or built here.
struct RunTarget {
  Model model;
  engine::Device device = engine::Device::kCpu;
  cuda::Precision precision = cuda::Precision::kFP32;
  std::unique_ptr<engine::CpuExecutor> cpu;
  std::unique_ptr<engine::GpuRunner> gpu;

  std::vector<engine::NamedValue> run(const std::vector<engine::NamedValue>& feed) const {
    return gpu ? gpu->run(feed) : cpu->run(feed);
  }

  engine::BenchResult time(const std::vector<engine::NamedValue>& feed, const RunFlags& f) const {
    engine::BenchOptions o;
    o.iterations = f.iterations > 0 ? f.iterations : (gpu ? 10 : 1);
    o.warmup = f.warmup;
    o.duration_s = f.duration;
    o.cuda_graph = f.cuda_graph;
    o.streams = f.streams;
    o.profile = f.dump_profile;
    if (gpu) return gpu->benchmark(feed, o);
    if (f.cuda_graph || f.streams != 1 || f.dump_profile) {
      throw Error("--cuda-graph, --streams and --dump-profile need the cuda backend");
    }
    engine::BenchResult r;
    const bool timed = f.iterations > 0 || f.duration > 0;
    for (int i = 0; timed && i < o.warmup; ++i) cpu->run(feed);
    const auto begin = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      if (i >= o.iterations && elapsed >= o.duration_s) break;
      const auto t0 = std::chrono::steady_clock::now();
      cpu->run(feed);
      r.latency_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    r.throughput = r.wall_s > 0 ? r.latency_ms.size() / r.wall_s : 0;
    return r;
  }
};

RunTarget open_target(const RunFlags& f) {
  RunTarget t;
  const bool plan = engine::looks_like_plan(f.model);
  std::optional<engine::Device> wanted;
  if (!f.backend.empty()) wanted = device_of(f.backend, "--backend");
  engine::Network net;
  if (plan) {
    const engine::GpuBackend* gpu = engine::gpu_backend();
    net = engine::read_plan_file(f.model, gpu ? gpu->target() : engine::PlanTarget{});
    if (wanted == engine::Device::kCuda && net.device == engine::Device::kCpu) {
      throw Error("--backend cuda: " + f.model + " is a cpu plan; build a cuda one with graft build");
    }
    t.device = wanted.value_or(net.device);
    t.precision = net.precision;
    t.model = net.model;
  } else {
    t.device = wanted.value_or(engine::Device::kCpu);
    t.model = importer::load_model(f.model);
  }
  if (t.device == engine::Device::kCpu) {
    t.cpu = std::make_unique<engine::CpuExecutor>(t.model);
    return t;
  }
  const engine::GpuBackend& gpu = require_gpu_backend();
  if (!plan) {
    const auto precision = cuda::precision_from_name(f.precision);
    if (!precision) throw Error("--precision " + f.precision + ": expected fp32, tf32 or fp16");
    t.precision = *precision;
    Model built = t.model;  // the CPU reference keeps the original graph
    built.graph = clone(*t.model.graph);
    folding::sanitize(built);
    engine::BuildOptions options;
    options.precision = t.precision;
    const engine::ShapeOverrides shapes = engine::parse_input_shapes(f.input_shapes);
    if (!shapes.empty()) {
      engine::Profile p;
      for (const auto& [name, dims] : shapes) p.min[name] = p.opt[name] = p.max[name] = dims;
      options.profiles = {p};
    }
    net = gpu.build(built, options).network;
  }
  t.gpu = gpu.open(net);
  return t;
}

// Default tolerances of --compare-to by precision: FP32 kernels differ from the CPU's in
// summation order only; TF32 keeps 10 mantissa bits; FP16 stores 10 bits.
std::pair<double, double> tolerances(const RunTarget& t, const RunFlags& f) {
  double rtol = 1e-4, atol = 1e-5;
  if (t.precision == cuda::Precision::kTF32) rtol = 1e-2, atol = 1e-3;
  if (t.precision == cuda::Precision::kFP16) rtol = 2e-2, atol = 2e-2;
  return {f.rtol >= 0 ? f.rtol : rtol, f.atol >= 0 ? f.atol : atol};
}

std::vector<Comparison> compare_with(const RunTarget& t, const std::vector<engine::NamedValue>& feed,
                                     const std::vector<engine::NamedValue>& outputs, const RunFlags& f) {
  if (f.compare_to != "cpu") throw Error("--compare-to " + f.compare_to + ": only cpu is supported");
  const auto [rtol, atol] = tolerances(t, f);
  return compare_outputs(outputs, engine::CpuExecutor(t.model).run(feed), rtol, atol);
}

bool all_pass(const std::vector<Comparison>& cs) {
  for (const Comparison& c : cs) {
    if (!c.pass) return false;
  }
  return true;
}

void print_comparisons(const std::vector<Comparison>& cs, const RunFlags& f) {
  std::printf("  compared with %s:\n", f.compare_to.c_str());
  for (const Comparison& c : cs) {
    if (!c.problem.empty()) {
      std::printf("    %s: FAIL (%s)\n", c.name.c_str(), c.problem.c_str());
      continue;
    }
    std::printf("    %s: %s (max abs error %.3g, max rel error %.3g)\n", c.name.c_str(), c.pass ? "PASS" : "FAIL",
                c.max_abs, c.max_rel);
  }
}

nlohmann::json comparison_json(const std::vector<Comparison>& cs, const RunFlags& f) {
  nlohmann::json j = {{"reference", f.compare_to}, {"pass", all_pass(cs)}};
  nlohmann::json outs = nlohmann::json::array();
  for (const Comparison& c : cs) {
    outs.push_back({{"name", c.name}, {"pass", c.pass}, {"max_abs", c.max_abs}, {"max_rel", c.max_rel}});
    if (!c.problem.empty()) outs.back()["problem"] = c.problem;
  }
  j["outputs"] = outs;
  return j;
}

}  // namespace

Run add_run_command(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run a model (.onnx) or an engine plan (.plan from graft build) with given or seeded random\n"
      "inputs and summarize each output: shape, type, min/max/mean and the first values. Inputs\n"
      "come from --inputs: a folder of NAME.npy files (NAME: the input's name, or that name with\n"
      "characters other than [A-Za-z0-9._-] as '_'), a .npz (np.savez(x=...) or\n"
      "np.savez_compressed), a .npy for a one-input model, or TensorProto files input_0.pb,\n"
      "input_1.pb, ... in graph-input order (ONNX test data). Without --inputs, random values\n"
      "from --seed: floats uniform in [-1, 1), integers in [0, 9], uint8 in [0, 255], bool 50/50;\n"
      "symbolic dims are 1 unless --input-shapes sets them.\n"
      "On CUDA (a cuda plan, or --backend cuda) it also times the engine as trtexec does:\n"
      "throughput, latency and GPU compute time percentiles, H2D and D2H copies.\n\n"
      "Examples:\n"
      "  graft run model.onnx                                   CPU engine, random inputs, seed 0\n"
      "  graft run model.onnx --seed 7 --input-shapes x:4x3x224x224\n"
      "  graft run model.onnx --inputs inputs.npz --save-outputs out/\n"
      "  graft run model.onnx --inputs test_data_set_0/ --json\n"
      "  graft run model.plan --iterations 100 --cuda-graph --compare-to cpu\n"
      "  graft run model.plan --duration 5 --streams 2 --dump-profile\n"
      "  graft run model.onnx --backend cuda --precision fp16 --compare-to cpu");
  cmd->add_option("model", flags->model, "ONNX model or plan file")->required()->check(existing_file_check);
  cmd->add_option("--backend", flags->backend, "cpu or cuda (default: the plan's device; cpu for an .onnx)");
  cmd->add_option("--precision", flags->precision, "fp32, tf32 or fp16, when --backend cuda builds an .onnx");
  cmd->add_option("--inputs", flags->inputs, "A .npz, .npy or .pb file, or a folder of .npy / .pb files");
  cmd->add_option("--seed", flags->seed, "Seed for random inputs (default 0)");
  cmd->add_option("--input-shapes", flags->input_shapes,
                  "Shapes of random inputs, NAME:DIMS,...; like x:1x3x224x224,mask:1x128 (a scalar: sr:)");
  cmd->add_option("--save-outputs", flags->save_outputs, "Write each output to DIR/NAME.pb and DIR/NAME.npy");
  cmd->add_option("--iterations", flags->iterations, "Timed runs (default: 10 on CUDA; one untimed run on the CPU)");
  cmd->add_option("--warmup", flags->warmup, "Untimed runs first (default 2)");
  cmd->add_option("--duration", flags->duration, "Time for at least S seconds");
  cmd->add_flag("--cuda-graph", flags->cuda_graph, "Capture the engine in a CUDA graph and replay it");
  cmd->add_option("--streams", flags->streams, "Execution contexts running side by side, one stream each");
  cmd->add_flag("--dump-profile", flags->dump_profile, "Per-layer GPU times of one run");
  cmd->add_option("--compare-to", flags->compare_to, "cpu: check every output against the CPU engine");
  cmd->add_option("--rtol", flags->rtol, "Relative tolerance of --compare-to (default by precision)");
  cmd->add_option("--atol", flags->atol, "Absolute tolerance of --compare-to (default by precision)");
  cmd->add_flag("--json", flags->json, "Print JSON instead of a table");
  return [flags] {
    RunTarget target = open_target(*flags);
    const Model& model = target.model;
    std::vector<InputInfo> inputs = make_inputs(model, *flags);
    std::vector<engine::NamedValue> feed;
    for (const InputInfo& in : inputs) feed.push_back({in.name, in.value});

    std::vector<engine::NamedValue> outputs;
    engine::BenchResult bench;
    try {
      outputs = target.run(feed);
      bench = target.time(feed, *flags);
    } catch (const Error& e) {
      const std::string guessed = guessed_dims(required_inputs(model), *flags);
      if (guessed.empty()) throw;
      throw Error(std::string(e.what()) + " (random inputs took 1 for the unset dims of " + guessed +
                  "; set them with --input-shapes)");
    }
    const double ms = percentiles_of(bench.latency_ms).median;
    std::vector<Comparison> comparisons;
    if (!flags->compare_to.empty()) comparisons = compare_with(target, feed, outputs, *flags);
    const std::string backend = engine::device_name(target.device);

    std::vector<SavedOutput> saved;
    if (!flags->save_outputs.empty()) saved = save_outputs(flags->save_outputs, outputs);

    if (flags->json) {
      nlohmann::json in_json = nlohmann::json::array(), out_json = nlohmann::json::array();
      for (const InputInfo& in : inputs) {
        nlohmann::json j = value_json(in.name, in.value);
        j["source"] = in.source;
        in_json.push_back(j);
      }
      for (size_t i = 0; i < outputs.size(); ++i) {
        nlohmann::json j = value_json(outputs[i].name, outputs[i].value);
        if (!saved.empty()) j["files"] = saved[i].files;
        out_json.push_back(j);
      }
      nlohmann::json j = {{"model", flags->model}, {"backend", backend}, {"milliseconds", ms},
                          {"inputs", in_json},     {"outputs", out_json}};
      if (flags->inputs.empty()) j["seed"] = flags->seed;
      if (bench.latency_ms.size() > 1 || !bench.compute_ms.empty()) j["timing"] = bench_json(bench);
      if (!comparisons.empty()) j["comparison"] = comparison_json(comparisons, *flags);
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return all_pass(comparisons) ? 0 : 1;
    }

    std::printf("%s: ran on %s in %.3f ms\n", flags->model.c_str(), backend.c_str(), ms);
    if (flags->inputs.empty()) {
      std::printf("  inputs (%zu, random, seed %llu):\n", inputs.size(), static_cast<unsigned long long>(flags->seed));
    } else {
      std::printf("  inputs (%zu, from %s):\n", inputs.size(), flags->inputs.c_str());
    }
    std::vector<std::vector<std::string>> rows = {{"name", "dtype", "shape", "source"}};
    for (const InputInfo& in : inputs) rows.push_back({in.name, dtype_text(in.value), shape_text(in.value), in.source});
    print_table(rows);
    std::printf("  outputs (%zu):\n", outputs.size());
    rows = {{"name", "dtype", "shape", "min", "max", "mean", "first values"}};
    for (const engine::NamedValue& out : outputs) {
      std::vector<std::string> row = {out.name, dtype_text(out.value), shape_text(out.value)};
      if (out.value.is_tensor()) {
        const ValueStats s = stats_of(out.value.tensor);
        const bool integer = is_integer_type(out.value.tensor.dtype());
        row.push_back(s.numeric ? number(s.min, integer) : "-");
        row.push_back(s.numeric ? number(s.max, integer) : "-");
        row.push_back(s.numeric ? number(s.mean, false) : "-");
        std::string first = join(s.first, " ");
        if (static_cast<size_t>(out.value.tensor.numel()) > s.first.size() && !s.first.empty()) first += " ...";
        if (s.nan || s.inf) {
          first += "  (" + std::to_string(s.nan) + " nan, " + std::to_string(s.inf) + " inf)";
        }
        row.push_back(first);
      } else {
        row.insert(row.end(), {"-", "-", "-", "-"});
      }
      rows.push_back(std::move(row));
    }
    print_table(rows);
    if (!saved.empty()) {
      size_t files = 0;
      for (const SavedOutput& s : saved) files += s.files.size();
      std::printf("  saved %zu files to %s\n", files, flags->save_outputs.c_str());
      for (size_t i = 0; i < saved.size(); ++i) {
        if (!saved[i].note.empty()) std::printf("    %s: %s\n", outputs[i].name.c_str(), saved[i].note.c_str());
      }
    }
    if (bench.latency_ms.size() > 1 || !bench.compute_ms.empty()) print_bench(bench);
    if (!comparisons.empty()) print_comparisons(comparisons, *flags);
    return all_pass(comparisons) ? 0 : 1;
  };
}

}  // namespace graft::tools
