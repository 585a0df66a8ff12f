#include "zoo/convert_one.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <filesystem>
#include <new>
#include <regex>
#include <set>

#include "engine/conformance.h"
#include "engine/cpu_executor.h"
#include "engine/gpu_backend.h"
#include "engine/plan_file.h"
#include "engine/random_inputs.h"
#include "engine/tensor_io.h"
#include "folding/sanitize.h"
#include "importer/onnx_model.h"
#include "kernels/cpu/kernel.h"
#include "plugins/node_plugin.h"
#include "surgeon/clone.h"
#include "surgeon/error.h"

namespace graft::zoo {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Bump when the pipeline changes what it produces: earlier results then do not resume.
constexpr int kPipelineVersion = 1;

constexpr const char* kStatusNames[] = {"converted",      "converted_after_fixes", "unsupported_ops",
                                        "needs_input_shapes", "parity_failure",    "failed",
                                        "crashed",        "timed_out",             "out_of_memory"};
constexpr const char* kStageNames[] = {"import", "sanitize", "build", "inputs", "run", "reference", "compare", "done"};

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void logf(std::FILE* log, const char* fmt, ...) {
  if (!log) return;
  va_list args;
  va_start(args, fmt);
  std::vfprintf(log, fmt, args);
  va_end(args);
  std::fputc('\n', log);
}

std::string op_key(const Node& n) {
  return n.domain.empty() || n.domain == "ai.onnx" ? n.op_type : n.domain + "::" + n.op_type;
}

// Nodes (subgraphs included) that have no CPU kernel, built-in or plugin, by op.
void count_missing_kernels(const Model& m, const Graph& g, std::map<std::string, size_t>& out) {
  for (const auto& n : g.nodes()) {
    const int64_t opset = m.opset(n->domain);
    const cpu::KernelDef* def = cpu::find_kernel(n->domain, n->op_type, opset);
    if (!plugins::cpu_kernel_for(*n, opset, def ? def->fn : nullptr)) ++out[op_key(*n)];
    for (const Graph* sub : n->subgraphs()) count_missing_kernels(m, *sub, out);
  }
}

std::map<std::string, size_t> missing_kernels(const Model& m) {
  std::map<std::string, size_t> out;
  count_missing_kernels(m, *m.graph, out);
  return out;
}

// Random ops without a seed give other values on every run: nothing to compare.
void find_unseeded_random(const Graph& g, std::set<std::string>& out) {
  static const std::set<std::string> kRandom = {"RandomUniform", "RandomNormal", "RandomUniformLike",
                                                "RandomNormalLike", "Bernoulli", "Multinomial"};
  for (const auto& n : g.nodes()) {
    if ((n->domain.empty() || n->domain == "ai.onnx") && kRandom.count(n->op_type) && !n->attr("seed")) {
      out.insert(n->op_type);
    }
    for (const Graph* sub : n->subgraphs()) find_unseeded_random(*sub, out);
  }
}

std::string join_keys(const std::map<std::string, size_t>& m) {
  std::string s;
  for (const auto& [k, n] : m) s += (s.empty() ? "" : ", ") + k + (n > 1 ? " x" + std::to_string(n) : "");
  return s;
}

// The ops named in the GPU build's "N node(s) cannot run on the GPU: node 'a' (Op): ..." error.
std::map<std::string, size_t> gpu_unsupported_ops(const std::string& msg) {
  std::map<std::string, size_t> out;
  static const std::regex kNode(R"(node '[^']*' \(([A-Za-z0-9_.:]+)\): no GPU)");
  for (auto it = std::sregex_iterator(msg.begin(), msg.end(), kNode); it != std::sregex_iterator(); ++it) {
    ++out[(*it)[1].str()];
  }
  if (out.empty()) out["(unparsed)"] = 1;
  return out;
}

std::vector<std::string> numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> files;
  for (int i = 0; fs::exists(dir / (prefix + std::to_string(i) + ".pb")); ++i) {
    files.push_back((dir / (prefix + std::to_string(i) + ".pb")).string());
  }
  return files;
}

// As the conformance runner reads test data: ONNX stores bfloat16 values as uint16 bits.
cpu::Value read_test_value(const std::string& path, const ValueType& type) {
  cpu::Value v = engine::read_value_pb(path, type);
  if (v.is_tensor() && v.tensor.dtype() == DataType::kUint16 && type.kind == ValueType::Kind::kTensor &&
      type.elem == DataType::kBfloat16) {
    v.tensor = cpu::HostTensor::view(DataType::kBfloat16, v.tensor.dims(), v.tensor.to_data().bytes);
  }
  return v;
}

bool has_external_data(const Graph& g) {
  for (const TensorPtr& t : g.initializers) {
    if (t->data && t->data->storage == Storage::kExternal) return true;
  }
  return false;
}

uint64_t initializer_bytes(const Graph& g) {
  uint64_t n = 0;
  for (const TensorPtr& t : g.initializers) n += t->data ? t->data->bytes.size() : 0;
  return n;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

using Runner = std::function<std::vector<engine::NamedValue>(const std::vector<engine::NamedValue>&)>;

// First run gives the outputs; then up to 5 timed runs within about a second (none when the
// first took longer: its time is the latency).
std::vector<engine::NamedValue> run_and_time(const Runner& run, const std::vector<engine::NamedValue>& feed,
                                             ModelResult& r) {
  auto t = Clock::now();
  std::vector<engine::NamedValue> outputs = run(feed);
  const double first_ms = since(t) * 1e3;
  std::vector<double> ms;
  double total_ms = 0;
  while (first_ms < 1000 && ms.size() < 5 && total_ms < 1000) {
    t = Clock::now();
    run(feed);
    ms.push_back(since(t) * 1e3);
    total_ms += ms.back();
  }
  r.latency_ms = ms.empty() ? first_ms : median(ms);
  r.latency_runs = ms.empty() ? 1 : static_cast<int>(ms.size());
  return outputs;
}

struct Pipeline {
  const std::string& path;
  const fs::path out;
  const Settings& settings;
  const std::function<void(const ModelResult&)>& on_stage;
  std::FILE* log;
  ModelResult& r;
  Clock::time_point stage_start = Clock::now();

  void enter(Stage s) {
    r.stage = s;
    stage_start = Clock::now();
    if (on_stage) on_stage(r);
  }

  std::vector<engine::NamedValue> make_inputs(const Model& original, fs::path& data_set) {
    const fs::path set = fs::path(path).parent_path() / "test_data_set_0";
    std::vector<engine::NamedValue> feed;
    if (fs::is_directory(set)) {
      data_set = set;
      const std::vector<std::string> files = numbered(set, "input_");
      const auto& graph_inputs = original.graph->inputs;
      for (size_t i = 0; i < files.size() && i < graph_inputs.size(); ++i) {
        feed.push_back({graph_inputs[i]->name, read_test_value(files[i], graph_inputs[i]->type)});
      }
      r.inputs = "test_data_set_0";
      logf(log, "inputs: %zu from %s", feed.size(), set.c_str());
      return feed;
    }
    // --input-shapes names inputs of any model: this one's only.
    const engine::ShapeOverrides given = engine::parse_input_shapes(settings.input_shapes);
    engine::ShapeOverrides shapes;
    std::vector<TensorPtr> required;
    for (const TensorPtr& t : original.graph->inputs) {
      if (t->is_constant()) continue;
      if (!t->type.is_tensor()) {
        throw NeedsShapes("input '" + t->name + "' is " + t->type.str() +
                          ": random inputs are tensors only (give the model a test_data_set_0)");
      }
      const auto it = given.find(t->name);
      if (it != given.end()) shapes[t->name] = it->second;
      if (!t->type.shape.has_rank() && it == given.end()) {
        throw NeedsShapes("input '" + t->name + "' has no shape: random inputs need at least its rank (--input-shapes)");
      }
      required.push_back(t);
    }
    r.guessed_dims = engine::inputs_with_default_dims(required, shapes);
    for (auto& [name, t] : engine::random_inputs(required, 0, shapes)) {
      feed.push_back({name, cpu::Value::of(std::move(t))});
    }
    r.inputs = "random (seed 0)";
    logf(log, "inputs: %zu random (seed 0)%s%s", feed.size(), r.guessed_dims.empty() ? "" : "; unset dims 1 in ",
         r.guessed_dims.c_str());
    return feed;
  }

  struct NeedsShapes : Error {
    using Error::Error;
  };

  // Returns early, with r.status set, when the engine cannot run the model.
  void run() {
    enter(Stage::kImport);
    Model original = importer::load_model(path);
    logf(log, "import: %s (%.3f s)", path.c_str(), since(stage_start));

    enter(Stage::kSanitize);
    Model model = original;
    model.graph = clone(*original.graph);
    folding::SanitizeOptions options;
    options.pass_names = folding::default_pipeline();
    options.pass_names.insert(options.pass_names.begin(), "swap-plugins");
    const folding::SanitizeReport report = folding::sanitize(model, options);
    r.nodes_before = report.nodes_before;
    r.nodes_after = report.nodes_after;
    for (const auto& p : report.passes.passes) {
      if (p.changes) r.fixes[p.name] = p.changes;
    }
    importer::SaveOptions save;
    if (has_external_data(*model.graph) || initializer_bytes(*model.graph) > (1ull << 30)) {
      save.weights = importer::WeightLayout::kExternal;
      save.external_file = "sanitized.onnx.data";
    } else {
      save.weights = importer::WeightLayout::kEmbed;
    }
    importer::save_model(model, (out / "sanitized.onnx").string(), save);
    r.sanitize_s = since(stage_start);
    logf(log, "sanitize: %zu -> %zu nodes%s%s (%.3f s); wrote sanitized.onnx", r.nodes_before, r.nodes_after,
         r.fixes.empty() ? "" : "; ", join_keys(r.fixes).c_str(), r.sanitize_s);

    enter(Stage::kInputs);
    fs::path data_set;
    const std::vector<engine::NamedValue> feed = make_inputs(original, data_set);

    enter(Stage::kBuild);
    Runner runner;
    const std::string plan = (out / "model.plan").string();
    if (settings.device == engine::Device::kCpu) {
      r.unsupported_ops = missing_kernels(model);
      if (!r.unsupported_ops.empty()) {
        r.status = Status::kUnsupportedOps;
        r.detail = "no CPU kernel for " + join_keys(r.unsupported_ops);
        logf(log, "build: %s", r.detail.c_str());
        return;
      }
      engine::Network net;
      net.device = engine::Device::kCpu;
      net.model = model;
      engine::PlanTarget target;
      target.device = engine::Device::kCpu;
      target.graft_version = settings.tool_version;
      engine::write_plan_file(plan, net, target);
      auto exec = std::make_shared<engine::CpuExecutor>(model);
      runner = [exec](const std::vector<engine::NamedValue>& in) { return exec->run(in); };
    } else {
      const engine::GpuBackend* gpu = engine::gpu_backend();
      if (!gpu) throw Error("no GPU: this graft was built without CUDA");
      std::string why;
      engine::PlanTarget target = gpu->target(&why);
      if (target.compute_capability == 0) throw Error("no GPU: " + why);
      target.graft_version = settings.tool_version;
      engine::BuildOptions options;
      options.precision = settings.fp16 ? cuda::Precision::kFP16 : cuda::Precision::kFP32;
      engine::Profile p;
      for (const engine::NamedValue& in : feed) {
        if (in.value.is_tensor()) p.min[in.name] = p.opt[in.name] = p.max[in.name] = in.value.tensor.dims();
      }
      options.profiles = {p};
      engine::BuildResult built;
      try {
        built = gpu->build(model, options);
      } catch (const Error& e) {
        const std::string msg = e.what();
        if (msg.find("cannot run on the GPU") == std::string::npos) throw;
        r.status = Status::kUnsupportedOps;
        r.unsupported_ops = gpu_unsupported_ops(msg);
        r.detail = msg;
        logf(log, "build: %s", msg.c_str());
        return;
      }
      engine::write_plan_file(plan, built.network, target);
      std::shared_ptr<engine::GpuRunner> gpu_runner = gpu->open(built.network);
      runner = [gpu_runner](const std::vector<engine::NamedValue>& in) { return gpu_runner->run(in); };
    }
    std::error_code ec;
    r.plan_bytes = fs::file_size(plan, ec);
    r.build_s = since(stage_start);
    logf(log, "build: %s plan, %llu bytes (%.3f s)", engine::device_name(settings.device),
         static_cast<unsigned long long>(r.plan_bytes), r.build_s);

    enter(Stage::kRun);
    const std::vector<engine::NamedValue> outputs = run_and_time(runner, feed, r);
    logf(log, "run: %zu outputs; latency %.3f ms (median of %d)", outputs.size(), r.latency_ms, r.latency_runs);

    std::set<std::string> random_ops;
    find_unseeded_random(*original.graph, random_ops);
    std::vector<engine::NamedValue> reference;
    if (!random_ops.empty()) {
      std::string names;
      for (const std::string& op : random_ops) names += (names.empty() ? "" : ", ") + op;
      r.not_compared = "unseeded random ops (" + names + ") give other values on every run";
    } else {
      enter(Stage::kReference);
      const std::map<std::string, size_t> missing = missing_kernels(original);
      if (!missing.empty()) {
        r.not_compared = "the CPU engine cannot run the original model (no kernel for " + join_keys(missing) + ")";
      } else {
        reference = engine::CpuExecutor(original).run(feed);
        logf(log, "reference: CPU engine on the original model (%.3f s)", since(stage_start));
      }
    }

    enter(Stage::kCompare);
    bool parity = true;
    if (r.not_compared.empty()) {
      r.compared = true;
      const bool half = settings.device == engine::Device::kCuda && settings.fp16;
      r.rtol = half ? 2e-2 : 1e-4;
      r.atol = half ? 2e-2 : 1e-5;
      if (reference.size() != outputs.size()) {
        parity = false;
        r.detail = std::to_string(outputs.size()) + " outputs, the original has " + std::to_string(reference.size());
      }
      for (size_t i = 0; i < outputs.size() && i < reference.size(); ++i) {
        const engine::Comparison c = engine::compare(reference[i].value, outputs[i].value, {r.rtol, r.atol});
        r.max_abs = std::max(r.max_abs, c.max_abs);
        r.max_rel = std::max(r.max_rel, c.max_rel);
        if (!c.ok && parity) {
          parity = false;
          r.detail = "output '" + reference[i].name + "' " + c.detail + " (expected: the original model's value)";
        }
      }
      logf(log, "compare with the original on the CPU: %s (max abs %.3g, max rel %.3g)", parity ? "match" : "MISMATCH",
           r.max_abs, r.max_rel);
    } else {
      logf(log, "not compared: %s", r.not_compared.c_str());
    }
    const std::vector<std::string> expected_files =
        data_set.empty() || !random_ops.empty() ? std::vector<std::string>() : numbered(data_set, "output_");
    if (!expected_files.empty()) {
      r.has_expected = true;
      r.matches_expected = true;
      const engine::Tolerance tol{std::max(1e-3, r.rtol), std::max(1e-7, r.atol)};
      for (size_t i = 0; i < expected_files.size() && i < outputs.size(); ++i) {
        const cpu::Value want = read_test_value(expected_files[i], original.graph->outputs[i]->type);
        const engine::Comparison c = engine::compare(want, outputs[i].value, tol);
        r.expected_max_abs = std::max(r.expected_max_abs, c.max_abs);
        if (!c.ok && r.matches_expected) {
          r.matches_expected = false;
          r.expected_detail = "output '" + outputs[i].name + "' " + c.detail;
        }
      }
      logf(log, "compare with test_data_set_0's expected outputs: %s (max abs %.3g)%s%s",
           r.matches_expected ? "match" : "MISMATCH", r.expected_max_abs, r.matches_expected ? "" : ": ",
           r.expected_detail.c_str());
    }
    r.stage = Stage::kDone;
    if (!parity) {
      r.status = Status::kParityFailure;
    } else {
      r.status = r.fixes.empty() ? Status::kConverted : Status::kConvertedAfterFixes;
    }
  }
};

}  // namespace

const char* status_name(Status s) { return kStatusNames[static_cast<int>(s)]; }

bool status_from_name(const std::string& name, Status& s) {
  for (size_t i = 0; i < std::size(kStatusNames); ++i) {
    if (name == kStatusNames[i]) {
      s = static_cast<Status>(i);
      return true;
    }
  }
  return false;
}

bool is_ok(Status s) { return s == Status::kConverted || s == Status::kConvertedAfterFixes; }

const char* stage_name(Stage s) { return kStageNames[static_cast<int>(s)]; }

bool stage_from_name(const std::string& name, Stage& s) {
  for (size_t i = 0; i < std::size(kStageNames); ++i) {
    if (name == kStageNames[i]) {
      s = static_cast<Stage>(i);
      return true;
    }
  }
  return false;
}

nlohmann::json to_json(const ModelResult& r) {
  nlohmann::json j = {{"model", r.model},
                      {"id", r.id},
                      {"status", status_name(r.status)},
                      {"stage", stage_name(r.stage)},
                      {"detail", r.detail},
                      {"unsupported_ops", r.unsupported_ops},
                      {"nodes_before", r.nodes_before},
                      {"nodes_after", r.nodes_after},
                      {"fixes", r.fixes},
                      {"sanitize_s", r.sanitize_s},
                      {"build_s", r.build_s},
                      {"plan_bytes", r.plan_bytes},
                      {"inputs", r.inputs},
                      {"guessed_dims", r.guessed_dims},
                      {"latency_ms", r.latency_ms},
                      {"latency_runs", r.latency_runs},
                      {"compared", r.compared},
                      {"not_compared", r.not_compared},
                      {"max_abs", r.max_abs},
                      {"max_rel", r.max_rel},
                      {"rtol", r.rtol},
                      {"atol", r.atol},
                      {"has_expected", r.has_expected},
                      {"matches_expected", r.matches_expected},
                      {"expected_max_abs", r.expected_max_abs},
                      {"expected_detail", r.expected_detail},
                      {"seconds", r.seconds},
                      {"settings_key", r.settings_key},
                      {"timeout_s", r.timeout_s},
                      {"memory_limit_mib", r.memory_limit_mib},
                      {"resumed", r.resumed}};
  if (r.signal) j["signal"] = r.signal;
  return j;
}

ModelResult result_from_json(const nlohmann::json& j) {
  ModelResult r;
  try {
    r.model = j.at("model").get<std::string>();
    r.id = j.at("id").get<std::string>();
    if (!status_from_name(j.at("status").get<std::string>(), r.status)) throw Error("unknown status");
    if (!stage_from_name(j.at("stage").get<std::string>(), r.stage)) throw Error("unknown stage");
    r.detail = j.at("detail").get<std::string>();
    r.unsupported_ops = j.at("unsupported_ops").get<std::map<std::string, size_t>>();
    r.signal = j.value("signal", 0);
    r.nodes_before = j.at("nodes_before").get<size_t>();
    r.nodes_after = j.at("nodes_after").get<size_t>();
    r.fixes = j.at("fixes").get<std::map<std::string, size_t>>();
    r.sanitize_s = j.at("sanitize_s").get<double>();
    r.build_s = j.at("build_s").get<double>();
    r.plan_bytes = j.at("plan_bytes").get<uint64_t>();
    r.inputs = j.at("inputs").get<std::string>();
    r.guessed_dims = j.at("guessed_dims").get<std::string>();
    r.latency_ms = j.at("latency_ms").get<double>();
    r.latency_runs = j.at("latency_runs").get<int>();
    r.compared = j.at("compared").get<bool>();
    r.not_compared = j.at("not_compared").get<std::string>();
    r.max_abs = j.at("max_abs").get<double>();
    r.max_rel = j.at("max_rel").get<double>();
    r.rtol = j.at("rtol").get<double>();
    r.atol = j.at("atol").get<double>();
    r.has_expected = j.at("has_expected").get<bool>();
    r.matches_expected = j.at("matches_expected").get<bool>();
    r.expected_max_abs = j.at("expected_max_abs").get<double>();
    r.expected_detail = j.at("expected_detail").get<std::string>();
    r.seconds = j.at("seconds").get<double>();
    r.settings_key = j.at("settings_key").get<std::string>();
    r.timeout_s = j.at("timeout_s").get<double>();
    r.memory_limit_mib = j.at("memory_limit_mib").get<uint64_t>();
    r.resumed = j.at("resumed").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("not a zoo result: ") + e.what());
  }
  return r;
}

namespace {

uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// "path:size:mtime_ns" of a file, "path:missing" when it cannot be read.
std::string file_stamp(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return path + ":missing";
  return path + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
}

}  // namespace

std::string model_stamp(const std::string& model_path) {
  std::string stamp = file_stamp(model_path);
  const std::string data = (fs::path(model_path).parent_path() / "test_data_set_0" / "input_0.pb").string();
  struct stat st;
  if (::stat(data.c_str(), &st) == 0) stamp += ";data=" + file_stamp(data);
  return stamp;
}

std::string settings_key(const Settings& s, const std::string& stamp) {
  std::string text = "pipeline=" + std::to_string(kPipelineVersion) + ";graft=" + s.tool_version +
                     ";device=" + engine::device_name(s.device) + ";fp16=" + (s.fp16 ? "1" : "0") +
                     ";shapes=" + s.input_shapes;
  for (const std::string& lib : s.plugin_libraries) text += ";plugin=" + file_stamp(lib);
  for (const std::string& m : s.plugin_mappings) text += ";map=" + m;
  text += ";model=" + stamp;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(text)));
  return hex;
}

ModelResult convert_one(const std::string& model_path, const std::string& out_dir, const Settings& settings,
                        const std::function<void(const ModelResult&)>& on_stage, std::FILE* log) {
  const auto start = Clock::now();
  ModelResult r;
  r.timeout_s = settings.timeout_s;
  r.memory_limit_mib = settings.memory_limit_mib;
  Pipeline p{model_path, fs::path(out_dir), settings, on_stage, log, r};
  try {
    p.run();
  } catch (const std::bad_alloc&) {
    r.status = Status::kOutOfMemory;
    r.detail = "out of memory (std::bad_alloc)";
  } catch (const Pipeline::NeedsShapes& e) {
    r.status = Status::kNeedsInputShapes;
    r.detail = e.what();
  } catch (const Error& e) {
    r.detail = e.what();
    if (r.detail.find("out of memory") != std::string::npos) {
      r.status = Status::kOutOfMemory;
    } else if (!r.guessed_dims.empty() && (r.stage == Stage::kRun || r.stage == Stage::kReference)) {
      r.status = Status::kNeedsInputShapes;
      r.detail += " (random inputs took 1 for the unset dims of " + r.guessed_dims + "; see --input-shapes)";
    } else {
      r.status = Status::kFailed;
    }
  } catch (const std::exception& e) {
    r.status = Status::kFailed;
    r.detail = std::string("internal error: ") + e.what();
  }
  r.seconds = since(start);
  if (r.status != Status::kConverted && r.status != Status::kConvertedAfterFixes) {
    logf(log, "%s during %s: %s", status_name(r.status), stage_name(r.stage), r.detail.c_str());
  } else {
    logf(log, "%s (%.3f s)", status_name(r.status), r.seconds);
  }
  return r;
}

}  // namespace graft::zoo
