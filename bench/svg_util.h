#pragma once

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

// What the two SVG charts share: text helpers, the page with its title, a
// log-scale latency axis with its grid, the plot frame, and the file.
namespace mend::bench::svg {

inline std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

inline std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

inline std::string ms_label(double v) {
  return v >= 1 ? fmt("%.0f ms", v) : v >= 0.1 ? fmt("%.1f ms", v) : fmt("%.2f ms", v);
}

// The plot area, in SVG units.
struct Area {
  double left, right, top, bottom;
};

// <svg> on a white page, a bold title and a grey subtitle above the plot.
inline void open_page(std::ostringstream& s, double width, double height, const Area& a,
                      const std::string& title, const std::string& subtitle) {
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << ' ' << height
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << a.left << "\" y=\"28\" font-size=\"16\" font-weight=\"bold\">"
    << escape(title) << "</text>\n<text x=\"" << a.left << "\" y=\"48\" fill=\"#444\">"
    << escape(subtitle) << "</text>\n";
}

// Latency in ms on a log scale: whole decades from below `lo` to above `hi`.
class LogMsAxis {
 public:
  LogMsAxis(double lo, double hi, const Area& a)
      : min_(std::pow(10, std::floor(std::log10(std::max(lo, 1e-3))))),
        max_(std::pow(10, std::ceil(std::log10(std::max(hi, 2 * min_))))),
        a_(a) {}
  double y(double ms) const {
    const double t =
        (std::log10(std::max(ms, min_)) - std::log10(min_)) / (std::log10(max_) - std::log10(min_));
    return a_.bottom - (a_.bottom - a_.top) * t;
  }
  // Decades (labelled) and their 2x and 5x (not).
  void grid(std::ostringstream& s) const {
    for (double d = min_; d <= max_ * 1.0001; d *= 10) {
      line(s, d, "#ccc");
      s << "<text x=\"" << a_.left - 6 << "\" y=\"" << y(d) + 4 << "\" text-anchor=\"end\">"
        << ms_label(d) << "</text>\n";
      for (double m : {2.0, 5.0})
        if (d * m < max_) line(s, d * m, "#eee");
    }
  }
  // A dashed red line across the plot at `ms`, labelled above it at the left or right.
  void bar(std::ostringstream& s, double ms, const std::string& label, bool at_right) const {
    s << "<line x1=\"" << a_.left << "\" x2=\"" << a_.right << "\" y1=\"" << y(ms) << "\" y2=\""
      << y(ms) << "\" stroke=\"#c00\" stroke-dasharray=\"6 4\"/>\n<text x=\""
      << (at_right ? a_.right - 4 : a_.left + 6) << "\" y=\"" << y(ms) - 6 << "\" text-anchor=\""
      << (at_right ? "end" : "start") << "\" fill=\"#c00\">" << escape(label) << "</text>\n";
  }

 private:
  void line(std::ostringstream& s, double ms, const char* colour) const {
    s << "<line x1=\"" << a_.left << "\" x2=\"" << a_.right << "\" y1=\"" << y(ms) << "\" y2=\""
      << y(ms) << "\" stroke=\"" << colour << "\"/>\n";
  }
  double min_, max_;
  Area a_;
};

inline void frame(std::ostringstream& s, const Area& a) {
  s << "<rect x=\"" << a.left << "\" y=\"" << a.top << "\" width=\"" << a.right - a.left
    << "\" height=\"" << a.bottom - a.top << "\" fill=\"none\" stroke=\"#888\"/>\n";
}

// Closes the <svg> and writes the file; false if it cannot be written.
inline bool finish(std::ostringstream& s, const std::string& path) {
  s << "</svg>\n";
  std::ofstream out(path);
  out << s.str();
  return static_cast<bool>(out);
}

}  // namespace mend::bench::svg
