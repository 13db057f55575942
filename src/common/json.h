// A minimal JSON writer (regentctl's -w json, regent-bench's --json): objects, arrays, strings,
// integers, fixed-point numbers and booleans, with the commas and escapes done here once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace regent {

class Json {
 public:
  Json& begin_object();
  Json& end_object();
  Json& begin_array();
  Json& end_array();
  Json& key(std::string_view name);
  Json& string(std::string_view s);
  Json& number(int64_t v);
  Json& unsigned_number(uint64_t v);
  // With `decimals` digits after the point; null for NaN and infinities, which JSON lacks.
  Json& fixed(double v, int decimals);
  Json& boolean(bool v);
  Json& null();

  // Fields as Go's encoding/json writes them with `omitempty`: left out when zero or empty.
  Json& field(std::string_view name, int64_t v);
  Json& ufield(std::string_view name, uint64_t v);
  Json& bfield(std::string_view name, bool v);
  Json& sfield(std::string_view name, std::string_view v);
  Json& bytes_field(std::string_view name, std::string_view bytes);  // base64, as Go's []byte

  const std::string& str() const { return out_; }

 private:
  void separate();

  std::string out_;
  std::vector<bool> first_;  // Per open container: nothing written in it yet.
  bool after_key_ = false;
};

std::string base64(std::string_view bytes);

}  // namespace regent
