// Tests of the value types of the IR: DataType, Dim/Shape, ValueType, TensorData, Attribute.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "surgeon/attribute.h"
#include "surgeon/dtype.h"
#include "surgeon/graph.h"
#include "surgeon/tensor_data.h"
#include "surgeon/type.h"

namespace graft {
namespace {

constexpr int32_t kFirstUnknownCode = 29;  // one past kFloat6E3M2
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

DataType code(int32_t c) { return static_cast<DataType>(c); }

// ---------------------------------------------------------------------------------------
// dtype names

TEST(DtypeNameTest, KnownCodesHaveNumpyStyleNames) {
  EXPECT_EQ(dtype_name(DataType::kUndefined), "undefined");
  EXPECT_EQ(dtype_name(DataType::kFloat), "float32");
  EXPECT_EQ(dtype_name(DataType::kDouble), "float64");
  EXPECT_EQ(dtype_name(DataType::kFloat16), "float16");
  EXPECT_EQ(dtype_name(DataType::kBfloat16), "bfloat16");
  EXPECT_EQ(dtype_name(DataType::kInt64), "int64");
  EXPECT_EQ(dtype_name(DataType::kUint8), "uint8");
  EXPECT_EQ(dtype_name(DataType::kBool), "bool");
  EXPECT_EQ(dtype_name(DataType::kString), "string");
  EXPECT_EQ(dtype_name(DataType::kComplex64), "complex64");
  EXPECT_EQ(dtype_name(DataType::kFloat8E4M3FN), "float8e4m3fn");
  EXPECT_EQ(dtype_name(DataType::kFloat8E5M2FNUZ), "float8e5m2fnuz");
  EXPECT_EQ(dtype_name(DataType::kFloat8E8M0), "float8e8m0");
  EXPECT_EQ(dtype_name(DataType::kInt4), "int4");
  EXPECT_EQ(dtype_name(DataType::kUint2), "uint2");
  EXPECT_EQ(dtype_name(DataType::kFloat4E2M1), "float4e2m1");
  EXPECT_EQ(dtype_name(DataType::kFloat6E2M3), "float6e2m3");
  EXPECT_EQ(dtype_name(DataType::kFloat6E3M2), "float6e3m2");
}

TEST(DtypeNameTest, EveryKnownCodeRoundTripsThroughItsName) {
  std::set<std::string> names;
  for (int32_t c = 0; c < kFirstUnknownCode; ++c) {
    SCOPED_TRACE("code " + std::to_string(c));
    ASSERT_TRUE(is_known(code(c)));
    const std::string name = dtype_name(code(c));
    EXPECT_EQ(name.find("dtype("), std::string::npos) << name;
    EXPECT_EQ(dtype_from_name(name), code(c)) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kFirstUnknownCode)) << "two codes share a name";
}

TEST(DtypeNameTest, AcceptsOnnxUpperCaseNames) {
  const std::vector<std::pair<std::string, DataType>> onnx_names = {
      {"UNDEFINED", DataType::kUndefined},   {"FLOAT", DataType::kFloat},
      {"DOUBLE", DataType::kDouble},         {"FLOAT16", DataType::kFloat16},
      {"BFLOAT16", DataType::kBfloat16},     {"INT64", DataType::kInt64},
      {"UINT32", DataType::kUint32},         {"BOOL", DataType::kBool},
      {"STRING", DataType::kString},         {"COMPLEX128", DataType::kComplex128},
      {"FLOAT8E4M3FNUZ", DataType::kFloat8E4M3FNUZ}, {"FLOAT8E5M2", DataType::kFloat8E5M2},
      {"UINT4", DataType::kUint4},           {"INT4", DataType::kInt4},
      {"INT2", DataType::kInt2},             {"FLOAT6E3M2", DataType::kFloat6E3M2},
  };
  for (const auto& [name, type] : onnx_names) EXPECT_EQ(dtype_from_name(name), type) << name;
  // Case does not matter for numpy-style names either.
  EXPECT_EQ(dtype_from_name("Float32"), DataType::kFloat);
  EXPECT_EQ(dtype_from_name("float"), DataType::kFloat);
  EXPECT_EQ(dtype_from_name("double"), DataType::kDouble);
}

TEST(DtypeNameTest, UnknownNamesAreRejected) {
  for (const char* name : {"", "float128", "int3", "float32 ", " int64", "dtype(99)", "FLOAT_32"}) {
    EXPECT_EQ(dtype_from_name(name), std::nullopt) << "'" << name << "'";
  }
}

TEST(DtypeNameTest, UnknownCodesKeepTheirNumber) {
  EXPECT_FALSE(is_known(code(99)));
  EXPECT_EQ(dtype_name(code(99)), "dtype(99)");
  EXPECT_FALSE(is_known(code(kFirstUnknownCode)));
  EXPECT_EQ(dtype_name(code(kFirstUnknownCode)), "dtype(29)");
  EXPECT_FALSE(is_known(code(-1)));
  EXPECT_EQ(dtype_name(code(-1)), "dtype(-1)");
}

// ---------------------------------------------------------------------------------------
// dtype sizes

TEST(DtypeBitsTest, BitsPerElement) {
  EXPECT_EQ(dtype_bits(DataType::kFloat), 32);
  EXPECT_EQ(dtype_bits(DataType::kDouble), 64);
  EXPECT_EQ(dtype_bits(DataType::kFloat16), 16);
  EXPECT_EQ(dtype_bits(DataType::kBfloat16), 16);
  EXPECT_EQ(dtype_bits(DataType::kInt64), 64);
  EXPECT_EQ(dtype_bits(DataType::kUint8), 8);
  EXPECT_EQ(dtype_bits(DataType::kBool), 8);
  EXPECT_EQ(dtype_bits(DataType::kComplex64), 64);
  EXPECT_EQ(dtype_bits(DataType::kComplex128), 128);
  EXPECT_EQ(dtype_bits(DataType::kFloat8E4M3FN), 8);
  EXPECT_EQ(dtype_bits(DataType::kFloat8E8M0), 8);
  EXPECT_EQ(dtype_bits(DataType::kInt4), 4);
  EXPECT_EQ(dtype_bits(DataType::kUint4), 4);
  EXPECT_EQ(dtype_bits(DataType::kFloat4E2M1), 4);
  EXPECT_EQ(dtype_bits(DataType::kInt2), 2);
  EXPECT_EQ(dtype_bits(DataType::kFloat6E2M3), 6);
  EXPECT_EQ(dtype_bits(DataType::kFloat6E3M2), 6);
  EXPECT_EQ(dtype_bits(DataType::kString), 0);
  EXPECT_EQ(dtype_bits(DataType::kUndefined), 0);
  EXPECT_EQ(dtype_bits(code(99)), 0);
  EXPECT_EQ(dtype_bits(code(-1)), 0);
}

TEST(DtypeStorageTest, WholeByteTypes) {
  EXPECT_EQ(dtype_storage_bytes(DataType::kFloat, 10), 40u);
  EXPECT_EQ(dtype_storage_bytes(DataType::kInt64, 3), 24u);
  EXPECT_EQ(dtype_storage_bytes(DataType::kBool, 5), 5u);
  EXPECT_EQ(dtype_storage_bytes(DataType::kComplex128, 2), 32u);
  EXPECT_EQ(dtype_storage_bytes(DataType::kFloat, 0), 0u);
}

TEST(DtypeStorageTest, SubByteTypesArePacked) {
  for (uint64_t n = 0; n <= 17; ++n) {
    SCOPED_TRACE("count " + std::to_string(n));
    EXPECT_EQ(dtype_storage_bytes(DataType::kInt4, n), (n + 1) / 2);
    EXPECT_EQ(dtype_storage_bytes(DataType::kUint4, n), (n + 1) / 2);
    EXPECT_EQ(dtype_storage_bytes(DataType::kFloat4E2M1, n), (n + 1) / 2);
    EXPECT_EQ(dtype_storage_bytes(DataType::kUint2, n), (n + 3) / 4);
    EXPECT_EQ(dtype_storage_bytes(DataType::kFloat6E2M3, n), (6 * n + 7) / 8);
  }
  // float6 packs 6 bits per element: 4 elements fit in 3 bytes, one takes a whole byte.
  EXPECT_EQ(dtype_storage_bytes(DataType::kFloat6E3M2, 1), 1u);
  EXPECT_EQ(dtype_storage_bytes(DataType::kFloat6E3M2, 3), 3u);  // 18 bits
  EXPECT_EQ(dtype_storage_bytes(DataType::kFloat6E3M2, 4), 3u);  // 24 bits
  EXPECT_EQ(dtype_storage_bytes(DataType::kFloat6E3M2, 5), 4u);  // 30 bits
  EXPECT_EQ(dtype_storage_bytes(DataType::kInt4, 7), 4u);
}

TEST(DtypeStorageTest, NoSizeForStringsAndUnknownTypes) {
  EXPECT_EQ(dtype_storage_bytes(DataType::kString, 4), std::nullopt);
  EXPECT_EQ(dtype_storage_bytes(DataType::kUndefined, 4), std::nullopt);
  EXPECT_EQ(dtype_storage_bytes(code(99), 4), std::nullopt);
  EXPECT_EQ(dtype_storage_bytes(DataType::kString, 0), std::nullopt);
}

TEST(DtypeStorageTest, OverflowGivesNullopt) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(dtype_storage_bytes(DataType::kFloat, kMax), std::nullopt);
  EXPECT_EQ(dtype_storage_bytes(DataType::kFloat, uint64_t{1} << 61), std::nullopt);  // 2^66 bits
  EXPECT_EQ(dtype_storage_bytes(DataType::kComplex128, uint64_t{1} << 57), std::nullopt);
  EXPECT_EQ(dtype_storage_bytes(DataType::kInt4, kMax), std::nullopt);
  // Large but representable sizes still come out exact.
  EXPECT_EQ(dtype_storage_bytes(DataType::kFloat, uint64_t{1} << 58), uint64_t{1} << 60);
  EXPECT_EQ(dtype_storage_bytes(DataType::kInt4, (uint64_t{1} << 60) + 1), (uint64_t{1} << 59) + 1);
}

// ---------------------------------------------------------------------------------------
// Dim and Shape

Shape nchw_with_batch() {
  return Shape({Dim::symbolic("batch"), Dim::fixed(3), Dim::fixed(224), Dim::fixed(224)});
}

TEST(DimTest, StrAndKinds) {
  EXPECT_EQ(Dim::fixed(3).str(), "3");
  EXPECT_EQ(Dim::fixed(0).str(), "0");
  EXPECT_EQ(Dim::symbolic("batch").str(), "batch");
  EXPECT_EQ(Dim::unknown().str(), "?");
  EXPECT_TRUE(Dim::fixed(3).is_fixed());
  EXPECT_FALSE(Dim::fixed(3).is_symbolic());
  EXPECT_TRUE(Dim::symbolic("n").is_symbolic());
  EXPECT_FALSE(Dim::unknown().is_fixed());
  EXPECT_FALSE(Dim::unknown().is_symbolic());
}

TEST(DimTest, Equality) {
  EXPECT_EQ(Dim::fixed(3), Dim::fixed(3));
  EXPECT_NE(Dim::fixed(3), Dim::fixed(4));
  EXPECT_NE(Dim::fixed(3), Dim::symbolic("3"));  // same str(), different dims
  EXPECT_EQ(Dim::symbolic("n"), Dim::symbolic("n"));
  EXPECT_NE(Dim::symbolic("n"), Dim::symbolic("m"));
  Dim annotated = Dim::fixed(1);
  annotated.denotation = "DATA_BATCH";
  EXPECT_NE(annotated, Dim::fixed(1));
}

TEST(ShapeTest, Str) {
  EXPECT_EQ(nchw_with_batch().str(), "[batch, 3, 224, 224]");
  EXPECT_EQ(Shape::of({2, 3}).str(), "[2, 3]");
  EXPECT_EQ(Shape::scalar().str(), "[]");
  EXPECT_EQ(Shape().str(), "?");
  EXPECT_EQ(Shape({Dim::unknown(), Dim::fixed(5)}).str(), "[?, 5]");
}

TEST(ShapeTest, RankKnownOrNot) {
  EXPECT_FALSE(Shape().has_rank());
  EXPECT_TRUE(Shape::scalar().has_rank());
  EXPECT_EQ(Shape::scalar().rank(), 0u);
  EXPECT_EQ(nchw_with_batch().rank(), 4u);
  EXPECT_NE(Shape(), Shape::scalar());  // unknown rank is not rank 0
  EXPECT_EQ(Shape::of({1, 2}), Shape({Dim::fixed(1), Dim::fixed(2)}));
  EXPECT_NE(Shape::of({1, 2}), Shape::of({2, 1}));
}

TEST(ShapeTest, IsStatic) {
  EXPECT_TRUE(Shape::of({2, 3}).is_static());
  EXPECT_TRUE(Shape::scalar().is_static());
  EXPECT_FALSE(Shape().is_static());
  EXPECT_FALSE(nchw_with_batch().is_static());
  EXPECT_FALSE(Shape({Dim::fixed(2), Dim::unknown()}).is_static());
}

TEST(ShapeTest, NumElements) {
  EXPECT_EQ(Shape::of({2, 3, 4}).num_elements(), 24);
  EXPECT_EQ(Shape::scalar().num_elements(), 1);
  EXPECT_EQ(Shape::of({0, 5}).num_elements(), 0);
  EXPECT_EQ(Shape::of({int64_t{1} << 31, int64_t{1} << 31}).num_elements(), int64_t{1} << 62);
  EXPECT_EQ(Shape::of({kInt64Max}).num_elements(), kInt64Max);
}

TEST(ShapeTest, NumElementsUnknownWhenNotStaticOrOverflowing) {
  EXPECT_EQ(nchw_with_batch().num_elements(), std::nullopt);
  EXPECT_EQ(Shape({Dim::fixed(2), Dim::unknown()}).num_elements(), std::nullopt);
  EXPECT_EQ(Shape().num_elements(), std::nullopt);
  EXPECT_EQ(Shape::of({kInt64Max, 2}).num_elements(), std::nullopt);
  EXPECT_EQ(Shape::of({int64_t{1} << 32, int64_t{1} << 31}).num_elements(), std::nullopt);  // 2^63
  EXPECT_EQ(Shape::of({-1, 3}).num_elements(), std::nullopt);
}

// ---------------------------------------------------------------------------------------
// ValueType

std::shared_ptr<ValueType> boxed(ValueType t) { return std::make_shared<ValueType>(std::move(t)); }

ValueType wrap(ValueType::Kind kind, ValueType inner) {
  ValueType t;
  t.kind = kind;
  t.inner = boxed(std::move(inner));
  return t;
}

ValueType map_of(DataType key, ValueType value) {
  ValueType t = wrap(ValueType::Kind::kMap, std::move(value));
  t.elem = key;
  return t;
}

ValueType sparse_of(DataType elem, Shape shape) {
  ValueType t = ValueType::tensor(elem, std::move(shape));
  t.kind = ValueType::Kind::kSparseTensor;
  return t;
}

TEST(ValueTypeTest, TensorStr) {
  ValueType t = ValueType::tensor(DataType::kFloat, Shape({Dim::symbolic("batch"), Dim::fixed(3)}));
  EXPECT_TRUE(t.is_tensor());
  EXPECT_EQ(t.str(), "float32[batch, 3]");
  EXPECT_EQ(ValueType::tensor(DataType::kInt64, Shape::scalar()).str(), "int64[]");
  EXPECT_EQ(ValueType::tensor(DataType::kFloat, Shape()).str(), "float32?");  // rank unknown
  EXPECT_EQ(ValueType::tensor(code(99), Shape::of({2})).str(), "dtype(99)[2]");
}

TEST(ValueTypeTest, NoTypeStr) {
  ValueType none;
  EXPECT_EQ(none.kind, ValueType::Kind::kNone);
  EXPECT_FALSE(none.is_tensor());
  EXPECT_EQ(none.str(), "?");
  ValueType empty;
  empty.kind = ValueType::Kind::kEmpty;
  EXPECT_EQ(empty.str(), "?");
}

TEST(ValueTypeTest, CompositeStr) {
  ValueType f32_unknown_dim = ValueType::tensor(DataType::kFloat, Shape({Dim::unknown()}));
  EXPECT_EQ(wrap(ValueType::Kind::kSequence, f32_unknown_dim).str(), "seq(float32[?])");
  EXPECT_EQ(map_of(DataType::kInt64, ValueType::tensor(DataType::kFloat, Shape::scalar())).str(),
            "map(int64, float32[])");
  EXPECT_EQ(map_of(DataType::kString, wrap(ValueType::Kind::kSequence, f32_unknown_dim)).str(),
            "map(string, seq(float32[?]))");
  EXPECT_EQ(wrap(ValueType::Kind::kOptional,
                 wrap(ValueType::Kind::kSequence, ValueType::tensor(DataType::kInt64, Shape::of({2}))))
                .str(),
            "optional(seq(int64[2]))");
  EXPECT_EQ(sparse_of(DataType::kFloat, Shape::of({10, 10})).str(), "sparse(float32[10, 10])");
  ValueType opaque;
  opaque.kind = ValueType::Kind::kOpaque;
  opaque.opaque_domain = "com.example";
  opaque.opaque_name = "Blob";
  EXPECT_EQ(opaque.str(), "opaque(com.example.Blob)");
  // A sequence whose element type is missing.
  ValueType bare_seq;
  bare_seq.kind = ValueType::Kind::kSequence;
  EXPECT_EQ(bare_seq.str(), "seq(?)");
}

TEST(ValueTypeTest, EqualityOfTensors) {
  auto f32 = [](std::vector<int64_t> dims) { return ValueType::tensor(DataType::kFloat, Shape::of(dims)); };
  EXPECT_EQ(f32({2, 3}), f32({2, 3}));
  EXPECT_NE(f32({2, 3}), f32({3, 2}));
  EXPECT_NE(f32({2, 3}), ValueType::tensor(DataType::kInt32, Shape::of({2, 3})));
  EXPECT_NE(f32({2, 3}), sparse_of(DataType::kFloat, Shape::of({2, 3})));
  EXPECT_NE(ValueType::tensor(DataType::kFloat, Shape()), ValueType::tensor(DataType::kFloat, Shape::scalar()));
  ValueType denoted = f32({1});
  denoted.denotation = "IMAGE";
  EXPECT_NE(denoted, f32({1}));
  ValueType none, empty;
  empty.kind = ValueType::Kind::kEmpty;
  EXPECT_EQ(none, ValueType());
  EXPECT_NE(none, empty);
}

TEST(ValueTypeTest, EqualityComparesNestedInnerTypesByValue) {
  auto seq_seq = [](int64_t d) {
    return wrap(ValueType::Kind::kSequence,
                wrap(ValueType::Kind::kSequence, ValueType::tensor(DataType::kFloat, Shape::of({d}))));
  };
  ValueType a = seq_seq(2), b = seq_seq(2);
  ASSERT_NE(a.inner.get(), b.inner.get());  // distinct objects, equal values
  EXPECT_EQ(a, b);
  EXPECT_NE(seq_seq(2), seq_seq(3));  // differs two levels down
  EXPECT_NE(wrap(ValueType::Kind::kSequence, ValueType::tensor(DataType::kFloat, Shape::of({2}))),
            wrap(ValueType::Kind::kOptional, ValueType::tensor(DataType::kFloat, Shape::of({2}))));

  ValueType bare_seq;
  bare_seq.kind = ValueType::Kind::kSequence;
  EXPECT_NE(bare_seq, seq_seq(2));
  EXPECT_NE(seq_seq(2), bare_seq);
  ValueType other_bare_seq;
  other_bare_seq.kind = ValueType::Kind::kSequence;
  EXPECT_EQ(bare_seq, other_bare_seq);

  ValueType scalar_f32 = ValueType::tensor(DataType::kFloat, Shape::scalar());
  EXPECT_EQ(map_of(DataType::kInt64, scalar_f32), map_of(DataType::kInt64, scalar_f32));
  EXPECT_NE(map_of(DataType::kInt64, scalar_f32), map_of(DataType::kString, scalar_f32));
  EXPECT_NE(map_of(DataType::kInt64, scalar_f32),
            map_of(DataType::kInt64, ValueType::tensor(DataType::kDouble, Shape::scalar())));
}

TEST(ValueTypeTest, EqualityOfOpaque) {
  auto opaque = [](std::string domain, std::string name) {
    ValueType t;
    t.kind = ValueType::Kind::kOpaque;
    t.opaque_domain = std::move(domain);
    t.opaque_name = std::move(name);
    return t;
  };
  EXPECT_EQ(opaque("d", "n"), opaque("d", "n"));
  EXPECT_NE(opaque("d", "n"), opaque("d", "m"));
  EXPECT_NE(opaque("d", "n"), opaque("e", "n"));
}

// ---------------------------------------------------------------------------------------
// TensorData

TensorDataPtr tensor_data(DataType dtype, std::vector<int64_t> dims) {
  auto d = std::make_shared<TensorData>();
  d->dtype = dtype;
  d->dims = std::move(dims);
  return d;
}

TEST(TensorDataTest, NumElements) {
  EXPECT_EQ(tensor_data(DataType::kFloat, {2, 3})->num_elements(), 6);
  EXPECT_EQ(tensor_data(DataType::kFloat, {})->num_elements(), 1);  // a scalar
  EXPECT_EQ(tensor_data(DataType::kFloat, {0, 7})->num_elements(), 0);
  EXPECT_EQ(tensor_data(DataType::kFloat, {-1, 2})->num_elements(), std::nullopt);
  EXPECT_EQ(tensor_data(DataType::kFloat, {kInt64Max, 2})->num_elements(), std::nullopt);
  EXPECT_EQ(tensor_data(DataType::kFloat, {int64_t{1} << 40, int64_t{1} << 22})->num_elements(), int64_t{1} << 62);
}

TEST(TensorDataTest, ExternalEntry) {
  TensorData d;
  d.storage = Storage::kExternal;
  d.external = {{"location", "weights.bin"}, {"offset", "4096"}, {"length", "64"}};
  EXPECT_EQ(d.external_entry("location"), "weights.bin");
  EXPECT_EQ(d.external_entry("offset"), "4096");
  EXPECT_EQ(d.external_entry("length"), "64");
  EXPECT_EQ(d.external_entry("checksum"), "");
  EXPECT_EQ(d.external_entry("Location"), "");  // keys are case-sensitive
  EXPECT_EQ(TensorData().external_entry("location"), "");
}

TEST(TensorDataTest, ReadsElementsFromBytes) {
  const float values[] = {1.5f, -2.0f, 3.25f};
  TensorDataPtr d = tensor_data(DataType::kFloat, {3});
  d->bytes = Bytes::copy_of(values, sizeof(values));
  EXPECT_EQ(d->at<float>(0), 1.5f);
  EXPECT_EQ(d->at<float>(1), -2.0f);
  EXPECT_EQ(d->at<float>(2), 3.25f);
  EXPECT_EQ(d->bytes.size(), dtype_storage_bytes(d->dtype, *d->num_elements()));
}

// ---------------------------------------------------------------------------------------
// Attribute

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v;
  for (int64_t k = 0; k < n; ++k) v.push_back(k);
  return v;
}

TEST(AttributeTest, FactoriesSetTypeAndValue) {
  EXPECT_EQ(Attribute::of_int("axis", -1).type, AttrType::kInt);
  EXPECT_EQ(Attribute::of_int("axis", -1).i, -1);
  EXPECT_EQ(Attribute::of_float("alpha", 0.5f).type, AttrType::kFloat);
  EXPECT_EQ(Attribute::of_float("alpha", 0.5f).f, 0.5f);
  EXPECT_EQ(Attribute::of_string("mode", "NOTSET").s, "NOTSET");
  EXPECT_EQ(Attribute::of_ints("pads", {1, 2}).ints, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Attribute::of_floats("scales", {2.f}).type, AttrType::kFloats);
  EXPECT_EQ(Attribute::of_graph("body", nullptr).type, AttrType::kGraph);
  EXPECT_EQ(Attribute::of_tensor("value", nullptr).type, AttrType::kTensor);
  EXPECT_EQ(Attribute::of_ints("pads", {}).name, "pads");
}

TEST(AttributeTest, ScalarValueStr) {
  EXPECT_EQ(Attribute::of_int("axis", 3).value_str(), "3");
  EXPECT_EQ(Attribute::of_int("axis", -7).value_str(), "-7");
  EXPECT_EQ(Attribute::of_float("alpha", 0.5f).value_str(), "0.5");
  EXPECT_EQ(Attribute::of_float("eps", 1e-5f).value_str(), "1e-05");
  EXPECT_EQ(Attribute::of_float("beta", 2.0f).value_str(), "2");
  EXPECT_EQ(Attribute::of_string("auto_pad", "NOTSET").value_str(), "'NOTSET'");
  EXPECT_EQ(Attribute::of_string("name", "").value_str(), "''");
  EXPECT_EQ(Attribute().value_str(), "<undefined>");
}

TEST(AttributeTest, ListValueStr) {
  EXPECT_EQ(Attribute::of_ints("strides", {1, 1}).value_str(), "[1, 1]");
  EXPECT_EQ(Attribute::of_ints("axes", {}).value_str(), "[]");
  EXPECT_EQ(Attribute::of_floats("scales", {1.f, 2.5f}).value_str(), "[1, 2.5]");
  Attribute strings{.name = "names", .type = AttrType::kStrings};
  strings.strings = {"a", "bc"};
  EXPECT_EQ(strings.value_str(), "['a', 'bc']");
}

TEST(AttributeTest, LongListsAreTruncated) {
  EXPECT_EQ(Attribute::of_ints("v", iota(10)).value_str(), "[0, 1, 2, 3, 4, 5, 6, 7, ... (10 items)]");
  EXPECT_EQ(Attribute::of_ints("v", iota(8)).value_str(), "[0, 1, 2, 3, 4, 5, 6, 7]");  // exactly the limit
  EXPECT_EQ(Attribute::of_ints("v", iota(9)).value_str(3), "[0, 1, 2, ... (9 items)]");
  EXPECT_EQ(Attribute::of_ints("v", iota(3)).value_str(0), "[... (3 items)]");
  EXPECT_EQ(Attribute::of_ints("v", {}).value_str(0), "[]");
  EXPECT_EQ(Attribute::of_floats("f", {0.5f, 0.5f, 0.5f}).value_str(2), "[0.5, 0.5, ... (3 items)]");
  Attribute strings{.name = "names", .type = AttrType::kStrings};
  strings.strings = {"x", "y", "z"};
  EXPECT_EQ(strings.value_str(1), "['x', ... (3 items)]");
}

TEST(AttributeTest, TensorValueStr) {
  EXPECT_EQ(Attribute::of_tensor("value", tensor_data(DataType::kFloat, {2, 3})).value_str(),
            "<tensor float32[2, 3]>");
  EXPECT_EQ(Attribute::of_tensor("value", tensor_data(DataType::kInt64, {})).value_str(), "<tensor int64[]>");
  EXPECT_EQ(Attribute::of_tensor("value", nullptr).value_str(), "<tensor>");
  Attribute tensors{.name = "ts", .type = AttrType::kTensors};
  tensors.tensors = {tensor_data(DataType::kInt4, {4}), tensor_data(DataType::kBool, {1, 1})};
  EXPECT_EQ(tensors.value_str(), "[<tensor int4[4]>, <tensor bool[1, 1]>]");
  Attribute sparse{.name = "sparse_value", .type = AttrType::kSparseTensor};
  EXPECT_EQ(sparse.value_str(), "<sparse tensor>");
  Attribute sparses{.name = "sparse_values", .type = AttrType::kSparseTensors};
  sparses.sparse_tensors = {std::make_shared<SparseTensorData>(), std::make_shared<SparseTensorData>()};
  EXPECT_EQ(sparses.value_str(), "<2 sparse tensors>");
}

TEST(AttributeTest, GraphValueStrCountsNestedNodes) {
  auto body = std::make_shared<Graph>("then");
  auto x = std::make_shared<Tensor>("x");
  Node* if_node = body->add_node("If", {x}, {});
  body->add_node("Relu", {x}, {});
  auto inner = std::make_shared<Graph>("inner", body.get());
  inner->add_node("Identity", {x}, {});
  if_node->set_attr(Attribute::of_graph("then_branch", inner));
  EXPECT_EQ(Attribute::of_graph("then_branch", body).value_str(), "<graph 'then': 3 nodes>");
  EXPECT_EQ(Attribute::of_graph("then_branch", nullptr).value_str(), "<graph>");
  Attribute graphs{.name = "branches", .type = AttrType::kGraphs};
  graphs.graphs = {body, inner};
  EXPECT_EQ(graphs.value_str(), "[<graph 'then': 3 nodes>, <graph 'inner': 1 nodes>]");
}

TEST(AttributeTest, TypeProtoValueStr) {
  Attribute tp{.name = "type", .type = AttrType::kTypeProto};
  tp.tp = ValueType::tensor(DataType::kFloat, Shape::of({2}));
  EXPECT_EQ(tp.value_str(), "<type float32[2]>");
  Attribute tps{.name = "types", .type = AttrType::kTypeProtos};
  tps.type_protos = {ValueType::tensor(DataType::kFloat, Shape::of({2})),
                     wrap(ValueType::Kind::kSequence, ValueType::tensor(DataType::kInt64, Shape::scalar()))};
  EXPECT_EQ(tps.value_str(), "[float32[2], seq(int64[])]");
}

TEST(AttributeTest, RefAttrNameWinsOverValue) {
  Attribute a = Attribute::of_float("alpha", 0.5f);
  a.ref_attr_name = "alpha";
  EXPECT_EQ(a.value_str(), "@alpha");
  Attribute b = Attribute::of_ints("perm", {1, 0});
  b.ref_attr_name = "transpose_perm";
  EXPECT_EQ(b.value_str(), "@transpose_perm");
}

TEST(AttributeTest, TypeNames) {
  EXPECT_EQ(attr_type_name(AttrType::kUndefined), "undefined");
  EXPECT_EQ(attr_type_name(AttrType::kInt), "int");
  EXPECT_EQ(attr_type_name(AttrType::kFloats), "floats");
  EXPECT_EQ(attr_type_name(AttrType::kGraph), "graph");
  EXPECT_EQ(attr_type_name(AttrType::kSparseTensors), "sparse_tensors");
  EXPECT_EQ(attr_type_name(AttrType::kTypeProtos), "type_protos");
  EXPECT_EQ(attr_type_name(static_cast<AttrType>(15)), "attr_type(15)");
  EXPECT_EQ(attr_type_name(static_cast<AttrType>(-1)), "attr_type(-1)");
}

}  // namespace
}  // namespace graft
