#pragma once
// Convolutions the executor planned to run as one: an expansion (optional; a 1x1 or any
// 2-D Conv of one group), a depthwise convolution and a 1x1 projection, each output read
// only by the next, as in MobileNet's inverted residual blocks and its stem. Run tile by tile of output rows, the wide
// intermediate tensors stay in the cache instead of going through memory.
#include <optional>
#include <vector>

#include "kernels/cpu/kernel.h"

namespace graft::cpu {

// One Conv of a planned chain: its context (weights and bias as inputs; X only for the
// first) and the element-wise nodes folded into it (null when none).
struct ChainLink {
  KernelContext* ctx;
  const FusedOps* post;
};

struct ChainResult {
  HostTensor out;    // the output of the last Conv it ran (after its folded ops)
  size_t links = 0;  // how many leading links it ran
};

// Runs the longest leading part of `links` that takes this path: expand + depthwise +
// project or depthwise + project, float32 on AVX-512 with constant weights, a residual
// only on the last one run, and intermediates too large for the cache. Nothing when no
// part does (the caller then runs the nodes one by one).
std::optional<ChainResult> run_conv_chain(const std::vector<ChainLink>& links);

}  // namespace graft::cpu
