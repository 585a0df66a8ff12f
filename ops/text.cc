// Shapes of StringNormalizer and TfIdfVectorizer.
#include <algorithm>

#include "ops/shape_util.h"

namespace graft::ops {
namespace {

// [C] or [1, C] strings in, the same rank out. How many strings survive the stopwords is
// data-dependent; none dropped leaves C, and an empty result still holds one empty string.
void string_normalizer(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, DataType::kString, Shape());
  const bool two_d = x.rank() == 2;
  if (!(x.rank() == 1 || (two_d && !(x[0].is_fixed() && x[0].value != 1)))) {
    ctx.fail("X must be [C] or [1, C], got " + x.str());
  }
  const Dim& c = x.dims().back();
  Dim kept;
  if (c.is_fixed() && c.value == 0) kept = Dim::fixed(1);
  else if (c.is_fixed() && ctx.attrs().get_strings("stopwords").empty()) kept = c;
  ctx.set_output(0, DataType::kString, two_d ? Shape({Dim::fixed(1), kept}) : Shape({kept}));
}

// [size] or [B, size] floats, size = max(ngram_indexes) + 1.
void tfidf_vectorizer(ShapeContext& ctx) {
  const std::vector<int64_t> indexes = ctx.attrs().get_ints("ngram_indexes");
  if (indexes.empty()) ctx.fail("ngram_indexes is empty");
  const Dim size = Dim::fixed(*std::max_element(indexes.begin(), indexes.end()) + 1);
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, DataType::kFloat, Shape());
  if (x.rank() > 2) ctx.fail("X must be [C] or [B, C], got " + x.str());
  ctx.set_output(0, DataType::kFloat, x.rank() == 2 ? Shape({x[0], size}) : Shape({size}));
}

}  // namespace

GRAFT_SHAPE_FN("", StringNormalizer, 10, string_normalizer);
GRAFT_SHAPE_FN("", TfIdfVectorizer, 9, tfidf_vectorizer);

}  // namespace graft::ops
