#include "engine/plan_file.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "importer/files.h"
#include "importer/onnx_model.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

constexpr char kMagic[8] = {'G', 'R', 'A', 'F', 'T', 'P', 'L', 'N'};

uint64_t fnv1a(const char* data, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<uint8_t>(data[i])) * 1099511628211ull;
  return h;
}

class Writer {
 public:
  template <typename T>
  void pod(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    out_ += s;
  }
  void dims(const cpu::Dims& d) {
    pod<uint32_t>(d.size());
    for (int64_t x : d) pod<int64_t>(x);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(const char* data, size_t size, std::string source) : p_(data), end_(data + size), source_(std::move(source)) {}
  template <typename T>
  T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return v;
  }
  std::string str() {
    const uint64_t n = pod<uint64_t>();
    need(n);
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  cpu::Dims dims() {
    const uint32_t n = pod<uint32_t>();
    if (n > 64) fail("a shape of rank " + std::to_string(n));
    cpu::Dims d(n);
    for (int64_t& x : d) x = pod<int64_t>();
    return d;
  }
  size_t count(size_t limit, const std::string& what) {
    const uint32_t n = pod<uint32_t>();
    if (n > limit) fail(std::to_string(n) + " " + what);
    return n;
  }
  const char* here() const { return p_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(source_ + ": not a valid graft plan (" + what + "); rebuild it with graft build");
  }

 private:
  void need(uint64_t n) const {
    if (n > left()) fail("truncated");
  }
  const char* p_;
  const char* end_;
  std::string source_;
};

void write_header(Writer& w, const PlanTarget& t) {
  w.str(t.graft_version);
  w.pod<uint8_t>(static_cast<uint8_t>(t.device));
  w.str(t.gpu_name);
  w.pod<int32_t>(t.compute_capability);
  w.pod<int32_t>(t.cuda_runtime);
  w.pod<uint64_t>(t.cudnn);
  w.pod<uint64_t>(t.cublaslt);
}

PlanTarget read_header(Reader& r) {
  PlanTarget t;
  t.graft_version = r.str();
  const uint8_t device = r.pod<uint8_t>();
  if (device > static_cast<uint8_t>(Device::kCuda)) r.fail("unknown device " + std::to_string(device));
  t.device = static_cast<Device>(device);
  t.gpu_name = r.str();
  t.compute_capability = r.pod<int32_t>();
  t.cuda_runtime = r.pod<int32_t>();
  t.cudnn = r.pod<uint64_t>();
  t.cublaslt = r.pod<uint64_t>();
  return t;
}

void write_shape_map(Writer& w, const std::map<std::string, cpu::Dims>& m) {
  w.pod<uint32_t>(m.size());
  for (const auto& [name, d] : m) {
    w.str(name);
    w.dims(d);
  }
}

std::map<std::string, cpu::Dims> read_shape_map(Reader& r) {
  std::map<std::string, cpu::Dims> m;
  const size_t n = r.count(1 << 16, "profile entries");
  for (size_t i = 0; i < n; ++i) {
    std::string name = r.str();
    m[name] = r.dims();
  }
  return m;
}

std::string body_of(const Network& net) {
  Writer w;
  w.pod<uint8_t>(static_cast<uint8_t>(net.precision));
  w.str(importer::model_to_bytes(net.model));
  w.pod<uint32_t>(net.host_nodes.size());
  for (size_t i : net.host_nodes) w.pod<uint32_t>(i);
  w.pod<uint32_t>(net.layers.size());
  for (const LayerRecord& l : net.layers) {
    w.pod<uint32_t>(l.nodes.size());
    for (size_t i : l.nodes) w.pod<uint32_t>(i);
    w.pod<uint8_t>(static_cast<uint8_t>(l.precision));
    w.str(l.tactic);
  }
  w.pod<uint32_t>(net.profiles.size());
  for (const Profile& p : net.profiles) {
    write_shape_map(w, p.min);
    write_shape_map(w, p.opt);
    write_shape_map(w, p.max);
  }
  return std::move(w.bytes());
}

cuda::Precision read_precision(Reader& r) {
  const uint8_t p = r.pod<uint8_t>();
  if (p > static_cast<uint8_t>(cuda::Precision::kFP16)) r.fail("unknown precision " + std::to_string(p));
  return static_cast<cuda::Precision>(p);
}

std::vector<size_t> read_node_indices(Reader& r, size_t num_nodes) {
  std::vector<size_t> out(r.count(num_nodes, "node indices"));
  for (size_t& i : out) {
    i = r.pod<uint32_t>();
    if (i >= num_nodes) r.fail("node index " + std::to_string(i) + " past the model's " + std::to_string(num_nodes));
  }
  return out;
}

Network network_of(Reader& r, const std::string& source, Device device) {
  Network net;
  net.device = device;
  net.precision = read_precision(r);
  const std::string model = r.str();
  net.model = importer::parse_model(model.data(), model.size(), source + " (embedded model)", "");
  const size_t num_nodes = net.model.graph->nodes().size();
  net.host_nodes = read_node_indices(r, num_nodes);
  const size_t num_layers = r.count(num_nodes, "layers");
  for (size_t k = 0; k < num_layers; ++k) {
    LayerRecord l;
    l.nodes = read_node_indices(r, num_nodes);
    if (l.nodes.empty()) r.fail("a layer without nodes");
    l.precision = read_precision(r);
    l.tactic = r.str();
    net.layers.push_back(std::move(l));
  }
  const size_t num_profiles = r.count(1024, "profiles");
  for (size_t k = 0; k < num_profiles; ++k) {
    Profile p;
    p.min = read_shape_map(r);
    p.opt = read_shape_map(r);
    p.max = read_shape_map(r);
    net.profiles.push_back(std::move(p));
  }
  if (r.left()) r.fail(std::to_string(r.left()) + " stray bytes at the end");
  return net;
}

std::string version_text(uint64_t v) {
  // cuDNN 9.14.0 -> 91400, cuBLAS 13.1.0 -> 130100; CUDA 13.0 -> 13000
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100);
}

void check_target(const PlanTarget& built, const PlanTarget& here, const std::string& source) {
  if (built.device != Device::kCuda) return;
  auto refuse = [&](const std::string& what) {
    throw Error(source + ": the plan was built for " + what + "; rebuild it here with graft build");
  };
  if (here.compute_capability == 0) refuse("CUDA (" + built.gpu_name + ") but this machine has no usable CUDA device");
  if (built.compute_capability != here.compute_capability) {
    refuse(built.gpu_name + " (sm_" + std::to_string(built.compute_capability) + "), not " + here.gpu_name + " (sm_" +
           std::to_string(here.compute_capability) + ")");
  }
  if (built.cudnn / 100 != here.cudnn / 100) {
    refuse("cuDNN " + version_text(built.cudnn) + ", this machine has " + version_text(here.cudnn));
  }
  if (built.cublaslt / 100 != here.cublaslt / 100) {
    refuse("cuBLASLt " + version_text(built.cublaslt) + ", this machine has " + version_text(here.cublaslt));
  }
}

Reader open_header(const std::string& bytes, const std::string& source, PlanTarget& target, uint64_t& checksum) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw Error(source + ": not a graft plan file (no GRAFTPLN header)");
  }
  Reader r(bytes.data() + sizeof kMagic, bytes.size() - sizeof kMagic, source);
  const uint32_t version = r.pod<uint32_t>();
  if (version != kPlanFormatVersion) {
    throw Error(source + ": plan format version " + std::to_string(version) + ", this graft reads version " +
                std::to_string(kPlanFormatVersion) + "; rebuild it with this graft");
  }
  target = read_header(r);
  const uint64_t size = r.pod<uint64_t>();
  checksum = r.pod<uint64_t>();
  if (size != r.left()) {
    throw Error(source + ": the plan is truncated or has extra bytes (body of " + std::to_string(r.left()) +
                " bytes, the header says " + std::to_string(size) + ")");
  }
  return r;
}

}  // namespace

std::string serialize_plan(const Network& net, const PlanTarget& target) {
  Writer w;
  w.bytes().append(kMagic, sizeof kMagic);
  w.pod<uint32_t>(kPlanFormatVersion);
  write_header(w, target);
  const std::string body = body_of(net);
  w.pod<uint64_t>(body.size());
  w.pod<uint64_t>(fnv1a(body.data(), body.size()));
  w.bytes() += body;
  return std::move(w.bytes());
}

PlanTarget read_plan_target(const std::string& bytes, const std::string& source) {
  PlanTarget target;
  uint64_t checksum = 0;
  open_header(bytes, source, target, checksum);
  return target;
}

Network deserialize_plan(const std::string& bytes, const std::string& source, const PlanTarget& current) {
  PlanTarget built;
  uint64_t checksum = 0;
  Reader r = open_header(bytes, source, built, checksum);
  if (fnv1a(r.here(), r.left()) != checksum) throw Error(source + ": the plan is corrupt (checksum mismatch)");
  check_target(built, current, source);
  return network_of(r, source, built.device);
}

void write_plan_file(const std::string& path, const Network& net, const PlanTarget& target) {
  const std::string bytes = serialize_plan(net, target);
  importer::AtomicFile f(path);
  f.write(bytes.data(), bytes.size());
  f.commit();
}

namespace {
std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the plan file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

Network read_plan_file(const std::string& path, const PlanTarget& current) {
  return deserialize_plan(read_all(path), path, current);
}

bool looks_like_plan(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[sizeof kMagic] = {};
  in.read(head, sizeof head);
  return in.gcount() == sizeof head && std::memcmp(head, kMagic, sizeof head) == 0;
}

}  // namespace graft::engine
