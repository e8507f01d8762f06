// The latency chart: latency (log scale) against percentile on a "nines"
// axis, so the body and the tail of the distribution are both readable.
#include <cmath>
#include <sstream>

#include "report.h"
#include "svg_util.h"

namespace mend::bench {

namespace {

constexpr double kWidth = 820, kHeight = 500;
constexpr double kLeft = 80, kRight = 790, kTop = 70, kBottom = 440;
constexpr svg::Area kArea{kLeft, kRight, kTop, kBottom};

using svg::fmt;

}  // namespace

bool write_latency_svg(const std::string& path, const Results& res) {
  if (!res.latency || res.latency->sorted_ms.empty()) return false;
  const LatencyResult& l = *res.latency;
  const std::vector<double>& v = l.sorted_ms;
  const double n = static_cast<double>(v.size());

  // Nines axis: x = -log10(1 - p); 1 is 90 %, 2 is 99 %, 3 is 99.9 %.
  const double x_max = std::max(3.0, std::ceil(std::log10(n) - 1e-9));
  const svg::LogMsAxis y_axis(v.front(), std::max(v.back(), kP99BarMs * 1.2), kArea);
  auto px = [&](double nines) { return kLeft + (kRight - kLeft) * nines / x_max; };
  auto py = [&](double ms) { return y_axis.y(ms); };
  auto at = [&](double p) {  // nearest-rank value at percentile p
    const auto rank = static_cast<size_t>(std::ceil(p * n));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
  };

  std::ostringstream s;
  svg::open_page(s, kWidth, kHeight, kArea, "mendd delivery latency by percentile",
                 fmt("paced at %.0f msg/s (half the measured peak); ", l.achieved_rate) +
                     std::to_string(res.load.connections / 2) + " pairs, " +
                     std::to_string(res.load.payload_bytes) + "-byte payloads, durability " +
                     res.durability + "; " + std::to_string(v.size()) + " messages");

  // Grid: decades (labelled) and 2x, 5x (not) on y; the nines on x.
  y_axis.grid(s);
  const char* nines_labels[] = {"0%",     "90%",     "99%",      "99.9%",
                                "99.99%", "99.999%", "99.9999%", "99.99999%"};
  for (int k = 0; k <= static_cast<int>(x_max) && k < 8; ++k)
    s << "<line x1=\"" << px(k) << "\" x2=\"" << px(k) << "\" y1=\"" << kTop << "\" y2=\""
      << kBottom << "\" stroke=\"#ccc\"/>\n<text x=\"" << px(k) << "\" y=\"" << kBottom + 18
      << "\" text-anchor=\"" << (k == static_cast<int>(x_max) ? "end" : "middle") << "\">"
      << nines_labels[k] << "</text>\n";
  s << "<line x1=\"" << px(std::log10(2)) << "\" x2=\"" << px(std::log10(2)) << "\" y1=\"" << kTop
    << "\" y2=\"" << kBottom << "\" stroke=\"#eee\"/>\n<text x=\"" << px(std::log10(2)) << "\" y=\""
    << kBottom + 18 << "\" text-anchor=\"middle\" fill=\"#666\">50%</text>\n"
    << "<text x=\"" << (kLeft + kRight) / 2 << "\" y=\"" << kBottom + 40
    << "\" text-anchor=\"middle\">percentile of messages (send to delivery, same clock)</text>\n";
  svg::frame(s, kArea);
  y_axis.bar(s, kP99BarMs, fmt("bar: p99 < %g ms", kP99BarMs), true);

  // The curve, sampled evenly along the x axis.
  s << "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\" points=\"";
  const int steps = 700;
  for (int i = 0; i <= steps; ++i) {
    const double nines = x_max * i / steps;
    const double p = 1 - std::pow(10, -nines);
    if (p * n > n - 1 && i != 0) {
      s << px(std::log10(n)) << ',' << py(v.back()) << ' ';
      break;
    }
    s << px(nines) << ',' << py(at(p)) << ' ';
  }
  s << "\"/>\n";

  for (const auto& [p, name] : {std::pair{0.5, "p50"}, {0.99, "p99"}, {0.999, "p99.9"}}) {
    const double nines = -std::log10(1 - p);
    const double value = at(p);
    s << "<circle cx=\"" << px(nines) << "\" cy=\"" << py(value)
      << "\" r=\"4\" fill=\"#1f5fbf\"/>\n"
      << "<text x=\"" << px(nines) + 6 << "\" y=\"" << py(value) - 8 << "\">" << name << ' '
      << fmt(value < 1 ? "%.3f" : "%.2f", value) << " ms</text>\n";
  }
  return svg::finish(s, path);
}

}  // namespace mend::bench
