#include "table.h"

#include <algorithm>

namespace regent::ctl {

namespace {

// Display width: one column per UTF-8 code point ("µs" is two columns, three bytes).
size_t columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) width[c] = columns(header[c]);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], columns(row[c]));
    }
  }
  std::string rule = "+";
  for (size_t w : width) rule += std::string(w + 2, '-') + "+";
  rule += "\n";
  std::string out = rule + "|";
  for (size_t c = 0; c < header.size(); ++c) {
    const size_t pad = width[c] - columns(header[c]);
    out += " " + std::string(pad / 2, ' ') + header[c] + std::string(pad - pad / 2, ' ') + " |";
  }
  out += "\n" + rule;
  for (const auto& row : rows) {
    out += "|";
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      out += " " + std::string(width[c] - columns(cell), ' ') + cell + " |";
    }
    out += "\n";
  }
  if (!rows.empty()) out += rule;
  return out;
}

}  // namespace regent::ctl
