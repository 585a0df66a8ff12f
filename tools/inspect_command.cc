// graft inspect: what is in a model, like `polygraphy inspect model`.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "importer/onnx_model.h"
#include "surgeon/model_summary.h"
#include "tools/commands.h"
#include "tools/format.h"

namespace graft::tools {
namespace {

struct InspectFlags {
  std::string model;
  bool nodes = false;
  bool json = false;
};

std::string opsets_text(const std::vector<OpsetImport>& opsets) {
  std::string s;
  for (const OpsetImport& o : opsets) {
    s += (s.empty() ? "" : ", ") + (o.domain.empty() ? std::string("ai.onnx") : o.domain) + " " +
         std::to_string(o.version);
  }
  return s;
}

std::string tensor_text(const TensorPtr& t) {
  if (!t) return "<omitted>";
  std::string s = t->name;
  if (t->is_constant()) return s + " " + dtype_name(t->dtype()) + t->shape().str() + " (const)";
  if (t->type.kind != ValueType::Kind::kNone) s += " " + t->type.str();
  return s;
}

std::string tensors_text(const std::vector<TensorPtr>& ts) {
  std::string s;
  for (const TensorPtr& t : ts) s += (s.empty() ? "" : ", ") + tensor_text(t);
  return s;
}

void print_nodes(const Graph& g, int indent) {
  const std::string pad(indent, ' ');
  size_t index = 0;
  for (const auto& node : g.nodes()) {
    std::printf("%s[%zu] %s\n", pad.c_str(), index++, node->describe().c_str());
    std::printf("%s    in:  %s\n", pad.c_str(), tensors_text(node->inputs()).c_str());
    std::printf("%s    out: %s\n", pad.c_str(), tensors_text(node->outputs()).c_str());
    for (const Attribute& a : node->attributes) {
      std::printf("%s    %s = %s\n", pad.c_str(), a.name.c_str(), a.value_str().c_str());
      std::vector<const Graph*> subs;
      if (a.g) subs.push_back(a.g.get());
      for (const GraphPtr& sg : a.graphs) subs.push_back(sg.get());
      for (const Graph* sub : subs) print_nodes(*sub, indent + 8);
    }
  }
}

void print_text(const Model& model, const ModelSummary& s, const InspectFlags& flags) {
  std::printf("%s\n", flags.model.c_str());
  std::printf("  IR version %lld | opsets %s | producer %s\n", static_cast<long long>(s.ir_version),
              opsets_text(s.opsets).c_str(), s.producer.empty() ? "(none)" : s.producer.c_str());
  std::printf("  graph '%s': %zu nodes", s.graph_name.c_str(), s.nodes);
  if (s.nodes_in_subgraphs) std::printf(" (+%zu in %zu subgraphs)", s.nodes_in_subgraphs, s.subgraphs.size());
  std::printf(", %zu initializers, %s parameters (%s", s.initializers, with_commas(s.parameters).c_str(),
              human_bytes(s.parameter_bytes).c_str());
  if (s.external_bytes) std::printf(", %s external", human_bytes(s.external_bytes).c_str());
  std::printf(")\n");
  auto print_values = [](const char* title, const std::vector<ValueSummary>& vs) {
    std::printf("  %s (%zu):\n", title, vs.size());
    size_t width = 0;
    for (const ValueSummary& v : vs) width = std::max(width, v.name.size());
    for (const ValueSummary& v : vs) std::printf("    %-*s  %s\n", static_cast<int>(width), v.name.c_str(), v.type.c_str());
  };
  print_values("inputs", s.inputs);
  print_values("outputs", s.outputs);
  std::printf("  ops (%zu types): %s\n", s.op_histogram.size(), histogram_text(s.op_histogram).c_str());
  for (const SubgraphSummary& sg : s.subgraphs) {
    std::printf("  %*ssubgraph %s of %s: %zu nodes\n", 2 * (sg.depth - 1), "", sg.attribute.c_str(),
                sg.owner.c_str(), sg.nodes);
  }
  for (const std::string& f : s.functions) std::printf("  function %s\n", f.c_str());
  for (const auto& [k, v] : s.metadata) std::printf("  metadata %s = %s\n", k.c_str(), v.c_str());
  if (flags.nodes) {
    std::printf("  nodes:\n");
    print_nodes(*model.graph, 4);
  }
}

nlohmann::json node_json(const Node& node);

nlohmann::json graph_nodes_json(const Graph& g) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& node : g.nodes()) nodes.push_back(node_json(*node));
  return nodes;
}

nlohmann::json node_json(const Node& node) {
  auto names = [](const std::vector<TensorPtr>& ts) {
    nlohmann::json a = nlohmann::json::array();
    for (const TensorPtr& t : ts) a.push_back(t ? t->name : "");
    return a;
  };
  nlohmann::json attrs = nlohmann::json::object();
  nlohmann::json subgraphs = nlohmann::json::object();
  for (const Attribute& a : node.attributes) {
    attrs[a.name] = {{"type", attr_type_name(a.type)}, {"value", a.value_str(64)}};
    if (a.g) subgraphs[a.name] = graph_nodes_json(*a.g);
  }
  nlohmann::json j = {{"name", node.name}, {"op_type", node.op_type},   {"domain", node.domain},
                      {"inputs", names(node.inputs())}, {"outputs", names(node.outputs())}, {"attributes", attrs}};
  if (!subgraphs.empty()) j["subgraphs"] = subgraphs;
  return j;
}

void print_json(const Model& model, const ModelSummary& s, const InspectFlags& flags) {
  auto values = [](const std::vector<ValueSummary>& vs) {
    nlohmann::json a = nlohmann::json::array();
    for (const ValueSummary& v : vs) a.push_back({{"name", v.name}, {"type", v.type}});
    return a;
  };
  nlohmann::json opsets = nlohmann::json::array();
  for (const OpsetImport& o : s.opsets) opsets.push_back({{"domain", o.domain}, {"version", o.version}});
  nlohmann::json subgraphs = nlohmann::json::array();
  for (const SubgraphSummary& sg : s.subgraphs) {
    subgraphs.push_back({{"owner", sg.owner}, {"attribute", sg.attribute}, {"depth", sg.depth}, {"nodes", sg.nodes}});
  }
  nlohmann::json metadata = nlohmann::json::object();
  for (const auto& [k, v] : s.metadata) metadata[k] = v;
  nlohmann::json j = {
      {"model", flags.model},          {"ir_version", s.ir_version},
      {"producer", s.producer},        {"opsets", opsets},
      {"graph_name", s.graph_name},    {"inputs", values(s.inputs)},
      {"outputs", values(s.outputs)},  {"node_count", s.nodes},
      {"nodes_in_subgraphs", s.nodes_in_subgraphs}, {"op_histogram", s.op_histogram},
      {"initializer_count", s.initializers}, {"parameters", s.parameters},
      {"parameter_bytes", s.parameter_bytes}, {"external_bytes", s.external_bytes},
      {"subgraphs", subgraphs},        {"functions", s.functions},
      {"metadata", metadata},
  };
  if (flags.nodes) j["nodes"] = graph_nodes_json(*model.graph);
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace

Run add_inspect_command(CLI::App& app) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* cmd = app.add_subcommand("inspect",
                                     "Show a model's inputs, outputs, ops, parameters and subgraphs.\n\n"
                                     "Examples:\n"
                                     "  graft inspect model.onnx\n"
                                     "  graft inspect model.onnx --nodes\n"
                                     "  graft inspect model.onnx --json > summary.json");
  cmd->add_option("model", flags->model, "ONNX model file")->required()->check(existing_file_check);
  cmd->add_flag("--nodes", flags->nodes, "List every node with its inputs, outputs and attributes");
  cmd->add_flag("--json", flags->json, "Print JSON instead of text");
  return [flags] {
    Model model = importer::load_model(flags->model);
    ModelSummary summary = summarize(model);
    if (flags->json) {
      print_json(model, summary, *flags);
    } else {
      print_text(model, summary, *flags);
    }
    return 0;
  };
}

}  // namespace graft::tools
