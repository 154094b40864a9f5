#include "checkpoint/history_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "zlib.h"

namespace attune {
namespace {

// Data ranges, widened when flat so every point maps inside the plot.
struct Range {
  double lo = 0, hi = 0;
  double Fraction(double v) const { return (v - lo) / (hi - lo); }
};

absl::Status CheckPoints(const std::vector<ChartPoint>& points) {
  if (points.empty()) {
    return absl::InvalidArgumentError("no points to plot");
  }
  for (const ChartPoint& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot plot a non-finite point (", p.x, ", ", p.y, ")"));
    }
  }
  return absl::OkStatus();
}

Range RangeOf(const std::vector<ChartPoint>& points, bool x) {
  Range r{x ? points[0].x : points[0].y, x ? points[0].x : points[0].y};
  for (const ChartPoint& p : points) {
    const double v = x ? p.x : p.y;
    r.lo = std::min(r.lo, v);
    r.hi = std::max(r.hi, v);
  }
  if (r.hi == r.lo) {
    const double pad = r.lo == 0 ? 1 : std::abs(r.lo) * 0.05;
    r.lo -= pad;
    r.hi += pad;
  }
  return r;
}

std::string Num(double v) { return absl::StrFormat("%.6g", v); }

std::string XmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Plot area of the SVG and PNG images.
constexpr int kImageWidth = 640, kImageHeight = 400;
constexpr int kLeft = 80, kRight = 620, kTop = 40, kBottom = 350;

double PixelX(const Range& r, double x) {
  return kLeft + r.Fraction(x) * (kRight - kLeft);
}
double PixelY(const Range& r, double y) {
  return kBottom - r.Fraction(y) * (kBottom - kTop);
}

// An RGB raster with the few primitives the chart needs.
class Raster {
 public:
  Raster(int w, int h) : w_(w), h_(h), pixels_(3 * w * h, 255) {}
  void Set(int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    uint8_t* p = &pixels_[3 * (y * w_ + x)];
    p[0] = r;
    p[1] = g;
    p[2] = b;
  }
  // Bresenham's line, `thick` pixels wide (a square brush).
  void Line(int x0, int y0, int x1, int y1, int thick, uint8_t r, uint8_t g,
            uint8_t b) {
    const int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    const int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    while (true) {
      for (int i = 0; i < thick; ++i) {
        for (int j = 0; j < thick; ++j) Set(x0 + i, y0 + j, r, g, b);
      }
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }
  void Dot(int cx, int cy, int radius, uint8_t r, uint8_t g, uint8_t b) {
    for (int y = -radius; y <= radius; ++y) {
      for (int x = -radius; x <= radius; ++x) {
        if (x * x + y * y <= radius * radius) Set(cx + x, cy + y, r, g, b);
      }
    }
  }
  // PNG bytes (PNG specification: signature, IHDR, IDAT, IEND; each chunk
  // length, type, data, CRC-32 of type and data; filter type 0 per row).
  absl::StatusOr<std::string> EncodePng() const {
    std::string raw;
    raw.reserve((3 * w_ + 1) * h_);
    for (int y = 0; y < h_; ++y) {
      raw.push_back('\0');
      raw.append(reinterpret_cast<const char*>(&pixels_[3 * y * w_]), 3 * w_);
    }
    uLongf packed_size = compressBound(raw.size());
    std::string packed(packed_size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                  reinterpret_cast<const Bytef*>(raw.data()), raw.size(),
                  Z_BEST_COMPRESSION) != Z_OK) {
      return absl::InternalError("zlib compress2 failed for the PNG image");
    }
    packed.resize(packed_size);
    std::string png("\x89PNG\r\n\x1a\n", 8);
    auto be32 = [](std::string& out, uint32_t v) {
      for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
    };
    auto chunk = [&](const char* type, const std::string& data) {
      be32(png, static_cast<uint32_t>(data.size()));
      std::string body = std::string(type, 4) + data;
      png += body;
      be32(png,
           static_cast<uint32_t>(crc32_z(
               0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
    };
    std::string ihdr;
    be32(ihdr, static_cast<uint32_t>(w_));
    be32(ihdr, static_cast<uint32_t>(h_));
    ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB
    chunk("IHDR", ihdr);
    chunk("IDAT", packed);
    chunk("IEND", "");
    return png;
  }

 private:
  int w_, h_;
  std::vector<uint8_t> pixels_;
};

}  // namespace

absl::StatusOr<std::string> TextChart(const std::vector<ChartPoint>& points,
                                      const ChartLabels& labels, int width,
                                      int height) {
  if (absl::Status s = CheckPoints(points); !s.ok()) return s;
  if (width < 2 || height < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("chart size ", width, "x", height, " is too small"));
  }
  const Range rx = RangeOf(points, true), ry = RangeOf(points, false);
  std::vector<std::string> grid(height, std::string(width, ' '));
  for (const ChartPoint& p : points) {
    const int col =
        static_cast<int>(std::lround(rx.Fraction(p.x) * (width - 1)));
    const int row =
        static_cast<int>(std::lround((1 - ry.Fraction(p.y)) * (height - 1)));
    grid[row][col] = '*';
  }
  // Labels: the plotted range (padded when every value is the same).
  const std::string top = Num(ry.hi), mid = Num((ry.lo + ry.hi) / 2),
                    bottom = Num(ry.lo);
  const size_t pad = std::max({top.size(), mid.size(), bottom.size()});
  std::string out = labels.title.empty() ? "" : labels.title + "\n";
  for (int row = 0; row < height; ++row) {
    std::string label = row == 0                  ? top
                        : row == height - 1       ? bottom
                        : row == (height - 1) / 2 ? mid
                                                  : "";
    std::string line =
        std::string(pad - label.size(), ' ') + label + " |" + grid[row];
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  out += std::string(pad + 1, ' ') + "+" + std::string(width, '-') + "\n";
  // x range below the plot: min at its left edge, max ending at its right
  // edge (or two spaces after min when the plot is too narrow); signed
  // arithmetic, since labels may be wider than the plot.
  const std::string left = Num(rx.lo), right = Num(rx.hi);
  std::string axis = std::string(pad + 2, ' ') + left;
  const int64_t right_at = static_cast<int64_t>(pad) + 2 + width -
                           static_cast<int64_t>(right.size());
  const int64_t gap =
      std::max<int64_t>(2, right_at - static_cast<int64_t>(axis.size()));
  axis += std::string(static_cast<size_t>(gap), ' ') + right;
  out += axis + "\n";
  if (!labels.x_axis.empty()) {
    const int64_t indent = std::max<int64_t>(
        0, (width - static_cast<int64_t>(labels.x_axis.size())) / 2);
    out += std::string(pad + 2 + static_cast<size_t>(indent), ' ') +
           labels.x_axis + "\n";
  }
  return out;
}

absl::StatusOr<std::string> SvgChart(const std::vector<ChartPoint>& points,
                                     const ChartLabels& labels) {
  if (absl::Status s = CheckPoints(points); !s.ok()) return s;
  const Range rx = RangeOf(points, true), ry = RangeOf(points, false);
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      kImageWidth, kImageHeight, kImageWidth, kImageHeight);
  absl::StrAppendFormat(&svg,
                        "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" "
                        "font-size=\"16\">%s</text>\n",
                        kImageWidth / 2, XmlEscape(labels.title));
  absl::StrAppendFormat(&svg,
                        "<polyline fill=\"none\" stroke=\"black\" "
                        "points=\"%d,%d %d,%d %d,%d\"/>\n",
                        kLeft, kTop, kLeft, kBottom, kRight, kBottom);
  // Ticks: min and max on each axis.
  absl::StrAppendFormat(
      &svg,
      "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n"
      "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n"
      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n"
      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n"
      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
      kLeft - 6, kTop + 4, Num(ry.hi), kLeft - 6, kBottom + 4, Num(ry.lo),
      kLeft, kBottom + 18, Num(rx.lo), kRight, kBottom + 18, Num(rx.hi),
      (kLeft + kRight) / 2, kBottom + 40, XmlEscape(labels.x_axis));
  svg +=
      "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" "
      "points=\"";
  for (size_t i = 0; i < points.size(); ++i) {
    absl::StrAppendFormat(&svg, "%s%.2f,%.2f", i ? " " : "",
                          PixelX(rx, points[i].x), PixelY(ry, points[i].y));
  }
  svg += "\"/>\n";
  for (const ChartPoint& p : points) {
    absl::StrAppendFormat(&svg,
                          "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" "
                          "fill=\"#1f77b4\"/>\n",
                          PixelX(rx, p.x), PixelY(ry, p.y));
  }
  svg += "</svg>\n";
  return svg;
}

absl::StatusOr<std::string> PngChart(const std::vector<ChartPoint>& points) {
  if (absl::Status s = CheckPoints(points); !s.ok()) return s;
  const Range rx = RangeOf(points, true), ry = RangeOf(points, false);
  Raster raster(kImageWidth, kImageHeight);
  raster.Line(kLeft, kTop, kLeft, kBottom, 1, 0, 0, 0);
  raster.Line(kLeft, kBottom, kRight, kBottom, 1, 0, 0, 0);
  for (size_t i = 0; i < points.size(); ++i) {
    const int x = static_cast<int>(std::lround(PixelX(rx, points[i].x)));
    const int y = static_cast<int>(std::lround(PixelY(ry, points[i].y)));
    if (i > 0) {
      const int px = static_cast<int>(std::lround(PixelX(rx, points[i - 1].x)));
      const int py = static_cast<int>(std::lround(PixelY(ry, points[i - 1].y)));
      raster.Line(px, py, x, y, 2, 0x1f, 0x77, 0xb4);
    }
    raster.Dot(x, y, 3, 0x1f, 0x77, 0xb4);
  }
  return raster.EncodePng();
}

}  // namespace attune
