#include "terminal_qr.h"

#include <qrencode.h>

#include <memory>

namespace mend::app {

std::string terminal_qr(std::string_view text) {
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!qr) return {};
  const int n = qr->width;
  constexpr int kQuiet = 2;
  // Light modules (and the quiet zone) are drawn as blocks and dark ones as spaces, so
  // the code scans on the usual dark terminal background without colour codes.
  auto dark = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= n || y >= n) return false;
    return (qr->data[y * n + x] & 1) != 0;
  };
  std::string out;
  for (int y = -kQuiet; y < n + kQuiet; y += 2) {
    for (int x = -kQuiet; x < n + kQuiet; ++x) {
      const bool top = !dark(x, y), bottom = !dark(x, y + 1);  // true = light
      out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    out += "\n";
  }
  return out;
}

}  // namespace mend::app
