#pragma once

// A minimal JSON writer for `--json` output: objects, arrays, strings, numbers,
// booleans, with correct string escaping. Output only; `mend` never parses JSON.

#include <cstdint>
#include <string>
#include <string_view>

namespace mend::app {

std::string json_string(std::string_view s);

class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view value);
  JsonObject& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  JsonObject& add(std::string_view key, uint64_t value);
  JsonObject& add(std::string_view key, bool value);
  // `json` must already be valid JSON (an object or an array).
  JsonObject& add_raw(std::string_view key, std::string_view json);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_;
};

class JsonArray {
 public:
  JsonArray& add_raw(std::string_view json);
  JsonArray& add(std::string_view value) { return add_raw(json_string(value)); }
  std::string str() const { return "[" + body_ + "]"; }

 private:
  std::string body_;
};

}  // namespace mend::app
