// ONNX -> IR -> ONNX is lossless for every model we can find: the ONNX conformance
// suite, the real models in ../shared/models and testdata/. The exported ModelProto is
// compared field by field with the original (unset fields equal their defaults; NaN
// equals NaN), unknown fields included.
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "importer/files.h"
#include "importer/onnx_model.h"
#include "importer/proto_convert.h"
#include "testdata/test_paths.h"

namespace graft::importer {
namespace {

onnx::ModelProto read_proto(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::ModelProto proto;
  EXPECT_TRUE(proto.ParseFromIstream(&in)) << path;
  return proto;
}

// Clears singular scalar fields that hold their default value, recursively, so that
// "set to the default" and "unset" compare equal. (MessageDifferencer's EQUIVALENT mode
// would do that too, but it ignores unknown fields, which are exactly what we must check.)
void clear_defaults(google::protobuf::Message* m) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(*m, f); ++k) clear_defaults(r->MutableRepeatedMessage(m, f, k));
      } else {
        clear_defaults(r->MutableMessage(m, f));
      }
      continue;
    }
    if (f->is_repeated()) continue;
    bool is_default = false;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: is_default = r->GetInt32(*m, f) == f->default_value_int32(); break;
      case FieldDescriptor::CPPTYPE_INT64: is_default = r->GetInt64(*m, f) == f->default_value_int64(); break;
      case FieldDescriptor::CPPTYPE_UINT32: is_default = r->GetUInt32(*m, f) == f->default_value_uint32(); break;
      case FieldDescriptor::CPPTYPE_UINT64: is_default = r->GetUInt64(*m, f) == f->default_value_uint64(); break;
      case FieldDescriptor::CPPTYPE_BOOL: is_default = r->GetBool(*m, f) == f->default_value_bool(); break;
      case FieldDescriptor::CPPTYPE_STRING: is_default = r->GetString(*m, f) == f->default_value_string(); break;
      case FieldDescriptor::CPPTYPE_ENUM: is_default = r->GetEnumValue(*m, f) == f->default_value_enum()->number(); break;
      case FieldDescriptor::CPPTYPE_FLOAT: {
        float v = r->GetFloat(*m, f), d = f->default_value_float();
        is_default = std::memcmp(&v, &d, sizeof v) == 0;  // -0.0 is not the default 0.0
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double v = r->GetDouble(*m, f), d = f->default_value_double();
        is_default = std::memcmp(&v, &d, sizeof v) == 0;
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: break;
    }
    if (is_default) r->ClearField(m, f);
  }
}

// Empty when equal, else the differences protobuf finds, one per line.
std::string differences(onnx::ModelProto want, onnx::ModelProto got) {
  clear_defaults(&want);
  clear_defaults(&got);
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differ;
  differ.set_field_comparator(&comparator);
  differ.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUAL);
  std::string report;
  differ.ReportDifferencesToString(&report);
  differ.Compare(want, got);
  return report;
}

std::vector<std::string> all_models() {
  std::vector<std::string> models = testing::find_files(testing::conformance_dir(), ".onnx");
  for (const std::string& dir : {testing::shared_models_dir(), std::string("testdata/models")}) {
    for (std::string& m : testing::find_files(dir, ".onnx")) models.push_back(std::move(m));
  }
  return models;
}

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, ExportEqualsOriginalFieldByField) {
  const std::string& path = GetParam();
  const onnx::ModelProto original = read_proto(path);
  Model model = load_model(path);
  const onnx::ModelProto exported = model_to_proto(model);
  EXPECT_EQ(differences(original, exported), "") << path;

  // A second trip through bytes gives the same model again.
  const std::string bytes = exported.SerializeAsString();
  Model again = parse_model(bytes.data(), bytes.size(), path, dirname_of(path));
  EXPECT_EQ(differences(exported, model_to_proto(again)), "") << path;
}

INSTANTIATE_TEST_SUITE_P(AllModels, RoundTrip, ::testing::ValuesIn(all_models()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = std::to_string(info.index) + "_";
                           for (char c : info.param.substr(info.param.find_last_of('/', info.param.size() - 12) + 1)) {
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return name;
                         });

TEST(RoundTripCorpus, FindsEveryModel) {
  std::vector<std::string> models = all_models();
  size_t conformance = testing::find_files(testing::conformance_dir(), ".onnx").size();
  EXPECT_EQ(conformance, 1072u) << "is libonnx-testdata installed? (" << testing::conformance_dir() << ")";
  EXPECT_EQ(testing::find_files(testing::shared_models_dir(), ".onnx").size(), 2u) << testing::shared_models_dir();
  EXPECT_GE(models.size(), conformance + 2 + 10);
}

}  // namespace
}  // namespace graft::importer
