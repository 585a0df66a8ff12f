// .npy / .npz reading and writing against files numpy wrote (testdata/reference/numpy,
// made by scripts/make_ort_references.py), and a model's inputs from files.
#include "engine/npy.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <complex>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/tensor_io.h"
#include "surgeon/error.h"
#include "testdata/test_paths.h"

namespace graft::engine {
namespace {

namespace fs = std::filesystem;
using cpu::Dims;
using cpu::HostTensor;

const std::string kDir = "testdata/reference/numpy/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// base = arange(6).reshape(2, 3), as the fixture script uses it.
template <typename T, typename F>
void expect_values(const HostTensor& t, DataType dtype, const Dims& dims, F value_of) {
  ASSERT_EQ(t.dtype(), dtype) << t.describe();
  ASSERT_EQ(t.dims(), dims);
  for (int64_t i = 0; i < t.numel(); ++i) EXPECT_EQ(t.data<T>()[i], value_of(i)) << "element " << i;
}

bool same(const HostTensor& a, const HostTensor& b) {
  if (a.dtype() != b.dtype() || a.dims() != b.dims()) return false;
  if (a.dtype() == DataType::kString) return a.strings() == b.strings();
  return a.nbytes() == b.nbytes() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(Npy, ReadsEveryNumpyType) {
  using half = Eigen::half;
  expect_values<float>(read_npy(kDir + "float32.npy"), DataType::kFloat, {2, 3}, [](int64_t i) { return i * 0.5f - 1; });
  expect_values<double>(read_npy(kDir + "float64.npy"), DataType::kDouble, {2, 3}, [](int64_t i) { return i * 0.25; });
  expect_values<half>(read_npy(kDir + "float16.npy"), DataType::kFloat16, {2, 3}, [](int64_t i) { return half(i * 0.5f); });
  expect_values<int8_t>(read_npy(kDir + "int8.npy"), DataType::kInt8, {2, 3}, [](int64_t i) { return int8_t(i - 3); });
  expect_values<uint8_t>(read_npy(kDir + "uint8.npy"), DataType::kUint8, {2, 3}, [](int64_t i) { return uint8_t(i + 250); });
  expect_values<int16_t>(read_npy(kDir + "int16.npy"), DataType::kInt16, {2, 3}, [](int64_t i) { return int16_t(i * -1000); });
  expect_values<uint16_t>(read_npy(kDir + "uint16.npy"), DataType::kUint16, {2, 3}, [](int64_t i) { return uint16_t(i * 1000); });
  expect_values<int32_t>(read_npy(kDir + "int32.npy"), DataType::kInt32, {2, 3}, [](int64_t i) { return int32_t(i - 3); });
  expect_values<uint32_t>(read_npy(kDir + "uint32.npy"), DataType::kUint32, {2, 3}, [](int64_t i) { return uint32_t(i * 100000); });
  expect_values<int64_t>(read_npy(kDir + "int64.npy"), DataType::kInt64, {2, 3}, [](int64_t i) { return i * -1000000000000; });
  expect_values<uint64_t>(read_npy(kDir + "uint64.npy"), DataType::kUint64, {2, 3}, [](int64_t i) { return uint64_t(i) * 1000000000000; });
  expect_values<bool>(read_npy(kDir + "bool.npy"), DataType::kBool, {2, 3}, [](int64_t i) { return i % 2 == 0; });
  expect_values<std::complex<float>>(read_npy(kDir + "complex64.npy"), DataType::kComplex64, {2, 3},
                                     [](int64_t i) { return std::complex<float>(i, i); });
  expect_values<double>(read_npy(kDir + "scalar_float64.npy"), DataType::kDouble, {}, [](int64_t) { return 3.5; });
  const HostTensor empty = read_npy(kDir + "empty_float32.npy");
  EXPECT_EQ(empty.describe(), "float32[0, 3]");
}

TEST(Npy, ReadsBigEndianAndFortranOrder) {
  expect_values<int32_t>(read_npy(kDir + "big_endian_int32.npy"), DataType::kInt32, {2, 3}, [](int64_t i) { return int32_t(i - 3); });
  expect_values<double>(read_npy(kDir + "big_endian_float64.npy"), DataType::kDouble, {2, 3}, [](int64_t i) { return i * 0.25; });
  expect_values<std::complex<float>>(read_npy(kDir + "big_endian_complex64.npy"), DataType::kComplex64, {2, 3},
                                     [](int64_t i) { return std::complex<float>(i, i); });
  // np.asfortranarray(arange(24).reshape(2, 3, 4) - 3): C-order values are i - 3.
  expect_values<int32_t>(read_npy(kDir + "fortran_int32.npy"), DataType::kInt32, {2, 3, 4}, [](int64_t i) { return int32_t(i - 3); });
}

TEST(Npy, ReadsStrings) {
  const HostTensor u = read_npy(kDir + "unicode.npy");
  ASSERT_EQ(u.describe(), "string[4]");
  EXPECT_EQ(u.strings(), (std::vector<std::string>{"a", "h\xC3\xA9llo", "", "\xF0\x9F\x98\x80"}));
  const HostTensor b = read_npy(kDir + "bytes.npy");
  EXPECT_EQ(b.strings(), (std::vector<std::string>{"ab", "c", ""}));
}

// Little-endian C-order arrays encode to exactly the bytes numpy wrote. (Strings are
// written as 'U' when they are UTF-8, so numpy's 'S' arrays come back as 'U'.)
TEST(Npy, WritesWhatNumpyWrites) {
  for (const char* name : {"float32", "float64", "float16", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64",
                           "uint64", "bool", "complex64", "scalar_float64", "empty_float32", "unicode"}) {
    const std::string path = kDir + name + ".npy";
    EXPECT_EQ(encode_npy(read_npy(path)), slurp(path)) << name;
  }
}

TEST(Npy, RoundTripsThroughFiles) {
  const std::string dir = testing::make_temp_dir("npy_roundtrip");
  HostTensor f(DataType::kFloat, {3, 1, 2});
  for (int i = 0; i < 6; ++i) f.mutable_data<float>()[i] = i * 1.5f - 2;
  HostTensor s(DataType::kString, {2});
  s.mutable_strings() = {"not utf-8 \xFF", "x"};  // falls back to numpy bytes ('S')
  HostTensor big(DataType::kInt64, Dims(20, 1));
  for (const HostTensor& t : {f, s, big}) {
    write_npy(dir + "/t.npy", t);
    EXPECT_TRUE(same(read_npy(dir + "/t.npy"), t)) << t.describe();
  }
  // A header that needs format version 2.0 (over 64 KiB): thousands of dims.
  HostTensor wide(DataType::kUint8, Dims(30000, 1));
  const std::string bytes = encode_npy(wide);
  EXPECT_EQ(bytes[6], 2);
  EXPECT_EQ((bytes.size() - 1) % 64, 0u);  // data (1 byte) starts 64-byte aligned
  EXPECT_TRUE(same(parse_npy(bytes, "wide"), wide));
}

TEST(Npy, RefusesTypesNumpyLacks) {
  HostTensor bf(DataType::kBfloat16, {2});
  EXPECT_FALSE(npy_supports(DataType::kBfloat16));
  try {
    encode_npy(bf);
    FAIL() << "bfloat16 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bfloat16"), std::string::npos) << e.what();
  }
}

TEST(Npy, RejectsBadFiles) {
  auto message = [](const std::string& bytes) -> std::string {
    try {
      parse_npy(bytes, "bad.npy");
    } catch (const Error& e) {
      return e.what();
    }
    return "accepted";
  };
  const std::string good = slurp(kDir + "float32.npy");
  EXPECT_NE(message("hello world").find("not a .npy file"), std::string::npos);
  EXPECT_NE(message(good.substr(0, good.size() - 1)).find("truncated"), std::string::npos);
  EXPECT_NE(message(good.substr(0, 40)).find("truncated .npy header"), std::string::npos);
  std::string other = good;
  other.replace(other.find("<f4"), 3, "<V4");
  EXPECT_NE(message(other).find("'<V4' is not supported"), std::string::npos) << message(other);
  std::string zero = good;
  zero.replace(zero.find("<f4"), 3, "<U0");
  EXPECT_NE(message(zero).find("zero-size"), std::string::npos) << message(zero);
  std::string structured = good;
  structured.replace(structured.find("'<f4'"), 5, "[('a',");
  EXPECT_NE(message(structured).find("structured"), std::string::npos) << message(structured);
  std::string bad_shape = good;
  bad_shape.replace(bad_shape.find("(2, 3)"), 6, "(2, -3)");
  EXPECT_NE(message(bad_shape).find("bad .npy header"), std::string::npos) << message(bad_shape);
  EXPECT_THROW(read_npy("testdata/reference/numpy/none.npy"), Error);
}

TEST(Npz, ReadsStoredAndCompressed) {
  for (const char* name : {"stored.npz", "compressed.npz"}) {
    std::vector<NpzEntry> entries = read_npz(kDir + name);
    ASSERT_EQ(entries.size(), 2u) << name;
    EXPECT_EQ(entries[0].first, "x");
    expect_values<float>(entries[0].second, DataType::kFloat, {2, 3}, [](int64_t i) { return i * 0.5f - 1; });
    EXPECT_EQ(entries[1].first, "ids");
    expect_values<int64_t>(entries[1].second, DataType::kInt64, {4}, [](int64_t i) { return i; });
  }
  std::vector<NpzEntry> positional = read_npz(kDir + "positional.npz");
  ASSERT_EQ(positional.size(), 2u);
  EXPECT_EQ(positional[0].first, "arr_0");
  EXPECT_EQ(positional[1].first, "arr_1");
}

TEST(Npz, RoundTripsAndChecksCrc) {
  const std::string dir = testing::make_temp_dir("npz_roundtrip");
  HostTensor a(DataType::kFloat, {2, 2});
  for (int i = 0; i < 4; ++i) a.mutable_data<float>()[i] = i;
  HostTensor b(DataType::kString, {1});
  b.mutable_strings()[0] = "hi";
  write_npz(dir + "/t.npz", {{"a", a}, {"in/b:0", b}});
  std::vector<NpzEntry> back = read_npz(dir + "/t.npz");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].first, "a");
  EXPECT_TRUE(same(back[0].second, a));
  EXPECT_EQ(back[1].first, "in/b:0");
  EXPECT_TRUE(same(back[1].second, b));

  std::string bytes = slurp(kDir + "stored.npz");
  std::string corrupt = bytes;
  corrupt[corrupt.find("NUMPY") + 100] ^= 1;  // inside x.npy: the CRC no longer matches
  spit(dir + "/corrupt.npz", corrupt);
  EXPECT_THROW(read_npz(dir + "/corrupt.npz"), Error);
  spit(dir + "/truncated.npz", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(read_npz(dir + "/truncated.npz"), Error);
  std::string deflated = slurp(kDir + "compressed.npz");
  deflated[60] ^= 0x55;  // inside the first entry's deflate stream
  spit(dir + "/bad_deflate.npz", deflated);
  EXPECT_THROW(read_npz(dir + "/bad_deflate.npz"), Error);
}

// Cut and flipped files: an Error or a value, never a crash (run under --config=asan too).
TEST(Npy, SurvivesCorruptFiles) {
  const std::string dir = testing::make_temp_dir("npy_corrupt");
  uint64_t rng = 12345;
  auto next = [&] { return (rng = rng * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  for (const char* name : {"float32.npy", "unicode.npy", "fortran_int32.npy", "big_endian_complex64.npy", "stored.npz",
                           "compressed.npz"}) {
    const std::string bytes = slurp(kDir + name);
    const bool npz = std::string(name).ends_with(".npz");
    for (int k = 0; k < 300; ++k) {
      std::string b = k < 100 ? bytes.substr(0, k * bytes.size() / 100) : bytes;
      if (k >= 100) {
        for (int f = 0; f < 1 + k % 4; ++f) b[next() % b.size()] ^= static_cast<char>(1 + next() % 255);
      }
      try {
        if (npz) {
          spit(dir + "/t.npz", b);
          read_npz(dir + "/t.npz");
        } else {
          parse_npy(b, name);
        }
      } catch (const Error&) {
      }
    }
  }
}

// ---------------------------------------------------------------- inputs from files

std::vector<TensorPtr> graph_inputs() {
  std::vector<TensorPtr> in = {
      Tensor::variable("x", DataType::kFloat, Shape::of({2, 3})),
      Tensor::variable("in/ids:0", DataType::kInt64, Shape::of({4})),
  };
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kFloat;
  data->dims = {1};
  data->bytes = Bytes::copy_of("\0\0\0\0", 4);
  in.push_back(Tensor::constant("w", data));  // has an initializer: optional
  return in;
}

std::string message_of(const std::string& path, const std::vector<TensorPtr>& inputs) {
  try {
    read_inputs(path, inputs);
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

TEST(ReadInputs, NpzByNameAndByPosition) {
  const auto inputs = graph_inputs();
  const std::string dir = testing::make_temp_dir("read_inputs_npz");
  HostTensor ids(DataType::kInt64, {4});
  write_npz(dir + "/named.npz", {{"x", read_npy(kDir + "float32.npy")}, {"in_ids_0", ids}});  // sanitized name works
  std::vector<LoadedInput> got = read_inputs(dir + "/named.npz", inputs);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "x");
  EXPECT_EQ(got[1].name, "in/ids:0");
  EXPECT_EQ(got[1].source, dir + "/named.npz[in_ids_0]");

  got = read_inputs(kDir + "positional.npz", inputs);  // np.savez(x, ids): arr_0, arr_1
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "x");
  EXPECT_EQ(got[1].name, "in/ids:0");

  write_npz(dir + "/unknown.npz", {{"y", ids}});
  EXPECT_NE(message_of(dir + "/unknown.npz", inputs).find("'y' is not an input of the model (inputs: x, in/ids:0, w)"),
            std::string::npos)
      << message_of(dir + "/unknown.npz", inputs);
}

TEST(ReadInputs, FolderOfNpyAndPb) {
  const auto inputs = graph_inputs();
  const std::string dir = testing::make_temp_dir("read_inputs_dir");
  write_npy(dir + "/x.npy", read_npy(kDir + "float32.npy"));
  HostTensor ids(DataType::kInt64, {4});
  write_tensor_pb(dir + "/input_1.pb", ids, "in/ids:0");  // ONNX test data naming
  spit(dir + "/notes.txt", "ignored");
  std::vector<LoadedInput> got = read_inputs(dir, inputs);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "x");  // in graph-input order
  EXPECT_EQ(got[0].source, dir + "/x.npy");
  EXPECT_EQ(got[1].name, "in/ids:0");
  EXPECT_EQ(got[1].value.describe(), "int64[4]");

  write_npy(dir + "/in_ids_0.npy", ids);  // a second value for the same input
  EXPECT_NE(message_of(dir, inputs).find("is given twice"), std::string::npos) << message_of(dir, inputs);
  fs::remove(dir + "/in_ids_0.npy");
  write_npy(dir + "/extra.npy", ids);
  EXPECT_NE(message_of(dir, inputs).find("extra.npy: 'extra' is not an input"), std::string::npos) << message_of(dir, inputs);

  const std::string empty = testing::make_temp_dir("read_inputs_empty");
  EXPECT_NE(message_of(empty, inputs).find("no .npy or .pb files"), std::string::npos);
  EXPECT_NE(message_of(empty + "/missing.npy", inputs).find("no such file"), std::string::npos);
}

TEST(ReadInputs, SingleFileForTheOnlyInput) {
  std::vector<TensorPtr> one = {Tensor::variable("images", DataType::kFloat, Shape::of({2, 3}))};
  std::vector<LoadedInput> got = read_inputs(kDir + "float32.npy", one);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name, "images");
  // With two inputs the stem must name one.
  EXPECT_NE(message_of(kDir + "float32.npy", graph_inputs()).find("'float32' is not an input"), std::string::npos);
}

TEST(TensorIo, SanitizesFileNames) {
  EXPECT_EQ(sanitize_file_name("input/x:0"), "input_x_0");
  EXPECT_EQ(sanitize_file_name("softmax_0.tmp_0"), "softmax_0.tmp_0");
  EXPECT_EQ(sanitize_file_name(""), "_");
  EXPECT_EQ(sanitize_file_name(".."), "_");
  EXPECT_EQ(sanitize_file_name("a b\\c"), "a_b_c");
}

TEST(TensorIo, WritesValuesAsPb) {
  const std::string dir = testing::make_temp_dir("value_pb");
  HostTensor t(DataType::kInt32, {2});
  t.mutable_data<int32_t>()[1] = 7;
  write_value_pb(dir + "/t.pb", cpu::Value::of(t), "t");
  EXPECT_TRUE(same(read_tensor_pb(dir + "/t.pb"), t));
  ValueType seq;
  seq.kind = ValueType::Kind::kSequence;
  seq.inner = std::make_shared<ValueType>(ValueType::tensor(DataType::kInt32, Shape()));
  write_value_pb(dir + "/s.pb", cpu::Value::of_sequence({t, t}, DataType::kInt32), "s");
  const cpu::Value back = read_value_pb(dir + "/s.pb", seq);
  ASSERT_TRUE(back.is_sequence());
  ASSERT_EQ(back.sequence.size(), 2u);
  EXPECT_TRUE(same(back.sequence[1], t));
}

}  // namespace
}  // namespace graft::engine
