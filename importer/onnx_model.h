#pragma once
// Loading and saving ONNX model files, losslessly, with external weights.
//
//   graft::Model m = graft::importer::load_model("model.onnx");
//   graft::importer::save_model(m, "out.onnx", {.weights = WeightLayout::kExternal,
//                                               .external_file = "out.weights"});
#include <cstdint>
#include <string>
#include <vector>

#include "surgeon/model.h"

namespace graft::importer {

struct LoadOptions {
  bool load_external_data = true;  // map external weight files (cheap: nothing is read yet)
  bool check = true;               // run Graph::check() (dangling names, duplicates, cycles)
};

// Throws graft::Error with a one-line message naming the file and what is wrong.
Model load_model(const std::string& path, const LoadOptions& options = {});
// `source` names the data in messages; external data is looked up under `base_dir`.
Model parse_model(const void* data, size_t size, const std::string& source, const std::string& base_dir,
                  const LoadOptions& options = {});

enum class WeightLayout {
  kKeep,      // every tensor where it was: embedded stays embedded, external files keep their names
  kEmbed,     // everything inside the .onnx file (up to protobuf's 2 GB limit)
  kExternal,  // tensors of at least `external_threshold` bytes go to `external_file`
};

struct SaveOptions {
  WeightLayout weights = WeightLayout::kKeep;
  std::string external_file;            // kExternal: a path relative to the output model's folder
  uint64_t external_threshold = 1024;   // kExternal: smaller tensors stay embedded
};

struct SavedFile {
  std::string path;
  uint64_t bytes = 0;
  size_t tensors = 0;  // external data files: how many tensors they hold
};

struct SaveReport {
  SavedFile model;
  std::vector<SavedFile> external_files;
};

// Writes the model and its external data files. Each file appears complete or not at all:
// on any error nothing is left behind and existing files are untouched.
SaveReport save_model(const Model& model, const std::string& path, const SaveOptions& options = {});

// The model as one serialized ModelProto with every tensor embedded (for plan files).
// Throws an Error past protobuf's 2 GB limit.
std::string model_to_bytes(const Model& model);

}  // namespace graft::importer
