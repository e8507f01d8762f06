#pragma once

#include <cstdio>
#include <string>

// Small text helpers shared by the two SVG charts.
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

}  // namespace mend::bench::svg
