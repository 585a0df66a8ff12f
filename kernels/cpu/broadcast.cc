#include "kernels/cpu/broadcast.h"

#include "surgeon/error.h"

namespace graft::cpu {

Dims broadcast_dims(const std::vector<const Dims*>& shapes) {
  size_t rank = 0;
  for (const Dims* s : shapes) rank = std::max(rank, s->size());
  Dims out(rank, 1);
  for (const Dims* s : shapes) {
    for (size_t i = 0; i < s->size(); ++i) {
      int64_t& o = out[rank - 1 - i];
      const int64_t d = (*s)[s->size() - 1 - i];
      if (d == o || d == 1) continue;
      if (o != 1) {
        std::string all;
        for (const Dims* t : shapes) all += (all.empty() ? "" : " and ") + dims_str(*t);
        throw Error("shapes " + all + " do not broadcast");
      }
      o = d;
    }
  }
  return out;
}

}  // namespace graft::cpu
