// The latency curve: p50, p99 and p99.9 (log scale) against the offered load,
// from phase 3 and the curve's points, with the bar and the bar's load marked.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "report.h"
#include "svg_util.h"

namespace mend::bench {

namespace {

constexpr double kWidth = 820, kHeight = 520;
constexpr double kLeft = 80, kRight = 790, kTop = 90, kBottom = 440;
constexpr svg::Area kArea{kLeft, kRight, kTop, kBottom};

using svg::fmt;

struct Series {
  const char* name;
  double LatencyResult::*value;
  const char* colour;
  double width;
};

}  // namespace

bool write_curve_svg(const std::string& path, const Results& res) {
  std::vector<const LatencyResult*> points;
  for (const LatencyResult* l : res.by_load())
    if (l->ok) points.push_back(l);
  const ThroughputResult* peak = res.relay();
  if (points.empty() || !peak || peak->rate <= 0) return false;

  double lo = points.front()->p50, hi = kP99BarMs * 1.2;
  for (const LatencyResult* l : points) {
    lo = std::min(lo, l->p50);
    hi = std::max(hi, l->p999);
  }
  const svg::LogMsAxis y_axis(lo, hi, kArea);
  // x: the share of the peak, from 0 to a tenth past the highest point (at least 60%).
  double x_max = 0.6;
  for (const LatencyResult* l : points)
    x_max = std::max(x_max, std::ceil(10 * l->achieved_rate / peak->rate - 0.01) / 10 + 0.1);
  x_max = std::min(x_max, 1.2);
  auto px = [&](double fraction) { return kLeft + (kRight - kLeft) * fraction / x_max; };
  auto py = [&](double ms) { return y_axis.y(ms); };

  std::ostringstream s;
  svg::open_page(s, kWidth, kHeight, kArea, "mendd delivery latency against load",
                 std::to_string(res.load.connections / 2) + " pairs, " +
                     std::to_string(res.load.payload_bytes) + "-byte payloads, durability " +
                     res.durability + "; each point " + fmt("%g", res.load.duration_s) +
                     " s paced; relay peak " + fmt("%.0f", peak->rate) + " msg/s");

  // Legend.
  const Series series[] = {{"p50", &LatencyResult::p50, "#7fa7e0", 1.5},
                           {"p99", &LatencyResult::p99, "#1f5fbf", 2.5},
                           {"p99.9", &LatencyResult::p999, "#777", 1.5}};
  double lx = kLeft;
  for (const Series& se : series) {
    s << "<line x1=\"" << lx << "\" x2=\"" << lx + 24 << "\" y1=\"68\" y2=\"68\" stroke=\""
      << se.colour << "\" stroke-width=\"" << se.width << "\"/><text x=\"" << lx + 30
      << "\" y=\"72\">" << se.name << "</text>\n";
    lx += 90;
  }

  // Grid: decades (labelled) and 2x, 5x on y; every 10% of the peak on x.
  y_axis.grid(s);
  const int ticks = static_cast<int>(std::lround(10 * x_max));
  for (int k = 0; k <= ticks; ++k) {
    const double f = k / 10.0;
    s << "<line x1=\"" << px(f) << "\" x2=\"" << px(f) << "\" y1=\"" << kTop << "\" y2=\""
      << kBottom << "\" stroke=\"" << (k % 5 == 0 ? "#ccc" : "#eee") << "\"/>\n";
    if (ticks <= 8 || k % 2 == 0)
      s << "<text x=\"" << px(f) << "\" y=\"" << kBottom + 18 << "\" text-anchor=\"middle\">"
        << k * 10 << "%</text><text x=\"" << px(f) << "\" y=\"" << kBottom + 33
        << "\" text-anchor=\"middle\" fill=\"#666\">" << fmt("%.0fk", peak->rate * f / 1000)
        << "</text>\n";
  }
  s << "<text x=\"" << (kLeft + kRight) / 2 << "\" y=\"" << kBottom + 58
    << "\" text-anchor=\"middle\">offered load: share of the relay peak, and messages per "
       "second</text>\n";
  svg::frame(s, kArea);

  // The bar and the bar's load.
  y_axis.bar(s, kP99BarMs, fmt("bar: p99 < %g ms", kP99BarMs), false);
  s << "<line x1=\"" << px(0.5) << "\" x2=\"" << px(0.5) << "\" y1=\"" << kTop << "\" y2=\""
    << kBottom << "\" stroke=\"#c00\" stroke-dasharray=\"2 4\"/>\n<text x=\"" << px(0.5)
    << "\" y=\"" << kTop - 6 << "\" text-anchor=\"middle\" fill=\"#c00\">the bar's load: half the "
    << "peak</text>\n";

  // The series, at each point's achieved rate.
  for (const Series& se : series) {
    s << "<polyline fill=\"none\" stroke=\"" << se.colour << "\" stroke-width=\"" << se.width
      << "\" points=\"";
    for (const LatencyResult* l : points)
      s << px(l->achieved_rate / peak->rate) << ',' << py(l->*se.value) << ' ';
    s << "\"/>\n";
    for (const LatencyResult* l : points)
      s << "<circle cx=\"" << px(l->achieved_rate / peak->rate) << "\" cy=\"" << py(l->*se.value)
        << "\" r=\"3\" fill=\"" << se.colour << "\"/>\n";
  }
  // p99 values as labels, the figure the bar is about.
  for (const LatencyResult* l : points)
    s << "<text x=\"" << px(l->achieved_rate / peak->rate) + 5 << "\" y=\"" << py(l->p99) + 15
      << "\" fill=\"#1f5fbf\">" << fmt(l->p99 < 10 ? "%.1f" : "%.0f", l->p99) << "</text>\n";
  return svg::finish(s, path);
}

}  // namespace mend::bench
