// Truncated and byte-flipped copies of real models either load or fail with graft::Error:
// never a crash, hang or other exception. Whatever loads must also survive export,
// summary, checks, toposort and cleanup. scripts/test.sh runs this under ASan and UBSan.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "importer/files.h"
#include "importer/onnx_model.h"
#include "importer/proto_convert.h"
#include "surgeon/error.h"
#include "surgeon/model_summary.h"
#include "testdata/test_paths.h"

namespace graft::importer {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Outcome {
  size_t loaded = 0, rejected = 0;
};

void try_load(const std::string& bytes, const std::string& path, Outcome& outcome) {
  try {
    Model m = parse_model(bytes.data(), bytes.size(), path, dirname_of(path));
    model_to_proto(m).ByteSizeLong();
    summarize(m);
    m.graph->toposort();
    m.graph->cleanup();
    m.graph->check();
    ++outcome.loaded;
  } catch (const Error&) {
    ++outcome.rejected;
  }
}

std::vector<std::string> corpus() {
  std::vector<std::string> models = testing::find_files(testing::shared_models_dir(), ".onnx");
  for (const char* name : {"testdata/models/subgraphs.onnx", "testdata/models/dtypes_all.onnx",
                           "testdata/models/ir10_opset21_newfields.onnx", "testdata/models/sparse.onnx",
                           "testdata/models/attributes_all.onnx", "testdata/models/external/model.onnx"}) {
    models.push_back(name);
  }
  for (const char* name : {"node/test_loop11/model.onnx", "node/test_if_seq/model.onnx", "node/test_scan9_sum/model.onnx",
                           "node/test_sequence_map_identity_1_sequence/model.onnx"}) {
    models.push_back(testing::conformance_dir() + "/" + name);
  }
  return models;
}

class CorruptInput : public ::testing::TestWithParam<std::string> {};

TEST_P(CorruptInput, TruncationsAreRejectedCleanly) {
  const std::string& path = GetParam();
  const std::string bytes = read_file(path);
  ASSERT_FALSE(bytes.empty()) << path;
  Outcome outcome;
  constexpr size_t kCuts = 200;
  for (size_t k = 0; k < kCuts; ++k) {
    // Dense near the start, where the structure is; spread over the rest.
    size_t cut = k < 64 ? k * 7 % bytes.size() : bytes.size() * (k - 64) / (kCuts - 64);
    try_load(bytes.substr(0, cut), path, outcome);
  }
  EXPECT_GT(outcome.rejected, 0u) << path;
}

TEST_P(CorruptInput, ByteFlipsLoadOrFailWithAnError) {
  const std::string& path = GetParam();
  const std::string bytes = read_file(path);
  std::mt19937 rng(1234);
  Outcome outcome;
  for (int k = 0; k < 300; ++k) {
    std::string copy = bytes;
    const int flips = 1 + k % 4;
    for (int f = 0; f < flips; ++f) {
      copy[rng() % copy.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    try_load(copy, path, outcome);
  }
  EXPECT_EQ(outcome.loaded + outcome.rejected, 300u);
}

INSTANTIATE_TEST_SUITE_P(RealModels, CorruptInput, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           // "<index>_<folder>_<file>": conformance models are all called model.onnx.
                           const std::string& p = info.param;
                           size_t start = p.find_last_of('/', p.find_last_of('/') - 1) + 1;
                           std::string name = std::to_string(info.index) + "_";
                           for (char c : p.substr(start)) {
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace graft::importer
