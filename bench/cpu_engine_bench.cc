// Times graft's CPU engine on a model with seeded random inputs: warm-up runs, then
// timed runs; prints min / median / mean / max latency (or JSON). bench/cpu_vs_ort.py
// runs it side by side with onnxruntime. --profile then reruns the timed loop and prints
// each node's fastest time over those runs (robust to other load on the machine),
// slowest node first, and the totals per op type.
//
//   cpu_engine_bench MODEL.onnx [--iterations N] [--warmup N] [--input-shapes x:1x3x224x224] [--json] [--profile]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/cpu_executor.h"
#include "engine/random_inputs.h"
#include "importer/onnx_model.h"
#include "surgeon/error.h"

namespace {

struct Args {
  std::string model;
  int iterations = 20;
  int warmup = 3;
  std::string shapes;
  bool json = false;
  bool profile = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw graft::Error(f + " needs a value");
      return argv[++i];
    };
    if (f == "--iterations") a.iterations = std::stoi(next());
    else if (f == "--warmup") a.warmup = std::stoi(next());
    else if (f == "--input-shapes") a.shapes = next();
    else if (f == "--json") a.json = true;
    else if (f == "--profile") a.profile = true;
    else if (!f.empty() && f[0] == '-') throw graft::Error("unknown flag " + f);
    else a.model = f;
  }
  if (a.model.empty() || a.iterations < 1) throw graft::Error("usage: cpu_engine_bench MODEL.onnx [--iterations N] [--warmup N] [--input-shapes S] [--json] [--profile]");
  return a;
}

// "Conv w[96,1,3,3] strides 2" style: the op and its constant inputs' dims.
std::string node_label(const graft::Node& n) {
  std::string s = n.op_type;
  for (const graft::TensorPtr& t : n.inputs()) {
    if (!t || !t->data) continue;
    s += " " + t->name + "[";
    for (size_t d = 0; d < t->data->dims.size(); ++d) s += (d ? "," : "") + std::to_string(t->data->dims[d]);
    s += "]";
  }
  if (const graft::Attribute* a = n.attr("strides"); a && !a->ints.empty() && a->ints[0] != 1) {
    s += " stride " + std::to_string(a->ints[0]);
  }
  return s;
}

void print_profile(const std::unordered_map<const graft::Node*, double>& best) {
  std::vector<std::pair<double, const graft::Node*>> nodes;
  std::map<std::string, std::pair<double, int>> by_op;
  double total = 0;
  for (const auto& [node, ms] : best) {
    nodes.push_back({ms, node});
    by_op[node->op_type].first += ms;
    ++by_op[node->op_type].second;
    total += ms;
  }
  std::sort(nodes.rbegin(), nodes.rend());
  std::printf("sum of per-node best times: %.3f ms\n%-8s %6s  node\n", total, "ms", "%");
  for (const auto& [ms, node] : nodes) {
    std::printf("%-8.4f %5.1f%%  %s  %s\n", ms, 100 * ms / total, node->name.c_str(), node_label(*node).c_str());
  }
  for (const auto& [op, v] : by_op) {
    std::printf("op %-20s %3d nodes %8.4f ms %5.1f%%\n", op.c_str(), v.second, v.first, 100 * v.first / total);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    graft::Model model = graft::importer::load_model(args.model);
    graft::engine::CpuExecutor exec(model);
    std::vector<graft::engine::NamedValue> inputs;
    for (auto& [name, t] : graft::engine::random_inputs(exec.required_inputs(), 0,
                                                        graft::engine::parse_input_shapes(args.shapes))) {
      inputs.push_back({name, graft::cpu::Value::of(t)});
    }
    for (int i = 0; i < args.warmup; ++i) exec.run(inputs);
    std::vector<double> ms;
    for (int i = 0; i < args.iterations; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      exec.run(inputs);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    if (args.profile) {
      std::unordered_map<const graft::Node*, double> best;
      for (int i = 0; i < args.iterations; ++i) {
        graft::engine::NodeProfile profile;
        exec.run(inputs, &profile);
        for (const auto& [node, ms] : profile.ms) {
          auto [it, fresh] = best.emplace(node, ms);
          if (!fresh) it->second = std::min(it->second, ms);
        }
      }
      print_profile(best);
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size();
    if (args.json) {
      std::printf("{\"model\": \"%s\", \"iterations\": %d, \"min_ms\": %.3f, \"median_ms\": %.3f, \"mean_ms\": %.3f, \"max_ms\": %.3f}\n",
                  args.model.c_str(), args.iterations, ms.front(), median, mean, ms.back());
    } else {
      std::printf("%s: %d runs, latency ms min %.2f median %.2f mean %.2f max %.2f\n", args.model.c_str(),
                  args.iterations, ms.front(), median, mean, ms.back());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cpu_engine_bench: error: %s\n", e.what());
    return 1;
  }
}
