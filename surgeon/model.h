#pragma once
// A whole ONNX model: the main graph plus everything around it, kept losslessly.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "surgeon/graph.h"

namespace graft {

struct OpsetImport {
  std::string domain;  // "" is the default ONNX domain
  int64_t version = 0;
  bool operator==(const OpsetImport&) const = default;
};

// A model-local function (FunctionProto). Its body is a Graph whose inputs and outputs are
// the function's formal parameters (untyped unless the file says otherwise).
struct Function {
  std::string name;
  std::string domain;
  std::string doc_string;
  std::vector<std::string> attribute_names;
  std::vector<OpsetImport> opset_imports;
  std::shared_ptr<Graph> body = std::make_shared<Graph>();
  // Newer fields (attribute_proto defaults, overload, value_info, metadata_props) travel here.
  std::string unknown_fields;
};

struct Model {
  int64_t ir_version = 0;
  std::vector<OpsetImport> opset_imports;
  std::string producer_name;
  std::string producer_version;
  std::string domain;
  int64_t model_version = 0;
  std::string doc_string;
  KeyValues metadata_props;
  std::shared_ptr<Graph> graph = std::make_shared<Graph>();
  std::vector<Function> functions;
  std::vector<std::string> training_info;  // serialized TrainingInfoProto, passed through untouched
  std::string unknown_fields;

  // Version of `domain` ("" / "ai.onnx" are the same), or 0 if not imported.
  int64_t opset(const std::string& domain = "") const;
};

}  // namespace graft
