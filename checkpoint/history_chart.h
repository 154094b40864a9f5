#ifndef ATTUNE_CHECKPOINT_HISTORY_CHART_H_
#define ATTUNE_CHECKPOINT_HISTORY_CHART_H_

// Charts of a checkpoint property over checkpoints (`attune ckpt history`):
// a text plot for terminals, an SVG and a PNG line chart. All are drawn by
// hand; the PNG is deflated with zlib (already linked by attune).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace attune {

// One plotted point (x: checkpoint id or step; y: the property).
struct ChartPoint {
  double x = 0;
  double y = 0;
};

struct ChartLabels {
  std::string title;   // e.g. "loss"
  std::string x_axis;  // e.g. "step"
};

// A text plot `height` rows by `width` columns of plot area, points drawn
// as '*', with y labels (max, middle, min) on the left and the x range
// below. InvalidArgument for no points, a non-finite value, or width/height
// under 2.
absl::StatusOr<std::string> TextChart(const std::vector<ChartPoint>& points,
                                      const ChartLabels& labels, int width = 60,
                                      int height = 12);

// An SVG document (640x400): axes with min/max ticks, a polyline through
// the points and a dot on each. Errors as TextChart.
absl::StatusOr<std::string> SvgChart(const std::vector<ChartPoint>& points,
                                     const ChartLabels& labels);

// A PNG image (8-bit RGB, 640x400): axes, polyline and dots, no text.
// Errors as TextChart.
absl::StatusOr<std::string> PngChart(const std::vector<ChartPoint>& points);

}  // namespace attune

#endif  // ATTUNE_CHECKPOINT_HISTORY_CHART_H_
