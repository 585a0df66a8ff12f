// Text ops: StringNormalizer (opset 10) and TfIdfVectorizer (opset 9).
#include <algorithm>
#include <map>
#include <unordered_map>
#include <optional>
#include <tuple>
#include <unordered_set>

#include "kernels/cpu/kernel.h"

namespace graft::cpu {
namespace {

// ---- StringNormalizer ----

// Simple one-to-one case mapping for ASCII, Latin-1, Latin Extended-A, Greek and
// Cyrillic; other code points are left as they are.
char32_t change_case(char32_t c, bool upper) {
  auto shift = [&](char32_t lo_first, char32_t lo_last, char32_t delta) -> std::optional<char32_t> {
    if (upper && c >= lo_first && c <= lo_last) return c - delta;
    if (!upper && c >= lo_first - delta && c <= lo_last - delta) return c + delta;
    return std::nullopt;
  };
  if (c < 0x80) {
    if (upper && c >= 'a' && c <= 'z') return c - 32;
    if (!upper && c >= 'A' && c <= 'Z') return c + 32;
    return c;
  }
  if (c == 0xD7 || c == 0xF7 || c == 0x3A2 || c == 0x3C2) return c;  // multiplication/division signs, final sigma
  if (c >= 0x100 && c <= 0x137) return upper ? (c & ~char32_t(1)) : (c | 1);
  for (auto [first, last, delta] : {std::tuple<char32_t, char32_t, char32_t>{0xE0, 0xFE, 0x20},
                                    {0x3B1, 0x3C9, 0x20}, {0x430, 0x44F, 0x20}, {0x450, 0x45F, 0x50}}) {
    if (auto r = shift(first, last, delta)) return *r;
  }
  return c;
}

// Maps the case of ASCII and of 2-byte UTF-8 sequences (every mapped code point stays
// 2 bytes long); anything else, invalid bytes included, is copied as it is.
std::string map_case(const std::string& s, bool upper) {
  std::string out = s;
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char b = out[i];
    if (b < 0x80) {
      out[i] = static_cast<char>(change_case(b, upper));
    } else if ((b >> 5) == 6 && i + 1 < out.size() && (static_cast<unsigned char>(out[i + 1]) >> 6) == 2) {
      const char32_t c = (char32_t(b & 0x1F) << 6) | (static_cast<unsigned char>(out[i + 1]) & 0x3F);
      const char32_t m = change_case(c, upper);
      out[i] = static_cast<char>(0xC0 | (m >> 6));
      out[i + 1] = static_cast<char>(0x80 | (m & 0x3F));
      ++i;
    }
  }
  return out;
}

void string_normalizer(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.dtype() != DataType::kString) ctx.fail("X must be a string tensor, got " + x.describe());
  const bool two_d = x.rank() == 2;
  if (!(x.rank() == 1 || (two_d && x.dim(0) == 1))) ctx.fail("X must be [C] or [1, C], got " + x.describe());
  const std::string action = ctx.attr_string("case_change_action", "NONE");
  if (action != "NONE" && action != "LOWER" && action != "UPPER") ctx.fail("unsupported case_change_action '" + action + "'");
  const bool case_sensitive = ctx.attr_int("is_case_sensitive", 0) != 0;
  std::unordered_set<std::string> stop;
  for (const std::string& w : ctx.attr_strings("stopwords")) stop.insert(case_sensitive ? w : map_case(w, false));
  std::vector<std::string> kept;
  for (const std::string& s : x.strings()) {
    if (!stop.empty() && stop.count(case_sensitive ? s : map_case(s, false))) continue;
    kept.push_back(action == "NONE" ? s : map_case(s, action == "UPPER"));
  }
  if (kept.empty()) kept.emplace_back();  // ONNX keeps one empty string
  const int64_t n = static_cast<int64_t>(kept.size());
  HostTensor& y = ctx.allocate_output(0, DataType::kString, two_d ? Dims{1, n} : Dims{n});
  y.mutable_strings() = std::move(kept);
}

// ---- TfIdfVectorizer ----

// A trie over pool items; node 0 is the root. id 0 means "no n-gram ends here".
template <typename K>
struct NgramTrie {
  struct Node {
    int64_t id = 0;
    std::unordered_map<K, int32_t> next;
  };
  std::vector<Node> nodes{Node{}};

  int32_t child(int32_t n, const K& k) const {
    auto it = nodes[n].next.find(k);
    return it == nodes[n].next.end() ? -1 : it->second;
  }
  int32_t add_child(int32_t n, const K& k) {
    if (int32_t c = child(n, k); c >= 0) return c;
    nodes.push_back(Node{});
    const int32_t c = static_cast<int32_t>(nodes.size() - 1);
    nodes[n].next.emplace(k, c);
    return c;
  }
};

struct TfIdfParams {
  int64_t min_gram = 1, max_gram = 1, max_skip = 0;
  std::string mode;
  std::vector<int64_t> counts, indexes;
  std::vector<float> weights;
  int64_t output_size = 0;
};

// Loads the n-grams of sizes in [min_gram, max_gram]; ids count every pool n-gram from 1.
template <typename K>
NgramTrie<K> build_trie(const TfIdfParams& p, const std::vector<K>& pool) {
  NgramTrie<K> trie;
  int64_t id = 1;
  for (size_t i = 0; i < p.counts.size(); ++i) {
    const int64_t size = static_cast<int64_t>(i) + 1;
    const int64_t start = p.counts[i];
    const int64_t end = i + 1 < p.counts.size() ? p.counts[i + 1] : static_cast<int64_t>(pool.size());
    const int64_t n_grams = (end - start) / size;
    if (size < p.min_gram || size > p.max_gram) {
      id += n_grams;
      continue;
    }
    for (int64_t g = 0; g < n_grams; ++g, ++id) {
      int32_t node = 0;
      for (int64_t k = 0; k < size; ++k) node = trie.add_child(node, pool[start + g * size + k]);
      trie.nodes[node].id = id;
    }
  }
  return trie;
}

template <typename K>
void count_row(const TfIdfParams& p, const NgramTrie<K>& trie, const K* row, int64_t len, int64_t* freq) {
  int64_t start_size = p.min_gram;
  for (int64_t skip = 1; skip <= p.max_skip + 1; ++skip) {
    for (int64_t s = 0; s < len; ++s) {
      if (s + skip * (start_size - 1) >= len) break;
      int32_t node = 0;
      for (int64_t size = 1, item = s; size <= p.max_gram && item < len; ++size, item += skip) {
        node = trie.child(node, row[item]);
        if (node < 0) break;
        const int64_t id = trie.nodes[node].id;
        if (size >= start_size && id != 0) ++freq[p.indexes[id - 1]];
      }
    }
    // Unigrams do not depend on the skip distance: count them once.
    if (start_size == 1) {
      ++start_size;
      if (start_size > p.max_gram) break;
    }
  }
}

template <typename K>
void count_all(const TfIdfParams& p, const std::vector<K>& pool, const K* x, int64_t rows, int64_t cols,
               std::vector<int64_t>& freq) {
  const NgramTrie<K> trie = build_trie(p, pool);
  for (int64_t r = 0; r < rows; ++r) count_row(p, trie, x + r * cols, cols, freq.data() + r * p.output_size);
}

void tfidf_vectorizer(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  TfIdfParams p;
  p.min_gram = ctx.required_attr_int("min_gram_length");
  p.max_gram = ctx.required_attr_int("max_gram_length");
  p.max_skip = ctx.required_attr_int("max_skip_count");
  p.mode = ctx.attr_string("mode", "");
  p.counts = ctx.attr_ints("ngram_counts");
  p.indexes = ctx.attr_ints("ngram_indexes");
  p.weights = ctx.attr_floats("weights");
  if (p.mode != "TF" && p.mode != "IDF" && p.mode != "TFIDF") ctx.fail("mode must be TF, IDF or TFIDF, got '" + p.mode + "'");
  if (p.min_gram < 1 || p.max_gram < p.min_gram || p.max_skip < 0) ctx.fail("invalid min/max_gram_length or max_skip_count");
  if (p.indexes.empty()) ctx.fail("ngram_indexes is empty");
  for (int64_t i : p.indexes) {
    if (i < 0) ctx.fail("ngram_indexes has a negative value");
  }
  p.output_size = *std::max_element(p.indexes.begin(), p.indexes.end()) + 1;
  if (!p.weights.empty() && static_cast<int64_t>(p.weights.size()) < p.output_size) ctx.fail("weights is shorter than the output");
  if (x.rank() > 2 || (x.rank() == 2 && x.dim(0) < 1)) ctx.fail("X must be [C] or [B, C], got " + x.describe());
  const int64_t rows = x.rank() == 2 ? x.dim(0) : 1;
  const int64_t cols = x.rank() == 0 ? 1 : x.dims().back();
  std::vector<int64_t> freq(rows * p.output_size, 0);
  const std::vector<std::string> pool_strings = ctx.attr_strings("pool_strings");
  const std::vector<int64_t> pool_ints = ctx.attr_ints("pool_int64s");
  const int64_t pool_size = static_cast<int64_t>(x.dtype() == DataType::kString ? pool_strings.size() : pool_ints.size());
  for (int64_t c : p.counts) {
    if (c < 0 || c > pool_size) ctx.fail("ngram_counts value " + std::to_string(c) + " is outside the pool");
  }
  int64_t total_grams = 0;
  for (size_t i = 0; i < p.counts.size(); ++i) {
    const int64_t end = i + 1 < p.counts.size() ? p.counts[i + 1] : pool_size;
    total_grams += (end - p.counts[i]) / static_cast<int64_t>(i + 1);
  }
  if (total_grams > static_cast<int64_t>(p.indexes.size())) ctx.fail("ngram_indexes has fewer entries than the pool has n-grams");
  if (x.numel() > 0) {
    switch (x.dtype()) {
      case DataType::kString: count_all(p, pool_strings, x.strings().data(), rows, cols, freq); break;
      case DataType::kInt64: count_all(p, pool_ints, x.data<int64_t>(), rows, cols, freq); break;
      case DataType::kInt32: {
        std::vector<int64_t> wide(x.data<int32_t>(), x.data<int32_t>() + x.numel());
        count_all(p, pool_ints, wide.data(), rows, cols, freq);
        break;
      }
      default: ctx.fail("X must be string, int32 or int64, got " + x.describe());
    }
  }
  HostTensor& y = ctx.allocate_output(0, DataType::kFloat, x.rank() == 2 ? Dims{rows, p.output_size} : Dims{p.output_size});
  float* out = y.mutable_data<float>();
  for (int64_t i = 0; i < rows * p.output_size; ++i) {
    const int64_t f = freq[i];
    const float w = p.weights.empty() ? 1.0f : p.weights[i % p.output_size];
    if (p.mode == "TF") {
      out[i] = static_cast<float>(f);
    } else if (p.mode == "IDF") {
      out[i] = f > 0 ? w : 0.0f;
    } else {
      out[i] = w * static_cast<float>(f);
    }
  }
}

}  // namespace

GRAFT_CPU_KERNEL("", StringNormalizer, 10, string_normalizer);
GRAFT_CPU_KERNEL("", TfIdfVectorizer, 9, tfidf_vectorizer);

}  // namespace graft::cpu
