// graft extract: the part of a model that computes some tensors from others, as a valid,
// runnable model (surgeon/extract.h; like onnx.utils.extract_model). Cut inputs and outputs
// keep their declared types, or get the ones shape inference finds (tools/io_types.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "importer/onnx_model.h"
#include "surgeon/error.h"
#include "surgeon/extract.h"
#include "surgeon/find.h"
#include "tools/commands.h"
#include "tools/io_types.h"

namespace graft::tools {
namespace {

struct ExtractFlags {
  std::string model, output, inputs, outputs;
  bool json = false;
};

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = std::min(s.find(',', start), s.size());
    if (end > start) names.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

nlohmann::json io_json(const std::vector<TensorPtr>& ts) {
  nlohmann::json list = nlohmann::json::array();
  for (const TensorPtr& t : ts) list.push_back({{"name", t->name}, {"type", t->type.str()}});
  return list;
}

void print_io(const char* title, const std::vector<TensorPtr>& ts) {
  std::printf("%s (%zu):\n", title, ts.size());
  for (const TensorPtr& t : ts) std::printf("  %s  %s\n", t->name.c_str(), t->type.str().c_str());
}

}  // namespace

Run add_extract_command(CLI::App& app) {
  auto flags = std::make_shared<ExtractFlags>();
  CLI::App* cmd = app.add_subcommand(
      "extract",
      "Cut out the part of a model that computes --outputs from --inputs, as a model of its own:\n"
      "the nodes and initializers it needs, with opsets, functions and metadata kept. Its inputs and\n"
      "outputs keep their declared types; those without one get the type shape inference finds in the\n"
      "full model (an input it cannot type is an error). Unknown names are errors naming the closest.\n\n"
      "Examples:\n"
      "  graft extract model.onnx -o sub.onnx --inputs conv2d_62.tmp_0 --outputs hardswish_2.tmp_0\n"
      "  graft extract model.onnx -o head.onnx --inputs feats --outputs logits,probs --json\n"
      "  graft extract model.onnx -o front.onnx --outputs stem_out   (inputs: the model's own, as needed)");
  cmd->add_option("model", flags->model, "ONNX model file")->required()->check(existing_file_check);
  cmd->add_option("-o,--output", flags->output, "Where to write the extracted model")->required();
  cmd->add_option("--inputs", flags->inputs,
                  "Comma-separated tensors that become the graph inputs (default: the model's inputs that the "
                  "outputs need)");
  cmd->add_option("--outputs", flags->outputs, "Comma-separated tensors that become the graph outputs")->required();
  cmd->add_flag("--json", flags->json, "Print the extracted model's inputs and outputs as JSON");
  return [flags] {
    std::vector<std::string> outputs = split_names(flags->outputs), inputs = split_names(flags->inputs);
    if (outputs.empty()) throw Error("--outputs names no tensor");
    Model model = importer::load_model(flags->model);
    const bool own_inputs = flags->inputs.empty();
    if (own_inputs) {
      for (const TensorPtr& t : model.graph->inputs) {
        if (!holds(model.graph->initializers, t.get())) inputs.push_back(t->name);
      }
    }
    Model sub = extract(model, inputs, outputs);
    if (own_inputs) sub.graph->cleanup({.remove_unused_graph_inputs = true, .recurse_into_subgraphs = false});
    IoTyping typing = type_missing_io(sub, model);
    for (const std::string& what : typing.untyped) {
      if (what.rfind("input", 0) == 0) {
        throw Error("cannot give cut " + what + " a type: shape inference does not know it" +
                    (typing.inference_error.empty() ? "" : " (" + typing.inference_error + ")") +
                    "; cut at a tensor whose type is known, or declare it first (graft edit --set-dtype/--set-shape)");
      }
    }
    importer::save_model(sub, flags->output);
    const Graph& g = *sub.graph;
    if (flags->json) {
      nlohmann::json j = {{"inputs", io_json(g.inputs)},
                          {"outputs", io_json(g.outputs)},
                          {"nodes", g.node_count_recursive()},
                          {"nodes_before", model.graph->node_count_recursive()},
                          {"initializers", g.initializers.size()},
                          {"typed_by_inference", typing.typed},
                          {"untyped", typing.untyped},
                          {"output", flags->output}};
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    print_io("inputs", g.inputs);
    print_io("outputs", g.outputs);
    std::printf("kept %zu of %zu nodes, %zu initializers\n", g.node_count_recursive(),
                model.graph->node_count_recursive(), g.initializers.size());
    for (const std::string& t : typing.typed) std::printf("typed by shape inference: %s\n", t.c_str());
    for (const std::string& t : typing.untyped)
      std::printf("warning: %s has no type (shape inference does not know it)\n", t.c_str());
    std::printf("wrote %s\n", flags->output.c_str());
    return 0;
  };
}

}  // namespace graft::tools
