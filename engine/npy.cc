#include "engine/npy.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "importer/files.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

// ---------------------------------------------------------------- .npy dtypes

struct NpyType {
  DataType dtype = DataType::kUndefined;
  char kind = 0;         // numpy kind: b i u f c U S
  size_t itemsize = 0;   // bytes per element in the file
  bool big_endian = false;
};

std::optional<NpyType> parse_descr(const std::string& descr) {
  if (descr.size() < 3) return std::nullopt;
  NpyType t;
  const char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') return std::nullopt;
  t.big_endian = order == '>';
  t.kind = descr[1];
  size_t size = 0;
  for (size_t i = 2; i < descr.size(); ++i) {
    if (descr[i] < '0' || descr[i] > '9' || size > 100000000) return std::nullopt;
    size = size * 10 + (descr[i] - '0');
  }
  t.itemsize = size;
  switch (t.kind) {
    case 'b': t.dtype = size == 1 ? DataType::kBool : DataType::kUndefined; break;
    case 'i':
      t.dtype = size == 1 ? DataType::kInt8 : size == 2 ? DataType::kInt16 : size == 4 ? DataType::kInt32
              : size == 8 ? DataType::kInt64 : DataType::kUndefined;
      break;
    case 'u':
      t.dtype = size == 1 ? DataType::kUint8 : size == 2 ? DataType::kUint16 : size == 4 ? DataType::kUint32
              : size == 8 ? DataType::kUint64 : DataType::kUndefined;
      break;
    case 'f':
      t.dtype = size == 2 ? DataType::kFloat16 : size == 4 ? DataType::kFloat : size == 8 ? DataType::kDouble
              : DataType::kUndefined;
      break;
    case 'c': t.dtype = size == 8 ? DataType::kComplex64 : size == 16 ? DataType::kComplex128 : DataType::kUndefined; break;
    case 'U':
      t.dtype = DataType::kString;
      t.itemsize = size * 4;
      break;
    case 'S': t.dtype = DataType::kString; break;
    default: return std::nullopt;
  }
  if (t.dtype == DataType::kUndefined) return std::nullopt;
  return t;
}

std::string descr_of(DataType dtype) {
  switch (dtype) {
    case DataType::kBool: return "|b1";
    case DataType::kInt8: return "|i1";
    case DataType::kUint8: return "|u1";
    case DataType::kInt16: return "<i2";
    case DataType::kUint16: return "<u2";
    case DataType::kInt32: return "<i4";
    case DataType::kUint32: return "<u4";
    case DataType::kInt64: return "<i8";
    case DataType::kUint64: return "<u8";
    case DataType::kFloat16: return "<f2";
    case DataType::kFloat: return "<f4";
    case DataType::kDouble: return "<f8";
    case DataType::kComplex64: return "<c8";
    case DataType::kComplex128: return "<c16";
    default: return "";
  }
}

// ---------------------------------------------------------------- header dict

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& source) : s_(text), source_(source) {}

  void parse(std::string& descr, bool& fortran, cpu::Dims& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        skip_space();
        if (peek() != '\'' && peek() != '"') fail("'descr' is not a plain type (structured arrays are not supported)");
        descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        have_order = true;
      } else if (key == "shape") {
        shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != '}') fail("expected ',' or '}'");
    }
    if (!have_descr || !have_order || !have_shape) fail("needs 'descr', 'fortran_order' and 'shape'");
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  [[noreturn]] void fail(const std::string& why) const { throw Error(source_ + ": bad .npy header: " + why); }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    const size_t end = s_.find(q, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_space();
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("expected True or False");
  }
  cpu::Dims tuple() {
    expect('(');
    cpu::Dims dims;
    while (true) {
      skip_space();
      if (peek() == ')') {
        ++pos_;
        return dims;
      }
      int64_t v = 0;
      size_t digits = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (INT64_MAX - 9) / 10) fail("dimension too large");
        v = v * 10 + (s_[pos_++] - '0');
        ++digits;
      }
      if (!digits) fail("expected a dimension");
      if (peek() == 'L') ++pos_;  // Python 2 longs
      dims.push_back(v);
      skip_space();
      if (peek() == ',') ++pos_;
      else if (peek() != ')') fail("expected ',' or ')' in 'shape'");
    }
  }

  std::string_view s_;
  const std::string& source_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------- UTF-8 / UTF-32

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Decodes UTF-8 into code points; std::nullopt if the bytes are not valid UTF-8.
std::optional<std::vector<uint32_t>> utf8_to_utf32(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<uint8_t>(s[i]);
    int n = b < 0x80 ? 0 : (b & 0xE0) == 0xC0 ? 1 : (b & 0xF0) == 0xE0 ? 2 : (b & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0 || i + n >= s.size()) return std::nullopt;
    uint32_t c = n == 0 ? b : n == 1 ? (b & 0x1F) : n == 2 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k <= n; ++k) {
      const auto cb = static_cast<uint8_t>(s[i + k]);
      if ((cb & 0xC0) != 0x80) return std::nullopt;
      c = (c << 6) | (cb & 0x3F);
    }
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return std::nullopt;
    if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000)) return std::nullopt;
    out.push_back(c);
    i += n + 1;
  }
  return out;
}

uint32_t load_u32(const uint8_t* p, bool big_endian) {
  return big_endian ? (uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3])
                    : (uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]);
}

// Index in a Fortran-ordered buffer of the element at C-order index `c`.
int64_t fortran_index(int64_t c, const cpu::Dims& dims) {
  int64_t f = 0, stride = 1;
  std::vector<int64_t> idx(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    idx[d] = c % dims[d];
    c /= dims[d];
  }
  for (size_t d = 0; d < dims.size(); ++d) {
    f += idx[d] * stride;
    stride *= dims[d];
  }
  return f;
}

// ---------------------------------------------------------------- little-endian writing

void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}
void put32(std::string& out, uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
uint32_t get32(const uint8_t* p) { return load_u32(p, false); }
uint64_t get64(const uint8_t* p) { return uint64_t(get32(p)) | uint64_t(get32(p + 4)) << 32; }

}  // namespace

bool npy_supports(DataType dtype) { return dtype == DataType::kString || !descr_of(dtype).empty(); }

cpu::HostTensor parse_npy(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 10 || bytes.substr(0, kMagicSize) != std::string_view(kMagic, kMagicSize)) {
    throw Error(source + ": not a .npy file (no \\x93NUMPY magic)");
  }
  const auto* u = reinterpret_cast<const uint8_t*>(bytes.data());
  const int major = u[6];
  size_t header_len, header_start;
  if (major == 1) {
    header_len = get16(u + 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(source + ": truncated .npy header");
    header_len = get32(u + 8);
    header_start = 12;
  } else {
    throw Error(source + ": unsupported .npy format version " + std::to_string(major) + "." + std::to_string(u[7]));
  }
  if (header_start + header_len > bytes.size()) throw Error(source + ": truncated .npy header");
  std::string descr;
  bool fortran = false;
  cpu::Dims dims;
  HeaderParser(bytes.substr(header_start, header_len), source).parse(descr, fortran, dims);
  const std::optional<NpyType> type = parse_descr(descr);
  if (!type) {
    throw Error(source + ": numpy type '" + descr + "' is not supported (bool, ints, floats, complex and strings are)");
  }
  const int64_t n = cpu::num_elements(dims);
  const std::string_view data = bytes.substr(header_start + header_len);
  if (type->itemsize == 0) throw Error(source + ": numpy type '" + descr + "' has zero-size elements");
  if (static_cast<uint64_t>(n) > data.size() / type->itemsize) {
    throw Error(source + ": truncated: " + descr + cpu::dims_str(dims) + " needs " +
                std::to_string(static_cast<uint64_t>(n) * type->itemsize) + " bytes of data, the file has " +
                std::to_string(data.size()));
  }
  const auto* src = reinterpret_cast<const uint8_t*>(data.data());
  const size_t w = type->itemsize;
  auto src_of = [&](int64_t i) { return src + (fortran ? fortran_index(i, dims) : i) * w; };

  cpu::HostTensor t(type->dtype, dims);
  if (type->dtype == DataType::kString) {
    std::vector<std::string>& out = t.mutable_strings();
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* p = src_of(i);
      std::string s;
      if (type->kind == 'U') {
        for (size_t k = 0; k < w / 4; ++k) {
          const uint32_t c = load_u32(p + 4 * k, type->big_endian);
          if (c == 0) break;
          if (c > 0x10FFFF) throw Error(source + ": invalid code point in a numpy 'U' string");
          append_utf8(s, c);
        }
      } else {
        size_t len = w;
        while (len > 0 && p[len - 1] == 0) --len;
        s.assign(reinterpret_cast<const char*>(p), len);
      }
      out[i] = std::move(s);
    }
    return t;
  }
  // Complex numbers swap bytes within each of their two halves.
  const size_t swap_unit = type->kind == 'c' ? w / 2 : w;
  const bool swap = type->big_endian && swap_unit > 1;
  uint8_t* dst = t.mutable_raw();
  if (!fortran && !swap) {
    if (n) std::memcpy(dst, src, n * w);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* p = src_of(i);
      uint8_t* q = dst + i * w;
      if (swap) {
        for (size_t h = 0; h < w; h += swap_unit) std::reverse_copy(p + h, p + h + swap_unit, q + h);
      } else {
        std::memcpy(q, p, w);
      }
    }
  }
  if (type->dtype == DataType::kBool) {
    for (int64_t i = 0; i < n; ++i) dst[i] = dst[i] != 0;
  }
  return t;
}

cpu::HostTensor read_npy(const std::string& path) {
  const Bytes bytes = importer::map_file(path);
  return parse_npy(bytes.view(), path);
}

std::string encode_npy(const cpu::HostTensor& t) {
  std::string descr = descr_of(t.dtype());
  size_t str_chars = 0;  // 'U': code points per element; 'S': bytes per element
  std::vector<std::vector<uint32_t>> utf32;
  if (t.dtype() == DataType::kString) {
    bool unicode = true;
    for (const std::string& s : t.strings()) {
      auto cps = utf8_to_utf32(s);
      if (!cps) {
        unicode = false;
        break;
      }
      utf32.push_back(std::move(*cps));
    }
    if (unicode) {
      for (const auto& cps : utf32) str_chars = std::max(str_chars, cps.size());
      str_chars = std::max<size_t>(str_chars, 1);
      descr = "<U" + std::to_string(str_chars);
    } else {
      utf32.clear();
      for (const std::string& s : t.strings()) str_chars = std::max(str_chars, s.size());
      str_chars = std::max<size_t>(str_chars, 1);
      descr = "|S" + std::to_string(str_chars);
    }
  }
  if (descr.empty()) {
    throw Error("numpy has no " + dtype_name(t.dtype()) + " type: cannot write it as .npy (use .pb)");
  }
  std::string shape = "(";
  for (size_t i = 0; i < t.rank(); ++i) shape += std::to_string(t.dim(i)) + (t.rank() == 1 ? "," : i + 1 < t.rank() ? ", " : "");
  shape += ")";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces and end with '\n' so that the data starts 64-byte aligned, as numpy does.
  size_t prefix = kMagicSize + 2 + 2;
  if ((prefix + header.size() + 1 + 63) / 64 * 64 - prefix > 0xFFFF) prefix = kMagicSize + 2 + 4;
  const size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';

  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(prefix == 10 ? 1 : 2);
  out += '\0';
  if (prefix == 10) {
    put16(out, static_cast<uint16_t>(header.size()));
  } else {
    put32(out, static_cast<uint32_t>(header.size()));
  }
  out += header;
  if (t.dtype() == DataType::kString) {
    const int64_t n = t.numel();
    if (descr[1] == 'U') {
      std::string cell(str_chars * 4, '\0');
      for (int64_t i = 0; i < n; ++i) {
        std::fill(cell.begin(), cell.end(), '\0');
        for (size_t k = 0; k < utf32[i].size(); ++k) {
          const uint32_t c = utf32[i][k];
          for (int b = 0; b < 4; ++b) cell[4 * k + b] = static_cast<char>((c >> (8 * b)) & 0xFF);
        }
        out += cell;
      }
    } else {
      for (int64_t i = 0; i < n; ++i) {
        std::string cell = t.strings()[i];
        cell.resize(str_chars, '\0');
        out += cell;
      }
    }
    return out;
  }
  out.append(reinterpret_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

void write_npy(const std::string& path, const cpu::HostTensor& t) {
  const std::string bytes = encode_npy(t);
  importer::AtomicFile out(path);
  out.write(bytes.data(), bytes.size());
  out.commit();
}

// ---------------------------------------------------------------- .npz (zip)

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;

std::string inflate_raw(const uint8_t* data, uint64_t size, uint64_t out_size, const std::string& what) {
  std::string out(out_size, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw Error(what + ": cannot start inflating");
  zs.next_in = const_cast<Bytef*>(data);
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  uint64_t in_left = size, out_left = out_size;
  int rc = Z_OK;
  while (rc == Z_OK) {
    const uInt in_chunk = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
    const uInt out_chunk = static_cast<uInt>(std::min<uint64_t>(out_left, 1u << 30));
    zs.avail_in = in_chunk;
    zs.avail_out = out_chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    in_left -= in_chunk - zs.avail_in;
    out_left -= out_chunk - zs.avail_out;
    if (rc == Z_BUF_ERROR && (in_left == 0 || out_left == 0)) break;
    if (rc == Z_OK && in_chunk == zs.avail_in && out_chunk == zs.avail_out) break;  // no progress
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || out_left != 0) throw Error(what + ": corrupt deflate data");
  return out;
}

uint32_t crc_of(const void* data, uint64_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (size > 0) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(size, 1u << 30));
    crc = crc32(crc, p, chunk);
    p += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

std::vector<NpzEntry> read_npz(const std::string& path) {
  const Bytes file = importer::map_file(path);
  const uint8_t* z = file.data();
  const uint64_t size = file.size();
  auto bad = [&](const std::string& why) -> Error { return Error(path + ": not a valid .npz (zip) file: " + why); };
  auto need = [&](uint64_t off, uint64_t len) {
    if (off > size || len > size - off) throw bad("truncated");
  };
  // End of central directory: the last 22..65557 bytes.
  if (size < 22) throw bad("too short");
  uint64_t eocd = UINT64_MAX;
  for (uint64_t p = size - 22 + 1; p-- > (size > 65557 ? size - 65557 : 0);) {
    if (get32(z + p) == kEndSig) {
      eocd = p;
      break;
    }
  }
  if (eocd == UINT64_MAX) throw bad("no end-of-central-directory record");
  uint64_t entries = get16(z + eocd + 10);
  uint64_t cd_size = get32(z + eocd + 12);
  uint64_t cd_offset = get32(z + eocd + 16);
  if (eocd >= 20 && get32(z + eocd - 20) == kZip64LocatorSig) {
    const uint64_t z64 = get64(z + eocd - 20 + 8);
    need(z64, 56);
    if (get32(z + z64) != kZip64EndSig) throw bad("bad zip64 end record");
    entries = get64(z + z64 + 32);
    cd_size = get64(z + z64 + 40);
    cd_offset = get64(z + z64 + 48);
  }
  need(cd_offset, cd_size);

  std::vector<NpzEntry> out;
  uint64_t p = cd_offset;
  for (uint64_t e = 0; e < entries; ++e) {
    need(p, 46);
    if (get32(z + p) != kCentralSig) throw bad("bad central directory entry");
    const uint16_t flags = get16(z + p + 8);
    const uint16_t method = get16(z + p + 10);
    const uint32_t crc = get32(z + p + 16);
    uint64_t csize = get32(z + p + 20);
    uint64_t usize = get32(z + p + 24);
    const uint16_t name_len = get16(z + p + 28), extra_len = get16(z + p + 30), comment_len = get16(z + p + 32);
    uint64_t local = get32(z + p + 42);
    need(p + 46, uint64_t(name_len) + extra_len + comment_len);
    std::string name(reinterpret_cast<const char*>(z + p + 46), name_len);
    // zip64 extended information: the 8-byte values of the fields that are 0xFFFFFFFF.
    for (uint64_t x = p + 46 + name_len; x + 4 <= p + 46 + name_len + extra_len;) {
      const uint16_t id = get16(z + x), len = get16(z + x + 2);
      if (x + 4 + len > p + 46 + name_len + extra_len) break;
      if (id == 0x0001) {
        uint64_t q = x + 4;
        auto take = [&](uint64_t& field) {
          if (field == 0xFFFFFFFFu && q + 8 <= x + 4 + len) {
            field = get64(z + q);
            q += 8;
          }
        };
        take(usize);
        take(csize);
        take(local);
      }
      x += 4 + len;
    }
    p += 46 + uint64_t(name_len) + extra_len + comment_len;
    const std::string what = path + " entry '" + name + "'";
    if (flags & 1) throw Error(what + ": encrypted entries are not supported");
    need(local, 30);
    if (get32(z + local) != kLocalSig) throw bad("bad local header for '" + name + "'");
    const uint64_t data = local + 30 + get16(z + local + 26) + get16(z + local + 28);
    need(data, csize);
    std::string inflated;
    std::string_view bytes;
    if (method == 0) {
      if (csize != usize) throw bad("stored entry '" + name + "' has different sizes");
      bytes = std::string_view(reinterpret_cast<const char*>(z + data), usize);
    } else if (method == 8) {
      // Deflate expands at most about 1032:1; a larger claim is a corrupt header.
      if (usize / 1032 > csize + 1) throw bad("entry '" + name + "' claims an impossible size");
      inflated = inflate_raw(z + data, csize, usize, what);
      bytes = inflated;
    } else {
      throw Error(what + ": compression method " + std::to_string(method) +
                  " is not supported (stored and deflate are)");
    }
    if (crc_of(bytes.data(), bytes.size()) != crc) throw Error(what + ": CRC mismatch (corrupt file)");
    if (!name.empty() && name.back() == '/') continue;  // a folder
    std::string key = name;
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    out.emplace_back(key, parse_npy(bytes, what));
  }
  return out;
}

void write_npz(const std::string& path, const std::vector<NpzEntry>& arrays) {
  std::string central;
  importer::AtomicFile out(path);
  uint64_t offset = 0;
  for (const auto& [key, tensor] : arrays) {
    const std::string name = key + ".npy";
    const std::string data = encode_npy(tensor);
    if (offset + data.size() + name.size() + 30 > 0xFFFFFFFFu || name.size() > 0xFFFF) {
      throw Error(path + ": too large for a plain zip (write .npy files instead)");
    }
    const uint32_t crc = crc_of(data.data(), data.size());
    std::string local;
    put32(local, kLocalSig);
    put16(local, 20);  // version needed
    put16(local, 0);   // flags
    put16(local, 0);   // stored
    put16(local, 0);   // time
    put16(local, 0x21);  // date: 1980-01-01
    put32(local, crc);
    put32(local, static_cast<uint32_t>(data.size()));
    put32(local, static_cast<uint32_t>(data.size()));
    put16(local, static_cast<uint16_t>(name.size()));
    put16(local, 0);
    local += name;
    std::string entry;
    put32(entry, kCentralSig);
    put16(entry, 20);  // made by
    put16(entry, 20);  // needed
    put16(entry, 0);
    put16(entry, 0);
    put16(entry, 0);
    put16(entry, 0x21);
    put32(entry, crc);
    put32(entry, static_cast<uint32_t>(data.size()));
    put32(entry, static_cast<uint32_t>(data.size()));
    put16(entry, static_cast<uint16_t>(name.size()));
    put16(entry, 0);  // extra
    put16(entry, 0);  // comment
    put16(entry, 0);  // disk
    put16(entry, 0);  // internal attributes
    put32(entry, 0);  // external attributes
    put32(entry, static_cast<uint32_t>(offset));
    entry += name;
    central += entry;
    out.write(local.data(), local.size());
    out.write(data.data(), data.size());
    offset += local.size() + data.size();
  }
  if (arrays.size() > 0xFFFF || offset > 0xFFFFFFFFu) throw Error(path + ": too large for a plain zip");
  std::string end;
  put32(end, kEndSig);
  put16(end, 0);
  put16(end, 0);
  put16(end, static_cast<uint16_t>(arrays.size()));
  put16(end, static_cast<uint16_t>(arrays.size()));
  put32(end, static_cast<uint32_t>(central.size()));
  put32(end, static_cast<uint32_t>(offset));
  put16(end, 0);
  out.write(central.data(), central.size());
  out.write(end.data(), end.size());
  out.commit();
}

}  // namespace graft::engine
