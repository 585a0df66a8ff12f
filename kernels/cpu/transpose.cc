// Transpose, DepthToSpace, SpaceToDepth: permutations of a (reshaped) tensor.
#include "kernels/cpu/movement_util.h"

namespace graft::cpu {
namespace {

void transpose(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  std::vector<int64_t> perm = ctx.attr_ints("perm");
  if (perm.empty()) {
    for (int64_t i = rank; i-- > 0;) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    ctx.fail("perm " + dims_str(perm) + " does not match input " + x.describe());
  }
  std::vector<bool> seen(rank, false);
  for (int64_t& p : perm) {
    p = normalize_axis(ctx, p, rank);
    if (seen[p]) ctx.fail("perm " + dims_str(ctx.attr_ints("perm")) + " is not a permutation");
    seen[p] = true;
  }
  ctx.set_output(0, permute(x, x.dims(), perm, "Transpose"));
}

// The 4-D input of DepthToSpace / SpaceToDepth and its blocksize, validated.
const HostTensor& blocked_input(KernelContext& ctx, int64_t& b) {
  const HostTensor& x = ctx.input(0);
  b = ctx.required_attr_int("blocksize");
  if (x.rank() != 4) ctx.fail("input must be 4-D [N, C, H, W], got " + x.describe());
  if (b <= 0) ctx.fail("blocksize " + std::to_string(b) + " must be positive");
  return x;
}

void depth_to_space(KernelContext& ctx) {
  int64_t b = 0;
  const HostTensor& x = blocked_input(ctx, b);
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  if (c % (b * b) != 0) ctx.fail("channels of " + x.describe() + " are not divisible by blocksize^2");
  const bool crd = ctx.attr_string("mode", "DCR") == "CRD";
  const int64_t oc = c / (b * b);
  const HostTensor y = crd ? permute(x, {n, oc, b, b, h, w}, {0, 1, 4, 2, 5, 3}, "DepthToSpace")
                           : permute(x, {n, b, b, oc, h, w}, {0, 3, 4, 1, 5, 2}, "DepthToSpace");
  ctx.set_output(0, y.reshaped({n, oc, h * b, w * b}));
}

void space_to_depth(KernelContext& ctx) {
  int64_t b = 0;
  const HostTensor& x = blocked_input(ctx, b);
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  if (h % b != 0 || w % b != 0) ctx.fail("height and width of " + x.describe() + " are not divisible by blocksize");
  const HostTensor y = permute(x, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4}, "SpaceToDepth");
  ctx.set_output(0, y.reshaped({n, c * b * b, h / b, w / b}));
}

}  // namespace

GRAFT_CPU_KERNEL("", Transpose, 1, transpose);
GRAFT_CPU_KERNEL("", DepthToSpace, 1, depth_to_space);
GRAFT_CPU_KERNEL("", SpaceToDepth, 1, space_to_depth);

}  // namespace graft::cpu
