// The AVX-512 Conv building blocks (sgemm_packed.h) against direct loops in double, over
// shapes that leave partial vectors, padded edges and uneven thread splits everywhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/gemm_util.h"
#include "kernels/cpu/sgemm_packed.h"

namespace graft::cpu {
namespace {

std::vector<float> wave(size_t n, float scale, int seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.37f * float(i) + float(seed));
  return v;
}

// Each activation, with and without bias and residual.
std::vector<Epilogue> epilogues(const float* bias, const float* residual, int64_t ld_residual) {
  std::vector<Epilogue> out;
  for (int act = 0; act < 4; ++act) {
    for (int with = 0; with < 4; ++with) {
      Epilogue ep;
      ep.act = static_cast<Epilogue::Act>(act);
      ep.lo = -0.5f;
      ep.hi = 0.75f;
      ep.alpha = 0.1f;
      ep.bias = with & 1 ? bias : nullptr;
      ep.residual = with & 2 ? residual : nullptr;
      ep.ld_residual = ld_residual;
      out.push_back(ep);
    }
  }
  return out;
}

std::string describe(const Epilogue& ep) {
  return "act " + std::to_string(int(ep.act)) + (ep.bias ? " bias" : "") + (ep.residual ? " residual" : "");
}

struct DwCase {
  int64_t C, H, W, KH, KW, sh, sw, pt, pl, pb, pr;
};

TEST(Avx512Kernels, DepthwiseMatchesDirectLoop) {
  if (simd_level() < 2) GTEST_SKIP() << "no AVX-512";
  for (const DwCase& k : std::vector<DwCase>{
           {3, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1},       // one partial vector per row
           {5, 12, 37, 3, 3, 2, 2, 1, 1, 1, 1},     // stride 2, odd width
           {4, 9, 40, 3, 3, 1, 2, 0, 1, 2, 0},      // uneven strides and pads
           {2, 30, 113, 3, 3, 2, 1, 2, 2, 0, 1},    // wide rows, several vectors
           {3, 5, 18, 3, 3, 1, 1, 0, 0, 0, 0},      // no padding
           {2, 3, 4, 3, 3, 1, 1, 3, 3, 3, 3},       // padding wider than the image
           {3, 11, 21, 5, 5, 2, 2, 2, 2, 2, 2},     // 5x5 (generic loop)
           {2, 6, 19, 1, 3, 1, 1, 0, 1, 0, 1},      // 1x3
       }) {
    const int64_t OH = (k.H + k.pt + k.pb - k.KH) / k.sh + 1, OW = (k.W + k.pl + k.pr - k.KW) / k.sw + 1;
    const std::vector<float> x = wave(k.C * k.H * k.W, 1.0f, 1), w = wave(k.C * k.KH * k.KW, 0.5f, 2),
                             bias = wave(k.C, 0.3f, 3), res = wave(k.C * OH * OW, 0.7f, 4);
    const avx512::Depthwise2d d{k.H, k.W, k.KH, k.KW, k.sh, k.sw, k.pt, k.pl, OH, OW};
    for (const Epilogue& ep : epilogues(bias.data(), res.data(), OW)) {
      SCOPED_TRACE("C " + std::to_string(k.C) + " H " + std::to_string(k.H) + " W " + std::to_string(k.W) + " k " +
                   std::to_string(k.KH) + "x" + std::to_string(k.KW) + " " + describe(ep));
      // Split channels one way and rows another, as threads would.
      std::vector<float> by_rows(k.C * OH * OW, NAN), by_channels(k.C * OH * OW, NAN);
      avx512::depthwise2d(x.data(), w.data(), 0, k.C, 0, OH / 3, d, by_rows.data(), ep);
      avx512::depthwise2d(x.data(), w.data(), 0, k.C, OH / 3, OH, d, by_rows.data(), ep);
      avx512::depthwise2d(x.data(), w.data(), 0, 1, 0, OH, d, by_channels.data(), ep);
      avx512::depthwise2d(x.data(), w.data(), 1, k.C, 0, OH, d, by_channels.data(), ep);
      for (int64_t c = 0; c < k.C; ++c) {
        for (int64_t oy = 0; oy < OH; ++oy) {
          for (int64_t ox = 0; ox < OW; ++ox) {
            double acc = 0;
            for (int64_t ky = 0; ky < k.KH; ++ky) {
              for (int64_t kx = 0; kx < k.KW; ++kx) {
                const int64_t iy = oy * k.sh + ky - k.pt, ix = ox * k.sw + kx - k.pl;
                if (iy < 0 || iy >= k.H || ix < 0 || ix >= k.W) continue;
                acc += double(x[(c * k.H + iy) * k.W + ix]) * w[(c * k.KH + ky) * k.KW + kx];
              }
            }
            const int64_t i = (c * OH + oy) * OW + ox;
            const float want = ep.apply(float(acc), c, ep.residual ? res[i] : 0.0f);
            ASSERT_NEAR(by_rows[i], want, 1e-5) << "rows split, channel " << c << " at " << oy << "," << ox;
            ASSERT_NEAR(by_channels[i], want, 1e-5) << "channel split, channel " << c << " at " << oy << "," << ox;
          }
        }
      }
    }
  }
}

// Channels of x apart by ldx and output rows [r0, OH) written at row 0 of a buffer whose
// channels are ldy apart (how a chain of Convs reads and writes one tile).
TEST(Avx512Kernels, DepthwiseReadsAndWritesStridedTiles) {
  if (simd_level() < 2) GTEST_SKIP() << "no AVX-512";
  for (const int64_t stride : {1, 2}) {
    const int64_t C = 3, H = 9, W = 35, ldx = H * W + 7, OH = (H + 2 - 3) / stride + 1, OW = (W + 2 - 3) / stride + 1;
    const int64_t r0 = 2, ldy = (OH - r0) * OW + 5;
    const std::vector<float> x = wave(C * ldx, 1.0f, 1), w = wave(C * 9, 0.5f, 2), bias = wave(C, 0.3f, 3);
    Epilogue ep;
    ep.bias = bias.data();
    ep.act = Epilogue::Act::kRelu;
    avx512::Depthwise2d d{H, W, 3, 3, stride, stride, 1, 1, OH, OW};
    d.ldx = ldx;
    d.ldy = ldy;
    d.out_row0 = r0;
    std::vector<float> y(C * ldy, NAN);
    avx512::depthwise2d(x.data(), w.data(), 0, C, r0, OH, d, y.data(), ep);
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t oy = r0; oy < OH; ++oy) {
        for (int64_t ox = 0; ox < OW; ++ox) {
          double acc = bias[c];
          for (int64_t ky = 0; ky < 3; ++ky) {
            for (int64_t kx = 0; kx < 3; ++kx) {
              const int64_t iy = oy * stride + ky - 1, ix = ox * stride + kx - 1;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc += double(x[c * ldx + iy * W + ix]) * w[c * 9 + ky * 3 + kx];
            }
          }
          ASSERT_NEAR(y[c * ldy + (oy - r0) * OW + ox], std::max(acc, 0.0), 1e-5) << c << " " << oy << " " << ox;
        }
      }
      for (int64_t i = (OH - r0) * OW; i < ldy; ++i) ASSERT_TRUE(std::isnan(y[c * ldy + i])) << "wrote past the tile";
    }
  }
}

TEST(Avx512Kernels, Im2colMatchesDefinition) {
  if (simd_level() < 2) GTEST_SKIP() << "no AVX-512";
  for (const avx512::Im2col2d& g : std::vector<avx512::Im2col2d>{
           {3, 11, 37, 3, 3, 2, 2, 1, 1, 1, 1, 0},   // stride 2, padded
           {2, 9, 21, 7, 7, 2, 2, 1, 1, 3, 3, 0},    // 7x7 stride 2
           {2, 8, 40, 3, 2, 1, 1, 2, 3, 2, 0, 0},    // dilated, no left pad
           {1, 7, 50, 1, 3, 1, 3, 1, 1, 0, 1, 0},    // stride 3 (scalar)
           {4, 5, 5, 3, 3, 1, 1, 1, 1, 4, 4, 0},     // padding wider than the image
       }) {
    avx512::Im2col2d k = g;
    const int64_t OH = (k.H + 2 * k.pad_t - k.dil_h * (k.KH - 1) - 1) / k.stride_h + 1;
    k.OW = (k.W + 2 * k.pad_l - k.dil_w * (k.KW - 1) - 1) / k.stride_w + 1;
    SCOPED_TRACE("C " + std::to_string(k.C) + " " + std::to_string(k.H) + "x" + std::to_string(k.W) + " kernel " +
                 std::to_string(k.KH) + "x" + std::to_string(k.KW) + " stride " + std::to_string(k.stride_w));
    const std::vector<float> x = wave(k.C * k.H * k.W, 1.0f, 1);
    const int64_t r0 = OH / 2, ldcol = (OH - r0) * k.OW + 3;  // rows [r0, OH) into rows of ldcol
    std::vector<float> col(k.C * k.KH * k.KW * ldcol, NAN);
    avx512::im2col2d(x.data(), k, r0, OH, col.data(), ldcol);
    for (int64_t c = 0; c < k.C; ++c) {
      for (int64_t ky = 0; ky < k.KH; ++ky) {
        for (int64_t kx = 0; kx < k.KW; ++kx) {
          const float* row = col.data() + ((c * k.KH + ky) * k.KW + kx) * ldcol;
          for (int64_t oy = r0; oy < OH; ++oy) {
            for (int64_t ox = 0; ox < k.OW; ++ox) {
              const int64_t iy = oy * k.stride_h + ky * k.dil_h - k.pad_t, ix = ox * k.stride_w + kx * k.dil_w - k.pad_l;
              const bool inside = iy >= 0 && iy < k.H && ix >= 0 && ix < k.W;
              ASSERT_EQ(row[(oy - r0) * k.OW + ox], inside ? x[(c * k.H + iy) * k.W + ix] : 0.0f)
                  << c << " " << ky << " " << kx << " at " << oy << "," << ox;
            }
          }
          ASSERT_TRUE(std::isnan(row[(OH - r0) * k.OW])) << "wrote past the rows";
        }
      }
    }
  }
}

}  // namespace
}  // namespace graft::cpu
