// The latency chart: latency (log scale) against percentile on a "nines"
// axis, so the body and the tail of the distribution are both readable.
#include <cmath>
#include <fstream>
#include <sstream>

#include "report.h"
#include "svg_util.h"

namespace mend::bench {

namespace {

constexpr double kWidth = 820, kHeight = 500;
constexpr double kLeft = 80, kRight = 790, kTop = 70, kBottom = 440;

using svg::escape;
using svg::fmt;
using svg::ms_label;

}  // namespace

bool write_latency_svg(const std::string& path, const Results& res) {
  if (!res.latency || res.latency->sorted_ms.empty()) return false;
  const LatencyResult& l = *res.latency;
  const std::vector<double>& v = l.sorted_ms;
  const double n = static_cast<double>(v.size());

  // Nines axis: x = -log10(1 - p); 1 is 90 %, 2 is 99 %, 3 is 99.9 %.
  const double x_max = std::max(3.0, std::ceil(std::log10(n) - 1e-9));
  const double lo = std::max(1e-3, v.front());
  const double y_min = std::pow(10, std::floor(std::log10(lo)));
  const double y_max = std::pow(10, std::ceil(std::log10(std::max(v.back(), kP99BarMs * 1.2))));
  auto px = [&](double nines) { return kLeft + (kRight - kLeft) * nines / x_max; };
  auto py = [&](double ms) {
    const double t = (std::log10(std::max(ms, y_min)) - std::log10(y_min)) /
                     (std::log10(y_max) - std::log10(y_min));
    return kBottom - (kBottom - kTop) * t;
  };
  auto at = [&](double p) {  // nearest-rank value at percentile p
    const auto rank = static_cast<size_t>(std::ceil(p * n));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
  };

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
    << "\" viewBox=\"0 0 " << kWidth << ' ' << kHeight
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << kLeft << "\" y=\"28\" font-size=\"16\" font-weight=\"bold\">"
    << "mendd delivery latency by percentile</text>\n"
    << "<text x=\"" << kLeft << "\" y=\"48\" fill=\"#444\">"
    << escape(fmt("paced at %.0f msg/s (half the measured peak); ", l.achieved_rate) +
              std::to_string(res.load.connections / 2) + " pairs, " +
              std::to_string(res.load.payload_bytes) + "-byte payloads, durability " +
              res.durability + "; " + std::to_string(v.size()) + " messages")
    << "</text>\n";

  // Grid: decades (labelled) and 2x, 5x (not) on y; the nines on x.
  for (double d = y_min; d <= y_max * 1.0001; d *= 10) {
    s << "<line x1=\"" << kLeft << "\" x2=\"" << kRight << "\" y1=\"" << py(d) << "\" y2=\""
      << py(d) << "\" stroke=\"#ccc\"/>\n"
      << "<text x=\"" << kLeft - 6 << "\" y=\"" << py(d) + 4 << "\" text-anchor=\"end\">"
      << ms_label(d) << "</text>\n";
    for (double m : {2.0, 5.0})
      if (d * m < y_max)
        s << "<line x1=\"" << kLeft << "\" x2=\"" << kRight << "\" y1=\"" << py(d * m) << "\" y2=\""
          << py(d * m) << "\" stroke=\"#eee\"/>\n";
  }
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
    << "\" text-anchor=\"middle\">percentile of messages (send to delivery, same clock)</text>\n"
    << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kRight - kLeft
    << "\" height=\"" << kBottom - kTop << "\" fill=\"none\" stroke=\"#888\"/>\n";

  // The bar.
  s << "<line x1=\"" << kLeft << "\" x2=\"" << kRight << "\" y1=\"" << py(kP99BarMs) << "\" y2=\""
    << py(kP99BarMs) << "\" stroke=\"#c00\" stroke-dasharray=\"6 4\"/>\n<text x=\"" << kRight - 4
    << "\" y=\"" << py(kP99BarMs) - 6 << "\" text-anchor=\"end\" fill=\"#c00\">bar: p99 &lt; "
    << kP99BarMs << " ms</text>\n";

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
  s << "</svg>\n";

  std::ofstream out(path);
  out << s.str();
  return static_cast<bool>(out);
}

}  // namespace mend::bench
