// graft run: run a model on an engine with given or seeded random inputs, like
// `polygraphy run model.onnx --onnxrt`.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/cpu_executor.h"
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
  std::string backend = "cpu";
  std::string inputs;
  uint64_t seed = 0;
  std::string input_shapes;
  std::string save_outputs;
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

std::vector<InputInfo> make_inputs(const Model& model, const engine::CpuExecutor& exec, const RunFlags& flags) {
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
  for (auto& [name, t] : engine::random_inputs(exec.required_inputs(), flags.seed, shapes)) {
    out.push_back({name, cpu::Value::of(std::move(t)), "random"});
  }
  return out;
}

// Inputs whose random values got a default (1) for a symbolic or unknown dim, "x, mask".
std::string guessed_dims(const engine::CpuExecutor& exec, const RunFlags& flags) {
  if (!flags.inputs.empty()) return "";
  const engine::ShapeOverrides shapes = engine::parse_input_shapes(flags.input_shapes);
  std::set<std::string> bound;  // symbols that a given shape sets
  for (const TensorPtr& t : exec.required_inputs()) {
    if (!shapes.count(t->name) || !t->type.shape.has_rank()) continue;
    for (const Dim& d : t->type.shape.dims()) {
      if (d.is_symbolic()) bound.insert(d.param);
    }
  }
  std::string names;
  for (const TensorPtr& t : exec.required_inputs()) {
    if (shapes.count(t->name) || !t->type.shape.has_rank()) continue;
    for (const Dim& d : t->type.shape.dims()) {
      if (!d.is_fixed() && !(d.is_symbolic() && bound.count(d.param))) {
        names += (names.empty() ? "" : ", ") + t->name;
        break;
      }
    }
  }
  return names;
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

}  // namespace

Run add_run_command(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run a model with given or seeded random inputs and summarize each output: shape, type,\n"
      "min/max/mean and the first values. Inputs come from --inputs: a folder of NAME.npy files\n"
      "(NAME: the input's name, or that name with characters other than [A-Za-z0-9._-] as '_'),\n"
      "a .npz (np.savez(x=...) or np.savez_compressed), a .npy for a one-input model, or\n"
      "TensorProto files input_0.pb, input_1.pb, ... in graph-input order (ONNX test data).\n"
      "Without --inputs, random values from --seed: floats uniform in [-1, 1), integers in\n"
      "[0, 9], uint8 in [0, 255], bool 50/50; symbolic dims are 1 unless --input-shapes sets them.\n\n"
      "Examples:\n"
      "  graft run model.onnx                                   random inputs, seed 0\n"
      "  graft run model.onnx --seed 7 --input-shapes x:4x3x224x224\n"
      "  graft run model.onnx --inputs inputs.npz --save-outputs out/\n"
      "  graft run model.onnx --inputs test_data_set_0/ --json\n"
      "  graft run model.onnx --inputs data/ --save-outputs out/    writes out/NAME.pb and out/NAME.npy");
  cmd->add_option("model", flags->model, "ONNX model file")->required()->check(existing_file_check);
  cmd->add_option("--backend", flags->backend, "Engine to run on; 'cpu' (the default) is the only one so far");
  cmd->add_option("--inputs", flags->inputs, "A .npz, .npy or .pb file, or a folder of .npy / .pb files");
  cmd->add_option("--seed", flags->seed, "Seed for random inputs (default 0)");
  cmd->add_option("--input-shapes", flags->input_shapes,
                  "Shapes of random inputs, NAME:DIMS,...; like x:1x3x224x224,mask:1x128 (a scalar: sr:)");
  cmd->add_option("--save-outputs", flags->save_outputs, "Write each output to DIR/NAME.pb and DIR/NAME.npy");
  cmd->add_flag("--json", flags->json, "Print JSON instead of a table");
  return [flags] {
    if (flags->backend != "cpu") {
      throw Error("unknown backend '" + flags->backend + "': 'cpu' is the only backend so far");
    }
    Model model = importer::load_model(flags->model);
    const engine::CpuExecutor exec(model);
    std::vector<InputInfo> inputs = make_inputs(model, exec, *flags);
    std::vector<engine::NamedValue> feed;
    for (const InputInfo& in : inputs) feed.push_back({in.name, in.value});

    const auto start = std::chrono::steady_clock::now();
    std::vector<engine::NamedValue> outputs;
    try {
      outputs = exec.run(feed);
    } catch (const Error& e) {
      const std::string guessed = guessed_dims(exec, *flags);
      if (guessed.empty()) throw;
      throw Error(std::string(e.what()) + " (random inputs took 1 for the unset dims of " + guessed +
                  "; set them with --input-shapes)");
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

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
      nlohmann::json j = {{"model", flags->model}, {"backend", flags->backend}, {"milliseconds", ms},
                          {"inputs", in_json},     {"outputs", out_json}};
      if (flags->inputs.empty()) j["seed"] = flags->seed;
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return 0;
    }

    std::printf("%s: ran on %s in %.3f ms\n", flags->model.c_str(), flags->backend.c_str(), ms);
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
    return 0;
  };
}

}  // namespace graft::tools
