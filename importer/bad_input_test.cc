// Bad models fail with one clear line naming the file and the node or tensor at fault.
#include <gtest/gtest.h>

#include "importer/onnx_model.h"
#include "surgeon/error.h"
#include "testdata/test_paths.h"

namespace graft::importer {
namespace {

// The message load_model throws for `path`, or "" if it loads.
std::string load_error(const std::string& path) {
  try {
    load_model(path);
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "errors are one line: " << msg;
    return msg;
  }
  return "";
}

struct BadCase {
  const char* file;
  std::vector<const char*> message_parts;
};

class BadModel : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadModel, FailsNamingTheFileAndPlace) {
  const std::string path = std::string("testdata/bad/") + GetParam().file;
  const std::string msg = load_error(path);
  ASSERT_FALSE(msg.empty()) << path << " loaded without error";
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  for (const char* part : GetParam().message_parts) EXPECT_NE(msg.find(part), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    All, BadModel,
    ::testing::Values(
        BadCase{"dangling_input.onnx", {"node 'add' (Add)", "'nobody_makes_this'", "no node produces"}},
        BadCase{"cycle.onnx", {"has a cycle", "node 'relu' (Relu)", "node 'add' (Add)"}},
        BadCase{"duplicate_output.onnx", {"tensor 'Y'", "node 'neg' (Neg)", "node 'relu' (Relu)"}},
        BadCase{"not_onnx.onnx", {"not a valid ONNX model"}},
        BadCase{"truncated.onnx", {"corrupt or truncated"}},
        BadCase{"external_missing/model.onnx", {"initializer 'w'", "weights.bin", "No such file"}},
        BadCase{"external_offset_past_end/model.onnx", {"initializer 'w'", "offset 4096", "past the end", "64 bytes"}},
        BadCase{"external_escape/model.onnx", {"initializer 'w'", "'../../models/external/weights.bin'", "relative path"}},
        BadCase{"external_absolute/model.onnx", {"initializer 'w'", "'/etc/hostname'"}}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string name;
      for (const char* c = info.param.file; *c && *c != '.'; ++c) name += std::isalnum(*c) ? *c : '_';
      return name;
    });

TEST(BadInput, MissingFileNamesIt) {
  EXPECT_NE(load_error("testdata/no_such_model.onnx").find("testdata/no_such_model.onnx: cannot open"),
            std::string::npos);
}

TEST(BadInput, DirectoryIsNotAModel) {
  EXPECT_NE(load_error("testdata").find("not a regular file"), std::string::npos);
}

TEST(BadInput, EmptyFileIsNotAModel) {
  const std::string dir = testing::make_temp_dir("empty");
  const std::string path = dir + "/empty.onnx";
  std::fclose(std::fopen(path.c_str(), "wb"));
  EXPECT_NE(load_error(path).find("not an ONNX model"), std::string::npos);
}

}  // namespace
}  // namespace graft::importer
