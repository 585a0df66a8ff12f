// External data: relative locations, shared files at offsets, saving with a threshold,
// moving weights in and out, atomic output, and tensors past 2 GB.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "importer/files.h"
#include "importer/onnx_model.h"
#include "onnx/onnx_pb.h"
#include "surgeon/error.h"
#include "testdata/test_paths.h"

namespace graft::importer {
namespace {

namespace fs = std::filesystem;

const char* kExternalModel = "testdata/models/external/model.onnx";

TensorPtr initializer(const Model& m, const std::string& name) {
  for (const TensorPtr& t : m.graph->initializers) {
    if (t->name == name) return t;
  }
  ADD_FAILURE() << "no initializer " << name;
  return nullptr;
}

// Every initializer of `a` has the same dtype, dims and bytes in `b`.
void expect_same_weights(const Model& a, const Model& b) {
  ASSERT_EQ(a.graph->initializers.size(), b.graph->initializers.size());
  for (const TensorPtr& t : a.graph->initializers) {
    TensorPtr u = initializer(b, t->name);
    ASSERT_TRUE(u);
    EXPECT_EQ(t->data->dtype, u->data->dtype) << t->name;
    EXPECT_EQ(t->data->dims, u->data->dims) << t->name;
    EXPECT_TRUE(t->data->bytes == u->data->bytes) << t->name;
  }
}

TEST(ExternalData, LoadsSharedFilesAtOffsetsAndKeepsExtraKeys) {
  Model m = load_model(kExternalModel);
  TensorPtr w_c = initializer(m, "w_c");
  ASSERT_TRUE(w_c);
  EXPECT_EQ(w_c->data->storage, Storage::kExternal);
  EXPECT_EQ(w_c->data->external_entry("offset"), "4163");  // unaligned on purpose
  EXPECT_EQ(w_c->data->bytes.size(), static_cast<size_t>(*w_c->data->num_elements()) * 8);
  TensorPtr w_d = initializer(m, "w_d");
  EXPECT_EQ(w_d->data->external_entry("location"), "more/other.bin");
  EXPECT_FALSE(w_d->data->external_entry("checksum").empty());
  EXPECT_EQ(initializer(m, "w_inline")->data->storage, Storage::kRaw);
}

TEST(ExternalData, KeepWritesTheSameFilesBesideTheNewModel) {
  const std::string dir = testing::make_temp_dir("keep");
  Model m = load_model(kExternalModel);
  SaveReport r = save_model(m, dir + "/copy.onnx");
  EXPECT_EQ(r.external_files.size(), 2u);
  EXPECT_TRUE(fs::exists(dir + "/weights.bin"));
  EXPECT_TRUE(fs::exists(dir + "/more/other.bin"));
  Model back = load_model(dir + "/copy.onnx");
  expect_same_weights(m, back);
  EXPECT_FALSE(initializer(back, "w_d")->data->external_entry("checksum").empty());
}

TEST(ExternalData, EmbedThenExternalizeWithThreshold) {
  const std::string dir = testing::make_temp_dir("move");
  Model m = load_model(kExternalModel);
  save_model(m, dir + "/embedded.onnx", {.weights = WeightLayout::kEmbed});
  Model embedded = load_model(dir + "/embedded.onnx");
  for (const TensorPtr& t : embedded.graph->initializers) EXPECT_NE(t->data->storage, Storage::kExternal) << t->name;
  expect_same_weights(m, embedded);

  const uint64_t threshold = 256;
  SaveReport r = save_model(embedded, dir + "/ext.onnx",
                            {.weights = WeightLayout::kExternal, .external_file = "w.data", .external_threshold = threshold});
  ASSERT_EQ(r.external_files.size(), 1u);
  Model ext = load_model(dir + "/ext.onnx");
  size_t moved = 0;
  for (const TensorPtr& t : ext.graph->initializers) {
    const bool big = t->data->bytes.size() >= threshold;
    EXPECT_EQ(t->data->storage == Storage::kExternal, big) << t->name;
    if (big) {
      ++moved;
      EXPECT_EQ(std::stoull(t->data->external_entry("offset")) % 64, 0u) << t->name << " is aligned";
    }
  }
  EXPECT_EQ(moved, r.external_files[0].tensors);
  EXPECT_GT(moved, 0u);
  expect_same_weights(m, ext);
}

TEST(ExternalData, LocationsMustStayInsideTheModelFolder) {
  EXPECT_TRUE(is_safe_location("weights.bin"));
  EXPECT_TRUE(is_safe_location("w..bin"));  // dots inside a name are no path escape
  EXPECT_TRUE(is_safe_location("sub/dir/w.bin"));
  EXPECT_FALSE(is_safe_location(""));
  EXPECT_FALSE(is_safe_location("/etc/passwd"));
  EXPECT_FALSE(is_safe_location("../w.bin"));
  EXPECT_FALSE(is_safe_location("a/../../w.bin"));
  EXPECT_FALSE(is_safe_location("a/.."));
}

TEST(ExternalData, FailedSaveLeavesNothingBehind) {
  const std::string dir = testing::make_temp_dir("atomic");
  Model m = load_model(kExternalModel);
  // An external file name that escapes the folder is refused after work has started.
  EXPECT_THROW(save_model(m, dir + "/out.onnx", {.weights = WeightLayout::kExternal, .external_file = "../x.bin"}),
               Error);
  EXPECT_TRUE(fs::is_empty(dir)) << "no partial or temporary files";
  // Writing over an existing model either fully succeeds or leaves it untouched.
  save_model(m, dir + "/out.onnx");
  const auto before = fs::file_size(dir + "/out.onnx");
  EXPECT_THROW(save_model(m, dir + "/out.onnx", {.weights = WeightLayout::kExternal, .external_file = "out.onnx"}),
               Error);
  EXPECT_EQ(fs::file_size(dir + "/out.onnx"), before);
  load_model(dir + "/out.onnx");
}

TEST(ExternalData, SavingOverTheSourceFilesIsSafe) {
  const std::string dir = testing::make_temp_dir("inplace");
  fs::copy("testdata/models/external", dir, fs::copy_options::recursive);
  Model m = load_model(dir + "/model.onnx");  // its weights are mapped from dir/weights.bin
  save_model(m, dir + "/model.onnx");          // rewrites dir/weights.bin while mapped
  Model again = load_model(dir + "/model.onnx");
  expect_same_weights(load_model(kExternalModel), again);
}

// A model whose one tensor is over 2 GB, stored in a sparse file: loads, and refuses to
// be embedded (protobuf's limit) with an error that says what to do.
TEST(ExternalData, TensorsLargerThan2GB) {
  const std::string dir = testing::make_temp_dir("huge");
  const int64_t elements = (int64_t{1} << 29) + 1;  // 2 GiB + 4 bytes of float32
  {
    int fd = open((dir + "/huge.bin").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, elements * 4), 0);
    close(fd);
  }
  {
    onnx::ModelProto mp;
    mp.set_ir_version(8);
    mp.add_opset_import()->set_version(17);
    onnx::GraphProto* g = mp.mutable_graph();
    g->set_name("huge");
    onnx::TensorProto* w = g->add_initializer();
    w->set_name("w");
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(elements);
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    for (auto [k, v] : {std::pair<std::string, std::string>{"location", "huge.bin"}, {"length", std::to_string(elements * 4)}}) {
      auto* e = w->add_external_data();
      e->set_key(k);
      e->set_value(v);
    }
    g->add_output()->set_name("w");
    std::ofstream out(dir + "/huge.onnx", std::ios::binary);
    ASSERT_TRUE(mp.SerializeToOstream(&out));
  }

  Model loaded = load_model(dir + "/huge.onnx");
  ASSERT_EQ(loaded.graph->initializers.size(), 1u);
  EXPECT_EQ(loaded.graph->initializers[0]->data->bytes.size(), static_cast<size_t>(elements * 4));
  try {
    save_model(loaded, dir + "/embedded.onnx", {.weights = WeightLayout::kEmbed});
    FAIL() << "embedding 2 GB must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("external data"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir + "/embedded.onnx"));
}

}  // namespace
}  // namespace graft::importer
