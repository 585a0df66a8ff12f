// RoiAlign (opset 10, 16) and NonMaxSuppression (opset 10, 11), as the ONNX reference
// (and onnxruntime) compute them.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"

namespace graft::cpu {
namespace {

// ---- RoiAlign ----

struct RoiAlignParams {
  bool max_mode = false;
  bool half_pixel = true;
  int64_t out_h = 1, out_w = 1, sampling_ratio = 0;
  double spatial_scale = 1.0;
};

// One bilinear sample: four positions in the H*W plane and their weights.
struct Sample {
  int64_t pos[4] = {0, 0, 0, 0};
  double w[4] = {0, 0, 0, 0};
};

Sample bilinear_sample(double y, double x, int64_t height, int64_t width) {
  Sample s;
  if (y < -1.0 || y > static_cast<double>(height) || x < -1.0 || x > static_cast<double>(width)) return s;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x), y_high, x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = static_cast<double>(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = static_cast<double>(x_low);
  } else {
    x_high = x_low + 1;
  }
  const double ly = y - static_cast<double>(y_low), lx = x - static_cast<double>(x_low);
  const double hy = 1 - ly, hx = 1 - lx;
  s.pos[0] = y_low * width + x_low;
  s.pos[1] = y_low * width + x_high;
  s.pos[2] = y_high * width + x_low;
  s.pos[3] = y_high * width + x_high;
  s.w[0] = hy * hx;
  s.w[1] = hy * lx;
  s.w[2] = ly * hx;
  s.w[3] = ly * lx;
  return s;
}

template <typename T>
void roi_align_one(const RoiAlignParams& p, const T* plane0, int64_t channels, int64_t height, int64_t width,
                   const double* roi, T* out) {
  const double offset = p.half_pixel ? 0.5 : 0.0;
  const double start_w = roi[0] * p.spatial_scale - offset, start_h = roi[1] * p.spatial_scale - offset;
  double roi_w = roi[2] * p.spatial_scale - offset - start_w, roi_h = roi[3] * p.spatial_scale - offset - start_h;
  if (!p.half_pixel) {
    roi_w = std::max(roi_w, 1.0);
    roi_h = std::max(roi_h, 1.0);
  }
  const double bin_h = roi_h / static_cast<double>(p.out_h), bin_w = roi_w / static_cast<double>(p.out_w);
  const int64_t grid_h = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<int64_t>(std::ceil(roi_h / static_cast<double>(p.out_h)));
  const int64_t grid_w = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<int64_t>(std::ceil(roi_w / static_cast<double>(p.out_w)));
  const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
  // Samples are shared by every channel.
  std::vector<Sample> samples;
  samples.reserve(static_cast<size_t>(p.out_h * p.out_w * std::max<int64_t>(grid_h * grid_w, 0)));
  for (int64_t ph = 0; ph < p.out_h; ++ph) {
    for (int64_t pw = 0; pw < p.out_w; ++pw) {
      for (int64_t iy = 0; iy < grid_h; ++iy) {
        const double y = start_h + ph * bin_h + (iy + 0.5) * bin_h / static_cast<double>(grid_h);
        for (int64_t ix = 0; ix < grid_w; ++ix) {
          const double x = start_w + pw * bin_w + (ix + 0.5) * bin_w / static_cast<double>(grid_w);
          samples.push_back(bilinear_sample(y, x, height, width));
        }
      }
    }
  }
  const int64_t per_bin = std::max<int64_t>(grid_h * grid_w, 0);
  for (int64_t c = 0; c < channels; ++c) {
    const T* d = plane0 + c * height * width;
    const Sample* s = samples.data();
    for (int64_t b = 0; b < p.out_h * p.out_w; ++b) {
      double acc = 0;
      bool first = true;
      for (int64_t k = 0; k < per_bin; ++k, ++s) {
        if (p.max_mode) {
          double v = s->w[0] * static_cast<double>(d[s->pos[0]]);
          for (int q = 1; q < 4; ++q) v = std::max(v, s->w[q] * static_cast<double>(d[s->pos[q]]));
          acc = first ? v : std::max(acc, v);
          first = false;
        } else {
          for (int q = 0; q < 4; ++q) acc += s->w[q] * static_cast<double>(d[s->pos[q]]);
        }
      }
      *out++ = static_cast<T>(p.max_mode ? acc : acc / count);
    }
  }
}

void roi_align(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& rois = ctx.input(1);
  const HostTensor& batch = ctx.input(2);
  if (x.rank() != 4) ctx.fail("X must be 4-D [N, C, H, W], got " + x.describe());
  if (rois.rank() != 2 || rois.dim(1) != 4) ctx.fail("rois must be [num_rois, 4], got " + rois.describe());
  if (batch.rank() != 1 || batch.dim(0) != rois.dim(0)) {
    ctx.fail("batch_indices " + batch.describe() + " does not match rois " + rois.describe());
  }
  RoiAlignParams p;
  const std::string mode = ctx.attr_string("mode", "avg");
  if (mode != "avg" && mode != "max") ctx.fail("unsupported mode '" + mode + "'");
  p.max_mode = mode == "max";
  const std::string ctm = ctx.attr_string("coordinate_transformation_mode", ctx.opset() >= 16 ? "half_pixel" : "output_half_pixel");
  if (ctm != "half_pixel" && ctm != "output_half_pixel") ctx.fail("unsupported coordinate_transformation_mode '" + ctm + "'");
  p.half_pixel = ctm == "half_pixel";
  p.out_h = ctx.attr_int("output_height", 1);
  p.out_w = ctx.attr_int("output_width", 1);
  p.sampling_ratio = ctx.attr_int("sampling_ratio", 0);
  p.spatial_scale = ctx.attr_float("spatial_scale", 1.0f);
  if (p.out_h <= 0 || p.out_w <= 0) ctx.fail("output_height and output_width must be positive");
  const int64_t n_rois = rois.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), {n_rois, channels, p.out_h, p.out_w});
  const std::vector<double> roi_values = rois.to_doubles();
  const std::vector<int64_t> batch_idx = batch.to_int64s();
  dispatch_float(x.dtype(), "RoiAlign", [&](auto tag) {
    using T = decltype(tag);
    for (int64_t r = 0; r < n_rois; ++r) {
      if (batch_idx[r] < 0 || batch_idx[r] >= x.dim(0)) {
        ctx.fail("batch_indices[" + std::to_string(r) + "] = " + std::to_string(batch_idx[r]) + " is out of range for X " + x.describe());
      }
      roi_align_one<T>(p, x.data<T>() + batch_idx[r] * channels * height * width, channels, height, width,
                       roi_values.data() + 4 * r, y.mutable_data<T>() + r * channels * p.out_h * p.out_w);
    }
  });
}

// ---- NonMaxSuppression ----

struct Box {
  double x_min, y_min, x_max, y_max;
};

Box make_box(const double* b, bool center_point) {
  if (center_point) return {b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2};
  return {std::min(b[1], b[3]), std::min(b[0], b[2]), std::max(b[1], b[3]), std::max(b[0], b[2])};
}

bool iou_exceeds(const Box& a, const Box& b, double threshold) {
  const double ix0 = std::max(a.x_min, b.x_min), ix1 = std::min(a.x_max, b.x_max);
  if (ix1 <= ix0) return false;
  const double iy0 = std::max(a.y_min, b.y_min), iy1 = std::min(a.y_max, b.y_max);
  if (iy1 <= iy0) return false;
  const double inter = (ix1 - ix0) * (iy1 - iy0);
  const double area_a = (a.x_max - a.x_min) * (a.y_max - a.y_min), area_b = (b.x_max - b.x_min) * (b.y_max - b.y_min);
  const double uni = area_a + area_b - inter;
  if (inter <= 0 || area_a <= 0 || area_b <= 0 || uni <= 0) return false;
  return inter / uni > threshold;
}

double optional_scalar(const KernelContext& ctx, size_t i, double def, bool* present = nullptr) {
  if (!ctx.has_input(i) || ctx.input(i).numel() == 0) return def;
  if (present) *present = true;
  return ctx.input(i).to_doubles()[0];
}

void non_max_suppression(KernelContext& ctx) {
  const HostTensor& boxes = ctx.input(0);
  const HostTensor& scores = ctx.input(1);
  if (boxes.rank() != 3 || boxes.dim(2) != 4) ctx.fail("boxes must be [batches, boxes, 4], got " + boxes.describe());
  if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(2) != boxes.dim(1)) {
    ctx.fail("scores " + scores.describe() + " does not match boxes " + boxes.describe() + " (expected [batches, classes, boxes])");
  }
  const bool center_point = ctx.attr_int("center_point_box", 0) != 0;
  int64_t max_out = 0;
  if (ctx.has_input(2) && ctx.input(2).numel() > 0) max_out = std::max<int64_t>(ctx.input_int64s(2)[0], 0);
  const double iou_threshold = optional_scalar(ctx, 3, 0.0);
  bool has_score_threshold = false;
  const double score_threshold = optional_scalar(ctx, 4, 0.0, &has_score_threshold);
  const int64_t n_batch = boxes.dim(0), n_boxes = boxes.dim(1), n_classes = scores.dim(1);
  const std::vector<double> box_values = boxes.to_doubles(), score_values = scores.to_doubles();
  std::vector<int64_t> selected;  // triples
  std::vector<int64_t> order;
  std::vector<Box> kept;
  for (int64_t b = 0; b < n_batch; ++b) {
    std::vector<Box> batch_boxes(n_boxes);
    for (int64_t i = 0; i < n_boxes; ++i) batch_boxes[i] = make_box(box_values.data() + (b * n_boxes + i) * 4, center_point);
    for (int64_t c = 0; c < n_classes && max_out > 0; ++c) {
      const double* s = score_values.data() + (b * n_classes + c) * n_boxes;
      order.clear();
      for (int64_t i = 0; i < n_boxes; ++i) {
        if (!has_score_threshold || s[i] > score_threshold) order.push_back(i);
      }
      // Highest score first; equal scores keep the lower box index first.
      std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return s[i] > s[j]; });
      kept.clear();
      for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= max_out) break;
        const Box& box = batch_boxes[i];
        if (std::any_of(kept.begin(), kept.end(), [&](const Box& k) { return iou_exceeds(box, k, iou_threshold); })) continue;
        kept.push_back(box);
        selected.insert(selected.end(), {b, c, i});
      }
    }
  }
  HostTensor& y = ctx.allocate_output(0, DataType::kInt64, {static_cast<int64_t>(selected.size() / 3), 3});
  std::copy(selected.begin(), selected.end(), y.mutable_data<int64_t>());
}

}  // namespace

GRAFT_CPU_KERNEL("", RoiAlign, 10, roi_align);
GRAFT_CPU_KERNEL("", NonMaxSuppression, 10, non_max_suppression);

}  // namespace graft::cpu
