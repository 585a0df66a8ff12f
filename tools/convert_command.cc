// graft convert: re-serialize a model, moving weights between the .onnx file and
// external data files, losslessly.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "importer/onnx_model.h"
#include "surgeon/error.h"
#include "tools/commands.h"
#include "tools/format.h"

namespace graft::tools {
namespace {

struct ConvertFlags {
  std::string model, output, external_data;
  uint64_t threshold = 1024;
  bool embed = false;
  bool json = false;
};

importer::SaveOptions save_options(const ConvertFlags& f) {
  importer::SaveOptions o;
  if (f.embed) o.weights = importer::WeightLayout::kEmbed;
  if (!f.external_data.empty()) {
    o.weights = importer::WeightLayout::kExternal;
    o.external_file = f.external_data;
    o.external_threshold = f.threshold;
  }
  return o;
}

void print_report(const importer::SaveReport& r, bool json) {
  if (json) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : r.external_files) files.push_back({{"path", f.path}, {"bytes", f.bytes}, {"tensors", f.tensors}});
    nlohmann::json j = {{"model", {{"path", r.model.path}, {"bytes", r.model.bytes}}}, {"external_data", files}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("wrote %s (%s)\n", r.model.path.c_str(), human_bytes(r.model.bytes).c_str());
  for (const auto& f : r.external_files) {
    std::printf("wrote %s (%s, %zu tensors)\n", f.path.c_str(), human_bytes(f.bytes).c_str(), f.tensors);
  }
}

}  // namespace

Run add_convert_command(CLI::App& app) {
  auto flags = std::make_shared<ConvertFlags>();
  CLI::App* cmd = app.add_subcommand(
      "convert",
      "Re-serialize a model losslessly; move weights into or out of external data files.\n"
      "Without weight flags every tensor stays where it was (external files keep their names,\n"
      "written beside the output model).\n\n"
      "Examples:\n"
      "  graft convert big.onnx -o small.onnx --external-data small.weights\n"
      "  graft convert small.onnx -o embedded.onnx --embed-weights\n"
      "  graft convert model.onnx -o copy.onnx --json");
  cmd->add_option("model", flags->model, "ONNX model file")->required()->check(existing_file_check);
  cmd->add_option("-o,--output", flags->output, "Where to write the model")->required();
  auto* ext = cmd->add_option("--external-data", flags->external_data,
                              "Move tensors to this file (relative to the output model's folder)");
  cmd->add_option("--external-data-threshold", flags->threshold,
                  "With --external-data: tensors smaller than this many bytes stay embedded (default 1024)")
      ->needs(ext)
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--embed-weights", flags->embed, "Put every tensor inside the .onnx file")->excludes(ext);
  cmd->add_flag("--json", flags->json, "Print what was written as JSON");
  return [flags] {
    Model model = importer::load_model(flags->model);
    print_report(importer::save_model(model, flags->output, save_options(*flags)), flags->json);
    return 0;
  };
}

}  // namespace graft::tools
